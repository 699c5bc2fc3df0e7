package onapp

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// TestErrorClasses: every upstream failure reads as what to do, with the
// status Grafana should see, and never holds the API key.
func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name        string
		api         string
		status      int
		contentType string
		body        string
		wantStatus  backend.Status
		want        []string
	}{
		{"401 credentials", "legacy", 401, "application/json", `{"errors":["Access denied"]}`, backend.StatusUnauthorized,
			[]string{"OnApp CDN: 401 Unauthorized", "check the user e-mail and API key"}},
		{"403 permission", "legacy", 403, "application/json", `{"errors":["You do not have permissions for this action"]}`, backend.StatusForbidden,
			[]string{"403 Forbidden", "lacks the CDN statistics permission", "check the user e-mail and API key", "You do not have permissions for this action"}},
		{"404 legacy route gone", "legacy", 404, "application/json", `{"errors":["Page not found"]}`, backend.StatusNotFound,
			[]string{"this OnApp has no /cdn_resources/bandwidth (removed in OnApp 5.6)", "set onappApi to reports"}},
		{"404 reports route missing", "reports", 404, "text/html", `<html><body>Not Found</body></html>`, backend.StatusNotFound,
			[]string{"this OnApp has no /cdn/reports/bandwidth_statistics", "set onappApi to legacy"}},
		{"422 field errors", "legacy", 422, "application/json", `{"errors":{"start":["is invalid"],"resources":["123 not found"]}}`, backend.StatusBadRequest,
			[]string{"OnApp CDN rejected the query (422 Unprocessable Entity): resources 123 not found; start is invalid", "correct the query"}},
		{"422 bare array", "legacy", 422, "application/json", `["Start date must be before end date"]`, backend.StatusBadRequest,
			[]string{"rejected the query", "Start date must be before end date"}},
		{"422 xml", "legacy", 422, "application/xml", "<errors>\n  <error>start is invalid</error>\n  <error>type is invalid</error>\n</errors>\n", backend.StatusBadRequest,
			[]string{"start is invalid; type is invalid"}},
		{"500", "legacy", 500, "application/json", `{"errors":["Internal error"]}`, backend.StatusBadGateway,
			[]string{"500 Internal Server Error", "try again later", "Internal error"}},
		{"503 html page", "reports", 503, "text/html", `<html><body><h1>503 Service Unavailable</h1>`, backend.StatusBadGateway,
			[]string{"503 Service Unavailable", "try again later"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeOnApp(t)
			path := bandwidthPath(tc.api, "json")
			fake.handle(path, func(w http.ResponseWriter, _ *http.Request) { writeBody(w, tc.status, tc.contentType, tc.body) })
			src := newTestSource(t, fake.URL, map[string]any{"onappApi": tc.api})
			from := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
			resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{}, from, from.Add(24*time.Hour)))
			if resp.Error == nil {
				t.Fatal("want an error")
			}
			msg := resp.Error.Error()
			t.Log(msg)
			if resp.Status != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.Status, tc.wantStatus)
			}
			if resp.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("error source %q, want downstream", resp.ErrorSource)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q", w)
				}
			}
			if strings.Contains(msg, testKey) {
				t.Error("the API key leaked into the message")
			}
		})
	}
}

// TestWrongKeyNeverLeaks: a wrong key is refused with the credentials
// message, in queries, health and resources alike, and appears nowhere.
func TestWrongKeyNeverLeaks(t *testing.T) {
	fake := newFakeOnApp(t)
	s := testSettings(t, fake.URL, nil)
	s.OnApp.APIKey = "wrong-but-secret-key"
	src, err := newSource(s, sourceDeps(), &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{}, from, from.Add(24*time.Hour)))
	_, healthErr := src.CheckHealth(ctxT(t))
	res := callResource(t, src, "/locations")
	for what, msg := range map[string]string{"query": resp.Error.Error(), "health": healthErr.Error(), "resource": res.Body.String()} {
		if !strings.Contains(msg, "401") || !strings.Contains(msg, "check the user e-mail and API key") {
			t.Errorf("%s: %q should name the credentials", what, msg)
		}
		if strings.Contains(msg, "wrong-but-secret-key") {
			t.Errorf("%s: the key leaked: %q", what, msg)
		}
	}
	if res.Code != http.StatusUnauthorized {
		t.Errorf("resource status %d, want 401", res.Code)
	}
}

func TestResponseMessages(t *testing.T) {
	cases := []struct {
		body string
		want string
	}{
		{`{"errors":{"end":["is invalid","must be after start"]}}`, "end is invalid|end must be after start"},
		{`{"errors":{"base":["Statistics are unavailable"]}}`, "Statistics are unavailable"},
		{`{"errors":["Access denied"]}`, "Access denied"},
		{`["a","b"]`, "a|b"},
		{`{"error":"Not found"}`, "Not found"},
		{`<errors><error>Access denied</error></errors>`, "Access denied"},
		{`<html><body>oops</body></html>`, ""},
		{`not json`, ""},
		{``, ""},
	}
	for _, tc := range cases {
		if got := strings.Join(responseMessages([]byte(tc.body)), "|"); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.body, got, tc.want)
		}
	}
}
