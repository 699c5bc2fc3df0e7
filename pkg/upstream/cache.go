package upstream

import (
	"container/list"
	"sync"
	"time"
)

// DefaultCacheBytes bounds the answer cache of the whole plugin process.
const DefaultCacheBytes = 128 << 20

// sharedCache is the one answer cache of the process. Keys start with the
// client's namespace (data-source instance, source, credential fingerprint),
// so two data sources or two credentials never share an entry.
var sharedCache = newLRU(DefaultCacheBytes)

// lru is a byte-bounded least-recently-used cache of upstream answers, each
// with its own expiry.
type lru struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	order    *list.List // front = most recently used
	items    map[string]*list.Element
	// windows maps a Window's call key to the entry of its latest range
	// (see Window); an entry's removal removes its mapping.
	windows map[string]*list.Element
}

type lruEntry struct {
	key     string
	resp    *Response
	size    int64
	expires time.Time
	win     *windowRef // the range the answer was fetched for, if the call had one
}

// windowRef is a call's Window in the cache: the call's key apart from its
// range, the range, and how far a later range may have moved and still be
// answered by this one's answer.
type windowRef struct {
	key      string
	from, to time.Time
	maxShift time.Duration
}

func newLRU(maxBytes int64) *lru {
	return &lru{maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{}, windows: map[string]*list.Element{}}
}

// get returns a live entry and marks it recently used; expired entries are
// dropped on sight.
func (c *lru) get(key string, now time.Time) (*Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.items[key]
	e := c.live(el, now)
	if e == nil {
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.resp, true
}

// getMoved returns the live answer of the same call made for an earlier
// range of the same length that w's range follows by at most its maxShift
// (see Window), and marks it recently used.
func (c *lru) getMoved(w *windowRef, now time.Time) (*Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.windows[w.key]
	e := c.live(el, now)
	if e == nil {
		return nil, false
	}
	if shift := w.to.Sub(e.win.to); w.to.Sub(w.from) != e.win.to.Sub(e.win.from) || shift < 0 || shift > e.win.maxShift {
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.resp, true
}

// live returns el's entry unless el is nil or expired, dropping an expired
// one; c.mu is held.
func (c *lru) live(el *list.Element, now time.Time) *lruEntry {
	if el == nil {
		return nil
	}
	e := el.Value.(*lruEntry)
	if !now.Before(e.expires) {
		c.remove(el)
		return nil
	}
	return e
}

// put stores an answer until expires, evicting the least recently used
// entries beyond the byte bound. An answer larger than a quarter of the
// bound is not cached at all, so one huge answer cannot flush the rest.
// For a call with a Window, win is the range the answer was fetched for, and
// the answer becomes its call's answer for moved ranges (see getMoved)
// unless the call already has one for a later range; nil for other calls.
func (c *lru) put(key string, resp *Response, expires time.Time, win *windowRef) {
	size := responseSize(key, resp)
	if size > c.maxBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	el := c.order.PushFront(&lruEntry{key: key, resp: resp, size: size, expires: expires, win: win})
	c.items[key] = el
	c.bytes += size
	if win != nil {
		if prev, ok := c.windows[win.key]; !ok || !prev.Value.(*lruEntry).win.to.After(win.to) {
			c.windows[win.key] = el
		}
	}
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

func (c *lru) remove(el *list.Element) {
	e := el.Value.(*lruEntry)
	c.order.Remove(el)
	delete(c.items, e.key)
	if e.win != nil && c.windows[e.win.key] == el {
		delete(c.windows, e.win.key)
	}
	c.bytes -= e.size
}

func responseSize(key string, r *Response) int64 {
	n := int64(len(key) + len(r.Body) + 64)
	for k, vs := range r.Header {
		n += int64(len(k))
		for _, v := range vs {
			n += int64(len(v))
		}
	}
	return n
}
