package onapp

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/models"
)

// goldenCases are the testdata cases: <name>.query.json asked of a fake
// OnApp that answers <name>.upstream.json|xml, compared with
// <name>.golden.jsonc (rewritten with testutil.UpdateGoldenEnv).
var goldenCases = []struct {
	name     string
	jsonData map[string]any
	path     string // the bandwidth route the case must call; "" for none
}{
	// The two XML answers of the OnApp documentation, verbatim. The
	// documentation's server is at +02:00 in November: Europe/Athens.
	{"doc_grouped_resource", map[string]any{"onappFormat": "xml", "onappTimeZone": "Europe/Athens"}, "/cdn_resources/bandwidth.xml"},
	{"doc_ungrouped", map[string]any{"onappFormat": "xml", "onappTimeZone": "Europe/Athens"}, "/cdn_resources/bandwidth.xml"},
	{"ungrouped_json", nil, "/cdn_resources/bandwidth.json"},
	{"grouped_location_json", nil, "/cdn_resources/bandwidth.json"},
	{"numeric_strings_json", nil, "/cdn_resources/bandwidth.json"},
	{"reports_json", map[string]any{"onappApi": "reports"}, "/cdn/reports/bandwidth_statistics"},
	{"reports_xml", map[string]any{"onappApi": "reports", "onappFormat": "xml"}, "/cdn/reports/bandwidth_statistics.xml"},
	{"weekly_json", nil, "/cdn_resources/bandwidth.json"},
	{"mbps_clamped_json", nil, "/cdn_resources/bandwidth.json"},
	{"mbps_too_old", nil, ""},
}

func TestGolden(t *testing.T) {
	var names []string
	for _, tc := range goldenCases {
		names = append(names, tc.name)
	}
	testutil.Golden(t, "testdata", names, func(t *testing.T, name string) backend.DataResponse {
		tc := goldenCases[slices.Index(names, name)]
		fake := newFakeOnApp(t)
		if tc.path != "" {
			fake.handle(tc.path, serveFile(t, upstreamFile(t, tc.name)))
		}
		src := newTestSource(t, fake.URL, tc.jsonData)

		resp := src.HandleQuery(ctxT(t), loadQuery(t, tc.name))
		if resp.Error != nil {
			t.Fatalf("query failed: %v", resp.Error)
		}
		for _, f := range resp.Frames {
			if strings.Contains(f.Meta.ExecutedQueryString, testKey) {
				t.Fatalf("the API key leaked into ExecutedQueryString: %s", f.Meta.ExecutedQueryString)
			}
		}
		testutil.ReplaceInExecuted(&resp, fake.URL, "https://onapp.test")

		calls := 0
		for _, r := range fake.all() {
			if r.Path != resourcesPath && r.Path != edgeGroupsPath {
				calls++
				if r.Path != tc.path {
					t.Errorf("called %s, want %s", r.Path, tc.path)
				}
			}
		}
		if want := map[bool]int{true: 1, false: 0}[tc.path != ""]; calls != want {
			t.Errorf("%d bandwidth calls, want %d", calls, want)
		}
		return resp
	})
}

func upstreamFile(t *testing.T, name string) string {
	t.Helper()
	for _, ext := range []string{".upstream.json", ".upstream.xml"} {
		p := filepath.Join("testdata", name+ext)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("no testdata/%s.upstream.json|xml", name)
	return ""
}

// TestOutgoingRequest checks the bandwidth request itself for each API
// flavour and format: method, path, the exact JSON body, the exact query
// string carrying the same parameters, basic auth and the media types.
func TestOutgoingRequest(t *testing.T) {
	const (
		wantBody  = `{"bandwidth":{"start":"2014-11-25T18:25","end":"2014-11-27T11:43","resources":[977655738,389478438,725618714],"locations":[532,331],"type":"GB","group_by":"location"}}`
		wantQuery = "bandwidth%5Bend%5D=2014-11-27T11%3A43&bandwidth%5Bgroup_by%5D=location&bandwidth%5Blocations%5D%5B%5D=532&bandwidth%5Blocations%5D%5B%5D=331" +
			"&bandwidth%5Bresources%5D%5B%5D=977655738&bandwidth%5Bresources%5D%5B%5D=389478438&bandwidth%5Bresources%5D%5B%5D=725618714" +
			"&bandwidth%5Bstart%5D=2014-11-25T18%3A25&bandwidth%5Btype%5D=GB"
	)
	cases := []struct {
		api, format, path, accept string
	}{
		{"legacy", "json", "/cdn_resources/bandwidth.json", "application/json"},
		{"legacy", "xml", "/cdn_resources/bandwidth.xml", "application/xml"},
		{"reports", "json", "/cdn/reports/bandwidth_statistics", "application/json"},
		{"reports", "xml", "/cdn/reports/bandwidth_statistics.xml", "application/xml"},
	}
	for _, tc := range cases {
		t.Run(tc.api+"_"+tc.format, func(t *testing.T) {
			fake := newFakeOnApp(t)
			fake.handle(tc.path, func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, "application/json", "[]") })
			src := newTestSource(t, fake.URL, map[string]any{"onappApi": tc.api, "onappFormat": tc.format, "onappTimeZone": "Europe/Athens"})

			// The documented example's range, 18:25 to 11:43 at +02:00, with
			// seconds Grafana adds, which the minute-precision form drops.
			from := time.Date(2014, 11, 25, 16, 25, 42, 0, time.UTC)
			to := time.Date(2014, 11, 27, 9, 43, 7, 0, time.UTC)
			resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{
				"type": "GB", "groupBy": "location", "resources": []string{"977655738", "389478438", "725618714"}, "locations": []string{"532", "331"},
			}, from, to))
			if resp.Error != nil {
				t.Fatal(resp.Error)
			}
			got := fake.requests(tc.path)
			if len(got) != 1 {
				t.Fatalf("%d requests to %s, want 1", len(got), tc.path)
			}
			r := got[0]
			if r.Method != http.MethodGet {
				t.Errorf("method %s, want GET", r.Method)
			}
			if r.Body != wantBody {
				t.Errorf("body\n got %s\nwant %s", r.Body, wantBody)
			}
			if r.RawQuery != wantQuery {
				t.Errorf("query\n got %s\nwant %s", r.RawQuery, wantQuery)
			}
			wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testKey))
			for h, want := range map[string]string{"Authorization": wantAuth, "Content-Type": "application/json", "Accept": tc.accept} {
				if g := r.Header.Get(h); g != want {
					t.Errorf("%s: %q, want %q", h, g, want)
				}
			}
			executed := resp.Frames[0].Meta.ExecutedQueryString
			if !strings.Contains(executed, tc.path+"?"+wantQuery) || !strings.Contains(executed, wantBody) || strings.Contains(executed, testKey) {
				t.Errorf("ExecutedQueryString %q should name the call and its body, without the key", executed)
			}
		})
	}
}

// TestEmptyFiltersAreLeftOut: no resources and no locations mean all of
// them, and nothing is sent for them; no grouping sends no group_by.
func TestEmptyFiltersAreLeftOut(t *testing.T) {
	fake := newFakeOnApp(t)
	fake.handle("/cdn_resources/bandwidth.json", func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, "application/json", "[]") })
	src := newTestSource(t, fake.URL, nil)
	from := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{}, from, from.Add(24*time.Hour)))
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	r := fake.requests("/cdn_resources/bandwidth.json")[0]
	if want := `{"bandwidth":{"start":"2024-06-01T02:00","end":"2024-06-02T02:00","type":"GB"}}`; r.Body != want {
		t.Errorf("body %s, want %s", r.Body, want)
	}
	if want := "bandwidth%5Bend%5D=2024-06-02T02%3A00&bandwidth%5Bstart%5D=2024-06-01T02%3A00&bandwidth%5Btype%5D=GB"; r.RawQuery != want {
		t.Errorf("query %s, want %s", r.RawQuery, want)
	}
}

// bodyOrQueryOnly answers from the parameters of one transport only: the
// JSON body, or the query string. Each stat echoes what it was asked, so a
// parameter lost on the way changes the frames.
func bodyOrQueryOnly(t *testing.T, fromBody bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Start, End, Type, GroupBy string
			Resources, Locations      []string
		}
		if fromBody {
			var doc struct {
				Bandwidth struct {
					Start     string        `json:"start"`
					End       string        `json:"end"`
					Type      string        `json:"type"`
					GroupBy   string        `json:"group_by"`
					Resources []json.Number `json:"resources"`
					Locations []json.Number `json:"locations"`
				} `json:"bandwidth"`
			}
			if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
				writeBody(w, 400, "application/json", `{"errors":["no body"]}`)
				return
			}
			b := doc.Bandwidth
			p.Start, p.End, p.Type, p.GroupBy = b.Start, b.End, b.Type, b.GroupBy
			for _, n := range b.Resources {
				p.Resources = append(p.Resources, n.String())
			}
			for _, n := range b.Locations {
				p.Locations = append(p.Locations, n.String())
			}
		} else {
			q := r.URL.Query()
			p.Start, p.End, p.Type, p.GroupBy = q.Get("bandwidth[start]"), q.Get("bandwidth[end]"), q.Get("bandwidth[type]"), q.Get("bandwidth[group_by]")
			p.Resources, p.Locations = q["bandwidth[resources][]"], q["bandwidth[locations][]"]
		}
		if p.Start == "" || p.End == "" || p.Type != "GB" || p.GroupBy != "location" {
			writeBody(w, 422, "application/json", `{"errors":{"start":["is missing"]}}`)
			return
		}
		var groups []any
		for _, l := range p.Locations {
			groups = append(groups, map[string]any{"location": map[string]any{l: map[string]any{"cached": len(p.Resources), "non_cached": l}}})
		}
		stats := []any{
			map[string]any{"stat": map[string]any{"date": p.Start, "locations": groups}},
			map[string]any{"stat": map[string]any{"date": p.End, "locations": groups}},
		}
		body, _ := json.Marshal(stats)
		writeBody(w, 200, "application/json", string(body))
	}
}

// TestBodyAndQueryTransports: the same query gives the same frames from a
// server that reads only the body and from one that reads only the query
// string (a proxy that drops GET bodies).
func TestBodyAndQueryTransports(t *testing.T) {
	from := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	model := map[string]any{"groupBy": "location", "resources": []string{"977655738", "389478438"}, "locations": []string{"532", "331"}}
	frames := map[bool]data.Frames{}
	for _, fromBody := range []bool{true, false} {
		fake := newFakeOnApp(t)
		fake.handle("/cdn_resources/bandwidth.json", bodyOrQueryOnly(t, fromBody))
		src := newTestSource(t, fake.URL, nil)
		resp := src.HandleQuery(ctxT(t), dataQuery(t, model, from, from.Add(48*time.Hour)))
		if resp.Error != nil {
			t.Fatalf("fromBody=%v: %v", fromBody, resp.Error)
		}
		for _, f := range resp.Frames {
			f.Meta.ExecutedQueryString = ""
		}
		frames[fromBody] = resp.Frames
	}
	want := map[string][]float64{"cached/331": {2, 2}, "cached/532": {2, 2}, "non_cached/331": {331, 331}, "non_cached/532": {532, 532}}
	for fromBody, fs := range frames {
		got := seriesValues(fs, "location")
		if !equalSeries(got, want) {
			t.Errorf("fromBody=%v: series %v, want %v", fromBody, got, want)
		}
	}
	if b, _ := json.Marshal(frames[true]); string(b) != mustJSON(t, frames[false]) {
		t.Error("the two transports gave different frames")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seriesValues maps "traffic/<group>" to a frame's values.
func seriesValues(fs data.Frames, dim string) map[string][]float64 {
	out := map[string][]float64{}
	for _, f := range fs {
		if len(f.Fields) != 2 {
			continue
		}
		v := f.Fields[1]
		key := v.Labels["traffic"]
		if dim != "" {
			key += "/" + v.Labels[dim]
		}
		for i := 0; i < v.Len(); i++ {
			out[key] = append(out[key], v.At(i).(float64))
		}
	}
	return out
}

func equalSeries(a, b map[string][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv := b[k]
		if len(av) != len(bv) {
			return false
		}
		for i := range av {
			if av[i] != bv[i] {
				return false
			}
		}
	}
	return true
}

// TestBadQueries: a malformed model or range is a 400 naming the fault,
// and no call is made.
func TestBadQueries(t *testing.T) {
	from := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		model    map[string]any
		from, to time.Time
		want     string
	}{
		{"unknown type", map[string]any{"type": "TB"}, from, from.Add(time.Hour), `type: unknown value "TB"`},
		{"unknown grouping", map[string]any{"groupBy": "country"}, from, from.Add(time.Hour), `groupBy: unknown value "country"`},
		{"resource not a reference", map[string]any{"resources": []string{"static.example.com"}}, from, from.Add(time.Hour), "is not a CDN reference"},
		{"locations not a list", map[string]any{"locations": "532"}, from, from.Add(time.Hour), `field "locations" should be a list`},
		{"location not an id", map[string]any{"locations": []string{"Paris"}}, from, from.Add(time.Hour), "is not a location id"},
		{"empty range", map[string]any{}, from, from, "the time range is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeOnApp(t)
			src := newTestSource(t, fake.URL, nil)
			resp := src.HandleQuery(ctxT(t), dataQuery(t, tc.model, tc.from, tc.to))
			if resp.Status != backend.StatusBadRequest || resp.Error == nil || !strings.Contains(resp.Error.Error(), tc.want) {
				t.Fatalf("got %d %v, want 400 with %q", resp.Status, resp.Error, tc.want)
			}
			if resp.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("error source %q, want downstream", resp.ErrorSource)
			}
			if seen := fake.all(); len(seen) != 0 {
				t.Errorf("a bad query called OnApp: %v", seen)
			}
		})
	}
}

// TestSeriesNamesSurviveAMissingList: when the locations list fails, the
// grouped series keep their ids as names and the query still answers.
func TestSeriesNamesSurviveAMissingList(t *testing.T) {
	fake := newFakeOnApp(t)
	fake.handle(edgeGroupsPath, func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 500, "text/html", "<html>oops</html>") })
	fake.handle("/cdn_resources/bandwidth.json", serveFile(t, "testdata/grouped_location_json.upstream.json"))
	src := newTestSource(t, fake.URL, nil)
	resp := src.HandleQuery(ctxT(t), loadQuery(t, "grouped_location_json"))
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	var names []string
	for _, f := range resp.Frames {
		names = append(names, f.Fields[1].Config.DisplayNameFromDS)
	}
	if want := "207 cached,331 cached,532 cached,207 non_cached,331 non_cached,532 non_cached"; strings.Join(names, ",") != want {
		t.Errorf("names %v, want %s", names, want)
	}
	if strings.Contains(resp.Frames[0].Meta.ExecutedQueryString, edgeGroupsPath) {
		t.Error("the names' call should not be in ExecutedQueryString")
	}
}

// TestUndecodableAnswers: 2xx answers that are not statistics are errors
// that say what was received.
func TestUndecodableAnswers(t *testing.T) {
	cases := []struct {
		name, contentType, body, want string
	}{
		{"html page", "text/html", "<html><body>Sign in</body></html>", "text/html page instead of API data"},
		{"truncated json", "application/json", `[{"stat": {"date": "2024-06-01T00:00:00+02:00", "cach`, "truncated answer"},
		{"truncated xml", "application/xml", `<stats type="array"><stat><date>2024-06-01T00:00:00+02:00</date>`, "truncated"},
		{"not a number", "application/json", `[{"stat": {"date": "2024-06-01T00:00:00+02:00", "cached": "lots"}}]`, `"lots" is not a number`},
		{"errors in a 200", "application/json", `{"errors": {"base": ["Statistics are being rebuilt"]}}`, "Statistics are being rebuilt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeOnApp(t)
			fake.handle("/cdn_resources/bandwidth.json", func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, tc.contentType, tc.body) })
			src := newTestSource(t, fake.URL, nil)
			from := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
			resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{}, from, from.Add(24*time.Hour)))
			if resp.Error == nil || !strings.Contains(resp.Error.Error(), tc.want) || resp.Status != backend.StatusBadGateway {
				t.Fatalf("got %d %v, want 502 with %q", resp.Status, resp.Error, tc.want)
			}
		})
	}
}

// TestAnswerOfTheWrongShapeIsAnError: an alert rule must see a broken
// upstream ({}, {"stats":{}}, null) as an error, not as "no data"; a
// documented empty list is an empty frame with an info notice.
func TestAnswerOfTheWrongShapeIsAnError(t *testing.T) {
	from := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ct, body, want string
	}{
		{"application/json", `{}`, "expected a list of stats, found an empty object {}"},
		{"application/json", `{"stats":{}}`, "stats: expected a list of stats, found an empty object {}"},
		{"application/json", `null`, `neither JSON nor XML: "null"`},
		{"application/xml", `<stats nil="true"/>`, "found null"},
		{"application/json", `[]`, ""},
		{"application/json", `{"stats":[]}`, ""},
		{"application/xml", `<stats type="array"/>`, ""},
	} {
		fake := newFakeOnApp(t)
		fake.handle("/cdn_resources/bandwidth.json", func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, tc.ct, tc.body) })
		src := newTestSource(t, fake.URL, nil)
		resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{"resources": []string{"977655738"}}, from, from.Add(24*time.Hour)))
		if tc.want != "" {
			if resp.Error == nil || !strings.Contains(resp.Error.Error(), tc.want) || len(resp.Frames) != 0 {
				t.Errorf("%s: %v, %d frames; want an error with %q", tc.body, resp.Error, len(resp.Frames), tc.want)
			}
			continue
		}
		if resp.Error != nil || len(resp.Frames) != 1 || len(resp.Frames[0].Fields) != 0 {
			t.Fatalf("%s: %v %v", tc.body, resp.Error, resp.Frames)
		}
		n := resp.Frames[0].Meta.Notices
		if len(n) != 1 || n[0].Severity != data.NoticeSeverityInfo ||
			n[0].Text != "OnApp answered no bandwidth figures for this range: no traffic was recorded for the resources and locations asked for (check that they exist in OnApp)" {
			t.Errorf("%s: notices %+v", tc.body, n)
		}
	}
}

// TestRangesPastWhatDurationsHold: a range from the year 1 to 9999 is
// bounded to what a frame holds and sent in whole minutes; the points'
// step is counted in seconds (a time.Duration stops at 292 years).
func TestRangesPastWhatDurationsHold(t *testing.T) {
	y := func(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }
	now := y(2026)
	for _, tc := range []struct {
		from, to   time.Time
		start, end string
		step       time.Duration
		err        string
	}{
		{y(1700), y(2026), "1700-01-01T00:00", "2026-01-01T00:00", fortnight, ""},
		{y(1), y(2026), "1678-01-01T00:00", "2026-01-01T00:00", fortnight, ""},
		{y(2000), y(9999), "2000-01-01T00:00", "2262-01-01T00:00", fortnight, ""},
		{y(2261), y(2263), "2261-01-01T00:00", "2262-01-01T00:00", fortnight, ""},
		{y(2261), y(2261).Add(30 * 24 * time.Hour), "2261-01-01T00:00", "2261-01-31T00:00", day, ""},
		{y(1), y(1000), "", "", 0, "lies outside the years Grafana can show"},
		{y(2262), y(9999), "", "", 0, "lies outside the years Grafana can show, 1678 to 2261"},
	} {
		w, err := planWindow(backend.TimeRange{From: tc.from, To: tc.to}, models.CDNTypeGB, now, time.UTC)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v–%v: %v", tc.from, tc.to, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v–%v: %v", tc.from, tc.to, err)
		}
		if got := w.start.Format(dateLayout) + " " + w.end.Format(dateLayout); got != tc.start+" "+tc.end || w.step != tc.step {
			t.Errorf("%v–%v: %s step %v, want %s %s step %v", tc.from, tc.to, got, w.step, tc.start, tc.end, tc.step)
		}
	}
	for _, tc := range []struct {
		start, end time.Time
		want       time.Duration
	}{
		{y(2024), y(2024).Add(30 * 24 * time.Hour), day},
		{y(2024), y(2024).Add(30*24*time.Hour + time.Minute), week},
		{y(2024), y(2024).Add(92 * 24 * time.Hour), week},
		{y(2024), y(2024).Add(92*24*time.Hour + time.Nanosecond), fortnight},
		{y(1), y(9999), fortnight}, // 9998 years: Sub would saturate at 292
		{y(1700), y(2026), fortnight},
	} {
		if got := bucketStep(tc.start, tc.end); got != tc.want {
			t.Errorf("bucketStep(%v, %v) = %v, want %v", tc.start, tc.end, got, tc.want)
		}
	}
}
