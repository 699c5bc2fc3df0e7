package pulse

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// answer serves one status, content type and body to every call.
func answer(status int, contentType, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

const jsonType = "application/json; charset=utf-8"

func TestErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  backend.Status
		message string
	}{
		{"401", answer(401, jsonType, `{"error":"Unauthorized","message":"Invalid token"}`), backend.StatusUnauthorized,
			"Pulse refused the token (401 Unauthorized: Invalid token) — check the Pulse token (pulseToken) in the data source settings"},
		{"403", answer(403, jsonType, `{"error":"Forbidden","message":"Token revoked"}`), backend.StatusForbidden,
			"Pulse refused the token (403 Forbidden: Token revoked) — check the Pulse token (pulseToken) in the data source settings"},
		{"400 passes Pulse's words", answer(400, jsonType, `{"error":"Bad Request","message":"Invalid enterpriseId"}`), backend.StatusBadRequest,
			"Pulse refused the query's filters (400 Bad Request: Invalid enterpriseId) — check the enterprise id, the time range and the page size (limit)"},
		{"400 with field errors", answer(400, jsonType, `{"errors":{"startDate":["is not a date"],"limit":["too large"]}}`), backend.StatusBadRequest,
			"Pulse refused the query's filters (400 Bad Request: limit: too large; startDate: is not a date)"},
		{"404", answer(404, jsonType, `{"error":"Not Found","message":"Cannot GET /v2/stats/requests"}`), backend.StatusNotFound,
			"Pulse: 404 Not Found: Cannot GET /v2/stats/requests — check the Pulse URL (pulseUrl) in the data source settings: it should be the API root that serves /stats"},
		{"429", answer(429, jsonType, `{"message":"slow down"}`, "Retry-After", "120"), backend.StatusTooManyRequests,
			"Pulse is rate limiting this token (429 Too Many Requests: slow down; it asks to wait 2m0s) — lower the refresh rate or the number of panels, or narrow the time range so that fewer pages are read"},
		{"500", answer(500, jsonType, `{"errors":["500 Internal Server Error (sandbox fault)"]}`), backend.StatusBadGateway,
			"Pulse failed (500 Internal Server Error: 500 Internal Server Error (sandbox fault)) — the service has a problem on its side; try again later"},
		{"503 in plain text", answer(503, "text/plain", "down for maintenance"), backend.StatusBadGateway,
			"Pulse failed (503 Service Unavailable: down for maintenance) — the service has a problem on its side; try again later"},
		{"502 from an HTML proxy", answer(502, "text/html", "<html><body>Bad Gateway</body></html>"), backend.StatusBadGateway,
			"Pulse failed (502 Bad Gateway) — the service has a problem on its side; try again later"},
		{"an HTML page instead of JSON", answer(200, "text/html", "<html>login</html>"), backend.StatusBadGateway,
			"Pulse sent a text/html page instead of API data"},
		{"truncated JSON", answer(200, jsonType, `[{"route":"/a","totalRequests":1},{"rou`), backend.StatusBadGateway,
			"Pulse sent a truncated answer"},
		{"an object instead of an array", answer(200, jsonType, `{"data":[]}`), backend.StatusBadGateway,
			"Pulse sent an answer it could not read"},
		{"the token echoed back is redacted", answer(400, jsonType, `{"message":"bad header Bearer `+testToken+`"}`), backend.StatusBadRequest,
			"(400 Bad Request: bad header Bearer [redacted])"},
	}
	for _, tt := range tests {
		for _, report := range []string{"requests", "logs"} {
			t.Run(tt.name+"/"+report, func(t *testing.T) {
				srv := newFakePulse(t, tt.handler)
				resp := newTestSource(t, srv.URL).HandleQuery(ctxT(t), usageQuery(map[string]any{"report": report}))
				if resp.Error == nil {
					t.Fatalf("no error; frames %v", resp.Frames)
				}
				if !strings.Contains(resp.Error.Error(), tt.message) {
					t.Errorf("message\n %s\nwant it to contain\n %s", resp.Error, tt.message)
				}
				if resp.Status != tt.status || resp.ErrorSource != backend.ErrorSourceDownstream {
					t.Errorf("status %d source %q, want %d downstream", resp.Status, resp.ErrorSource, tt.status)
				}
				noSecret(t, "error", resp.Error.Error())
			})
		}
	}
}

func TestBadQueries(t *testing.T) {
	srv := newFakePulse(t, serveFile(t, "routes.upstream.json"))
	src := newTestSource(t, srv.URL)
	empty := usageQuery(map[string]any{"report": "routes"})
	empty.TimeRange.To = empty.TimeRange.From
	tests := []struct {
		name  string
		query backend.DataQuery
		want  string
	}{
		{"unknown report", usageQuery(map[string]any{"report": "bandwidth"}), `report: unknown value "bandwidth"`},
		{"limit too large", usageQuery(map[string]any{"report": "logs", "limit": 5001}), "limit: 5001 is outside 1–5000"},
		{"unknown split", usageQuery(map[string]any{"report": "latency", "splitBy": "method"}), `splitBy: unknown value "method"`},
		{"wrong type", usageQuery(map[string]any{"report": "logs", "limit": "many"}), `field "limit" should be a number`},
		{"empty range", empty, "the time range is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := src.HandleQuery(ctxT(t), tt.query)
			if resp.Status != backend.StatusBadRequest || resp.Error == nil || !strings.Contains(resp.Error.Error(), tt.want) {
				t.Errorf("got %d %v, want 400 %q", resp.Status, resp.Error, tt.want)
			}
		})
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("bad queries made %d calls", n)
	}
}

func TestPageErrorKeepsTheUpstreamClass(t *testing.T) {
	r := &pageRequest{what: "the logs", partial: "table"}
	in := &upstream.Error{Source: "Pulse", Kind: upstream.KindHTTP, Status: 503, Message: "Pulse failed (503 Service Unavailable) — try again later"}
	err := r.pageError(7, in)
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Status != 503 || ue.Kind != upstream.KindHTTP {
		t.Fatalf("lost the class: %#v", err)
	}
	want := "Pulse failed on page 7 of the logs: Pulse failed (503 Service Unavailable) — try again later; no partial table is shown"
	if ue.Message != want {
		t.Errorf("message %q\nwant %q", ue.Message, want)
	}
	if in.Message == ue.Message {
		t.Error("the original error was modified")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"30": 30 * time.Second, "": 0, "soon": 0, "-1": 0,
		"Mon, 23 Nov 2026 08:01:30 GMT": 90 * time.Second,
		"Mon, 23 Nov 2026 07:59:00 GMT": 0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}
