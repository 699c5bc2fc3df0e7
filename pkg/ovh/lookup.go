package ovh

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// lookupTTL is how long descriptions of accounts and lines are kept: they
// label series and drop-downs, and change rarely.
const lookupTTL = 10 * time.Minute

// lookupMaxEntries bounds the lookups kept for all the OVHcloud data
// sources of the process (line and account descriptions, line and account
// lists): past it the least recently used go first. A few MB at most.
const lookupMaxEntries = 1 << 14

// lookupStore holds every lookup of the process: an expiring LRU that drops
// an entry lookupTTL after it was stored, even if no one asks for it again.
// It is one for the process because an expirable LRU cleans up from a
// goroutine that lives as long as the process (the package cannot stop
// it): one per data source would leave one behind each time a data source
// is saved.
var lookupStore = expirable.NewLRU[lookupKey, lookupEntry](lookupMaxEntries, nil, lookupTTL)

// lookupKey is a key of one lookup: owner tells the lookups apart.
type lookupKey struct {
	owner uint64
	key   string
}

// lookupEntry is a kept value and when it expires on its source's clock
// (the one its queries use, which tests move).
type lookupEntry struct {
	value   any
	expires time.Time
}

var lookupOwners atomic.Uint64

// lookup caches successful answers of one kind for lookupTTL. Failures are
// not kept, so a line that appears later is found at once. Identical calls
// in flight are already coalesced by the upstream client.
type lookup[V any] struct {
	now   func() time.Time
	owner uint64
}

func newLookup[V any](now func() time.Time) *lookup[V] {
	return &lookup[V]{now: now, owner: lookupOwners.Add(1)}
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
	lookupStore.Add(lookupKey{l.owner, key}, lookupEntry{value: v, expires: l.now().Add(lookupTTL)})
	return v, nil
}

// peek returns the cached value of key, without fetching it.
func (l *lookup[V]) peek(key string) (V, bool) {
	if e, ok := lookupStore.Get(lookupKey{l.owner, key}); ok && l.now().Before(e.expires) {
		if v, ok := e.value.(V); ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// forgetLookups drops the entries of these lookups (their data source is
// gone) rather than leave them to expire.
func forgetLookups(owners ...uint64) {
	for _, k := range lookupStore.Keys() {
		if slices.Contains(owners, k.owner) {
			lookupStore.Remove(k)
		}
	}
}
