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
}

type lruEntry struct {
	key     string
	resp    *Response
	size    int64
	expires time.Time
}

func newLRU(maxBytes int64) *lru {
	return &lru{maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// get returns a live entry and marks it recently used; expired entries are
// dropped on sight.
func (c *lru) get(key string, now time.Time) (*Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*lruEntry)
	if !now.Before(e.expires) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.resp, true
}

// put stores an answer until expires, evicting the least recently used
// entries beyond the byte bound. An answer larger than a quarter of the
// bound is not cached at all, so one huge answer cannot flush the rest.
func (c *lru) put(key string, resp *Response, expires time.Time) {
	size := responseSize(key, resp)
	if size > c.maxBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&lruEntry{key: key, resp: resp, size: size, expires: expires})
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

func (c *lru) remove(el *list.Element) {
	e := el.Value.(*lruEntry)
	c.order.Remove(el)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// stats returns the entry count and bytes held, for tests and debugging.
func (c *lru) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.bytes
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
