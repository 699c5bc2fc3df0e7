package ovh

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A lookup keeps a success for lookupTTL on its source's clock, keeps no
// failure, stays apart from other lookups, and is dropped with its source.
func TestLookup(t *testing.T) {
	now := testNow
	clock := func() time.Time { return now }
	a, b := newLookup[string](clock), newLookup[string](clock)
	fetches := 0
	fetch := func(v string, err error) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { fetches++; return v, err }
	}
	ctx := context.Background()

	if _, err := a.get(ctx, "k", fetch("", errors.New("down"))); err == nil {
		t.Fatal("the failure was not returned")
	}
	if v, err := a.get(ctx, "k", fetch("one", nil)); v != "one" || err != nil || fetches != 2 {
		t.Fatalf("after a failure: %q %v, %d fetches, want a new fetch", v, err, fetches)
	}
	if v, _ := a.get(ctx, "k", fetch("two", nil)); v != "one" || fetches != 2 {
		t.Errorf("within the TTL: %q, %d fetches, want the kept value", v, fetches)
	}
	if _, ok := b.peek("k"); ok {
		t.Error("another lookup sees the value")
	}
	now = now.Add(lookupTTL)
	if _, ok := a.peek("k"); ok {
		t.Error("the value outlived lookupTTL on the source's clock")
	}
	if v, _ := a.get(ctx, "k", fetch("three", nil)); v != "three" {
		t.Errorf("after the TTL: %q, want a new fetch", v)
	}

	_, _ = b.get(ctx, "k", fetch("b", nil))
	forgetLookups(a.owner)
	if _, ok := a.peek("k"); ok {
		t.Error("a forgotten lookup still answers")
	}
	if v, ok := b.peek("k"); !ok || v != "b" {
		t.Errorf("forgetting a dropped b's value: %q %v", v, ok)
	}
	forgetLookups(b.owner)
}

// The store is bounded: past lookupMaxEntries the least recently used go.
func TestLookupStoreIsBounded(t *testing.T) {
	l := newLookup[int](time.Now)
	defer forgetLookups(l.owner)
	for i := range lookupMaxEntries + 10 {
		_, _ = l.get(context.Background(), fmt.Sprint(i), func(context.Context) (int, error) { return i, nil })
	}
	if n := lookupStore.Len(); n > lookupMaxEntries {
		t.Errorf("%d entries, over the bound %d", n, lookupMaxEntries)
	}
	if _, ok := l.peek("0"); ok {
		t.Error("the oldest entry survived past the bound")
	}
	if v, ok := l.peek(fmt.Sprint(lookupMaxEntries + 9)); !ok || v != lookupMaxEntries+9 {
		t.Error("the newest entry was evicted")
	}
}
