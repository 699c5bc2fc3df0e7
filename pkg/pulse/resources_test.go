package pulse

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opsdeck/servicestats/pkg/source"
)

// get calls a resource route the way pkg/plugin mounts it (below /usage).
func get(t *testing.T, src *Source, method, target string) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(method, target, nil).WithContext(ctxT(t))
	src.Resources().ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func TestResources(t *testing.T) {
	window := url.Values{"startDate": {"2026-08-25T09:00:00.000Z"}, "endDate": {"2026-11-23T09:00:00.000Z"},
		"page": {"1"}, "limit": {"5000"}}
	tests := []struct {
		target, upstreamFile, path string
		enterpriseID               string
		want                       []source.Option
	}{
		{"/enterprises", "requests.upstream.json", "/stats/requests", "", []source.Option{
			{Value: "ent-acme", Text: "Acme Corp", Description: "ent-acme · 480 requests in the last 90 days"},
			{Value: "ent-initech", Text: "ent-initech", Description: "300 requests in the last 90 days"},
			{Value: "ent-globex", Text: "Globex", Description: "ent-globex · 300 requests in the last 90 days"},
			{Value: "ent-umbrella", Text: "Umbrella", Description: "ent-umbrella · 180 requests in the last 90 days"},
		}},
		{"/devices?enterpriseId=ent-acme", "devices.upstream.json", "/stats/devices", "ent-acme", []source.Option{
			{Value: "dev-acme-gw-01", Text: "Acme Paris Gateway", Description: "dev-acme-gw-01 · 120 requests in the last 90 days"},
			{Value: "dev-initech-pc-01", Text: "dev-initech-pc-01", Description: "130 requests in the last 90 days"},
			{Value: "dev-globex-hub-01", Text: "Globex Plant Hub", Description: "dev-globex-hub-01 · 95 requests in the last 90 days"},
			{Value: "dev-umbrella-sensor-01", Text: "Umbrella Lab Sensor", Description: "dev-umbrella-sensor-01 · 95 requests in the last 90 days"},
		}},
		{"/routes", "routes.upstream.json", "/stats/routes", "", []source.Option{
			{Value: "/api/v1/billing", Text: "/api/v1/billing", Description: "100 requests in the last 90 days"},
			{Value: "/api/v1/orders", Text: "/api/v1/orders", Description: "200 requests in the last 90 days"},
			{Value: "/graphql", Text: "/graphql", Description: "350 requests in the last 90 days"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			srv := newFakePulse(t, serveFile(t, tt.upstreamFile))
			status, body := get(t, newTestSource(t, srv.URL), http.MethodGet, tt.target)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var got []source.Option
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if g, w := mustJSON(got), mustJSON(tt.want); g != w {
				t.Errorf("options\n got %s\nwant %s", g, w)
			}
			calls := srv.requests()
			want := url.Values{}
			for k, v := range window {
				want[k] = v
			}
			if tt.enterpriseID != "" {
				want.Set("enterpriseId", tt.enterpriseID)
			}
			if len(calls) != 1 || calls[0].path != tt.path || calls[0].query.Encode() != want.Encode() || calls[0].auth != "Bearer "+testToken {
				t.Errorf("calls %+v, want GET %s?%s", calls, tt.path, want.Encode())
			}
		})
	}
}

func TestResourceErrors(t *testing.T) {
	srv := newFakePulse(t, answer(401, jsonType, `{"error":"Unauthorized","message":"Invalid token"}`))
	src := newTestSource(t, srv.URL)
	tests := []struct {
		method, target string
		status         int
		message        string
	}{
		{http.MethodGet, "/enterprises", 401, "Pulse refused the token (401 Unauthorized: Invalid token) — check the Pulse token"},
		{http.MethodGet, "/nothing", 404, `no usage resource GET "/nothing": expected GET enterprises, devices or routes`},
		{http.MethodPost, "/routes", 404, `no usage resource POST "/routes"`},
		{http.MethodGet, "/devices?enterpriseId=%24enterprise", 400, `enterpriseId: "$enterprise" is a template variable Grafana could not expand`},
		{http.MethodGet, "/" + strings.Repeat("x", 10000), 404, `no usage resource GET "/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"`},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.target, func(t *testing.T) {
			status, body := get(t, src, tt.method, tt.target)
			var e struct{ Message string }
			if err := json.Unmarshal(body, &e); err != nil || status != tt.status || !strings.Contains(e.Message, tt.message) {
				t.Errorf("got %d %s, want %d %q", status, body, tt.status, tt.message)
			}
			noSecret(t, "resource answer", string(body))
		})
	}
}

func TestCheckHealth(t *testing.T) {
	srv := newFakePulse(t, serveFile(t, "routes.upstream.json"))
	detail, err := newTestSource(t, srv.URL).CheckHealth(ctxT(t))
	if err != nil || detail != "token accepted" {
		t.Fatalf("got %q %v", detail, err)
	}
	calls := srv.requests()
	want := url.Values{"startDate": {"2026-11-22T09:00:00.000Z"}, "endDate": {"2026-11-23T09:00:00.000Z"}, "page": {"1"}, "limit": {"1"}}
	if len(calls) != 1 || calls[0].path != "/stats/routes" || calls[0].query.Encode() != want.Encode() || calls[0].auth != "Bearer "+testToken {
		t.Errorf("calls %+v", calls)
	}

	bad := newFakePulse(t, answer(401, jsonType, `{"error":"Unauthorized","message":"Invalid token"}`))
	_, err = newTestSource(t, bad.URL).CheckHealth(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "check the Pulse token") {
		t.Errorf("got %v", err)
	}

	html := newFakePulse(t, answer(200, "text/html", "<html>login</html>"))
	if _, err := newTestSource(t, html.URL).CheckHealth(ctxT(t)); err == nil || !strings.Contains(err.Error(), "text/html page") {
		t.Errorf("a login page passed the health check: %v", err)
	}
	// An answer the routes report's queries could not read fails the check
	// too, read by the same reader (null would have passed encoding/json).
	for _, body := range []string{`null`, `{"data":[]}`, `[{"route":"/a"}`} {
		odd := newFakePulse(t, answer(200, jsonType, body))
		if _, err := newTestSource(t, odd.URL).CheckHealth(ctxT(t)); err == nil || !strings.Contains(err.Error(), "Pulse sent") {
			t.Errorf("%s passed the health check: %v", body, err)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
