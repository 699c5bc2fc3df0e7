package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// usageRange is a range of whole minutes ending an hour ago: inside the
// sandbox's 90 days, and far enough from now that its rows do not change
// while a test runs.
func usageRange(span time.Duration) (from, to time.Time) {
	to = time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	return to.Add(-span), to
}

// usageDataSource is sandboxDataSource with a fresh Updated time, so that a
// rerun (-count) against a new sandbox gets a new instance, as Grafana does
// when settings change.
func usageDataSource(uid, base string) DataSource {
	ds := sandboxDataSource(uid, base)
	ds.Updated = time.Now()
	return ds
}

func usageQuery(t *testing.T, ds DataSource, from, to time.Time, models ...map[string]any) map[string]backend.DataResponse {
	t.Helper()
	var qs []Query
	for i, m := range models {
		qs = append(qs, Query{RefID: strconv.Itoa(i), QueryType: "usage", JSON: m, From: from, To: to, Interval: 5 * time.Minute})
	}
	resp, err := host.QueryData(ctxT(t), ds, qs...)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]backend.DataResponse{}
	for i := range models {
		out[strconv.Itoa(i)] = resp.Responses[strconv.Itoa(i)]
	}
	return out
}

// sumField adds up a numeric field of every frame.
func sumField(t *testing.T, frames data.Frames, name string) float64 {
	t.Helper()
	total := 0.0
	for _, f := range frames {
		fd, _ := f.FieldByName(name)
		if fd == nil {
			t.Fatalf("frame %q has no field %q", f.Name, name)
		}
		for i := range fd.Len() {
			if v, err := fd.NullableFloatAt(i); err == nil && v != nil {
				total += *v
			}
		}
	}
	return total
}

func TestUsageEachReportAnswers(t *testing.T) {
	cfg := sandbox.Config{}
	_, base := startSandbox(t, cfg)
	ds := usageDataSource("usage-reports", base)
	from, to := usageRange(6 * time.Hour)
	rows := sandbox.PulseRowCount(cfg, "", from, to)
	if rows < 500 {
		t.Fatalf("the sandbox holds %d rows over six hours", rows)
	}
	tests := []struct {
		model  map[string]any
		typ    data.FrameType
		frames int
		check  func(t *testing.T, frames data.Frames)
	}{
		{map[string]any{"report": "logs", "limit": 5000}, data.FrameTypeTable, 1, func(t *testing.T, f data.Frames) {
			if f[0].Rows() != rows {
				t.Errorf("%d log rows, the sandbox holds %d", f[0].Rows(), rows)
			}
		}},
		{map[string]any{"report": "requests"}, data.FrameTypeNumericLong, 1, func(t *testing.T, f data.Frames) {
			if got := sumField(t, f, "totalRequests"); int(got) != rows {
				t.Errorf("requests add up to %v, the sandbox holds %d rows", got, rows)
			}
		}},
		{map[string]any{"report": "complexity"}, data.FrameTypeNumericLong, 1, func(t *testing.T, f data.Frames) {
			if f[0].Rows() != len(sandbox.PulseEnterprises()) {
				t.Errorf("%d enterprises", f[0].Rows())
			}
		}},
		{map[string]any{"report": "devices", "topN": 3}, data.FrameTypeNumericLong, 1, func(t *testing.T, f data.Frames) {
			if f[0].Rows() != 3 || len(f[0].Meta.Notices) != 1 {
				t.Errorf("top 3 devices: %d rows, notices %+v", f[0].Rows(), f[0].Meta.Notices)
			}
		}},
		{map[string]any{"report": "routes"}, data.FrameTypeNumericLong, 1, func(t *testing.T, f data.Frames) {
			if got := sumField(t, f, "totalRequests"); int(got) != rows {
				t.Errorf("routes add up to %v, want %d", got, rows)
			}
		}},
		{map[string]any{"report": "requestRate", "limit": 5000}, data.FrameTypeTimeSeriesMulti, 1, func(t *testing.T, f data.Frames) {
			if got := sumField(t, f, "requests"); int(got) != rows {
				t.Errorf("the rate series add up to %v requests, want %d", got, rows)
			}
		}},
		// The sandbox gives each request at most one device, so the
		// device series add up to the rows too.
		{map[string]any{"report": "requestRate", "splitBy": "device", "limit": 5000}, data.FrameTypeTimeSeriesMulti,
			len(sandbox.PulseDevices()) + 1, func(t *testing.T, f data.Frames) {
				if got := sumField(t, f, "requests"); int(got) != rows {
					t.Errorf("the device series add up to %v requests, want %d", got, rows)
				}
			}},
		{map[string]any{"report": "latency", "limit": 5000}, data.FrameTypeTimeSeriesMulti, 3, nil},
		{map[string]any{"report": "latency", "splitBy": "route", "limit": 5000}, data.FrameTypeTimeSeriesMulti, 3 * len(sandbox.PulseRoutes()), nil},
	}
	models := make([]map[string]any, len(tests))
	for i, tt := range tests {
		models[i] = tt.model
	}
	resp := usageQuery(t, ds, from, to, models...)
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.model), func(t *testing.T) {
			r := resp[strconv.Itoa(i)]
			if r.Error != nil {
				t.Fatal(r.Error)
			}
			if len(r.Frames) != tt.frames {
				t.Fatalf("%d frames, want %d", len(r.Frames), tt.frames)
			}
			for _, f := range r.Frames {
				if f.Meta == nil || f.Meta.Type != tt.typ || f.Meta.ExecutedQueryString == "" {
					t.Fatalf("frame meta %+v, want type %s and the calls made", f.Meta, tt.typ)
				}
			}
			if tt.check != nil {
				tt.check(t, r.Frames)
			}
		})
	}
}

// TestUsageRequestsTotalEqualsLogRows cross-checks two endpoints over the
// same range and filter, for every enterprise (their rows come in all the
// shapes the sandbox serves: both spellings, objects and bare ids).
func TestUsageRequestsTotalEqualsLogRows(t *testing.T) {
	cfg := sandbox.Config{}
	_, base := startSandbox(t, cfg)
	ds := usageDataSource("usage-crosscheck", base)
	from, to := usageRange(3*24*time.Hour + 17*time.Minute)
	var models []map[string]any
	for _, e := range sandbox.PulseEnterprises() {
		models = append(models,
			map[string]any{"report": "requests", "enterpriseId": e.ID},
			map[string]any{"report": "logs", "enterpriseId": e.ID, "limit": 5000})
	}
	resp := usageQuery(t, ds, from, to, models...)
	for i, e := range sandbox.PulseEnterprises() {
		req, logs := resp[strconv.Itoa(2*i)], resp[strconv.Itoa(2*i+1)]
		if req.Error != nil || logs.Error != nil {
			t.Fatalf("%s: %v / %v", e.ID, req.Error, logs.Error)
		}
		ids, _ := req.Frames[0].FieldByName("enterprise")
		if req.Frames[0].Rows() != 1 || ids.At(0) != e.ID {
			t.Fatalf("%s: requests report rows %v", e.ID, ids)
		}
		total := int(sumField(t, req.Frames, "totalRequests"))
		entCol, _ := logs.Frames[0].FieldByName("enterprise")
		for j := range entCol.Len() {
			if entCol.At(j) != e.ID {
				t.Fatalf("%s: log row %d belongs to %v", e.ID, j, entCol.At(j))
			}
		}
		want := sandbox.PulseRowCount(cfg, e.ID, from, to)
		if total != logs.Frames[0].Rows() || total != want || want == 0 {
			t.Errorf("%s: totalRequests %d, logs rows %d, sandbox count %d", e.ID, total, logs.Frames[0].Rows(), want)
		}
	}
}

// TestUsageLargeLogsQueryIsComplete reads 85 days of logs (204,000 rows, 41
// pages of 5,000) through its own plugin process, checks that every row
// arrived in order, and that the process's peak memory grew by at most three
// times the raw bytes Pulse sent. The bound is on the whole process: besides
// the decoded rows (≈0.4× the answers) it holds the pages in flight and the
// SDK's Arrow and protobuf encodings of the answer (2.5× measured).
func TestUsageLargeLogsQueryIsComplete(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 204,000 rows")
	}
	cfg := sandbox.Config{}
	_, base := startSandbox(t, cfg)
	h := launchOwn(t)
	defer h.Close()
	ds := usageDataSource("usage-large", base)
	ds.JSONData["maxPages"] = 100
	from, to := usageRange(85 * 24 * time.Hour)

	// A first small query sets up what every query shares (connections,
	// gRPC and Arrow buffers); the large one is measured from there.
	if _, err := h.QueryData(ctxT(t), ds, Query{RefID: "A", QueryType: "usage",
		JSON: map[string]any{"report": "logs", "limit": 5000}, From: to.Add(-time.Hour), To: to}); err != nil {
		t.Fatal(err)
	}
	baseline, _ := processMemory(t, h.PID())

	want := sandbox.PulseRowCount(cfg, "", from, to)
	if want < 200_000 {
		t.Fatalf("the sandbox holds only %d rows over 85 days", want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := h.QueryData(ctx, ds, Query{RefID: "A", QueryType: "usage",
		JSON: map[string]any{"report": "logs", "limit": 5000}, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	r := resp.Responses["A"]
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	f := r.Frames[0]
	if f.Rows() != want {
		t.Fatalf("%d rows, the sandbox holds %d", f.Rows(), want)
	}
	if len(f.Meta.Notices) != 0 {
		t.Errorf("a complete answer carries notices %+v", f.Meta.Notices)
	}
	times, _ := f.FieldByName("time")
	for i := 1; i < times.Len(); i++ {
		if !times.At(i).(time.Time).After(times.At(i - 1).(time.Time)) {
			t.Fatalf("row %d is not after row %d: pages out of order", i, i-1)
		}
	}
	pages := (want + 4999) / 5000
	if want%5000 == 0 {
		pages++ // an empty last page ends the walk
	}
	if !strings.Contains(f.Meta.ExecutedQueryString, fmt.Sprintf("%d pages of 5000 rows at most, %d rows read", pages, want)) {
		t.Errorf("ExecutedQueryString:\n%s", f.Meta.ExecutedQueryString)
	}

	raw := rawLogBytes(t, base, from, to, pages)
	_, peak := processMemory(t, h.PID())
	t.Logf("%d rows, %d pages in %v; raw answers %d MiB; plugin peak RSS %d MiB (%d MiB before), %.1f× the answers",
		want, pages, elapsed.Round(time.Millisecond), raw>>20, peak>>20, baseline>>20, float64(peak-baseline)/float64(raw))
	if peak-baseline > 3*raw {
		t.Errorf("the plugin grew by %d MiB for %d MiB of answers: more than three times", (peak-baseline)>>20, raw>>20)
	}
}

// rawLogBytes fetches the same pages straight from the sandbox and adds up
// the size of its answers.
func rawLogBytes(t *testing.T, base string, from, to time.Time, pages int) int64 {
	t.Helper()
	var total int64
	for p := 1; p <= pages; p++ {
		q := url.Values{"startDate": {from.Format("2006-01-02T15:04:05.000Z")}, "endDate": {to.Format("2006-01-02T15:04:05.000Z")},
			"page": {strconv.Itoa(p)}, "limit": {"5000"}}
		req, _ := http.NewRequest(http.MethodGet, base+sandbox.PulsePrefix+"/stats?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.PulseToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		total += n
	}
	return total
}

// TestUsageFailingPageIsNamed makes page 3 of the logs fail: the query fails
// naming page 3 and shows nothing; a failure the plugin retries past leaves
// the answer complete.
func TestUsageFailingPageIsNamed(t *testing.T) {
	cfg := sandbox.Config{}
	sb, base := startSandbox(t, cfg)
	ds := usageDataSource("usage-failing-page", base)
	ds.JSONData["cacheTTLSeconds"] = 0
	from, to := usageRange(24 * time.Hour) // 2,400 rows: 5 pages of 500
	want := sandbox.PulseRowCount(cfg, "", from, to)

	for _, report := range []string{"logs", "latency"} {
		t.Run(report+" fails", func(t *testing.T) {
			sb.ClearFaults()
			sb.AddFault(sandbox.Fault{API: sandbox.APIPulse, Path: "/stats", Query: "page=3&", Kind: sandbox.FaultStatus, Status: 500})
			r := usageQuery(t, ds, from, to, map[string]any{"report": report})["0"]
			partial := map[string]string{"logs": "table", "latency": "series"}[report]
			if r.Error == nil || len(r.Frames) != 0 {
				t.Fatalf("want an error and no frames, got %d frames, error %v", len(r.Frames), r.Error)
			}
			for _, w := range []string{"Pulse failed on page 3 of the logs", "500 Internal Server Error", "try again later",
				"no partial " + partial + " is shown"} {
				if !strings.Contains(r.Error.Error(), w) {
					t.Errorf("error %q lacks %q", r.Error, w)
				}
			}
			if r.Status != backend.StatusBadGateway || r.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("status %d source %s", r.Status, r.ErrorSource)
			}
		})
	}

	t.Run("a 503 on page 3 is retried", func(t *testing.T) {
		sb.ClearFaults()
		sb.AddFault(sandbox.Fault{API: sandbox.APIPulse, Path: "/stats", Query: "page=3&", Kind: sandbox.FaultStatus, Status: 503, Times: 1})
		defer sb.ClearFaults()
		r := usageQuery(t, ds, from, to, map[string]any{"report": "logs"})["0"]
		if r.Error != nil || r.Frames[0].Rows() != want {
			t.Fatalf("want all %d rows, got error %v", want, r.Error)
		}
	})
}

// TestUsageCapNotice stops at maxPages and says so.
func TestUsageCapNotice(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := usageDataSource("usage-cap", base)
	ds.JSONData["maxPages"] = 2
	from, to := usageRange(24 * time.Hour)
	r := usageQuery(t, ds, from, to, map[string]any{"report": "logs", "limit": 300})["0"]
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	f := r.Frames[0]
	want := "the answer was cut after 2 pages (600 rows); narrow the range or raise maxPages"
	if f.Rows() != 600 || len(f.Meta.Notices) != 1 || f.Meta.Notices[0].Text != want || f.Meta.Notices[0].Severity != data.NoticeSeverityWarning {
		t.Errorf("%d rows, notices %+v; want 600 rows and a warning %q", f.Rows(), f.Meta.Notices, want)
	}
}

func TestUsageResources(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := usageDataSource("usage-resources", base)
	var enterprises, devices, acmeDevices []string
	for _, e := range sandbox.PulseEnterprises() {
		enterprises = append(enterprises, e.ID+"="+e.Name)
	}
	for _, d := range sandbox.PulseDevices() {
		devices = append(devices, d.ID+"="+d.Name)
		if d.EnterpriseID == "ent-acme" {
			acmeDevices = append(acmeDevices, d.ID+"="+d.Name)
		}
	}
	var routes []string
	for _, r := range sandbox.PulseRoutes() {
		routes = append(routes, r+"="+r)
	}
	tests := []struct {
		route string
		want  []string
	}{
		{"usage/enterprises", enterprises},
		{"usage/devices", devices},
		{"usage/devices?enterpriseId=ent-acme", acmeDevices},
		{"usage/routes", routes},
	}
	for _, tt := range tests {
		t.Run(tt.route, func(t *testing.T) {
			res, err := host.CallResource(ctxT(t), ds, "GET", tt.route)
			if err != nil {
				t.Fatal(err)
			}
			var opts []struct{ Value, Text string }
			if res.Status != 200 || json.Unmarshal(res.Body, &opts) != nil {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			var got []string
			for i, o := range opts {
				got = append(got, o.Value+"="+o.Text)
				if i > 0 && strings.ToLower(opts[i-1].Text) > strings.ToLower(o.Text) {
					t.Errorf("not sorted by text: %q before %q", opts[i-1].Text, o.Text)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestUsageRevokedTokenSaysSo(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := usageDataSource("usage-revoked", base)
	ds.Secure["pulseToken"] = sandbox.PulseTokenRevoked
	from, to := usageRange(time.Hour)
	r := usageQuery(t, ds, from, to, map[string]any{"report": "requests"})["0"]
	want := "Pulse refused the token (403 Forbidden: Token revoked) — check the Pulse token (pulseToken)"
	if r.Error == nil || !strings.Contains(r.Error.Error(), want) || r.Status != backend.StatusForbidden {
		t.Errorf("got %d %v, want 403 %q", r.Status, r.Error, want)
	}
	res, err := host.CallResource(ctxT(t), ds, "GET", "usage/routes")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 403 || !strings.Contains(string(res.Body), "Token revoked") {
		t.Errorf("resource: %d %s", res.Status, res.Body)
	}
}
