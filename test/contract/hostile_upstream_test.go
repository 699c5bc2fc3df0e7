package contract

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
	"github.com/opsdeck/servicestats/internal/testutil"
)

// Upstreams that misbehave on purpose, through the built binary: redirects
// to another host (no credential may follow them), answers whose
// Content-Length lies, a go-ovh call answered far past the size cap, and a
// query deadline shorter than timeoutSeconds.

// listenOther is another host on loopback ("127.0.0.2:0", or "127.0.0.1:0"
// for another port of the plugin's upstream address) that records every
// request it gets and answers like an OAuth2 token endpoint would.
func listenOther(t *testing.T, addr string) *testutil.OtherHost {
	return testutil.ListenOther(t, addr, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"stolen","token_type":"Bearer","expires_in":3600}`)
	})
}

// hostileSandbox serves the sandbox on 127.0.0.1, except the requests
// intercept answers itself (it returns true when it did). Every request the
// plugin sends there is counted with its headers.
func hostileSandbox(t *testing.T, intercept func(w http.ResponseWriter, r *http.Request) bool) (base string, headers func() []http.Header) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{})
	var mu sync.Mutex
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		if !intercept(w, r) {
			sb.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []http.Header {
		mu.Lock()
		defer mu.Unlock()
		return append([]http.Header(nil), seen...)
	}
}

// redirectWhen answers the requests whose path contains part with status
// and a Location.
func redirectWhen(part string, status int, location string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, part) {
			return false
		}
		w.Header().Set("Location", location)
		w.WriteHeader(status)
		return true
	}
}

// oneQuery sends q alone and returns its answer's error text ("" for none).
func oneQuery(t *testing.T, h *Host, ctx context.Context, ds DataSource, q Query) string {
	t.Helper()
	resp, err := h.QueryData(ctx, ds, q)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := resp.Responses[q.RefID]
	if !ok {
		t.Fatalf("no answer for %s", q.RefID)
	}
	if r.Error == nil {
		return ""
	}
	return r.Error.Error()
}

// wantRedirectRefused checks that other got nothing and that msg names the
// redirect from the configured host to "host:port/path".
func wantRedirectRefused(t *testing.T, msg, from, to string, other *testutil.OtherHost) {
	t.Helper()
	if got := other.Requests(); len(got) > 0 {
		t.Fatalf("the redirect was followed: %s got %q", to, got)
	}
	want := from + " redirected the call to http://" + to + " — "
	if !strings.Contains(msg, want) || !strings.Contains(msg, "set the URL in the data source settings to the address the API answers on") {
		t.Fatalf("error %q lacks %q", msg, want)
	}
	if strings.Contains(msg, "no answer from") {
		t.Errorf("error %q blames the network", msg)
	}
}

// TestHostileUpstreamOVHRedirectKeepsTheSignedHeaders: a statistics call
// answered 302 to another host. The signed headers (the consumer key is a
// secret) never leave the configured host, and the error names the other
// one.
func TestHostileUpstreamOVHRedirectKeepsTheSignedHeaders(t *testing.T) {
	other := listenOther(t, "127.0.0.2:0")
	base, _ := hostileSandbox(t, redirectWhen("/statistics", http.StatusFound, other.URL+"/telephony/stolen/statistics?x=1"))
	ds := SandboxDataSource("hostile-ovh-302", base)
	ds.JSONData["cacheTTLSeconds"] = -1
	msg := oneQuery(t, host, ctxT(t), ds, telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"rtpMos"}}))
	t.Logf("error: %s", msg)
	wantRedirectRefused(t, msg, testutil.HostOf(t, base), testutil.HostOf(t, other.URL)+"/telephony/stolen/statistics", other)
	if !strings.HasPrefix(msg, "OVHcloud: ") || strings.Contains(msg, "x=1") {
		t.Errorf("error %q", msg)
	}
}

// TestHostileUpstreamOAuth2TokenRedirectKeepsTheClientSecret: the token URL
// answers 307 to another host: the token request (its form holds the client
// secret) is not re-sent there.
func TestHostileUpstreamOAuth2TokenRedirectKeepsTheClientSecret(t *testing.T) {
	other := listenOther(t, "127.0.0.2:0")
	base, _ := hostileSandbox(t, redirectWhen("/token-moved", http.StatusTemporaryRedirect, other.URL+"/auth/oauth2/token"))
	ds := oauth2DataSource("hostile-oauth2-307", base, sandbox.OVHClientID)
	ds.JSONData["ovhTokenUrl"] = base + "/token-moved"
	msg := oneQuery(t, host, ctxT(t), ds, telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"rtpMos"}}))
	wantRedirectRefused(t, msg, testutil.HostOf(t, base), testutil.HostOf(t, other.URL)+"/auth/oauth2/token", other)
	if strings.Contains(msg, sandbox.OVHClientSecret) {
		t.Errorf("error %q holds the client secret", msg)
	}
}

// TestHostileUpstreamOnAppRedirectKeepsBasicAuth: OnApp answers 301 to
// another host: the basic-auth credential does not follow.
func TestHostileUpstreamOnAppRedirectKeepsBasicAuth(t *testing.T) {
	other := listenOther(t, "127.0.0.2:0")
	base, _ := hostileSandbox(t, redirectWhen(sandbox.OnAppPrefix+"/", http.StatusMovedPermanently, other.URL+"/onapp/"))
	ds := SandboxDataSource("hostile-onapp-301", base)
	from, to := cdnRange(3, 2)
	msg := oneQuery(t, host, ctxT(t), ds, Query{RefID: "C", QueryType: "cdnBandwidth",
		JSON: map[string]any{"type": "GB", "groupBy": "location"}, From: from, To: to})
	wantRedirectRefused(t, msg, testutil.HostOf(t, base), testutil.HostOf(t, other.URL)+"/onapp/", other)
}

// TestHostileUpstreamPulseRedirectToAnotherPortKeepsTheBearer: Pulse answers
// 307 to the same IP on another port — where net/http would re-send the
// Authorization header, since it compares host names only.
func TestHostileUpstreamPulseRedirectToAnotherPortKeepsTheBearer(t *testing.T) {
	other := listenOther(t, "127.0.0.1:0")
	base, _ := hostileSandbox(t, redirectWhen(sandbox.PulsePrefix+"/", http.StatusTemporaryRedirect, other.URL+"/pulse/stats"))
	ds := SandboxDataSource("hostile-pulse-307", base)
	from, to := usageRange(time.Hour)
	msg := oneQuery(t, host, ctxT(t), ds, Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": "requests"}, From: from, To: to})
	wantRedirectRefused(t, msg, testutil.HostOf(t, base), testutil.HostOf(t, other.URL)+"/pulse/stats", other)
	if strings.Contains(msg, sandbox.PulseToken) {
		t.Errorf("error %q holds the token", msg)
	}
}

// TestHostileUpstreamLyingContentLengthKeepsMemorySmall: 72 Pulse answers
// at once announce 62 MiB each and send 34 bytes. Each query fails on its
// own with a clean error, and the plugin's peak memory stays small (the
// announced lengths add up to 4.4 GB; they were allocated up front).
func TestHostileUpstreamLyingContentLengthKeepsMemorySmall(t *testing.T) {
	const n = 72
	var arrived atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	base, _ := hostileSandbox(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, sandbox.PulsePrefix+"/") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(62<<20))
		fmt.Fprint(w, `{"data":[{"enterpriseId":"e1","n":1`)
		w.(http.Flusher).Flush()
		// Hold the first answers open until all have arrived, so that the
		// plugin holds all of them at once.
		if arrived.Add(1) >= n {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true // the connection closes short of the announced length
	})
	own := launchOwn(t) // a process of its own: its peak is this test's
	defer own.Close()
	ds := SandboxDataSource("hostile-lying-length", base)
	ds.JSONData["cacheTTLSeconds"] = -1
	from, to := usageRange(time.Hour)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	msgs := map[string]int{}
	for i := range n {
		wg.Go(func() {
			q := Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": "requests"},
				From: from.Add(-time.Duration(i) * time.Minute), To: to}
			msg := oneQuery(t, own, ctx, ds, q)
			mu.Lock()
			msgs[msg]++
			mu.Unlock()
		})
	}
	wg.Wait()
	_, peak := processMemory(t, own.PID())
	t.Logf("answers %v; plugin peak RSS %d MiB", msgs, peak>>20)
	if arrived.Load() < n {
		t.Errorf("only %d calls arrived", arrived.Load())
	}
	for msg := range msgs {
		if !strings.HasPrefix(msg, "Pulse: the answer from "+testutil.HostOf(t, base)+" broke off after ") || strings.Contains(msg, sandbox.PulseToken) {
			t.Errorf("answer %q, want Pulse's answer named as cut short", msg)
		}
	}
	if peak > 300<<20 {
		t.Errorf("plugin peak RSS %d MiB for %d lying answers, want under 300 MiB", peak>>20, n)
	}
}

// TestHostileUpstreamAuthTimePastTheCapFails: go-ovh's own GET /auth/time
// answered with a stream far past the size cap (400 MiB, generated) fails
// the query with the too-large message once the cap is passed, instead of
// being read whole.
func TestHostileUpstreamAuthTimePastTheCapFails(t *testing.T) {
	var sent atomic.Int64
	base, _ := hostileSandbox(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/auth/time") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		bw := bufio.NewWriter(w)
		chunk := bytes.Repeat([]byte("7"), 32<<10)
		for range 400 << 20 / len(chunk) {
			n, err := bw.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				break
			}
		}
		_ = bw.Flush()
		return true
	})
	ds := SandboxDataSource("hostile-auth-time", base)
	ds.JSONData["maxResponseBytes"] = 1 << 20
	msg := oneQuery(t, host, ctxT(t), ds, telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"rtpMos"}}))
	want := "OVHcloud answered more than 1 MiB, the plugin's limit for one answer: narrow the query (a shorter time range, fewer series) or raise maxResponseBytes"
	t.Logf("error: %s", msg)
	if !strings.Contains(msg, want) {
		t.Fatalf("error %q lacks %q", msg, want)
	}
	if got := sent.Load(); got > 100<<20 {
		t.Errorf("the upstream sent %d MiB: the answer was read far past the 1 MiB cap", got>>20)
	}
}

// TestHostileUpstreamQueryDeadlineIsNamed: a query deadline (2 s) shorter
// than timeoutSeconds (30 s) ends while Pulse has not answered: the error
// says the query ran out of time, and does not send the user to
// timeoutSeconds. The answer arrives before the deadline, which gRPC
// enforces on both ends: the plugin keeps a reserve of the query's time to
// answer in.
func TestHostileUpstreamQueryDeadlineIsNamed(t *testing.T) {
	base, _ := hostileSandbox(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, sandbox.PulsePrefix+"/") {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return true
	})
	ds := SandboxDataSource("hostile-deadline", base)
	ds.JSONData["timeoutSeconds"] = 30
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	from, to := usageRange(time.Hour)
	msg := oneQuery(t, host, ctx, ds, Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": "requests"}, From: from, To: to})
	t.Logf("error: %s", msg)
	if !strings.HasPrefix(msg, "Pulse: the query ran out of time after ") || !strings.Contains(msg, "(Grafana's query timeout or the dashboard's)") {
		t.Fatalf("error %q, want the query's deadline named", msg)
	}
	if strings.Contains(msg, "raise timeoutSeconds") || strings.Contains(msg, "did not answer within 30s") {
		t.Errorf("error %q blames timeoutSeconds", msg)
	}
}
