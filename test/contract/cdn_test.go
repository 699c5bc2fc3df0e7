package contract

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// The CDN bandwidth source through the built binary, against the sandbox's
// OnApp (server zone Europe/Paris, as the data source is configured).

// cdnPoint identifies one value of a CDN answer.
type cdnPoint struct {
	traffic, group string
	at             int64 // Unix ms
}

// cdnValues maps every point of the frames to its value; dim is the group
// label ("location", "resource" or "").
func cdnValues(t *testing.T, frames data.Frames, dim string) map[cdnPoint]float64 {
	t.Helper()
	out := map[cdnPoint]float64{}
	for _, f := range frames {
		if len(f.Fields) == 0 {
			continue
		}
		tf, vf := f.Fields[0], f.Fields[1]
		for i := 0; i < vf.Len(); i++ {
			p := cdnPoint{vf.Labels["traffic"], vf.Labels[dim], tf.At(i).(time.Time).UnixMilli()}
			out[p] = vf.At(i).(float64)
		}
	}
	return out
}

// expectedCDN recomputes the sandbox's answer with its exported helpers:
// every Paris midnight in [start, end) that is not in the future belongs to
// the bucket start + k·step containing it; a bucket's value is the sum of
// its days over the resources and locations asked. Grouped answers leave
// out a group whose figures are both zero.
func expectedCDN(start, end time.Time, step time.Duration, locations []int, groupByLocation bool) map[cdnPoint]float64 {
	type key struct {
		group string
		at    int64
	}
	sums := map[key][2]float64{}
	zone := sandbox.OnAppZone()
	y, m, d := start.In(zone).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, zone)
	if day.Before(start) {
		day = day.AddDate(0, 0, 1)
	}
	for ; day.Before(end); day = day.AddDate(0, 0, 1) {
		if day.After(time.Now()) {
			continue
		}
		stamp := start.Add(time.Duration(day.Sub(start)/step) * step).UnixMilli()
		for _, r := range sandbox.OnAppResources() {
			for _, loc := range locations {
				c, nc := sandbox.OnAppDailyGB(r.Reference, loc, day)
				k := key{"", stamp}
				if groupByLocation {
					k.group = fmt.Sprint(loc)
				}
				s := sums[k]
				sums[k] = [2]float64{s[0] + c, s[1] + nc}
			}
		}
	}
	out := map[cdnPoint]float64{}
	for k, s := range sums {
		if groupByLocation && s[0] == 0 && s[1] == 0 {
			continue
		}
		out[cdnPoint{"cached", k.group, k.at}] = s[0]
		out[cdnPoint{"non_cached", k.group, k.at}] = s[1]
	}
	return out
}

func sameValues(t *testing.T, got, want map[cdnPoint]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d points, want %d", len(got), len(want))
	}
	for p, w := range want {
		g, ok := got[p]
		if !ok {
			t.Errorf("missing point %+v (want %v)", p, w)
			continue
		}
		if math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("point %+v = %v, want %v", p, g, w)
		}
	}
}

// cdnRange is a past range starting at 06:00 Paris time, so that buckets
// and days do not share boundaries.
func cdnRange(daysAgo, days int) (from, to time.Time) {
	zone := sandbox.OnAppZone()
	y, m, d := time.Now().In(zone).AddDate(0, 0, -daysAgo).Date()
	from = time.Date(y, m, d, 6, 0, 0, 0, zone)
	return from, from.AddDate(0, 0, days)
}

func cdnQuery(t *testing.T, ds DataSource, model map[string]any, from, to time.Time) backend.DataResponse {
	t.Helper()
	resp, err := host.QueryData(ctxT(t), ds, Query{RefID: "A", QueryType: "cdnBandwidth", JSON: model, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["A"]
	if r.Error != nil {
		t.Fatalf("query failed: %v", r.Error)
	}
	return r
}

// TestCDNGroupedByLocation: one frame per (traffic, location), with the
// data plane's type, the labels, units and names, and the sandbox's own
// daily sums as values.
func TestCDNGroupedByLocation(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("cdn-grouped", base)
	from, to := cdnRange(15, 7)
	r := cdnQuery(t, ds, map[string]any{"type": "GB", "groupBy": "location", "locations": []string{"532", "331"}}, from, to)

	var series []string
	for _, f := range r.Frames {
		if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesMulti || f.Meta.TypeVersion != (data.FrameTypeVersion{0, 1}) {
			t.Fatalf("frame meta %+v, want timeseries-multi 0.1", f.Meta)
		}
		if len(f.Fields) != 2 || f.Fields[0].Name != "time" || f.Fields[1].Type() != data.FieldTypeFloat64 {
			t.Fatalf("fields %v, want time and a float64 value", f.Fields)
		}
		v := f.Fields[1]
		if v.Config.Unit != "decgbytes" || f.Fields[0].Config.Interval != 86400000 {
			t.Errorf("unit %q interval %v, want decgbytes and a day", v.Config.Unit, f.Fields[0].Config.Interval)
		}
		if len(v.Labels) != 2 {
			t.Errorf("labels %v, want traffic and location", v.Labels)
		}
		series = append(series, v.Labels["traffic"]+"/"+v.Labels["location"]+"="+v.Config.DisplayNameFromDS)
	}
	want := []string{"cached/331=London cached", "cached/532=Paris cached", "non_cached/331=London non_cached", "non_cached/532=Paris non_cached"}
	if !slices.Equal(series, want) {
		t.Errorf("series %v, want %v", series, want)
	}
	sameValues(t, cdnValues(t, r.Frames, "location"), expectedCDN(from, to, 24*time.Hour, []int{532, 331}, true))
	if q := r.Frames[0].Meta.ExecutedQueryString; !strings.Contains(q, "/cdn_resources/bandwidth.json?") || !strings.Contains(q, `"group_by":"location"`) {
		t.Errorf("ExecutedQueryString %q", q)
	}
}

// TestCDNWeeklySums: a 60-day range gives weekly sums, said in a notice and
// in the time field's interval.
func TestCDNWeeklySums(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	from, to := cdnRange(70, 60)
	r := cdnQuery(t, sandboxDataSource("cdn-weekly", base), map[string]any{"type": "GB"}, from, to)
	if len(r.Frames) != 2 {
		t.Fatalf("%d frames, want cached and non_cached", len(r.Frames))
	}
	for _, f := range r.Frames {
		if f.Fields[0].Config.Interval != 7*86400000 {
			t.Errorf("interval %v, want a week", f.Fields[0].Config.Interval)
		}
		if len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "sum of 7 days") {
			t.Errorf("notices %v", f.Meta.Notices)
		}
	}
	locations := []int{}
	for _, l := range sandbox.OnAppLocations() {
		locations = append(locations, l.ID)
	}
	sameValues(t, cdnValues(t, r.Frames, ""), expectedCDN(from, to, 7*24*time.Hour, locations, false))
}

// TestCDNSameAnswerEverywhere: one query answers the same frames from the
// legacy and reports routes, in JSON and XML, and when a proxy drops the
// GET body (the sandbox's ignoreBody fault) so that only the query string
// arrives.
func TestCDNSameAnswerEverywhere(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	from, to := cdnRange(12, 9)
	model := map[string]any{"type": "GB", "groupBy": "location", "locations": []string{"532", "331", "615"}, "resources": []string{"977655738", "725618714"}, "noCache": true}
	variants := []struct {
		name, api, format string
		ignoreBody        bool
	}{
		{"legacy json", "legacy", "json", false},
		{"legacy xml", "legacy", "xml", false},
		{"reports json", "reports", "json", false},
		{"reports xml", "reports", "xml", false},
		{"legacy json without body", "legacy", "json", true},
		{"reports json without body", "reports", "json", true},
	}
	var reference string
	for i, v := range variants {
		ds := sandboxDataSource(fmt.Sprintf("cdn-same-%d", i), base)
		ds.JSONData["onappApi"], ds.JSONData["onappFormat"] = v.api, v.format
		if v.ignoreBody {
			sb.AddFault(sandbox.Fault{API: sandbox.APIOnApp, Path: "bandwidth", Kind: sandbox.FaultIgnoreBody, Times: 1})
		}
		r := cdnQuery(t, ds, model, from, to)
		if v.ignoreBody && len(sb.Faults()) != 0 {
			t.Fatalf("%s: the bandwidth call did not go through the ignoreBody fault", v.name)
		}
		for _, f := range r.Frames {
			f.Meta.ExecutedQueryString = ""
		}
		got, err := json.Marshal(r.Frames)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			reference = string(got)
			if len(r.Frames) != 6 {
				t.Fatalf("%d frames, want one per (traffic, location)", len(r.Frames))
			}
			continue
		}
		if string(got) != reference {
			t.Errorf("%s answered other frames than %s", v.name, variants[0].name)
		}
	}
}

// TestCDNMBPSOverTwelveDaysClamps: MBPS rates exist for 10 days only; a
// 12-day range is asked from 10 days back, with a warning saying so.
func TestCDNMBPSOverTwelveDaysClamps(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	now := time.Now()
	r := cdnQuery(t, sandboxDataSource("cdn-mbps", base), map[string]any{"type": "MBPS"}, now.Add(-12*24*time.Hour), now)
	oldest := now.Add(-10 * 24 * time.Hour)
	if len(r.Frames) != 2 {
		t.Fatalf("%d frames, want cached and non_cached", len(r.Frames))
	}
	for _, f := range r.Frames {
		if len(f.Meta.Notices) != 1 || f.Meta.Notices[0].Severity != data.NoticeSeverityWarning || !strings.Contains(f.Meta.Notices[0].Text, "last 10 days only") {
			t.Errorf("notices %v, want the 10-day warning", f.Meta.Notices)
		}
		if f.Fields[1].Config.Unit != "Mbits" {
			t.Errorf("unit %q, want Mbits", f.Fields[1].Config.Unit)
		}
		if first := f.Fields[0].At(0).(time.Time); first.Before(oldest.Add(-time.Minute)) {
			t.Errorf("first point %v is older than 10 days", first)
		}
	}
	// The plugin read its own clock a moment after the test did.
	q := r.Frames[0].Meta.ExecutedQueryString
	ok := false
	for _, shift := range []time.Duration{0, time.Minute} {
		start := oldest.Add(shift).Truncate(time.Minute).Add(time.Minute).In(sandbox.OnAppZone()).Format("2006-01-02T15:04")
		ok = ok || strings.Contains(q, `"start":"`+start+`"`)
	}
	if !ok {
		t.Errorf("ExecutedQueryString %q should start 10 days back", q)
	}
}

// TestCDNResources: the editor's lists, sorted by text.
func TestCDNResources(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("cdn-resources", base)
	var wantResources, wantLocations []string
	for _, r := range sandbox.OnAppResources() {
		wantResources = append(wantResources, fmt.Sprintf("%d=%s", r.Reference, r.Hostname))
	}
	for _, l := range sandbox.OnAppLocations() {
		wantLocations = append(wantLocations, fmt.Sprintf("%d=%s, %s", l.ID, l.City, l.Country))
	}
	for route, want := range map[string][]string{"cdn/resources": wantResources, "cdn/locations": wantLocations} {
		res, err := host.CallResource(ctxT(t), ds, "GET", route)
		if err != nil {
			t.Fatal(err)
		}
		var opts []struct{ Value, Text string }
		if err := json.Unmarshal(res.Body, &opts); err != nil || res.Status != 200 {
			t.Fatalf("%s: %d %s", route, res.Status, res.Body)
		}
		var got []string
		for _, o := range opts {
			got = append(got, o.Value+"="+o.Text)
		}
		slices.SortFunc(want, func(a, b string) int { return strings.Compare(a[strings.Index(a, "="):], b[strings.Index(b, "="):]) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", route, got, want)
		}
	}
}

// TestCDNPermissionAndRouteErrors: the plain-words messages arrive through
// gRPC: a user without the statistics permission, and a legacy route that
// is gone.
func TestCDNPermissionAndRouteErrors(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	from, to := cdnRange(3, 2)

	readonly := sandboxDataSource("cdn-readonly", base)
	readonly.JSONData["onappUser"] = sandbox.OnAppReadOnlyUser
	readonly.Secure["onappApiKey"] = sandbox.OnAppReadOnlyAPIKey
	cases := []struct {
		name   string
		ds     DataSource
		fault  *sandbox.Fault
		status backend.Status
		want   string
	}{
		{"readonly", readonly, nil, backend.StatusForbidden, "lacks the CDN statistics permission"},
		{"legacy gone", sandboxDataSource("cdn-gone", base),
			&sandbox.Fault{API: sandbox.APIOnApp, Path: "/cdn_resources/bandwidth", Kind: sandbox.FaultStatus, Status: 404},
			backend.StatusNotFound, "set onappApi to reports"},
	}
	for _, c := range cases {
		if c.fault != nil {
			sb.AddFault(*c.fault)
		}
		resp, err := host.QueryData(ctxT(t), c.ds, Query{RefID: "A", QueryType: "cdnBandwidth", JSON: map[string]any{}, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.Responses["A"]
		if r.Status != c.status || r.Error == nil || !strings.Contains(r.Error.Error(), c.want) {
			t.Errorf("%s: %d %v, want %d with %q", c.name, r.Status, r.Error, c.status, c.want)
		}
	}
}
