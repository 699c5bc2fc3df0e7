package upstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// lyingReader sends a few bytes of an answer that announced far more.
func lyingReader() io.Reader { return strings.NewReader(`{"ok":true,"padding":"0123456789"}`) }

const lyingLength = 62 << 20 // what the lying answers announce

// TestReadAllDoesNotTrustContentLength: 72 answers announcing 62 MiB and
// sending 34 bytes allocate almost nothing (they allocated 62 MiB each).
func TestReadAllDoesNotTrustContentLength(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 72 {
		b, err := readAll(lyingReader(), lyingLength, 64<<20)
		if err != nil || len(b) != 34 {
			t.Fatalf("%d bytes, %v", len(b), err)
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("72 lying answers allocated %d bytes, want under 1 MiB", got)
	}
}

// chunked hands out its data a few bytes at a time, as a network does.
type chunked struct {
	data []byte
	step int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.step)], c.data)
	c.data = c.data[n:]
	return n, nil
}

// TestReadAllHonestAnswers: an honest answer is read whole, its last buffer
// of exactly its Content-Length, and an answer without Content-Length at
// most doubles what arrived — from 1 MiB on, at most a quarter more (trim).
func TestReadAllHonestAnswers(t *testing.T) {
	for _, size := range []int{0, 1, 511, 512, 513, 4096, 1<<20 + 17, 3<<20 + 5} {
		data := bytes.Repeat([]byte("x"), size)
		b, err := readAll(&chunked{data: data, step: 1500}, int64(size), 64<<20)
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("%d bytes: read %d, %v", size, len(b), err)
		}
		if cap(b) != size && cap(b) > readStep {
			t.Errorf("%d bytes with Content-Length: buffer of %d", size, cap(b))
		}
		b, err = readAll(&chunked{data: data, step: 1500}, -1, 64<<20)
		if err != nil || !bytes.Equal(b, data) || cap(b) > max(2*size, readStep) {
			t.Errorf("%d bytes without Content-Length: read %d into %d, %v", size, len(b), cap(b), err)
		}
		if size >= 1<<20 && cap(b) > size+size/4 {
			t.Errorf("%d bytes without Content-Length: kept in a buffer of %d", size, cap(b))
		}
	}
}

// TestReadAllStopsPastTheLimit: readAll never holds more than limit+1
// bytes, whatever the answer says or sends.
func TestReadAllStopsPastTheLimit(t *testing.T) {
	data := bytes.Repeat([]byte("y"), 10_000)
	for _, length := range []int64{-1, 100, 1000, 10_000, 1 << 40} {
		b, err := readAll(&chunked{data: data, step: 700}, length, 1000)
		if err != nil || len(b) != 1001 || cap(b) > 1001 {
			t.Errorf("length %d: %d bytes in %d, %v", length, len(b), cap(b), err)
		}
	}
}

// BenchmarkReadAllLyingContentLength reports what one lying answer costs.
func BenchmarkReadAllLyingContentLength(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readAll(lyingReader(), lyingLength, 64<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLyingContentLengthThroughTheClient: the same through a real server
// and the whole client (the server announces 62 MiB, sends 34 bytes and
// closes the connection).
func TestLyingContentLengthThroughTheClient(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(lyingLength))
		_, _ = io.Copy(w, lyingReader())
	})
	c := newClient(t, s.URL, func(o *Options) { o.MaxResponseBytes = 64 << 20; o.Retry = &RetryPolicy{MaxAttempts: 1} })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for i := range 72 {
		wg.Go(func() {
			_, err := c.Do(context.Background(), Call{Path: "/lie/" + strconv.Itoa(i)})
			var ue *Error
			want := "Test API: the answer from " + testutil.HostOf(t, s.URL) + " broke off after 34 bytes (unexpected EOF) — try again"
			if !errors.As(err, &ue) || ue.Kind != KindNetwork || !strings.HasPrefix(ue.Message, want) {
				t.Errorf("got %v, want %q…", err, want)
			}
		})
	}
	wg.Wait()
	runtime.ReadMemStats(&after)
	// Generous: servers, connections and goroutines of 72 calls, not the
	// 4.4 GB the announced lengths add up to.
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Fatalf("72 lying answers allocated %d MiB", got>>20)
	}
}

// endless streams an answer far past any cap without holding it, counting
// what it managed to send.
func endless(sent *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		chunk := bytes.Repeat([]byte("1"), 32<<10)
		bw := bufio.NewWriter(w)
		for range 400 << 20 / len(chunk) { // 400 MiB, generated
			n, err := bw.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		_ = bw.Flush()
	}
}

// TestEveryReadGoesThroughTheCap: a library reading an answer itself with
// HTTPClient() (go-ovh's GET /auth/time, x/oauth2's token) gets the same
// too-large error as the client's own calls, once the cap is passed: the
// answer is not read whole.
func TestEveryReadGoesThroughTheCap(t *testing.T) {
	var sent atomic.Int64
	s := newServer(t, endless(&sent))
	c := newClient(t, s.URL)
	_, doErr := c.Do(context.Background(), Call{Path: "/auth/time"})
	var own *Error
	if !errors.As(doErr, &own) || own.Kind != KindTooLarge || own.Status != 200 {
		t.Fatalf("Do: %v", doErr)
	}

	resp, err := c.HTTPClient().Get(s.URL + "/auth/time")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body) // as go-ovh reads it
	resp.Body.Close()
	var lib *Error
	if !errors.As(err, &lib) || lib.Kind != KindTooLarge || lib.Message != own.Message {
		t.Fatalf("library read: %d bytes, %v; want %q", len(data), err, own.Message)
	}
	if len(data) > 1<<20 {
		t.Errorf("the library got %d bytes past the 1 MiB cap", len(data))
	}
	if !strings.Contains(lib.Message, "Test API answered more than 1 MiB, the plugin's limit for one answer") {
		t.Errorf("message %q", lib.Message)
	}
	if n := sent.Load(); n > 100<<20 {
		t.Errorf("the server sent %d MiB: the answers were read whole", n>>20)
	}
}

// TestCredentialThatCannotBeAHeader: a credential holding a line break is
// reported as such, naming the header and never the value, and nothing is
// sent — for the client's calls and for a library's.
func TestCredentialThatCannotBeAHeader(t *testing.T) {
	for _, bad := range []string{"secret-value-123\n", "to\rken-secret-value", "tok\x00en-secret-value", "a\x7fb-secret-value"} {
		s := newServer(t, okJSON)
		c := newClient(t, s.URL, func(o *Options) {
			o.Secrets = append(o.Secrets, bad)
			o.Authorize = func(r *http.Request) error {
				r.Header.Set("Authorization", "Bearer "+bad)
				return nil
			}
		})
		_, err := c.Do(context.Background(), Call{Path: "/x"})
		var ue *Error
		want := "Test API: the credential sent in the Authorization header holds a character an HTTP header cannot carry (a line break or control character): enter it again in the data source settings"
		if !errors.As(err, &ue) || ue.Kind != KindCredential || ue.Message != want {
			t.Fatalf("%q: got %v", bad, err)
		}
		if s.calls.Load() != 0 {
			t.Fatalf("%q: %d requests sent", bad, s.calls.Load())
		}
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/auth/time", nil)
		req.Header["X-Ovh-Application"] = []string{bad}
		if resp, err := c.HTTPClient().Do(req); err == nil || !errors.As(err, &ue) || !strings.Contains(ue.Message, "in the X-Ovh-Application header") {
			if resp != nil {
				resp.Body.Close()
			}
			t.Fatalf("%q: library call: %v", bad, err)
		}
	}
}

// hang answers when the request is canceled or after 10 s.
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// TestDeadlineMessagesSayWhichDeadlineEnded: the query's own deadline
// (shorter than timeoutSeconds) is named as such, in the call, in the
// Authorize hook and across the pages of a query; a call's own timeout
// still names timeoutSeconds.
func TestDeadlineMessagesSayWhichDeadlineEnded(t *testing.T) {
	queryDeadline := func(t *testing.T, err error, after string) {
		t.Helper()
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != KindTimeout || ue.DataStatus() != 504 {
			t.Fatalf("got %v", err)
		}
		want := "Test API: the query ran out of time after " + after + " (Grafana's query timeout or the dashboard's)"
		if !strings.HasPrefix(ue.Message, want) || strings.Contains(ue.Message, "raise timeoutSeconds") {
			t.Fatalf("message %q, want it to start with %q", ue.Message, want)
		}
	}
	callTimeout := func(t *testing.T, err error) {
		t.Helper()
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != KindTimeout || !strings.Contains(ue.Message, "did not answer within 100ms") ||
			!strings.Contains(ue.Message, "raise timeoutSeconds") {
			t.Fatalf("got %v", err)
		}
	}
	slow := newServer(t, hang)
	long := func(o *Options) { o.Timeout = 30 * time.Second }
	short := func(o *Options) { o.Timeout = 100 * time.Millisecond; o.Retry = &RetryPolicy{MaxAttempts: 1} }

	t.Run("query deadline during a call", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		ctx = WithRecorder(ctx, &Recorder{})
		_, err := newClient(t, slow.URL, long).Do(ctx, Call{Path: "/x"})
		queryDeadline(t, err, "0.3 s")
	})
	t.Run("query deadline on a later page", func(t *testing.T) {
		pages := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") == "1" {
				okJSON(w, r)
				return
			}
			hang(w, r)
		})
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		ctx = WithRecorder(ctx, &Recorder{})
		c := newClient(t, pages.URL, long)
		if _, err := c.Do(ctx, Call{Path: "/logs", Query: map[string][]string{"page": {"1"}}}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Do(ctx, Call{Path: "/logs", Query: map[string][]string{"page": {"2"}}})
		queryDeadline(t, err, "0.4 s")
	})
	t.Run("query deadline while authorizing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		ctx = WithRecorder(ctx, &Recorder{})
		c := newClient(t, slow.URL, long, func(o *Options) {
			o.Authorize = func(r *http.Request) error { <-r.Context().Done(); return r.Context().Err() }
		})
		_, err := c.Do(ctx, Call{Path: "/x"})
		queryDeadline(t, err, "0.2 s")
	})
	t.Run("call timeout", func(t *testing.T) {
		_, err := newClient(t, slow.URL, short).Do(context.Background(), Call{Path: "/x"})
		callTimeout(t, err)
	})
	t.Run("call timeout within a longer query deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := newClient(t, slow.URL, short).Do(ctx, Call{Path: "/x"})
		callTimeout(t, err)
	})
	t.Run("call timeout while authorizing", func(t *testing.T) {
		c := newClient(t, slow.URL, short, func(o *Options) {
			o.Authorize = func(r *http.Request) error { <-r.Context().Done(); return r.Context().Err() }
		})
		_, err := c.Do(context.Background(), Call{Path: "/x"})
		callTimeout(t, err)
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		_, err := newClient(t, slow.URL, long).Do(ctx, Call{Path: "/x"})
		var ue *Error
		if !errors.As(err, &ue) || ue.Kind != KindCanceled || ue.Message != "Test API: the call was canceled" {
			t.Fatalf("got %v", err)
		}
	})
}

func TestFormatSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 s", 300 * time.Millisecond: "0.3 s", 1500 * time.Millisecond: "1.5 s", 2 * time.Second: "2 s",
		9960 * time.Millisecond: "10 s", 30*time.Second + 400*time.Millisecond: "30 s",
	} {
		if got := formatSeconds(d); got != want {
			t.Errorf("formatSeconds(%v) = %q, want %q", d, got, want)
		}
	}
}

// BenchmarkReadAllHonest4MiB reports what an honest 4 MiB answer costs
// (with its Content-Length): twice its size in steps, the last one exactly
// its size.
func BenchmarkReadAllHonest4MiB(b *testing.B) {
	data := bytes.Repeat([]byte("z"), 4<<20)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := readAll(&chunked{data: data, step: 32 << 10}, int64(len(data)), 64<<20); err != nil {
			b.Fatal(err)
		}
	}
}
