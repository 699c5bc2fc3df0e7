package plugin

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"go.uber.org/goleak"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// sandboxSettings configures the three real sources against a sandbox, with
// the cache off (every row must reach the upstream), a 1-second call timeout,
// a 1 MiB answer cap, and a rate guard far above the matrix's calls (the
// guard has tests of its own; at the default 30 dashboard calls in any 61 s,
// a row would wait a minute for its turn).
func sandboxSettings(base string) backend.DataSourceInstanceSettings {
	return instanceSettings(map[string]any{
		"ovhEndpoint": base + sandbox.OVHPrefix, "ovhApplicationKey": sandbox.OVHAppKey,
		"onappUrl": base + sandbox.OnAppPrefix, "onappUser": sandbox.OnAppUser, "onappTimeZone": "Europe/Paris",
		"pulseUrl":       base + sandbox.PulsePrefix,
		"timeoutSeconds": 1, "cacheTTLSeconds": 0, "maxResponseBytes": 1 << 20,
		"ovhRequestsPerMinute": 6000,
	}, map[string]string{
		"ovhApplicationSecret": sandbox.OVHAppSecret, "ovhConsumerKey": sandbox.OVHConsumerKey,
		"onappApiKey": sandbox.OnAppAPIKey, "pulseToken": sandbox.PulseToken,
	})
}

// matrixQuery is one source's query in the matrix, the upstream path its
// data call takes (where faults are aimed), and a sibling of another source.
type matrixQuery struct {
	name      string
	api, path string
	query     backend.DataQuery
	sibling   backend.DataQuery
}

func matrixQueries(now time.Time) []matrixQuery {
	tr := backend.TimeRange{From: now.Add(-6 * time.Hour), To: now}
	q := func(ref, qt, model string) backend.DataQuery {
		return backend.DataQuery{RefID: ref, QueryType: qt, JSON: json.RawMessage(model), TimeRange: tr, Interval: time.Minute, MaxDataPoints: 500}
	}
	telephony := q("A", "telephony", `{"billingAccount":"ab12345-ovh-1","lines":["0033123456789"],"metrics":["rtpMos"],"timeframe":"auto"}`)
	cdn := q("A", "cdnBandwidth", `{"type":"GB"}`)
	usage := q("A", "usage", `{"report":"requests"}`)
	sib := func(d backend.DataQuery) backend.DataQuery { d.RefID = "SIBLING"; return d }
	return []matrixQuery{
		{"telephony", sandbox.APIOVH, "/statistics", telephony, sib(usage)},
		{"cdn", sandbox.APIOnApp, "/bandwidth", cdn, sib(telephony)},
		{"usage", sandbox.APIPulse, "/stats/requests", usage, sib(cdn)},
	}
}

// TestFaultMatrix drives every source through every fault the sandbox can
// make, and checks the outcome: an answer after retrying, or a per-query
// downstream error whose message says what to do — with a sibling query of
// another source in the same request still answered.
func TestFaultMatrix(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	type outcome struct {
		ok     bool              // frames expected
		status backend.Status    // when !ok
		want   map[string]string // source name → message fragment ("*" for all)
	}
	all := func(s string) map[string]string { return map[string]string{"*": s} }
	rows := []struct {
		name  string
		fault sandbox.Fault
		out   outcome
	}{
		{"timeout", sandbox.Fault{Kind: sandbox.FaultTimeout}, outcome{status: backend.StatusTimeout, want: all("did not answer within 1s")}},
		{"429 then success", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 429, Times: 1}, outcome{ok: true}},
		{"persistent 429", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 429}, outcome{status: backend.StatusTooManyRequests, want: all("429")}},
		{"500", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 500}, outcome{status: backend.StatusBadGateway, want: all("try again later")}},
		{"503 with Retry-After", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 503, RetryAfter: "1", Times: 1}, outcome{ok: true}},
		{"connection reset", sandbox.Fault{Kind: sandbox.FaultReset, Times: 1}, outcome{ok: true}},
		{"malformed", sandbox.Fault{Kind: sandbox.FaultMalformed}, outcome{status: backend.StatusBadGateway, want: all("could not read")}},
		{"truncated", sandbox.Fault{Kind: sandbox.FaultTruncated}, outcome{status: backend.StatusBadGateway, want: all("truncated")}},
		{"oversized", sandbox.Fault{Kind: sandbox.FaultOversized, Bytes: 2 << 20}, outcome{status: backend.StatusBadGateway, want: all("more than 1 MiB")}},
		{"wrong content type", sandbox.Fault{Kind: sandbox.FaultContentType}, outcome{status: backend.StatusBadGateway, want: all("text/html page")}},
		{"401", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 401}, outcome{status: backend.StatusUnauthorized, want: map[string]string{
			"telephony": "check the application key, application secret and consumer key", "cdn": "check the user e-mail and API key", "usage": "token"}}},
		{"403", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 403}, outcome{status: backend.StatusForbidden, want: map[string]string{
			"telephony": "OVHcloud", "cdn": "permission", "usage": "token"}}},
		{"404", sandbox.Fault{Kind: sandbox.FaultStatus, Status: 404}, outcome{status: backend.StatusNotFound, want: map[string]string{
			"telephony": "no longer serves line statistics", "cdn": "onappApi", "usage": "404"}}},
	}

	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	d, err := newDatasource(sandboxSettings(srv.URL), sourceSpecs)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Dispose()

	for _, mq := range matrixQueries(time.Now()) {
		for _, row := range rows {
			t.Run(mq.name+"/"+row.name, func(t *testing.T) {
				sb.ClearFaults()
				f := row.fault
				f.API, f.Path = mq.api, mq.path
				sb.AddFault(f)
				defer sb.ClearFaults()

				resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{mq.query, mq.sibling}})
				if err != nil {
					t.Fatal(err)
				}
				if s := resp.Responses["SIBLING"]; s.Error != nil || len(s.Frames) == 0 {
					t.Errorf("sibling query failed: %v", s.Error)
				}
				r := resp.Responses["A"]
				if row.out.ok {
					if r.Error != nil || len(r.Frames) == 0 {
						t.Fatalf("want an answer after retrying, got %d %v", r.Status, r.Error)
					}
					return
				}
				want := row.out.want[mq.name]
				if want == "" {
					want = row.out.want["*"]
				}
				if r.Error == nil {
					t.Fatalf("want an error containing %q, got %d frames", want, len(r.Frames))
				}
				if r.Status != row.out.status || r.ErrorSource != backend.ErrorSourceDownstream || !strings.Contains(r.Error.Error(), want) {
					t.Fatalf("got %d (%s) %q; want %d downstream containing %q", r.Status, r.ErrorSource, r.Error, row.out.status, want)
				}
			})
		}
	}
}
