package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawGet calls url with a client that never reuses connections, so that a
// dropped connection is an error rather than a silent retry, and returns the
// answer with its body read.
func rawGet(t *testing.T, url string, timeout time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// ovhTimeURL is the cheapest OVH call: no authentication.
func ovhTimeURL(srv *httptest.Server) string { return srv.URL + OVHPrefix + "/auth/time" }

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		url        string // below the server's URL
		status     int
		retryAfter string
		wantBody   string // exact JSON, or an XML substring for OnApp's XML
	}{
		{"OVH 503 with Retry-After", Fault{API: APIOVH, Path: "/auth/time", Kind: FaultStatus, Status: 503, RetryAfter: "2"},
			OVHPrefix + "/auth/time", 503, "2",
			`{"class":"Server::ServiceUnavailable","message":"503 Service Unavailable (sandbox fault)"}`},
		{"OVH default 500", Fault{Kind: FaultStatus},
			OVHPrefix + "/auth/time", 500, "",
			`{"class":"Server::InternalServerError","message":"500 Internal Server Error (sandbox fault)"}`},
		{"OVH 429", Fault{API: APIOVH, Kind: FaultStatus, Status: 429, RetryAfter: "1"},
			OVHPrefix + "/auth/time", 429, "1",
			`{"class":"Client::TooManyRequests","message":"429 Too Many Requests (sandbox fault)"}`},
		{"Pulse", Fault{API: APIPulse, Kind: FaultStatus, Status: 502},
			PulsePrefix + "/stats", 502, "", `{"errors":["502 Bad Gateway (sandbox fault)"]}`},
		{"OnApp JSON", Fault{API: APIOnApp, Path: "bandwidth", Kind: FaultStatus, Status: 503},
			OnAppPrefix + "/cdn_resources/bandwidth.json", 503, "", `{"errors":["503 Service Unavailable (sandbox fault)"]}`},
		{"OnApp XML", Fault{API: APIOnApp, Kind: FaultStatus, Status: 503},
			OnAppPrefix + "/cdn_resources/bandwidth.xml", 503, "", `<error>503 Service Unavailable (sandbox fault)</error>`},
		{"query selector", Fault{Query: "timeframe=yearly", Kind: FaultStatus, Status: 504},
			OVHPrefix + "/auth/time?timeframe=yearly&type=rtpMos", 504, "",
			`{"class":"Server::GatewayTimeout","message":"504 Gateway Timeout (sandbox fault)"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, sb := newOVHTestServer(t, Config{})
			sb.AddFault(tt.fault)
			resp, body, err := rawGet(t, srv.URL+tt.url, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Fatalf("%d Retry-After %q, want %d %q", resp.StatusCode, resp.Header.Get("Retry-After"), tt.status, tt.retryAfter)
			}
			if strings.HasSuffix(tt.url, ".xml") {
				if !strings.Contains(string(body), tt.wantBody) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
					t.Fatalf("body %s (%s), want XML with %s", body, resp.Header.Get("Content-Type"), tt.wantBody)
				}
				return
			}
			if strings.TrimSpace(string(body)) != tt.wantBody {
				t.Fatalf("body %s, want %s", body, tt.wantBody)
			}
			if strings.HasPrefix(tt.url, OVHPrefix) && !strings.HasPrefix(resp.Header.Get("X-Ovh-QueryID"), "EU.ext-1.") {
				t.Error("no X-Ovh-QueryID on the OVH fault")
			}
		})
	}
}

func TestFaultSelectors(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{API: APIPulse, Kind: FaultStatus, Status: 503})                   // another API
	sb.AddFault(Fault{API: APIOVH, Path: "/telephony", Kind: FaultStatus, Status: 503}) // another path
	sb.AddFault(Fault{Query: "type=maxDelay", Kind: FaultStatus, Status: 503})          // another query
	resp, _, err := rawGet(t, ovhTimeURL(srv)+"?type=rtpMos", 5*time.Second)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a call no rule selects: %v %v", resp, err)
	}
	// The path selector also matches the path as sent.
	sb.ClearFaults()
	sb.AddFault(Fault{Path: "%2F", Kind: FaultStatus, Status: 418})
	resp, _, _ = rawGet(t, srv.URL+OVHPrefix+"/telephony/a%2Fb", 5*time.Second)
	if resp.StatusCode != 418 {
		t.Fatalf("escaped path selector: %d", resp.StatusCode)
	}
}

func TestFaultTimes(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{Kind: FaultStatus, Status: 503, Times: 2})
	for i, want := range []int{503, 503, 200, 200} {
		rules := sb.Faults()
		if (i < 2 && (len(rules) != 1 || rules[0].Times != 2-i)) || (i >= 2 && len(rules) != 0) {
			t.Fatalf("before call %d: Faults() = %+v", i+1, sb.Faults())
		}
		resp, _, err := rawGet(t, ovhTimeURL(srv), 5*time.Second)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("call %d: %v %v, want %d", i+1, resp, err, want)
		}
	}
}

// TestFaultTimesConcurrent checks that a counted rule applies to exactly its
// number of calls however many arrive together.
func TestFaultTimesConcurrent(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{Kind: FaultStatus, Status: 503, Times: 50})
	sb.AddFault(Fault{Kind: FaultLatency, DelayMs: 1, Times: 120})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()

	const calls = 300
	var faulted, ok atomic.Int64
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			resp, err := client.Get(ovhTimeURL(srv))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch resp.StatusCode {
			case 503:
				faulted.Add(1)
			case 200:
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if faulted.Load() != 50 || ok.Load() != calls-50 {
		t.Fatalf("%d faulted, %d normal; want 50 and %d", faulted.Load(), ok.Load(), calls-50)
	}
	if f := sb.Faults(); len(f) != 0 {
		t.Fatalf("used-up rules still listed: %+v", f)
	}
}

func TestFaultReset(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{API: APIOVH, Kind: FaultReset, Times: 1})
	if resp, _, err := rawGet(t, ovhTimeURL(srv), 5*time.Second); err == nil {
		t.Fatalf("reset: got %d, want a connection error", resp.StatusCode)
	}
	if resp, _, err := rawGet(t, ovhTimeURL(srv), 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the reset: %v %v", resp, err)
	}
}

func TestFaultTruncated(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	path := "/telephony/ab12345-ovh-1/line/0033123456789/statistics?timeframe=daily&type=maxDelay"
	_, full := ovhCall(t, srv, "GET", path, "", signedBy(OVHConsumerKey))
	sb.AddFault(Fault{Path: "/statistics", Kind: FaultTruncated})
	resp, got := ovhCall(t, srv, "GET", path, "", signedBy(OVHConsumerKey))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Equal(got, full[:len(full)/2]) {
		t.Fatalf("got %d bytes, want the first %d of %d", len(got), len(full)/2, len(full))
	}
	if resp.ContentLength != int64(len(got)) {
		t.Errorf("Content-Length %d for %d bytes", resp.ContentLength, len(got))
	}
	if json.Valid(got) {
		t.Error("the truncated body is valid JSON")
	}
	// An error answer is truncated just the same, keeping its status.
	resp, got = ovhCall(t, srv, "GET", path, "", signedBy("nobody"))
	if resp.StatusCode != 403 || json.Valid(got) {
		t.Errorf("truncated error: %d %s", resp.StatusCode, got)
	}
}

func TestFaultMalformed(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{Kind: FaultMalformed})

	resp, body, err := rawGet(t, ovhTimeURL(srv), 5*time.Second)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%v %v", resp, err)
	}
	if json.Valid(body) {
		t.Fatalf("malformed body is valid JSON: %s", body)
	}

	resp, body, err = rawGet(t, srv.URL+OnAppPrefix+"/cdn_resources/bandwidth.xml", 5*time.Second)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("%v %v", resp, err)
	}
	if err := xmlWellFormed(body); err == nil {
		t.Fatalf("malformed body is well-formed XML: %s", body)
	}
}

// xmlWellFormed reads every token of b.
func xmlWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestFaultOversized(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{API: APIOVH, Path: "/auth/time", Kind: FaultOversized}) // default 20 MB
	sb.AddFault(Fault{API: APIOVH, Path: "/telephony", Kind: FaultOversized, Bytes: 1_000_003})
	sb.AddFault(Fault{API: APIOnApp, Kind: FaultOversized, Bytes: 100_000})

	t.Run("default size", func(t *testing.T) {
		resp, err := http.Get(ovhTimeURL(srv))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != 20_000_000 || resp.ContentLength != 20_000_000 {
			t.Fatalf("%d bytes (Content-Length %d), %v; want 20000000", n, resp.ContentLength, err)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		resp, body, err := rawGet(t, srv.URL+OVHPrefix+"/telephony", 10*time.Second)
		if err != nil || resp.StatusCode != 200 || len(body) != 1_000_003 || !json.Valid(body) {
			t.Fatalf("%v: %d bytes, valid %v", err, len(body), json.Valid(body))
		}
	})
	t.Run("XML", func(t *testing.T) {
		resp, body, err := rawGet(t, srv.URL+OnAppPrefix+"/cdn_resources/bandwidth.xml", 10*time.Second)
		if err != nil || resp.StatusCode != 200 || len(body) != 100_000 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
			t.Fatalf("%v: %d bytes", err, len(body))
		}
		if err := xmlWellFormed(body); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFaultWriteRepeated(t *testing.T) {
	for _, size := range []int{0, 1, 2, 3, 10, 23, 24, 25, 61, 62, 63, 1000, 65536, 200_001} {
		var b bytes.Buffer
		if err := writeRepeated(&b, size, `{"v":[`, `{"a":1}`, ",", "]}"); err != nil {
			t.Fatal(err)
		}
		if b.Len() != size {
			t.Errorf("size %d: wrote %d bytes", size, b.Len())
		}
		if size >= 2 && !json.Valid(b.Bytes()) {
			t.Errorf("size %d: invalid JSON %q", size, b.String())
		}
	}
}

func TestFaultContentType(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{Kind: FaultContentType})
	resp, body, err := rawGet(t, ovhTimeURL(srv), 5*time.Second)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if string(body) != "<html><body>502 Bad Gateway</body></html>" {
		t.Errorf("body %q", body)
	}
}

func TestFaultTimeout(t *testing.T) {
	t.Run("until the client gives up", func(t *testing.T) {
		srv, sb := newOVHTestServer(t, Config{})
		sb.AddFault(Fault{Kind: FaultTimeout})
		start := time.Now()
		_, _, err := rawGet(t, ovhTimeURL(srv), 200*time.Millisecond)
		if err == nil || time.Since(start) < 200*time.Millisecond || time.Since(start) > 3*time.Second {
			t.Fatalf("after %v: %v, want a client timeout after 200ms", time.Since(start), err)
		}
	})
	t.Run("delayMs", func(t *testing.T) {
		srv, sb := newOVHTestServer(t, Config{})
		sb.AddFault(Fault{Kind: FaultTimeout, DelayMs: 100})
		start := time.Now()
		_, _, err := rawGet(t, ovhTimeURL(srv), 10*time.Second)
		if err == nil || time.Since(start) < 100*time.Millisecond || time.Since(start) > 5*time.Second {
			t.Fatalf("after %v: %v, want the connection closed after 100ms", time.Since(start), err)
		}
	})
}

func TestFaultLatency(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	sb.AddFault(Fault{Kind: FaultLatency, DelayMs: 150})
	start := time.Now()
	resp, _, err := rawGet(t, ovhTimeURL(srv), 5*time.Second)
	if err != nil || resp.StatusCode != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("%v %v after %v", resp, err, time.Since(start))
	}
	// A latency rule added first does not hide a later status rule: both apply.
	sb.AddFault(Fault{Kind: FaultStatus, Status: 503})
	start = time.Now()
	resp, _, err = rawGet(t, ovhTimeURL(srv), 5*time.Second)
	if err != nil || resp.StatusCode != 503 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("%v %v after %v", resp, err, time.Since(start))
	}
}

func TestFaultConfigLatency(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{Latency: 300 * time.Millisecond})
	start := time.Now()
	if resp, _, err := rawGet(t, ovhTimeURL(srv), 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("API call took %v, want ≥ 300ms", d)
	}
	start = time.Now()
	if resp, _, err := rawGet(t, srv.URL+"/_sandbox/stats", 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if d := time.Since(start); d >= 300*time.Millisecond {
		t.Errorf("control call took %v: delayed", d)
	}
}

func TestFaultIgnoreBody(t *testing.T) {
	// An echo API stands in for OnApp, whose parameters may come as a body.
	sb := New(Config{})
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, strconv.FormatInt(r.ContentLength, 10)+" "+string(b))
	})
	call := func() string {
		req := httptest.NewRequest("GET", "/cdn_resources/bandwidth.json", strings.NewReader(`{"bandwidth":{}}`))
		rec := httptest.NewRecorder()
		sb.serveWithFaults(APIOnApp, rec, req, echo)
		return rec.Body.String()
	}
	if got := call(); got != `16 {"bandwidth":{}}` {
		t.Fatalf("without the fault: %q", got)
	}
	sb.AddFault(Fault{API: APIOnApp, Kind: FaultIgnoreBody})
	if got := call(); got != "0 " {
		t.Fatalf("with ignoreBody: %q", got)
	}

	// Over HTTP, against OVH: the signature covers the body, so a dropped
	// body is an invalid signature.
	srv, sb2 := newOVHTestServer(t, Config{})
	sb2.AddFault(Fault{Kind: FaultIgnoreBody})
	resp, body := ovhCall(t, srv, "POST", "/telephony", `{"a":1}`, signedBy(OVHConsumerKey))
	checkOVHError(t, resp, body, 400, errInvalidSignature)
}

func TestFaultValidate(t *testing.T) {
	tests := []struct {
		fault Fault
		ok    bool
	}{
		{Fault{Kind: FaultReset}, true},
		{Fault{API: APIOnApp, Path: "x", Query: "y", Kind: FaultStatus, Status: 503, RetryAfter: "1", Times: 3}, true},
		{Fault{Kind: FaultTimeout, DelayMs: 300_000}, true},
		{Fault{}, false},
		{Fault{Kind: "explode"}, false},
		{Fault{API: "github", Kind: FaultReset}, false},
		{Fault{Kind: FaultStatus, Status: 42}, false},
		{Fault{Kind: FaultLatency, DelayMs: -1}, false},
		{Fault{Kind: FaultTimeout, DelayMs: 300_001}, false},
		{Fault{Kind: FaultOversized, Bytes: -1}, false},
		{Fault{Kind: FaultReset, Times: -1}, false},
	}
	for _, tt := range tests {
		if err := tt.fault.validate(); (err == nil) != tt.ok {
			t.Errorf("validate(%+v) = %v, want ok %v", tt.fault, err, tt.ok)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AddFault accepted an unknown kind")
		}
	}()
	New(Config{}).AddFault(Fault{Kind: "explode"})
}
