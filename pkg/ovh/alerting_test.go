package ovh

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// twoAccounts is a small account tree: every line answers one point.
var twoAccounts = map[string]canned{
	"/telephony":                                  {status: 200, body: `["ab12345-ovh-1","cd67890-ovh-1"]`},
	"/telephony/ab12345-ovh-1/line":               {status: 200, body: `["0033123456789","0033123456790"]`},
	"/telephony/cd67890-ovh-1/line":               {status: 200, body: `["0033987654321"]`},
	"/telephony/ee00000-ovh-1/line":               {status: 200, body: `[]`},
	"/telephony/ab12345-ovh-1/line/0033123456789": {status: 200, body: `{"serviceName":"0033123456789","description":"Reception desk","serviceType":"line"}`},
}

// treeWithStats answers the tree, and one point for any statistics call.
func treeWithStats(tree map[string]canned, extra map[string]canned) http.HandlerFunc {
	inner := answering(tree)
	return func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/1.0")
		if a, ok := extra[p]; ok {
			reply(w, a.status, a.body)
			return
		}
		if strings.HasSuffix(p, "/statistics") {
			reply(w, 200, `{"unit":"","values":[{"timestamp":1732449000,"value":4100}]}`)
			return
		}
		inner(w, r)
	}
}

func lastHour(model map[string]any) backend.DataQuery {
	return telephonyQuery(model, testNow.Add(-time.Hour), testNow)
}

// frameKeys lists the frames' (billingAccount, line, metric) labels.
func frameKeys(frames data.Frames) []string {
	var out []string
	for _, f := range frames {
		if len(f.Fields) < 2 {
			continue
		}
		l := f.Fields[1].Labels
		out = append(out, l["billingAccount"]+"/"+l["line"]+"/"+l["metric"])
	}
	return out
}

func sameList(got, want []string) bool {
	return strings.Join(got, " ") == strings.Join(want, " ")
}

// An alert rule's query fails when one series fails, naming the line, the
// metric and the cause with the cause's status; the same query from a
// dashboard answers the good series beside an error frame.
func TestAlertingFailsWhenOneSeriesFails(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = treeWithStats(twoAccounts, map[string]canned{
			pathAccount + "/line/0033123456790/statistics": {status: 503, body: `{"class":"Server::ServiceUnavailable","message":"busy"}`},
		})
	})
	src := newTestSource(t, f)
	q := lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0033123456790"}, "metrics": []string{"rtpMos", "maxJitter"}})

	dash := src.HandleQuery(context.Background(), q)
	if dash.Error != nil || len(dash.Frames) != 4 {
		t.Fatalf("dashboard: error %v, %d frames; want 4 frames", dash.Error, len(dash.Frames))
	}
	if n := dash.Frames[2].Meta.Notices; len(n) != 1 || n[0].Severity != data.NoticeSeverityError {
		t.Errorf("dashboard: failed series notices %+v", n)
	}

	alert := src.HandleQuery(upstream.WithAlerting(context.Background()), q)
	if alert.Error == nil || len(alert.Frames) != 0 {
		t.Fatalf("alerting: error %v, %d frames; want an error", alert.Error, len(alert.Frames))
	}
	msg := alert.Error.Error()
	for _, want := range []string{"2 of 4 series", "line 0033123456790 of billing account ab12345-ovh-1, rtpMos", "maxJitter", "503 Service Unavailable: busy", "rule cannot be evaluated"} {
		if !strings.Contains(msg, want) {
			t.Errorf("alerting error %q lacks %q", msg, want)
		}
	}
	if alert.Status != backend.StatusBadGateway || alert.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("alerting status %d source %s, want 502 downstream", alert.Status, alert.ErrorSource)
	}
}

// The alerting error names a few series and counts the rest, bounded
// however many fail and however long their names.
func TestAlertingErrorIsBounded(t *testing.T) {
	long := strings.Repeat("9", 1<<20)
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = func(w http.ResponseWriter, r *http.Request) {
			reply(w, 500, `{"class":"Server::InternalServerError","message":"`+strings.Repeat("x", 5000)+`"}`)
		}
	})
	src := newTestSource(t, f)
	lines := []string{long, "2", "3", "4", "5"}
	resp := src.HandleQuery(upstream.WithAlerting(context.Background()), lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": lines, "metrics": []string{"rtpMos"}}))
	if resp.Error == nil {
		t.Fatal("no error")
	}
	msg := resp.Error.Error()
	if len(msg) > upstream.MaxMessage || !strings.Contains(msg, "5 of 5 series") {
		t.Errorf("%d bytes: %.300s", len(msg), msg)
	}
	if strings.Contains(msg, strings.Repeat("9", upstream.MaxQuoted+1)) {
		t.Error("the long line name is repeated whole")
	}

	// On a dashboard, the notice of a 1 MB line the account lacks quotes
	// its name short.
	g := newFake(t, nil)
	g.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{
			pathAccount + "/line/" + long + "/statistics": notFoundAnswer,
			pathAccount + "/line/" + long:                 notFoundAnswer,
			pathAccount:                                   {status: 200, body: `{"billingAccount":"ab12345-ovh-1"}`},
			pathStats:                                     {status: 200, body: `{"unit":"","values":[]}`},
		})
	})
	resp = newTestSource(t, g).HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", long}, "metrics": []string{"rtpMos"}}))
	if resp.Error != nil || len(resp.Frames) != 2 || len(resp.Frames[1].Meta.Notices) != 1 {
		t.Fatalf("dashboard: %v, %d frames", resp.Error, len(resp.Frames))
	}
	if n := resp.Frames[1].Meta.Notices[0].Text; !strings.Contains(n, "has no line") || len(n) > upstream.MaxMessage {
		t.Errorf("notice of %d bytes: %.200s", len(n), n)
	}
}

// lines ["*"] reads every line the account lists, with the listing in the
// first frame's executed calls and a notice of the cost.
func TestAllLinesOfAnAccount(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	src := newTestSource(t, f)
	resp := src.HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"*"}, "metrics": []string{"rtpMos", "sumRtpLost"}}))
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	want := []string{"ab12345-ovh-1/0033123456789/rtpMos", "ab12345-ovh-1/0033123456789/sumRtpLost", "ab12345-ovh-1/0033123456790/rtpMos", "ab12345-ovh-1/0033123456790/sumRtpLost"}
	if got := frameKeys(resp.Frames); !sameList(got, want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	first := resp.Frames[0]
	if !strings.HasPrefix(first.Meta.ExecutedQueryString, "GET "+testBase+"/telephony/ab12345-ovh-1/line\n") ||
		!strings.Contains(first.Meta.ExecutedQueryString, "/line/0033123456789/statistics?timeframe=hourly&type=rtpMos") {
		t.Errorf("executed %q", first.Meta.ExecutedQueryString)
	}
	if n := first.Meta.Notices; len(n) != 1 || n[0].Severity != data.NoticeSeverityInfo ||
		n[0].Text != "4 statistics calls for 2 lines × 2 metrics (0 answered from the cache)." {
		t.Errorf("notices %+v", n)
	}
	if got := first.Fields[1].Config.DisplayNameFromDS; got != "Reception desk rtpMos" {
		t.Errorf("display name %q", got)
	}
	// The list is cached like the other lookups.
	_ = src.HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if n := f.count("/telephony/ab12345-ovh-1/line"); n != 1 {
		t.Errorf("the lines were listed %d times, want once", n)
	}
}

// billingAccount "*" reads every account the credential sees; "{a,b}" and
// "a,b" (multi-value variables) the accounts named.
func TestManyAccounts(t *testing.T) {
	all := []string{"ab12345-ovh-1/0033123456789/rtpMos", "ab12345-ovh-1/0033123456790/rtpMos", "cd67890-ovh-1/0033987654321/rtpMos"}
	cases := []struct {
		account string
		lines   []string
		want    []string
		notice  string
	}{
		{"*", []string{"*"}, all, "3 statistics calls for 3 lines of 2 billing accounts × 1 metric"},
		{"{ab12345-ovh-1,cd67890-ovh-1}", []string{"*"}, all, ""},
		{"cd67890-ovh-1,ab12345-ovh-1", []string{"*"}, []string{all[2], all[0], all[1]}, ""},
		// Lines written out are read in the accounts that list them.
		{"*", []string{"0033987654321", "0033123456789"}, []string{"ab12345-ovh-1/0033123456789/rtpMos", "cd67890-ovh-1/0033987654321/rtpMos"}, "2 statistics calls"},
		{"{ab12345-ovh-1,ee00000-ovh-1}", []string{"*"}, all[:2], "Billing account ee00000-ovh-1 lists no lines"},
		{"{ab12345-ovh-1,cd67890-ovh-1}", []string{"0033123456789", "0000"}, all[:1], "none of the 2 billing accounts of this query lists line 0000"},
	}
	for _, tc := range cases {
		t.Run(tc.account+" "+strings.Join(tc.lines, ","), func(t *testing.T) {
			f := newFake(t, nil)
			f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
			src := newTestSource(t, f)
			resp := src.HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": tc.account, "lines": tc.lines, "metrics": []string{"rtpMos"}}))
			if resp.Error != nil {
				t.Fatal(resp.Error)
			}
			if got := frameKeys(resp.Frames); !sameList(got, tc.want) {
				t.Errorf("series %v, want %v", got, tc.want)
			}
			var texts []string
			for _, n := range resp.Frames[0].Meta.Notices {
				texts = append(texts, n.Text)
			}
			if !strings.Contains(strings.Join(texts, "|"), tc.notice) {
				t.Errorf("notices %q, want %q", texts, tc.notice)
			}
		})
	}
}

// An account that cannot be listed fails an alert query and a query of
// that one account; beside other accounts on a dashboard it is a notice.
func TestAccountThatCannotBeListed(t *testing.T) {
	tree := map[string]canned{}
	for k, v := range twoAccounts {
		tree[k] = v
	}
	tree["/telephony/nope/line"] = notFoundAnswer
	tree["/telephony/cd67890-ovh-1/line"] = canned{status: 500, body: `{"class":"Server::InternalServerError","message":"down"}`}
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(tree, nil) })
	src := newTestSource(t, f)
	q := lastHour(map[string]any{"billingAccount": "*", "lines": []string{"*"}, "metrics": []string{"rtpMos"}})
	dash := src.HandleQuery(context.Background(), q)
	if dash.Error != nil || len(dash.Frames) != 2 {
		t.Fatalf("dashboard: %v, %d frames", dash.Error, len(dash.Frames))
	}
	n := dash.Frames[0].Meta.Notices
	if len(n) < 1 || n[0].Severity != data.NoticeSeverityError || !strings.Contains(n[0].Text, "listing the lines of billing account cd67890-ovh-1 failed") {
		t.Errorf("notices %+v", n)
	}
	alert := src.HandleQuery(upstream.WithAlerting(context.Background()), q)
	if alert.Error == nil || !strings.Contains(alert.Error.Error(), "cd67890-ovh-1") {
		t.Errorf("alerting: %v", alert.Error)
	}
	one := src.HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": "nope", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if one.Error == nil || one.Status != backend.StatusNotFound || !strings.Contains(one.Error.Error(), `does not know the billing account "nope"`) {
		t.Errorf("unknown account: %d %v", one.Status, one.Error)
	}
}

// Every account listing no line: one empty frame with the notice, no error
// (an alert rule reads no data).
func TestNoLineAnywhere(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	src := newTestSource(t, f)
	resp := src.HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": "ee00000-ovh-1,ee00000-ovh-1", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if resp.Error != nil || len(resp.Frames) != 1 || len(resp.Frames[0].Fields) != 0 {
		t.Fatalf("error %v, frames %v", resp.Error, resp.Frames)
	}
	if n := resp.Frames[0].Meta.Notices; len(n) != 1 || !strings.Contains(n[0].Text, "lists no lines") {
		t.Errorf("notices %+v", n)
	}
}

// Under billingAccount "*", an account whose statistics route is retired is
// left out with a warning, for dashboards and alert rules alike: no
// setting can bring its statistics back.
func TestRetiredAccountLeftOutOfAll(t *testing.T) {
	tree := map[string]canned{
		"/telephony":                                             {status: 200, body: `["ab12345-ovh-1","zz99999-ovh-1"]`},
		"/telephony/ab12345-ovh-1/line":                          {status: 200, body: `["0033123456789"]`},
		"/telephony/zz99999-ovh-1/line":                          {status: 200, body: `["0033555000111"]`},
		"/telephony/zz99999-ovh-1/line/0033555000111":            {status: 200, body: `{"serviceName":"0033555000111"}`},
		"/telephony/zz99999-ovh-1/line/0033555000111/statistics": legacy(404, "NOT_FOUND", "Got an invalid (or empty) URL"),
	}
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		inner := answering(tree)
		f.handle = func(w http.ResponseWriter, r *http.Request) {
			if _, ok := tree[strings.TrimPrefix(r.URL.Path, "/1.0")]; !ok && strings.HasSuffix(r.URL.Path, "/statistics") {
				reply(w, 200, `{"unit":"","values":[{"timestamp":1732449000,"value":4100}]}`)
				return
			}
			inner(w, r)
		}
	})
	src := newTestSource(t, f)
	for _, ctx := range []context.Context{context.Background(), upstream.WithAlerting(context.Background())} {
		resp := src.HandleQuery(ctx, lastHour(map[string]any{"billingAccount": "*", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
		if resp.Error != nil || len(resp.Frames) != 1 {
			t.Fatalf("alerting %v: error %v, %d frames", upstream.IsAlerting(ctx), resp.Error, len(resp.Frames))
		}
		n := resp.Frames[0].Meta.Notices
		if len(n) != 2 || n[0].Severity != data.NoticeSeverityWarning || !strings.Contains(n[0].Text, "zz99999-ovh-1 no longer serves line statistics") {
			t.Errorf("notices %+v", n)
		}
	}
}

// Descriptions never take a turn from the statistics: with the dashboards'
// turns spent on statistics, the series are named by their lines and no
// description is fetched; an alerting query never fetches one.
func TestDescriptionsNeverStarveStatistics(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	src := newTestSource(t, f, func(s *models.Settings) {
		s.OVH.Endpoint = "http://" + strings.ToLower(t.Name()) + ".test/1.0" // a guard of its own
		s.OVHRequestsPerMinute = 4                                           // dashboards 2 in any 61 s: both go to the statistics
		s.OVHAlertingShare = 0.5
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp := src.HandleQuery(ctx, lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0033123456790"}, "metrics": []string{"rtpMos"}}))
	if resp.Error != nil || len(resp.Frames) != 2 || resp.Frames[0].Rows() != 1 || resp.Frames[1].Rows() != 1 {
		t.Fatalf("error %v, frames %v", resp.Error, resp.Frames)
	}
	if got := resp.Frames[0].Fields[1].Config.DisplayNameFromDS; got != "0033123456789 rtpMos" {
		t.Errorf("display name %q, want the line's name", got)
	}
	if n := f.count("/telephony/ab12345-ovh-1/line/0033123456789") + f.count("/telephony/ab12345-ovh-1/line/0033123456790"); n != 0 {
		t.Errorf("%d description calls with no turn to spare", n)
	}

	g := newFake(t, nil)
	g.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	plain := newTestSource(t, g)
	resp = plain.HandleQuery(upstream.WithAlerting(context.Background()), lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if resp.Error != nil || len(resp.Frames) != 2 {
		t.Fatalf("alerting: error %v, %d frames", resp.Error, len(resp.Frames))
	}
	if n := g.count("/telephony/ab12345-ovh-1/line/0033123456789"); n != 0 {
		t.Errorf("an alerting query fetched %d descriptions", n)
	}
}

// A query needing more statistics calls than the guard can start before
// its deadline fails at once with the numbers and makes none; calls the
// cache answers cost nothing.
func TestQueryOverTheBudgetFailsAtOnce(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	guarded := func(s *models.Settings) {
		s.OVH.Endpoint = "http://" + strings.ToLower(t.Name()) + ".test/1.0"
		s.OVHRequestsPerMinute = 12 // dashboards 6 in any 61 s: all 6 at once, then none for 61 s
		s.OVHAlertingShare = 0.5
		s.CacheTTL = time.Minute
	}
	src := newTestSource(t, f, guarded)
	lines := []string{"1", "2", "3", "4"}
	q := lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": lines, "metrics": models.TelephonyMetrics})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp := src.HandleQuery(ctx, q)
	if resp.Error == nil || resp.Status != backend.StatusTooManyRequests {
		t.Fatalf("status %d error %v, want 429", resp.Status, resp.Error)
	}
	for _, want := range []string{"needs 16 statistics calls", "can start at most 6 before the query's deadline", "6 calls per minute for dashboards", "ovhRequestsPerMinute 12, ovhAlertingShare 0.5", "split the query"} {
		if !strings.Contains(resp.Error.Error(), want) {
			t.Errorf("%q lacks %q", resp.Error, want)
		}
	}
	if n := len(f.statsCalls()); n != 0 {
		t.Errorf("%d statistics calls made by a query that cannot fit", n)
	}

	// The same answers in the cache (fetched by a source without guard on
	// the same instance and credential): the query costs nothing and fits.
	primer := newTestSource(t, f, guarded, func(s *models.Settings) { s.OVHRequestsPerMinute = 0 })
	if r := primer.HandleQuery(context.Background(), q); r.Error != nil {
		t.Fatal(r.Error)
	}
	resp = src.HandleQuery(ctx, q)
	if resp.Error != nil || len(resp.Frames) != 16 {
		t.Fatalf("from the cache: error %v, %d frames", resp.Error, len(resp.Frames))
	}
}

// The rate guard reserves a share for alert rules: with the dashboards'
// part spent, an alerting query still gets its call at once.
func TestAlertingShareThroughTheSource(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	src := newTestSource(t, f, func(s *models.Settings) {
		s.OVH.Endpoint = "http://" + strings.ToLower(t.Name()) + ".test/1.0"
		s.OVHRequestsPerMinute = 12
		s.OVHAlertingShare = 0.5
	})
	one := func(line string) backend.DataQuery {
		return lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{line}, "metrics": []string{"rtpMos"}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for i := 0; ; i++ { // dashboards take their part until their next turn is past the deadline
		r := src.HandleQuery(ctx, one(fmt.Sprint(i)))
		if r.Error == nil && i < 10 {
			continue
		}
		if r.Error == nil || r.Status != backend.StatusTooManyRequests ||
			!strings.Contains(r.Error.Error(), "rate guard (12 calls per minute for this credential, 6 of them for dashboards; the other 6 are kept for alert rules)") {
			t.Fatalf("dashboards past their part: %d %v", r.Status, r.Error)
		}
		break
	}
	a := src.HandleQuery(upstream.WithAlerting(ctx), one("3"))
	if a.Error != nil || len(a.Frames) != 1 || a.Frames[0].Rows() != 1 {
		t.Fatalf("alerting: %v", a.Error)
	}
}

// Duplicate timestamps keep one point: a value over a null, the last value
// sent over an earlier one.
func TestDuplicateTimestampsKeepOnePoint(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	in := []point{{100, v(1)}, {100, v(2)}, {200, nil}, {200, v(3)}, {300, v(4)}, {300, nil}, {100, nil}, {400, nil}, {400, nil}}
	times, values := pointsIn(in, time.Unix(0, 0), time.Unix(1000, 0), 1)
	wantT := []int64{100, 200, 300, 400}
	wantV := []*float64{v(2), v(3), v(4), nil}
	if len(times) != len(wantT) {
		t.Fatalf("%d points, want %d", len(times), len(wantT))
	}
	for i := range wantT {
		if times[i].Unix() != wantT[i] || (values[i] == nil) != (wantV[i] == nil) || (values[i] != nil && *values[i] != *wantV[i]) {
			t.Errorf("point %d: %v %v, want %d %v", i, times[i].Unix(), values[i], wantT[i], wantV[i])
		}
	}
	// Through the source, from the answer as OVHcloud sends it.
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = func(w http.ResponseWriter, r *http.Request) {
			reply(w, 200, `{"unit":"","values":[{"timestamp":1732449000,"value":1},{"timestamp":1732449000,"value":2},{"timestamp":1732449060,"value":null}]}`)
		}
	})
	resp := newTestSource(t, f).HandleQuery(context.Background(), oneSeries())
	if resp.Error != nil || resp.Frames[0].Rows() != 2 {
		t.Fatalf("error %v, frames %v", resp.Error, resp.Frames)
	}
	if got, _ := resp.Frames[0].Fields[1].ConcreteAt(0); got != 2.0 {
		t.Errorf("first point %v, want the last value sent (2)", got)
	}
}

// A bad ovhEndpoint is quoted without its user-info; a good one holding
// user-info is refused (Go would send it as basic auth).
func TestEndpointUserInfoNeverEchoed(t *testing.T) {
	for _, in := range []string{"ftp://admin:pw-secret@host/1.0", "https://u:pw-secret@host:99999/1.0", "https://u:pw-secret@%zz/1.0", "https://u:pw-secret@eu.api.ovh.com/1.0", "https://pw-secret@eu.api.ovh.com/1.0"} {
		_, err := resolveEndpoint(in)
		if err == nil {
			t.Errorf("%s: accepted", in)
			continue
		}
		if strings.Contains(err.Error(), "pw-secret") {
			t.Errorf("%s: %v", in, err)
		}
	}
	if _, err := resolveEndpoint(strings.Repeat("a/", 1<<19)); err == nil || len(err.Error()) > 2*upstream.MaxQuoted+200 {
		t.Errorf("a 1 MB endpoint: %d bytes of error", len(err.Error()))
	}
}

func serveResource(src *telephony, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	src.Resources().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

// The lines route accepts "*" and several accounts.
func TestLinesResourceOfManyAccounts(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	src := newTestSource(t, f)
	for _, ba := range []string{"*", "%7Bab12345-ovh-1,cd67890-ovh-1%7D", "ab12345-ovh-1,cd67890-ovh-1"} {
		rec := serveResource(src, "/lines?billingAccount="+ba)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", ba, rec.Code, rec.Body)
		}
		body := rec.Body.String()
		for _, want := range []string{`"value":"0033123456789","text":"Reception desk","description":"line · ab12345-ovh-1"`, `"value":"0033987654321","text":"0033987654321","description":"cd67890-ovh-1"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: %s lacks %s", ba, body, want)
			}
		}
	}
}

// A variable Grafana could not expand is a 400 from the lines route too,
// before any call.
func TestLinesResourceRefusesLeftovers(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(twoAccounts, nil) })
	src := newTestSource(t, f)
	rec := serveResource(src, "/lines?billingAccount=%24account")
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "billingAccount") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	if n := len(f.calls()); n != 0 {
		t.Errorf("%d calls for a leftover", n)
	}
}

// A line added to the account is read once the cached list expires
// (lookupTTL): lines ["*"] never leaves it unmonitored for longer.
func TestAllLinesSeesANewLine(t *testing.T) {
	tree := map[string]canned{"/telephony/ab12345-ovh-1/line": {status: 200, body: `["0033123456789"]`}}
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = treeWithStats(tree, nil) })
	var mu sync.Mutex
	now := testNow
	src := newTestSourceAt(t, f, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	ask := func() []string {
		resp := src.HandleQuery(context.Background(), lastHour(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		return frameKeys(resp.Frames)
	}
	if got := ask(); len(got) != 1 {
		t.Fatalf("series %v", got)
	}
	f.set(func(f *fakeOVH) {
		tree2 := map[string]canned{"/telephony/ab12345-ovh-1/line": {status: 200, body: `["0033123456789","0033123456799"]`}}
		f.handle = treeWithStats(tree2, nil)
	})
	if got := ask(); len(got) != 1 {
		t.Errorf("within the lookup's lifetime: series %v, want the cached list", got)
	}
	mu.Lock()
	now = now.Add(lookupTTL + time.Second)
	mu.Unlock()
	if got := ask(); !sameList(got, []string{"ab12345-ovh-1/0033123456789/rtpMos", "ab12345-ovh-1/0033123456799/rtpMos"}) {
		t.Errorf("after lookupTTL: series %v, want the new line too", got)
	}
}
