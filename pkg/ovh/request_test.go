package ovh

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/pkg/models"
)

// TestOutgoingRequest checks the statistics call as sent: path, query, and a
// signature recomputed here with SHA-1 over the exact URL the fake received.
// The odd billing account and line prove that what is signed is what is
// sent, escapes included.
func TestOutgoingRequest(t *testing.T) {
	cases := []struct {
		name, endpoint, ba, line, wantPath string
	}{
		{"plain", testBase, "ab12345-ovh-1", "0033123456789", "/1.0/telephony/ab12345-ovh-1/line/0033123456789/statistics"},
		{"escaped", testBase, "ab 12/é", "+33 1?x", "/1.0/telephony/ab%2012%2F%C3%A9/line/+33%201%3Fx/statistics"},
		{"endpoint written loosely", "HTTP://ovh.test/1.0/", "ab12345-ovh-1", "0033123456789", "/1.0/telephony/ab12345-ovh-1/line/0033123456789/statistics"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil)
			f.set(func(f *fakeOVH) { f.handle = emptyStats })
			src := newTestSource(t, f, func(s *models.Settings) { s.OVH.Endpoint = tc.endpoint })
			q := telephonyQuery(map[string]any{"billingAccount": tc.ba, "lines": []string{tc.line}, "metrics": []string{"rtpMos"}},
				testNow.Add(-30*time.Minute), testNow)
			if resp := src.HandleQuery(context.Background(), q); resp.Error != nil {
				t.Fatal(resp.Error)
			}
			calls := f.statsCalls()
			if len(calls) != 1 {
				t.Fatalf("%d statistics calls, want 1", len(calls))
			}
			c := calls[0]
			u, err := url.Parse(c.FullURL)
			if err != nil {
				t.Fatal(err)
			}
			if u.EscapedPath() != tc.wantPath {
				t.Errorf("path %s, want %s", u.EscapedPath(), tc.wantPath)
			}
			if u.RawQuery != "timeframe=hourly&type=rtpMos" {
				t.Errorf("query %q, want timeframe=hourly&type=rtpMos", u.RawQuery)
			}
			h := c.Header
			if h.Get("X-Ovh-Application") != testAppKey || h.Get("X-Ovh-Consumer") != testConsumerKey {
				t.Errorf("application %q consumer %q", h.Get("X-Ovh-Application"), h.Get("X-Ovh-Consumer"))
			}
			ts, err := strconv.ParseInt(h.Get("X-Ovh-Timestamp"), 10, 64)
			if err != nil || abs(ts-testNow.Unix()) > 2 {
				t.Errorf("timestamp %q is not the API's clock %d (the offset from /auth/time must apply)", h.Get("X-Ovh-Timestamp"), testNow.Unix())
			}
			want := testSignature(testAppSecret, testConsumerKey, "GET", c.FullURL, h.Get("X-Ovh-Timestamp"))
			if got := h.Get("X-Ovh-Signature"); got != want {
				t.Errorf("signature %s, want %s over %s", got, want, c.FullURL)
			}
			if h.Get("Authorization") != "" {
				t.Error("a signed request must not carry an Authorization header")
			}
		})
	}
}

// The clock offset is measured once per source, however many calls follow.
func TestClockMeasuredOnce(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = emptyStats })
	src := newTestSource(t, f)
	for range 3 {
		q := telephonyQuery(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"1", "2", "3"}, "metrics": []string{"rtpMos", "maxJitter"}},
			testNow.Add(-time.Hour), testNow)
		if resp := src.HandleQuery(context.Background(), q); resp.Error != nil {
			t.Fatal(resp.Error)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timeCalls() != 1 {
		t.Errorf("GET /auth/time called %d times, want once", f.timeCalls())
	}
}

// The description lookups run once per line and are kept 10 minutes; the
// statistics are read anew every time.
func TestLineDescriptionsAreCached(t *testing.T) {
	answers := map[string]json.RawMessage{
		"/telephony/ab/line/1": json.RawMessage(`{"serviceName":"1","description":"Desk","serviceType":"line"}`),
		"/telephony/ab/line/1/statistics?timeframe=hourly&type=rtpMos":    json.RawMessage(`{"unit":"","values":[]}`),
		"/telephony/ab/line/1/statistics?timeframe=hourly&type=maxJitter": json.RawMessage(`{"unit":"s","values":[]}`),
	}
	f := newFake(t, answers)
	clock := &testClock{now: testNow}
	src := newTestSourceAt(t, f, clock.Now)
	run := func() string {
		q := telephonyQuery(map[string]any{"billingAccount": "ab", "lines": []string{"1"}, "metrics": []string{"rtpMos", "maxJitter"}},
			clock.Now().Add(-30*time.Minute), clock.Now())
		resp := src.HandleQuery(context.Background(), q)
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		return resp.Frames[0].Fields[1].Config.DisplayNameFromDS
	}
	if got := run(); got != "Desk rtpMos" {
		t.Errorf("display name %q", got)
	}
	clock.advance(9 * time.Minute)
	run()
	if n := f.count("/telephony/ab/line/1"); n != 1 {
		t.Errorf("line looked up %d times within 10 minutes, want once", n)
	}
	clock.advance(2 * time.Minute)
	run()
	if n := f.count("/telephony/ab/line/1"); n != 2 {
		t.Errorf("line looked up %d times after 11 minutes, want twice", n)
	}
	if n := len(f.statsCalls()); n != 6 {
		t.Errorf("%d statistics calls, want 6 (never cached here)", n)
	}
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Statistics answers are cached for cacheTTLSeconds; "noCache" reads afresh.
func TestCacheAndNoCache(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{"/auth/currentCredential": {status: 200, body: `{"status":"validated","rules":[{"method":"GET","path":"/telephony/*"}]}`}})
	})
	src := newTestSource(t, f, func(s *models.Settings) { s.CacheTTL = time.Minute })
	model := map[string]any{"billingAccount": "ab", "lines": []string{"1"}, "metrics": []string{"rtpMos"}}
	for range 2 {
		src.HandleQuery(context.Background(), telephonyQuery(model, testNow.Add(-time.Hour), testNow))
	}
	if n := len(f.statsCalls()); n != 1 {
		t.Errorf("%d statistics calls for two identical queries, want 1 (cached)", n)
	}
	model["noCache"] = true
	resp := src.HandleQuery(context.Background(), telephonyQuery(model, testNow.Add(-time.Hour), testNow))
	if n := len(f.statsCalls()); n != 2 || resp.Error != nil {
		t.Errorf("%d statistics calls after noCache (error %v), want 2", n, resp.Error)
	}
	for range 2 {
		if _, err := src.CheckHealth(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("/auth/currentCredential"); n != 2 {
		t.Errorf("health called the API %d times in 2 checks, want 2 (never cached)", n)
	}
}
