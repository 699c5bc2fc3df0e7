package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// replicaClient is a client as another replica's process would build it:
// the same options (and so the same keys), the shared Redis, but a cache of
// its own (a process's cache is not shared).
func replicaClient(t *testing.T, base string, sh *Shared, mutate ...func(*Options)) *Client {
	t.Helper()
	c := newClient(t, base, append([]func(*Options){func(o *Options) {
		o.Namespace = "ha-" + t.Name()
		o.CacheTTL = time.Minute
		o.Shared = sh
	}}, mutate...)...)
	c.cache = newLRU(DefaultCacheBytes)
	return c
}

// newShared is a Shared on a fresh miniredis, alone in the process (not
// through SharedFor, so tests do not share one).
func newShared(t *testing.T, replicas int) (*Shared, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	sh, err := SharedFor("redis://"+mr.Addr()+"/0", "", replicas)
	if err != nil {
		t.Fatal(err)
	}
	return sh, mr
}

func TestSharedCacheAnswersAnotherReplica(t *testing.T) {
	sh, mr := newShared(t, 3)
	srv := newServer(t, okJSON)
	a, b := replicaClient(t, srv.URL, sh), replicaClient(t, srv.URL, sh)
	ra, err := a.Do(context.Background(), Call{Path: "/stats"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.Do(context.Background(), Call{Path: "/stats"})
	if err != nil {
		t.Fatal(err)
	}
	if srv.calls.Load() != 1 || string(ra.Body) != string(rb.Body) || rb.ContentType() != "application/json" {
		t.Errorf("calls %d, bodies %q %q, content type %q", srv.calls.Load(), ra.Body, rb.Body, rb.ContentType())
	}
	for _, k := range mr.Keys() {
		if !strings.HasPrefix(k, sharedPrefix) || strings.Contains(k[len(sharedPrefix):], "stats") || strings.Contains(k, "secret") {
			t.Errorf("key %q names more than a fingerprint", k)
		}
		if v, err := mr.Get(k); err == nil && strings.Contains(v, "secret-value-123") {
			t.Errorf("a credential is in Redis under %q", k)
		}
	}
	if ttl := mr.TTL(hashKey("c", a.key(Call{Method: http.MethodGet, Path: "/stats"}, a.URL("/stats", nil)))); ttl <= 0 || ttl > time.Minute {
		t.Errorf("entry TTL %s, want the cache TTL", ttl)
	}
}

func TestSharedCacheReadsNoMoreThanMaxResponseBytes(t *testing.T) {
	sh, _ := newShared(t, 3)
	big := strings.Repeat("x", 4096)
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`"` + big + `"`))
	})
	a := replicaClient(t, srv.URL, sh)
	if _, err := a.Do(context.Background(), Call{Path: "/big"}); err != nil {
		t.Fatal(err)
	}
	// A replica configured for smaller answers does not take the big one
	// from Redis: it calls (and refuses the answer, as ever).
	b := replicaClient(t, srv.URL, sh, func(o *Options) { o.MaxResponseBytes = 1024 })
	_, err := b.Do(context.Background(), Call{Path: "/big"})
	var ue *Error
	if !errors.As(err, &ue) || srv.calls.Load() != 2 {
		t.Errorf("calls %d, err %v: the answer past maxResponseBytes came from Redis", srv.calls.Load(), err)
	}
}

func TestSharedCoalescingAcrossReplicas(t *testing.T) {
	sh, _ := newShared(t, 3)
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		okJSON(w, r)
	})
	a, b := replicaClient(t, srv.URL, sh), replicaClient(t, srv.URL, sh)
	var wg sync.WaitGroup
	var ra *Response
	var errA error
	wg.Go(func() { ra, errA = a.Do(context.Background(), Call{Path: "/slow"}) })
	<-started // a holds the lock and is calling
	var rb *Response
	var errB error
	wg.Go(func() { rb, errB = b.Do(context.Background(), Call{Path: "/slow"}) })
	time.Sleep(3 * sharedPoll) // b finds the lock and waits (a wait of no consequence to the outcome)
	close(release)
	wg.Wait()
	if errA != nil || errB != nil || string(ra.Body) != string(rb.Body) {
		t.Fatalf("a %v, b %v", errA, errB)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("%d upstream calls for two replicas' identical call, want 1", n)
	}
}

func TestSharedCoalescingWaiterMakesItsOwnCallWhenThePeerFails(t *testing.T) {
	sh, _ := newShared(t, 3)
	srv := newServer(t, okJSON)
	a := replicaClient(t, srv.URL, sh)
	// Another replica took the lock and died without answering.
	if _, held := sh.lock(context.Background(), a.key(Call{Method: http.MethodGet, Path: "/x"}, a.URL("/x", nil)), time.Minute); !held {
		t.Fatal("lock not taken")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := a.Do(ctx, Call{Path: "/x"}); err != nil {
		t.Fatalf("the waiter failed instead of calling itself: %v", err)
	}
	if srv.calls.Load() != 1 {
		t.Errorf("calls %d", srv.calls.Load())
	}
}

func TestSharedCacheDownAnswersAnyway(t *testing.T) {
	sh, mr := newShared(t, 3)
	srv := newServer(t, okJSON)
	a := replicaClient(t, srv.URL, sh)
	mr.Close()
	for range 3 {
		if _, err := a.Do(context.Background(), Call{Path: "/y"}); err != nil {
			t.Fatalf("Redis down failed the call: %v", err)
		}
	}
	if srv.calls.Load() != 1 {
		t.Errorf("calls %d: the process's own cache did not answer", srv.calls.Load())
	}
	err := sh.Status(context.Background(), true)
	if err == nil || !strings.HasPrefix(err.Error(), "shared cache unreachable: Redis at ") || !strings.Contains(err.Error(), "÷ 3") {
		t.Errorf("status %v", err)
	}
}

func TestSharedGuardIsOneBudgetForEveryReplica(t *testing.T) {
	sh, _ := newShared(t, 3)
	// Two processes' guards of the same credential: separate local state,
	// one budget in Redis.
	g1 := newRateGuard(10, 0.5)
	g2 := newRateGuard(10, 0.5)
	for _, g := range []*rateGuard{g1, g2} {
		g.shared, g.key, g.replicas = sh, "fp-"+t.Name(), 3
		g.fallback = newRateGuard(3, 0.5)
	}
	spare := OnlySpare(context.Background())
	took := 0
	for i := range 10 {
		g := []*rateGuard{g1, g2}[i%2]
		if _, err := g.wait(spare, "OVHcloud"); err == nil {
			took++
		}
	}
	if took != 5 {
		t.Errorf("dashboards took %d turns of the shared 10 (5 kept for alerting), want 5", took)
	}
	alert := OnlySpare(WithAlerting(context.Background()))
	for i := range 5 {
		if _, err := []*rateGuard{g2, g1}[i%2].wait(alert, "OVHcloud"); err != nil {
			t.Errorf("alerting turn %d refused: %v", i+1, err)
		}
	}
	if _, err := g1.wait(alert, "OVHcloud"); err == nil {
		t.Errorf("an 11th turn in a minute was given")
	}
	// A turn that would come after the deadline is refused and given back.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := g2.wait(ctx, "OVHcloud")
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindRateGuard || !strings.Contains(ue.Message, "10 calls per minute") {
		t.Errorf("past the deadline: %v", err)
	}
}

func TestSharedGuardFallsBackToItsShareWhenRedisFails(t *testing.T) {
	sh, mr := newShared(t, 3)
	g := guardFor("fp-"+t.Name(), 30, 0, sh)
	mr.Close()
	spare := OnlySpare(context.Background())
	took := 0
	for range 30 {
		if _, err := g.wait(spare, "OVHcloud"); err == nil {
			took++
		}
	}
	if took != 10 {
		t.Errorf("with Redis down the guard gave %d turns, want 30 ÷ 3 replicas = 10", took)
	}
	c := &Client{guard: g, opts: Options{Timeout: time.Second}}
	if b, _ := c.Budget(context.Background()); b.Total != 10 || b.Calls != 10 {
		t.Errorf("budget with Redis down %+v", b)
	}
}

func TestSharedEntryRoundTrip(t *testing.T) {
	r := &Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "Set-Cookie": {"s=secret"}}, Body: []byte(`{"a":1}`)}
	got, ok := decodeEntry(encodeEntry(r))
	if !ok || got.Status != 200 || string(got.Body) != `{"a":1}` || got.Header.Get("Content-Type") != "application/json" || got.Header.Get("Set-Cookie") != "" {
		t.Errorf("round trip %+v %v", got, ok)
	}
	for _, bad := range [][]byte{nil, []byte("short"), append([]byte{0, 0, 1, 244, 0, 0, 0, 9}, "{}"...)} {
		if _, ok := decodeEntry(bad); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}

// A Redis that takes connections and never answers (slow, or a black
// hole): every call still answers, Redis is left alone after the first
// timeout, and the failure is logged once.
func TestSharedCacheSlowAnswersAnywayAndLogsOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() }) // held open, never answered
		}
	}()
	sh, err := SharedFor("redis://"+l.Addr().String()+"/0", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	lg := newCaptureLogger()
	sh.logger = lg
	srv := newServer(t, okJSON)
	a := replicaClient(t, srv.URL, sh, func(o *Options) { o.RequestsPerMinute = 10 })
	for i := range 4 {
		if _, err := a.Do(context.Background(), Call{Path: fmt.Sprint("/z", i)}); err != nil {
			t.Fatalf("a silent Redis failed call %d: %v", i+1, err)
		}
		sh.mu.Lock()
		sh.downUntil = time.Time{} // as if sharedRetry had passed: Redis is tried (and fails) again
		sh.mu.Unlock()
	}
	if got := metricValue(t, metricSharedErrors.WithLabelValues(sh.where)); got < 4 {
		t.Errorf("%v errors counted, want one per failed try", got)
	}
	if got := metricValue(t, metricSharedUp.WithLabelValues(sh.where)); got != 0 {
		t.Errorf("servicestats_shared_cache_up %v while Redis is silent", got)
	}
	if n := strings.Count(lg.all(), "shared cache unreachable"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, lg.all())
	}
	if err := sh.Status(context.Background(), false); err == nil || !strings.Contains(err.Error(), "÷ 2") {
		t.Errorf("status %v", err)
	}
	sh.mu.Lock()
	sh.downUntil = time.Now().Add(time.Hour) // still down when the budget is asked
	sh.mu.Unlock()
	if b, _ := a.Budget(context.Background()); b.Total != 5 {
		t.Errorf("budget while Redis is silent %+v, want 10 ÷ 2 replicas", b)
	}
}

// metricValue reads a counter's or a gauge's value.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}

// A call another replica's answer waits for in Redis costs no turn of the
// rate budget.
func TestSharedCacheAnswersCountAsCached(t *testing.T) {
	sh, _ := newShared(t, 3)
	srv := newServer(t, okJSON)
	a, b := replicaClient(t, srv.URL, sh), replicaClient(t, srv.URL, sh)
	calls := []Call{{Path: "/one"}, {Path: "/two"}}
	if n := b.Uncached(context.Background(), calls); n != 2 {
		t.Fatalf("uncached %d before any answer", n)
	}
	if _, err := a.Do(context.Background(), calls[0]); err != nil {
		t.Fatal(err)
	}
	if n := b.Uncached(context.Background(), calls); n != 1 {
		t.Errorf("uncached %d, want 1: the other replica's answer is in Redis", n)
	}
}
