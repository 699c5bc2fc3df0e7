package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// server is a test upstream whose handler can change per test, counting calls.
type server struct {
	*httptest.Server
	calls atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, base string, mutate ...func(*Options)) *Client {
	t.Helper()
	opts := Options{
		Source: "Test API", BaseURL: base, Timeout: 2 * time.Second, MaxResponseBytes: 1 << 20,
		Namespace: t.Name(), Credential: "user:secret-value-123",
		Secrets: []string{"secret-value-123"},
		Retry:   &RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxRetryAfter: 2 * time.Second},
		Authorize: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer secret-value-123")
			return nil
		},
	}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func okJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"ok":true}`)
}

func TestPathEscapesEverySegment(t *testing.T) {
	cases := []struct {
		in   []string
		want string
		err  bool
	}{
		{[]string{"telephony", "ab12345-ovh-1", "line", "0033123456789"}, "/telephony/ab12345-ovh-1/line/0033123456789", false},
		{[]string{"telephony", "a/b", "line"}, "/telephony/a%2Fb/line", false},
		{[]string{"telephony", "../auth", "line"}, "/telephony/..%2Fauth/line", false},
		{[]string{"telephony", "x?y=1#z"}, "/telephony/x%3Fy=1%23z", false},
		{[]string{"telephony", ".."}, "", true},
		{[]string{"telephony", "."}, "", true},
		{[]string{"telephony", ""}, "", true},
	}
	for _, tc := range cases {
		got, err := Path(tc.in...)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Path(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestEscapedPathReachesTheServerAsOneSegment(t *testing.T) {
	var gotPath string
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { gotPath = r.URL.EscapedPath(); okJSON(w, r) })
	c := newClient(t, s.URL+"/api/1.0")
	p, _ := Path("telephony", "../../admin", "line")
	if _, err := c.Do(context.Background(), Call{Path: p}); err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/1.0/telephony/..%2F..%2Fadmin/line" {
		t.Fatalf("server saw %q", gotPath)
	}
}

func TestRecorderKeepsCallsWithoutSecrets(t *testing.T) {
	s := newServer(t, okJSON)
	c := newClient(t, s.URL)
	rec := &Recorder{}
	ctx := WithRecorder(context.Background(), rec)
	_, _ = c.Do(ctx, Call{Path: "/stats", Query: url.Values{"page": {"1"}, "token": {"secret-value-123"}}})
	_, _ = c.Do(ctx, Call{Path: "/bw", Body: []byte(`{"bandwidth":{"type":"GB"}}`)})
	got := rec.Calls()
	want := []string{"GET " + s.URL + "/stats?page=1&token=[redacted]", "GET " + s.URL + `/bw {"bandwidth":{"type":"GB"}}`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("recorded %q, want %q", got, want)
	}
}

func TestResponseSizeCap(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `"`+strings.Repeat("x", 2<<20)+`"`)
	})
	c := newClient(t, s.URL)
	_, err := c.Do(context.Background(), Call{Path: "/big"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindTooLarge || !strings.Contains(ue.Message, "more than 1 MiB") || !strings.Contains(ue.Message, "maxResponseBytes") {
		t.Fatalf("got %v", err)
	}
}

func TestErrorClassesAndMessages(t *testing.T) {
	cases := []struct {
		status int
		kind   Kind
		want   string
	}{
		{401, KindHTTP, "401 Unauthorized — check the credentials"},
		{403, KindHTTP, "403 Forbidden — check the credentials"},
		{404, KindHTTP, "404 Not Found — check the URL"},
		{500, KindHTTP, "500 Internal Server Error — the service failed; try again later"},
		{418, KindHTTP, "418 I'm a teapot"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) })
			c := newClient(t, s.URL)
			_, err := c.Do(context.Background(), Call{Path: "/x"})
			var ue *Error
			if !errors.As(err, &ue) || ue.Kind != tc.kind || ue.Status != tc.status || !strings.Contains(ue.Message, tc.want) {
				t.Fatalf("got %#v", err)
			}
			if s.calls.Load() != 1 {
				t.Fatalf("%d calls: a %d must not be retried", s.calls.Load(), tc.status)
			}
		})
	}
}

func TestExplainHookAndScrubbing(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(403) })
	c := newClient(t, s.URL, func(o *Options) {
		o.Explain = func(e *Error, r *Response) { e.Code = "DENIED"; e.Message = "denied for secret-value-123" }
	})
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	if err == nil || err.Error() != "denied for [redacted]" {
		t.Fatalf("got %v", err)
	}
}

func TestNetworkErrorsAndTimeouts(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := newClient(t, "http://"+addr)
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindNetwork || !strings.Contains(ue.Message, "no answer from "+addr) {
		t.Fatalf("refused: %v", err)
	}

	slow := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	c = newClient(t, slow.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
	_, err = c.Do(context.Background(), Call{Path: "/x"})
	if !errors.As(err, &ue) || ue.Kind != KindTimeout || !strings.Contains(ue.Message, "did not answer within 100ms") {
		t.Fatalf("timeout: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	c = newClient(t, slow.URL)
	_, err = c.Do(ctx, Call{Path: "/x"})
	if !errors.As(err, &ue) || ue.Kind != KindCanceled {
		t.Fatalf("cancel: %v", err)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	c := newClient(t, "http://example.invalid")
	cases := []struct {
		ct, body, want string
	}{
		{"text/html", "<html>502</html>", "a text/html page instead of API data"},
		{"application/json", `{"a":`, "a truncated answer"},
		{"application/json", `nonsense`, "an answer it could not read"},
	}
	for _, tc := range cases {
		var v any
		err := c.DecodeJSON(&Response{Status: 200, Header: http.Header{"Content-Type": {tc.ct}}, Body: []byte(tc.body)}, &v)
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != KindDecode || !strings.Contains(ue.Message, tc.want) {
			t.Errorf("%s %q: %v", tc.ct, tc.body, err)
		}
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		statuses  []int // answered in turn; the last one repeats
		retryHdr  string
		wantCalls int64
		wantErr   bool
	}{
		{"429 then success", []int{429, 200}, "", 2, false},
		{"503 with Retry-After then success", []int{503, 200}, "1", 2, false},
		{"502 twice then success", []int{502, 502, 200}, "", 3, false},
		{"504 persistent", []int{504}, "", 3, true},
		{"429 persistent", []int{429}, "", 3, true},
		{"500 is not retried", []int{500}, "", 1, true},
		{"400 is not retried", []int{400}, "", 1, true},
		{"Retry-After beyond the cap is not waited", []int{503, 200}, "3600", 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				st := tc.statuses[min(i, len(tc.statuses)-1)]
				if tc.retryHdr != "" {
					w.Header().Set("Retry-After", tc.retryHdr)
				}
				if st == 200 {
					okJSON(w, r)
					return
				}
				w.WriteHeader(st)
			})
			c := newClient(t, s.URL)
			start := time.Now()
			_, err := c.Do(context.Background(), Call{Path: "/x"})
			if (err != nil) != tc.wantErr || s.calls.Load() != tc.wantCalls {
				t.Fatalf("err %v after %d calls; want error %v after %d", err, s.calls.Load(), tc.wantErr, tc.wantCalls)
			}
			if tc.retryHdr == "1" && time.Since(start) < time.Second {
				t.Fatalf("Retry-After: 1 was not honoured (%v)", time.Since(start))
			}
		})
	}
}

func TestRetryNeverPastTheDeadline(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(503)
	})
	c := newClient(t, s.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Status != 503 || s.calls.Load() != 1 {
		t.Fatalf("got %v after %d calls", err, s.calls.Load())
	}
}

func TestConnectionResetIsRetried(t *testing.T) {
	var n atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		okJSON(w, r)
	})
	c := newClient(t, s.URL)
	if _, err := c.Do(context.Background(), Call{Path: "/x"}); err != nil || s.calls.Load() != 2 {
		t.Fatalf("err %v after %d calls", err, s.calls.Load())
	}
}

func TestCache(t *testing.T) {
	s := newServer(t, okJSON)
	c := newClient(t, s.URL, func(o *Options) { o.CacheTTL = 200 * time.Millisecond })
	ctx := context.Background()
	for range 5 {
		if _, err := c.Do(ctx, Call{Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	if s.calls.Load() != 1 {
		t.Fatalf("%d upstream calls within the TTL, want 1", s.calls.Load())
	}
	if _, err := c.Do(WithoutCache(ctx), Call{Path: "/x"}); err != nil || s.calls.Load() != 2 {
		t.Fatalf("bypass: %v, %d calls", err, s.calls.Load())
	}
	time.Sleep(250 * time.Millisecond)
	_, _ = c.Do(ctx, Call{Path: "/x"})
	if s.calls.Load() != 3 {
		t.Fatalf("after the TTL: %d calls, want 3", s.calls.Load())
	}
	// Another credential or another data source never shares the entry.
	other := newClient(t, s.URL, func(o *Options) { o.CacheTTL = time.Minute; o.Credential = "user:other" })
	_, _ = other.Do(ctx, Call{Path: "/x"})
	otherDS := newClient(t, s.URL, func(o *Options) { o.CacheTTL = time.Minute; o.Namespace = "another-instance" })
	_, _ = otherDS.Do(ctx, Call{Path: "/x"})
	if s.calls.Load() != 5 {
		t.Fatalf("isolation: %d calls, want 5", s.calls.Load())
	}
	// Errors are not cached.
	fail := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) })
	fc := newClient(t, fail.URL, func(o *Options) { o.CacheTTL = time.Minute })
	_, _ = fc.Do(ctx, Call{Path: "/x"})
	_, _ = fc.Do(ctx, Call{Path: "/x"})
	if fail.calls.Load() != 2 {
		t.Fatalf("errors were cached: %d calls", fail.calls.Load())
	}
}

func TestLRUEvictsByBytes(t *testing.T) {
	c := newLRU(10_000)
	now := time.Now()
	body := make([]byte, 1000)
	for i := range 20 {
		c.put(fmt.Sprint(i), &Response{Body: body}, now.Add(time.Minute), nil)
		if i == 5 {
			c.get("0", now) // 0 becomes recently used
		}
	}
	n, bytes := c.stats()
	if bytes > 10_000 || n > 9 {
		t.Fatalf("%d entries, %d bytes: over the bound", n, bytes)
	}
	if _, ok := c.get("19", now); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if _, ok := c.get("1", now); ok {
		t.Fatal("an old entry survived")
	}
	c.put("huge", &Response{Body: make([]byte, 5000)}, now.Add(time.Minute), nil)
	if _, ok := c.get("huge", now); ok {
		t.Fatal("an entry over a quarter of the bound was cached")
	}
	if _, ok := c.get("19", now.Add(2*time.Minute)); ok {
		t.Fatal("an expired entry was served")
	}
}

func TestCoalescing(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-release; okJSON(w, r) })
	c := newClient(t, s.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			_, err := c.Do(context.Background(), Call{Path: "/same"})
			errs <- err
		})
	}
	time.Sleep(200 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.calls.Load() != 1 {
		t.Fatalf("100 identical concurrent calls made %d upstream calls, want 1", s.calls.Load())
	}
}

func TestCoalescedCallSurvivesOneCancelAndStopsWhenAllCancel(t *testing.T) {
	started := make(chan struct{}, 10)
	canceled := make(chan struct{}, 10)
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-release:
			okJSON(w, r)
		case <-r.Context().Done():
			canceled <- struct{}{}
		}
	})
	c := newClient(t, s.URL)

	// One of two waiters gives up: the other still gets the answer.
	ctxA, cancelA := context.WithCancel(context.Background())
	resB := make(chan error, 1)
	go func() { _, err := c.Do(ctxA, Call{Path: "/one"}); _ = err }()
	<-started
	go func() { _, err := c.Do(context.Background(), Call{Path: "/one"}); resB <- err }()
	time.Sleep(50 * time.Millisecond)
	cancelA()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-resB; err != nil {
		t.Fatalf("the remaining waiter failed: %v", err)
	}

	// Every waiter gives up: the upstream call is canceled.
	s2 := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
		canceled <- struct{}{}
	})
	c2 := newClient(t, s2.URL)
	ctx, cancel := context.WithCancel(context.Background())
	for range 3 {
		go func() { _, _ = c2.Do(ctx, Call{Path: "/two"}) }()
	}
	<-started
	cancel()
	select {
	case <-canceled:
	case <-time.After(3 * time.Second):
		t.Fatal("the upstream call went on after every caller canceled")
	}
}

// captureLogger keeps every line logged through it.
type captureLogger struct {
	mu    *sync.Mutex
	lines *[]string
	with  []any
}

func newCaptureLogger() captureLogger {
	return captureLogger{mu: &sync.Mutex{}, lines: &[]string{}}
}

func (l captureLogger) add(level, msg string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.lines = append(*l.lines, fmt.Sprint(level, " ", msg, " ", l.with, " ", args))
}

func (l captureLogger) Debug(msg string, args ...any) { l.add("debug", msg, args) }
func (l captureLogger) Info(msg string, args ...any)  { l.add("info", msg, args) }
func (l captureLogger) Warn(msg string, args ...any)  { l.add("warn", msg, args) }
func (l captureLogger) Error(msg string, args ...any) { l.add("error", msg, args) }
func (l captureLogger) With(args ...any) log.Logger {
	l.with = append(append([]any(nil), l.with...), args...)
	return l
}
func (l captureLogger) Level() log.Level                       { return log.Debug }
func (l captureLogger) FromContext(context.Context) log.Logger { return l }

func (l captureLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(*l.lines, "\n")
}

// TestLogLinesHoldOnlyScrubbedURLs: the debug lines of a call and of its
// retries name the URL with the secret redacted.
func TestLogLinesHoldOnlyScrubbedURLs(t *testing.T) {
	first := true
	var mu sync.Mutex
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		again := first
		first = false
		mu.Unlock()
		if again {
			w.WriteHeader(503)
			return
		}
		okJSON(w, r)
	})
	lg := newCaptureLogger()
	c := newClient(t, s.URL, func(o *Options) { o.Logger = lg })
	if _, err := c.Do(context.Background(), Call{Path: "/stats", Query: url.Values{"token": {"secret-value-123"}}}); err != nil {
		t.Fatal(err)
	}
	logged := lg.all()
	if !strings.Contains(logged, "retrying upstream call") || !strings.Contains(logged, "token=[redacted]") {
		t.Fatalf("log lines:\n%s", logged)
	}
	if strings.Contains(logged, "secret-value-123") {
		t.Fatalf("a secret was logged:\n%s", logged)
	}
}
