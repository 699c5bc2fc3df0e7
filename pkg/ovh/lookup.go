package ovh

import (
	"context"
	"sync"
	"time"
)

// lookupTTL is how long descriptions of accounts and lines are kept: they
// label series and drop-downs, and change rarely.
const lookupTTL = 10 * time.Minute

// lookupMaxEntries bounds a lookup cache; past it, expired entries go first,
// then everything.
const lookupMaxEntries = 4096

// lookup caches successful answers of one kind for lookupTTL. Failures are
// not kept, so a line that appears later is found at once. Identical calls
// in flight are already coalesced by the upstream client.
type lookup[V any] struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]lookupEntry[V]
}

type lookupEntry[V any] struct {
	value   V
	expires time.Time
}

func newLookup[V any](now func() time.Time) *lookup[V] {
	return &lookup[V]{now: now, entries: map[string]lookupEntry[V]{}}
}

// get returns the cached value of key, or fetches and keeps it.
func (l *lookup[V]) get(ctx context.Context, key string, fetch func(context.Context) (V, error)) (V, error) {
	if v, ok := l.peek(key); ok {
		return v, nil
	}
	v, err := fetch(ctx)
	if err != nil {
		return v, err
	}
	l.put(key, v)
	return v, nil
}

// peek returns the cached value of key, without fetching it.
func (l *lookup[V]) peek(key string) (V, bool) {
	l.mu.Lock()
	e, ok := l.entries[key]
	l.mu.Unlock()
	if ok && l.now().Before(e.expires) {
		return e.value, true
	}
	var zero V
	return zero, false
}

func (l *lookup[V]) put(key string, v V) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= lookupMaxEntries {
		for k, e := range l.entries {
			if !now.Before(e.expires) {
				delete(l.entries, k)
			}
		}
		if len(l.entries) >= lookupMaxEntries {
			clear(l.entries)
		}
	}
	l.entries[key] = lookupEntry[V]{value: v, expires: now.Add(lookupTTL)}
}
