package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// fakeSource answers every query with one frame named after its refId, and
// can be made to fail its health check.
type fakeSource struct {
	healthErr error
	disposed  atomic.Bool
}

func (f *fakeSource) HandleQuery(_ context.Context, q backend.DataQuery) backend.DataResponse {
	if strings.Contains(string(q.JSON), "leak") {
		return backend.ErrDataResponse(backend.StatusBadGateway, "upstream said: top-secret-pulse-token is wrong")
	}
	return backend.DataResponse{Frames: data.Frames{data.NewFrame(q.RefID)}}
}

func (f *fakeSource) CheckHealth(context.Context) (string, error) {
	if f.healthErr != nil {
		return "", f.healthErr
	}
	return "fine", nil
}

func (f *fakeSource) Resources() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		source.WriteJSON(w, 200, []source.Option{{Value: r.URL.Path, Text: r.URL.Query().Get("q")}})
	})
}

func (f *fakeSource) Dispose() { f.disposed.Store(true) }

// fakeSpecs replaces the three factories with fakes, keeping the real names
// and settings checks.
func fakeSpecs(fakes map[string]*fakeSource) []sourceSpec {
	specs := make([]sourceSpec, len(sourceSpecs))
	copy(specs, sourceSpecs)
	for i := range specs {
		f := &fakeSource{}
		fakes[specs[i].queryType] = f
		specs[i].factory = func(*models.Settings, source.Deps) (source.Source, error) { return f, nil }
	}
	return specs
}

func instanceSettings(jsonData map[string]any, secure map[string]string) backend.DataSourceInstanceSettings {
	jd, _ := json.Marshal(jsonData)
	return backend.DataSourceInstanceSettings{ID: 1, UID: "test", JSONData: jd, DecryptedSecureJSONData: secure, Updated: time.Unix(1, 0)}
}

var allConfigured = instanceSettings(map[string]any{
	"ovhEndpoint": "ovh-eu", "ovhApplicationKey": "ak",
	"onappUrl": "https://cdn.example.com", "onappUser": "sre@example.com",
	"pulseUrl": "https://pulse.example.com",
}, map[string]string{
	"ovhApplicationSecret": "top-secret-ovh-as", "ovhConsumerKey": "top-secret-ovh-ck",
	"onappApiKey": "top-secret-onapp-key", "pulseToken": "top-secret-pulse-token",
})

func TestQueriesAreDispatchedByTypeAndFailAlone(t *testing.T) {
	fakes := map[string]*fakeSource{}
	d, err := newDatasource(allConfigured, fakeSpecs(fakes))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "A", QueryType: "telephony"},
		{RefID: "B", QueryType: "cdnBandwidth"},
		{RefID: "C", QueryType: "usage"},
		{RefID: "D", QueryType: "bogus"},
		{RefID: "E", QueryType: ""},
		{RefID: "F", QueryType: "usage", JSON: json.RawMessage(`{"leak":true}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"A", "B", "C"} {
		r := resp.Responses[ref]
		if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Name != ref {
			t.Errorf("%s: %+v", ref, r)
		}
	}
	for ref, want := range map[string]string{"D": `unknown queryType "bogus"`, "E": "has no queryType"} {
		r := resp.Responses[ref]
		if r.Status != backend.StatusBadRequest || r.ErrorSource != backend.ErrorSourceDownstream || !strings.Contains(r.Error.Error(), want) {
			t.Errorf("%s: %d %v", ref, r.Status, r.Error)
		}
	}
	if msg := resp.Responses["F"].Error.Error(); strings.Contains(msg, "top-secret") || !strings.Contains(msg, "[redacted]") {
		t.Errorf("a secret in an error was not scrubbed: %q", msg)
	}
}

func TestUnconfiguredAndIncompleteSources(t *testing.T) {
	fakes := map[string]*fakeSource{}
	settings := instanceSettings(map[string]any{"onappUrl": "https://cdn.example.com"}, map[string]string{"pulseToken": "x"})
	d, err := newDatasource(settings, fakeSpecs(fakes))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "A", QueryType: "telephony"}, {RefID: "B", QueryType: "cdnBandwidth"}, {RefID: "C", QueryType: "usage"},
	}})
	want := map[string]string{
		"A": "Telephony QoS (OVHcloud) is not configured in this data source: set ovhApplicationKey, ovhApplicationSecret, ovhConsumerKey",
		"B": "CDN bandwidth (OnApp) is not fully configured: set onappUser, onappApiKey",
		"C": "Usage (Pulse) is not fully configured: set pulseUrl",
	}
	for ref, msg := range want {
		r := resp.Responses[ref]
		if r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), msg) {
			t.Errorf("%s: %d %v, want %q", ref, r.Status, r.Error, msg)
		}
	}
}

func TestBrokenSharedSettingsFailTheInstance(t *testing.T) {
	cases := map[string]map[string]any{
		"bad number": {"timeoutSeconds": "soon"},
		"bad share":  {"ovhAlertingShare": 1.5},
	}
	for name, jd := range cases {
		if _, err := newDatasource(instanceSettings(jd, nil), sourceSpecs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A problem in one source's own settings fails that source's queries and
// health line, never its siblings'.
func TestBrokenSourceSettingsFailThatSourceAlone(t *testing.T) {
	cases := []struct {
		name      string
		jd        map[string]any
		secure    map[string]string
		queryType string
		want      string
	}{
		{"bad url", map[string]any{"pulseUrl": "not a url"}, nil, "usage", "pulseUrl must be an absolute http(s) URL"},
		{"bad zone", map[string]any{"onappTimeZone": "Mars/Olympus"}, nil, "cdnBandwidth", "onappTimeZone"},
		{"bad api", map[string]any{"onappApi": "v9"}, nil, "cdnBandwidth", "onappApi must be"},
		{"bad auth", map[string]any{"ovhAuthMethod": "password"}, nil, "telephony", "ovhAuthMethod must be"},
		{"url with user", map[string]any{"onappUrl": "https://admin:pw@cdn.example.com"}, nil, "cdnBandwidth", "onappUrl"},
		{"token with a line break", nil, map[string]string{"pulseToken": "top-secret\npulse"}, "usage", "pulseToken holds a line break"},
	}
	for _, tc := range cases {
		var base map[string]any
		_ = json.Unmarshal(allConfigured.JSONData, &base)
		for k, v := range tc.jd {
			base[k] = v
		}
		secure := maps.Clone(allConfigured.DecryptedSecureJSONData)
		maps.Copy(secure, tc.secure)
		fakes := map[string]*fakeSource{}
		d, err := newDatasource(instanceSettings(base, secure), fakeSpecs(fakes))
		if err != nil {
			t.Errorf("%s: the whole instance failed: %v", tc.name, err)
			continue
		}
		var queries []backend.DataQuery
		for _, qt := range models.QueryTypes {
			queries = append(queries, backend.DataQuery{RefID: qt, QueryType: qt})
		}
		resp, _ := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: queries})
		for _, qt := range models.QueryTypes {
			r := resp.Responses[qt]
			switch {
			case qt == tc.queryType && (r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), tc.want)):
				t.Errorf("%s: %s answered %d %v, want 400 %q", tc.name, qt, r.Status, r.Error, tc.want)
			case qt != tc.queryType && r.Error != nil:
				t.Errorf("%s: sibling %s failed too: %v", tc.name, qt, r.Error)
			}
			if r.Error != nil && (strings.Contains(r.Error.Error(), "pw@") || strings.Contains(r.Error.Error(), "top-secret")) {
				t.Errorf("%s: error repeats a credential: %v", tc.name, r.Error)
			}
		}
		res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, tc.want) {
			t.Errorf("%s: health %v %q, want the problem named", tc.name, res.Status, res.Message)
		}
		d.Dispose()
	}
}

func TestHealth(t *testing.T) {
	t.Run("all ok", func(t *testing.T) {
		d, _ := newDatasource(allConfigured, fakeSpecs(map[string]*fakeSource{}))
		res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		want := "Telephony QoS (OVHcloud): OK — fine\nCDN bandwidth (OnApp): OK — fine\nUsage (Pulse): OK — fine"
		if res.Status != backend.HealthStatusOk || res.Message != want {
			t.Fatalf("%v %q", res.Status, res.Message)
		}
	})
	t.Run("one fails", func(t *testing.T) {
		fakes := map[string]*fakeSource{}
		specs := fakeSpecs(fakes)
		fakes["cdnBandwidth"].healthErr = errors.New("OnApp CDN: 401 Unauthorized — check the user e-mail and API key top-secret-onapp-key")
		d, _ := newDatasource(allConfigured, specs)
		res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		if res.Status != backend.HealthStatusError ||
			!strings.Contains(res.Message, "CDN bandwidth (OnApp): 401 Unauthorized — check the user e-mail and API key [redacted]") ||
			!strings.Contains(res.Message, "Usage (Pulse): OK") {
			t.Fatalf("%v %q", res.Status, res.Message)
		}
		var details struct {
			Sources []sourceHealth `json:"sources"`
		}
		_ = json.Unmarshal(res.JSONDetails, &details)
		if len(details.Sources) != 3 || details.Sources[1].OK || !details.Sources[0].OK {
			t.Fatalf("details %s", res.JSONDetails)
		}
	})
	t.Run("incomplete source", func(t *testing.T) {
		d, _ := newDatasource(instanceSettings(map[string]any{"pulseUrl": "https://p.example.com"}, nil), fakeSpecs(map[string]*fakeSource{}))
		res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		if res.Status != backend.HealthStatusError || res.Message != "Usage (Pulse) is not fully configured: set pulseToken in the data source settings" {
			t.Fatalf("%v %q", res.Status, res.Message)
		}
	})
	t.Run("nothing configured", func(t *testing.T) {
		d, _ := newDatasource(instanceSettings(map[string]any{}, nil), fakeSpecs(map[string]*fakeSource{}))
		res, _ := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "No source is configured") {
			t.Fatalf("%v %q", res.Status, res.Message)
		}
	})
}

type sender struct{ resp *backend.CallResourceResponse }

func (s *sender) Send(r *backend.CallResourceResponse) error {
	if s.resp == nil {
		s.resp = r
	} else {
		s.resp.Body = append(s.resp.Body, r.Body...)
	}
	return nil
}

func TestResourcesAreRoutedPerSource(t *testing.T) {
	fakes := map[string]*fakeSource{}
	d, _ := newDatasource(instanceSettings(map[string]any{"pulseUrl": "https://p.example.com"}, map[string]string{"pulseToken": "t"}), fakeSpecs(fakes))
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"usage/enterprises?q=x", 200, `[{"value":"/enterprises","text":"x"}]`},
		{"telephony/billing-accounts", 400, "is not configured"},
		{"nowhere", 404, ""},
	}
	for _, tc := range cases {
		s := &sender{}
		p, _, _ := strings.Cut(tc.path, "?")
		err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: "GET", Path: p, URL: tc.path}, s)
		if err != nil || s.resp.Status != tc.status || !strings.Contains(string(s.resp.Body), tc.body) {
			t.Errorf("%s: %v %d %s", tc.path, err, s.resp.Status, s.resp.Body)
		}
	}
}

func TestDisposeReachesEverySource(t *testing.T) {
	fakes := map[string]*fakeSource{}
	d, _ := newDatasource(allConfigured, fakeSpecs(fakes))
	d.Dispose()
	for qt, f := range fakes {
		if !f.disposed.Load() {
			t.Errorf("%s not disposed", qt)
		}
	}
}
