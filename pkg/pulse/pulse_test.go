package pulse

import (
	"net/url"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// goldenCases are the cases of testdata: <case>.query.json is the query,
// <case>.upstream.json Pulse's answer, <case>.golden.jsonc the response
// (rewritten with testutil.UpdateGoldenEnv).
var goldenCases = []string{
	"logs",
	"requests",
	"requests_top2",
	"complexity",
	"devices",
	"routes",
	"requestRate",
	"requestRate_clamped",
	"requestRate_split_device",
	"latency",
	"latency_split_route",
}

func TestGolden(t *testing.T) {
	testutil.Golden(t, "testdata", goldenCases, func(t *testing.T, name string) backend.DataResponse {
		srv := newFakePulse(t, serveFile(t, name+".upstream.json"))
		resp := newTestSource(t, srv.URL).HandleQuery(ctxT(t), readQuery(t, name))
		if resp.Error != nil {
			t.Fatalf("error: %v", resp.Error)
		}
		// The fake's port changes from run to run.
		testutil.ReplaceInExecuted(&resp, srv.URL, "http://pulse.example")
		return resp
	})
}

// TestOutgoingRequests checks each report's call: path, exact query and
// Bearer header.
func TestOutgoingRequests(t *testing.T) {
	window := url.Values{"startDate": {"2026-11-23T08:00:00.000Z"}, "endDate": {"2026-11-23T09:00:00.000Z"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range window {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name  string
		model map[string]any
		path  string
		query url.Values
	}{
		{"logs", map[string]any{"report": "logs"}, "/stats", with("page", "1", "limit", "500")},
		{"logs, enterprise and page size", map[string]any{"report": "logs", "enterpriseId": " ent-acme ", "limit": 50},
			"/stats", with("enterpriseId", "ent-acme", "page", "1", "limit", "50")},
		{"default report is requests", map[string]any{}, "/stats/requests", with("page", "1", "limit", "500")},
		{"requests", map[string]any{"report": "requests", "enterpriseId": "ent-acme"}, "/stats/requests",
			with("enterpriseId", "ent-acme", "page", "1", "limit", "500")},
		{"complexity", map[string]any{"report": "complexity"}, "/stats/complexity", with("page", "1", "limit", "500")},
		{"devices", map[string]any{"report": "devices", "limit": 5000}, "/stats/devices", with("page", "1", "limit", "5000")},
		{"routes", map[string]any{"report": "routes", "topN": 3}, "/stats/routes", with("page", "1", "limit", "500")},
		{"requestRate reads the logs", map[string]any{"report": "requestRate", "splitBy": "route"}, "/stats",
			with("page", "1", "limit", "500")},
		{"latency reads the logs", map[string]any{"report": "latency", "enterpriseId": "a&b=c"}, "/stats",
			with("enterpriseId", "a&b=c", "page", "1", "limit", "500")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakePulse(t, serveFile(t, "routes.upstream.json"))
			resp := newTestSource(t, srv.URL).HandleQuery(ctxT(t), usageQuery(tt.model))
			if resp.Error != nil {
				t.Fatal(resp.Error)
			}
			calls := srv.requests()
			if len(calls) != 1 {
				t.Fatalf("%d calls, want 1: %+v", len(calls), calls)
			}
			c := calls[0]
			if c.path != tt.path {
				t.Errorf("path %q, want %q", c.path, tt.path)
			}
			if c.query.Encode() != tt.query.Encode() {
				t.Errorf("query\n got %s\nwant %s", c.query.Encode(), tt.query.Encode())
			}
			if c.auth != "Bearer "+testToken {
				t.Errorf("Authorization %q", c.auth)
			}
		})
	}
}

// TestDatesAreUTC checks that a range given in another zone is sent in UTC
// with milliseconds and Z, and never carries a "+" that a server would read
// as a space.
func TestDatesAreUTC(t *testing.T) {
	srv := newFakePulse(t, serveFile(t, "routes.upstream.json"))
	q := usageQuery(map[string]any{"report": "routes"})
	q.TimeRange.From = q.TimeRange.From.In(time.FixedZone("CEST", 2*3600))
	q.TimeRange.To = q.TimeRange.To.Add(123456789 * time.Nanosecond).In(time.FixedZone("EST", -5*3600))
	newTestSource(t, srv.URL).HandleQuery(ctxT(t), q)
	c := srv.requests()[0]
	if got := c.query.Get("startDate"); got != "2026-11-23T08:00:00.000Z" {
		t.Errorf("startDate %q", got)
	}
	if got := c.query.Get("endDate"); got != "2026-11-23T09:00:00.123Z" {
		t.Errorf("endDate %q", got)
	}
}
