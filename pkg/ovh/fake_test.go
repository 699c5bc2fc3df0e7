package ovh

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// The credentials of the unit tests.
const (
	testAppKey       = "test-app-key"
	testAppSecret    = "test-app-secret-0123"
	testConsumerKey  = "test-consumer-key-4567"
	testClientID     = "test-client-id"
	testClientSecret = "test-client-secret-89ab"
	testQueryID      = "EU.ext-1.abc"
	// testBase is the custom endpoint the unit tests configure; the test
	// HTTP client dials the fake server whatever the host, so URLs (and
	// the golden files' ExecutedQueryString) stay the same on every run.
	testBase = "http://ovh.test/1.0"
)

// testNow is the fake API's clock in most tests.
var testNow = time.Date(2024, 11, 24, 12, 0, 0, 0, time.UTC)

// fakeOVH imitates the OVHcloud API below /1.0, on the test kit's
// recording server: the clock, signature checks written independently of
// go-ovh, and canned answers keyed by the request URI below /1.0 (path and
// query as sent). Unknown URIs answer 404 as OVHcloud does. handle, when
// set, answers every authenticated call instead.
type fakeOVH struct {
	t       *testing.T
	srv     *testutil.Upstream
	answers map[string]json.RawMessage

	mu     sync.Mutex
	handle http.HandlerFunc
	// token is the Bearer token accepted instead of a signature ("" none).
	token string
	// clockFails makes GET /auth/time answer 500.
	clockFails bool
	now        time.Time
}

// recorded is one API call the fake received (not the clock, not a token).
type recorded struct {
	Method, URI, FullURL string
	Header               http.Header
}

func newFake(t *testing.T, answers map[string]json.RawMessage) *fakeOVH {
	t.Helper()
	f := &fakeOVH{t: t, answers: answers, now: testNow}
	f.srv = testutil.NewUpstream(t, f)
	return f
}

// set changes the fake's behaviour between calls.
func (f *fakeOVH) set(change func(f *fakeOVH)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeOVH) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// client dials the fake server whatever host a URL names.
func (f *fakeOVH) client() *http.Client {
	addr := f.srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}}
	f.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// isClock and isToken tell the clock and token requests from API calls.
func isClock(r testutil.Request) bool {
	return strings.TrimPrefix(r.RequestURI, "/1.0") == "/auth/time"
}
func isToken(r testutil.Request) bool { return strings.HasSuffix(r.Path, "/token") }

func (f *fakeOVH) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uri := strings.TrimPrefix(r.RequestURI, "/1.0")
	if uri == "/auth/time" {
		f.mu.Lock()
		fails := f.clockFails
		f.mu.Unlock()
		if fails {
			reply(w, http.StatusInternalServerError, `{"class":"Server::InternalServerError","message":"Internal server error"}`)
			return
		}
		fmt.Fprintf(w, "%d", f.clock().Unix())
		return
	}
	if strings.HasSuffix(r.URL.Path, "/token") {
		f.serveToken(w, r)
		return
	}
	full := "http://" + r.Host + r.RequestURI
	f.mu.Lock()
	handle, token := f.handle, f.token
	f.mu.Unlock()
	if !f.authenticated(w, r, full, token) {
		return
	}
	if handle != nil {
		handle(w, r)
		return
	}
	if body, ok := f.answers[uri]; ok {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		return
	}
	reply(w, http.StatusNotFound, `{"class":"Client::NotFound","message":"This service does not exist"}`)
}

// calls lists the API calls received, in order of arrival.
func (f *fakeOVH) calls() []recorded {
	var out []recorded
	for _, r := range f.srv.Requests() {
		if !isClock(r) && !isToken(r) {
			out = append(out, recorded{Method: r.Method, URI: strings.TrimPrefix(r.RequestURI, "/1.0"),
				FullURL: "http://" + r.Host + r.RequestURI, Header: r.Header})
		}
	}
	return out
}

// timeCalls counts the GET /auth/time requests received.
func (f *fakeOVH) timeCalls() int {
	n := 0
	for _, r := range f.srv.Requests() {
		if isClock(r) {
			n++
		}
	}
	return n
}

// tokenCalls lists the paths the OAuth2 token endpoint was called on.
func (f *fakeOVH) tokenCalls() []string {
	var out []string
	for _, r := range f.srv.Requests() {
		if isToken(r) {
			out = append(out, r.Path)
		}
	}
	return out
}

// authenticated checks the Bearer token or the signature, with the test's
// own SHA-1 code over the exact URL received.
func (f *fakeOVH) authenticated(w http.ResponseWriter, r *http.Request, full, token string) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if token == "" || auth != "Bearer "+token {
			reply(w, http.StatusUnauthorized, `{"class":"Client::Unauthorized","message":"Invalid token"}`)
			return false
		}
		return true
	}
	ts := r.Header.Get("X-Ovh-Timestamp")
	want := testSignature(testAppSecret, r.Header.Get("X-Ovh-Consumer"), r.Method, full, ts)
	if r.Header.Get("X-Ovh-Application") != testAppKey || r.Header.Get("X-Ovh-Signature") != want {
		f.t.Errorf("bad signature for %s %s: headers %v", r.Method, full, r.Header)
		reply(w, http.StatusBadRequest, `{"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"Invalid signature"}`)
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || abs(sec-f.clock().Unix()) > 2 {
		f.t.Errorf("timestamp %q is not the fake's clock %d", ts, f.clock().Unix())
	}
	return true
}

// testSignature is OVHcloud's documented signature, written for the tests.
func testSignature(secret, consumer, method, fullURL, timestamp string) string {
	sum := sha1.Sum([]byte(secret + "+" + consumer + "+" + method + "+" + fullURL + "+" + "" + "+" + timestamp))
	return "$1$" + hex.EncodeToString(sum[:])
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// reply answers like OVHcloud: JSON and a query id.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header()[queryIDHeader] = []string{testQueryID}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// statsCalls returns the statistics calls received, in order of arrival.
func (f *fakeOVH) statsCalls() []recorded {
	var out []recorded
	for _, c := range f.calls() {
		if strings.Contains(c.URI, "/statistics?") {
			out = append(out, c)
		}
	}
	return out
}

// count returns how many calls had this exact URI.
func (f *fakeOVH) count(uri string) int {
	n := 0
	for _, c := range f.calls() {
		if c.URI == uri {
			n++
		}
	}
	return n
}

// testSettings are complete key settings against the fake.
func testSettings() *models.Settings {
	return &models.Settings{
		OVH: models.OVHSettings{
			Endpoint: testBase, AuthMethod: models.OVHAuthKeys,
			ApplicationKey: testAppKey, ApplicationSecret: testAppSecret, ConsumerKey: testConsumerKey,
		},
		Timeout:          5 * time.Second,
		MaxResponseBytes: 1 << 20,
		CacheTTL:         -1, // off: each test counts its calls
	}
}

// newTestSource builds the source against the fake, without retries, rate
// guard or cache, on the fake's clock.
func newTestSource(t *testing.T, f *fakeOVH, edit ...func(*models.Settings)) *telephony {
	t.Helper()
	return newTestSourceAt(t, f, f.clock, edit...)
}

// newTestSourceAt is newTestSource on a clock of the test's own.
func newTestSourceAt(t *testing.T, f *fakeOVH, now func() time.Time, edit ...func(*models.Settings)) *telephony {
	t.Helper()
	s := testSettings()
	for _, e := range edit {
		e(s)
	}
	src, err := newTelephony(s, testDeps(t), options{
		httpClient: f.client(), now: now, retry: &upstream.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Dispose)
	return src
}

// telephonyQuery is a query of the model over [from, to].
func telephonyQuery(model map[string]any, from, to time.Time) backend.DataQuery {
	raw, _ := json.Marshal(model)
	return backend.DataQuery{RefID: "A", QueryType: models.QueryTypeTelephony, JSON: raw,
		TimeRange: backend.TimeRange{From: from, To: to}}
}

// readJSON reads testdata/<name> into v.
func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// testDeps keeps each test's cache entries apart and its logs quiet.
func testDeps(t *testing.T) source.Deps {
	return source.Deps{InstanceID: t.Name(), Logger: log.NewNullLogger()}
}

// emptyStats answers every call with an empty statistics answer (which also
// reads as a line without description).
func emptyStats(w http.ResponseWriter, _ *http.Request) {
	reply(w, http.StatusOK, `{"unit":"","values":[]}`)
}

// serveToken is an OAuth2 token endpoint (client credentials, scope "all"):
// each grant issues a new token, the only one the fake accepts from then on.
func (f *fakeOVH) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
		f.t.Errorf("token request %s: %v", r.Method, err)
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if g, s := r.PostForm.Get("grant_type"), r.PostForm.Get("scope"); g != "client_credentials" || s != "all" {
		f.t.Errorf("grant_type %q scope %q, want client_credentials and all", g, s)
	}
	if id != testClientID || secret != testClientSecret {
		reply(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = fmt.Sprintf("tok-%d", len(f.tokenCalls())) // the fake records a request before answering it
	reply(w, http.StatusOK, `{"access_token":"`+f.token+`","token_type":"Bearer","expires_in":3600,"scope":"all"}`)
}

// oauth2Settings switch the test settings to a service account.
func oauth2Settings(s *models.Settings) {
	s.OVH.AuthMethod = models.OVHAuthOAuth2
	s.OVH.ApplicationKey, s.OVH.ApplicationSecret, s.OVH.ConsumerKey = "", "", ""
	s.OVH.ClientID, s.OVH.ClientSecret = testClientID, testClientSecret
}
