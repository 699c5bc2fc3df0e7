package onapp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// Credentials of the fake OnApp.
const (
	testUser = "sre@example.com"
	testKey  = "s3cret-onapp-key"
)

// testNow is the plugin's clock in these tests: a Saturday noon in Paris.
var testNow = time.Date(2024, 6, 15, 12, 0, 0, 0, mustZone("Europe/Paris"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// seenRequest is what the fake OnApp received.
type seenRequest = testutil.Request

// fakeOnApp is an OnApp imitation for unit tests, on the test kit's
// recording server: each path answers what a test sets; basic auth is
// checked.
type fakeOnApp struct {
	*testutil.Upstream
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
}

func newFakeOnApp(t *testing.T) *fakeOnApp {
	t.Helper()
	f := &fakeOnApp{routes: map[string]http.HandlerFunc{}}
	f.Upstream = testutil.NewUpstream(t, http.HandlerFunc(f.serve))
	f.handle(resourcesPath, serveFile(t, "testdata/cdn_resources.json"))
	f.handle(edgeGroupsPath, serveFile(t, "testdata/edge_groups.json"))
	return f
}

func (f *fakeOnApp) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	h := f.routes[r.URL.Path]
	f.mu.Unlock()
	if user, pass, ok := r.BasicAuth(); !ok || user != testUser || pass != testKey {
		writeBody(w, http.StatusUnauthorized, "application/json", `{"errors":["Access denied"]}`)
		return
	}
	if h == nil {
		writeBody(w, http.StatusNotFound, "application/json", `{"errors":["Page not found"]}`)
		return
	}
	h(w, r)
}

func (f *fakeOnApp) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[path] = h
}

// all returns every request received.
func (f *fakeOnApp) all() []seenRequest { return f.Requests() }

// requests returns the requests received on path.
func (f *fakeOnApp) requests(path string) []seenRequest { return f.RequestsTo(path) }

func serveFile(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	body, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	ct := "application/json; charset=utf-8"
	if filepath.Ext(name) == ".xml" {
		ct = "application/xml; charset=utf-8"
	}
	return func(w http.ResponseWriter, _ *http.Request) { writeBody(w, http.StatusOK, ct, string(body)) }
}

func writeBody(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// testSettings loads settings the way the data source does, from jsonData.
func testSettings(t *testing.T, base string, jsonData map[string]any) *models.Settings {
	t.Helper()
	jd := map[string]any{"onappUrl": base, "onappUser": testUser, "onappApi": "legacy", "onappTimeZone": "Europe/Paris"}
	for k, v := range jsonData {
		jd[k] = v
	}
	raw, err := json.Marshal(jd)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: raw, DecryptedSecureJSONData: map[string]string{"onappApiKey": testKey}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestSource builds the source against base with its clock at testNow.
func newTestSource(t *testing.T, base string, jsonData map[string]any) *Source {
	t.Helper()
	src, err := newSource(testSettings(t, base, jsonData), sourceDeps(), &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	src.now = func() time.Time { return testNow }
	t.Cleanup(src.Dispose)
	return src
}

// dataQuery builds a query from its JSON model and range.
func dataQuery(t *testing.T, model map[string]any, from, to time.Time) backend.DataQuery {
	t.Helper()
	raw, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	return backend.DataQuery{RefID: "A", QueryType: models.QueryTypeCDNBandwidth, JSON: raw, TimeRange: backend.TimeRange{From: from, To: to}}
}

// loadQuery reads testdata/<name>.query.json: a query as Grafana sends it,
// with its time range.
func loadQuery(t *testing.T, name string) backend.DataQuery {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name+".query.json"))
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		RefID     string `json:"refId"`
		QueryType string `json:"queryType"`
		TimeRange struct {
			From time.Time `json:"from"`
			To   time.Time `json:"to"`
		} `json:"timeRange"`
	}
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatal(err)
	}
	return backend.DataQuery{RefID: q.RefID, QueryType: q.QueryType, JSON: raw, TimeRange: backend.TimeRange{From: q.TimeRange.From, To: q.TimeRange.To}}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func sourceDeps() source.Deps { return source.Deps{Logger: log.NewNullLogger(), InstanceID: "test"} }

// callResource calls a resource route of src as pkg/plugin mounts it.
func callResource(t *testing.T, src *Source, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(ctxT(t), http.MethodGet, path, nil)
	src.Resources().ServeHTTP(rec, req)
	return rec
}
