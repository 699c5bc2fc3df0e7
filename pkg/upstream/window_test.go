package upstream

import (
	"context"
	"net/url"
	"testing"
	"time"
)

// windowCall is a call whose dates follow its window, as Pulse's are.
func windowCall(key string, from, to time.Time) Call {
	return Call{
		Path:   "/stats/requests",
		Query:  url.Values{"startDate": {from.Format(time.RFC3339Nano)}, "endDate": {to.Format(time.RFC3339Nano)}, "page": {"1"}},
		Window: &Window{From: from, To: to, Key: key},
	}
}

// TestMovedWindowIsServedFromCache: a dashboard's relative range moves with
// every refresh; while the answer of the same call for the same length of
// range lives and the range moved forward by at most the TTL, no new call
// is made. Anything else is fetched.
func TestMovedWindowIsServedFromCache(t *testing.T) {
	const ttl = 30 * time.Second
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	span := 24 * time.Hour
	cases := []struct {
		name      string
		second    Call
		wantCalls int64
	}{
		{"same range", windowCall("requests", t0.Add(-span), t0), 1},
		{"moved 10 s", windowCall("requests", t0.Add(10*time.Second-span), t0.Add(10*time.Second)), 1},
		{"moved the TTL and the time the answer took", windowCall("requests", t0.Add(ttl+200*time.Millisecond-span), t0.Add(ttl+200*time.Millisecond)), 1},
		{"moved further than the TTL", windowCall("requests", t0.Add(ttl+windowSlack+time.Millisecond-span), t0.Add(ttl+windowSlack+time.Millisecond)), 2},
		{"moved backwards", windowCall("requests", t0.Add(-time.Second-span), t0.Add(-time.Second)), 2},
		{"longer range", windowCall("requests", t0.Add(10*time.Second-span-time.Minute), t0.Add(10*time.Second)), 2},
		{"another call", windowCall("routes", t0.Add(10*time.Second-span), t0.Add(10*time.Second)), 2},
		{"no window", func() Call {
			c := windowCall("requests", t0.Add(10*time.Second-span), t0.Add(10*time.Second))
			c.Window = nil
			return c
		}(), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, okJSON)
			c := newClient(t, srv.URL, func(o *Options) { o.CacheTTL = ttl })
			if _, err := c.Do(context.Background(), windowCall("requests", t0.Add(-span), t0)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Do(context.Background(), tc.second); err != nil {
				t.Fatal(err)
			}
			if got := srv.calls.Load(); got != tc.wantCalls {
				t.Errorf("%d upstream calls, want %d", got, tc.wantCalls)
			}
		})
	}
}

// TestMovedWindowNeverOutlivesTheAnswer: once the cached answer expires, a
// moved range is fetched, and so is one asked without the cache.
func TestMovedWindowNeverOutlivesTheAnswer(t *testing.T) {
	srv := newServer(t, okJSON)
	c := newClient(t, srv.URL, func(o *Options) { o.CacheTTL = 50 * time.Millisecond })
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, err := c.Do(context.Background(), windowCall("requests", t0.Add(-time.Hour), t0)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(WithoutCache(context.Background()), windowCall("requests", t0.Add(time.Millisecond-time.Hour), t0.Add(time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	if got := srv.calls.Load(); got != 2 {
		t.Fatalf("%d upstream calls, want 2: noCache bypasses moved answers too", got)
	}
	time.Sleep(80 * time.Millisecond)
	if _, err := c.Do(context.Background(), windowCall("requests", t0.Add(2*time.Millisecond-time.Hour), t0.Add(2*time.Millisecond))); err != nil {
		t.Fatal(err)
	}
	if got := srv.calls.Load(); got != 3 {
		t.Errorf("%d upstream calls, want 3: the answer had expired", got)
	}
}

// TestMovedWindowFollowsTheLatestRange: the window answers from the latest
// range fetched, and forgets an entry the cache evicted.
func TestMovedWindowFollowsTheLatestRange(t *testing.T) {
	l := newLRU(1 << 20)
	now := time.Now()
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ref := func(to time.Time) *windowRef {
		return &windowRef{key: "w", from: to.Add(-time.Hour), to: to, maxShift: time.Minute}
	}
	l.put("a", &Response{Body: []byte("a")}, now.Add(time.Minute), ref(t0.Add(time.Minute)))
	l.put("b", &Response{Body: []byte("b")}, now.Add(time.Minute), ref(t0)) // an older range, arriving later
	if r, ok := l.getMoved(ref(t0.Add(90*time.Second)), now); !ok || string(r.Body) != "a" {
		t.Fatalf("got %v %v, want the answer of the latest range", r, ok)
	}
	l.remove(l.items["a"])
	if _, ok := l.getMoved(ref(t0.Add(90*time.Second)), now); ok {
		t.Fatal("an evicted answer still serves its window")
	}
	if len(l.windows) != 0 {
		t.Errorf("%d window entries left", len(l.windows))
	}
}
