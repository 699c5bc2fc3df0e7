package pulse

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// testToken is the Pulse token of the tests; no answer may ever show it.
const testToken = "pulse-test-token-7f3a9c"

// testNow is the clock of health and resource ranges in the tests.
var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// request is one call the fake Pulse received.
type request struct {
	path  string
	query url.Values
	auth  string
}

// fakePulse is a Pulse stand-in: the test kit's recording server,
// answering with a handler.
type fakePulse struct {
	*testutil.Upstream
}

func newFakePulse(t *testing.T, handler http.HandlerFunc) *fakePulse {
	t.Helper()
	return &fakePulse{testutil.NewUpstream(t, handler)}
}

// requests lists the calls received, in order.
func (f *fakePulse) requests() []request {
	var out []request
	for _, r := range f.Requests() {
		out = append(out, request{path: r.Path, query: r.Query(), auth: r.Header.Get("Authorization")})
	}
	return out
}

// pages returns the page numbers asked for, in the order asked.
func (f *fakePulse) pages() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.query.Get("page"))
	}
	return out
}

// serveFile answers page 1 with a testdata file and every later page with [].
func serveFile(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if p := r.URL.Query().Get("page"); p != "" && p != "1" {
			_, _ = w.Write([]byte("[]"))
			return
		}
		_, _ = w.Write(body)
	}
}

// sourceOption adjusts the test source.
type sourceOption func(*Source)

func withMaxPages(n int) sourceOption { return func(s *Source) { s.maxPages = n } }
func withInFlight(n int) sourceOption { return func(s *Source) { s.inFlight = n } }

// newTestSource builds the Usage source against base.
func newTestSource(t testing.TB, base string, opts ...sourceOption) *Source {
	t.Helper()
	s := &models.Settings{
		Pulse:            models.PulseSettings{URL: base, Token: testToken},
		Timeout:          5 * time.Second,
		MaxPages:         models.DefaultMaxPages,
		MaxResponseBytes: models.DefaultMaxResponseBytes,
		CacheTTL:         -1,
	}
	src, err := newSource(s, source.Deps{InstanceID: t.Name(), Logger: log.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	src.now = func() time.Time { return testNow }
	for _, o := range opts {
		o(src)
	}
	t.Cleanup(src.Dispose)
	return src
}

// testQuery is a query file: the model plus the range and interval the
// test sends with it.
type testQuery struct {
	RefID     string `json:"refId"`
	TimeRange struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	} `json:"timeRange"`
	IntervalMs int64 `json:"intervalMs"`
}

// readQuery reads testdata/<name>.query.json as Grafana would send it.
func readQuery(t *testing.T, name string) backend.DataQuery {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".query.json"))
	if err != nil {
		t.Fatal(err)
	}
	var q testQuery
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatal(err)
	}
	return backend.DataQuery{
		RefID: q.RefID, QueryType: models.QueryTypeUsage, JSON: raw,
		TimeRange: backend.TimeRange{From: q.TimeRange.From, To: q.TimeRange.To},
		Interval:  time.Duration(q.IntervalMs) * time.Millisecond,
	}
}

// usageQuery builds a query over the golden files' hour.
func usageQuery(model map[string]any) backend.DataQuery {
	raw, _ := json.Marshal(model)
	return backend.DataQuery{
		RefID: "A", QueryType: models.QueryTypeUsage, JSON: raw,
		TimeRange: backend.TimeRange{
			From: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC),
			To:   time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		},
		Interval: time.Minute,
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noSecret fails when the token shows anywhere in s.
func noSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testToken) {
		t.Errorf("%s shows the token: %s", what, s)
	}
}
