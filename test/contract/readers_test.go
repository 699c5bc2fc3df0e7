package contract

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// Answers nested far deeper than any API nests, through the built binary.
// A reader that recursed once per level let a Pulse page of a few MB of '['
// overflow the goroutine stack: a fatal error no recover catches, which
// killed the process and every query in flight on every dashboard. Each
// reader now stops at 10,000 levels (the limit of encoding/json) with an
// error for that query alone.

const tooDeep = "the answer nests deeper than 10,000 levels: not an answer this API sends"

// nestedAnswer serves body (of content type ct) to the requests whose path
// satisfies match, and the sandbox to the others.
func nestedAnswer(t *testing.T, match func(path string) bool, ct string, body []byte) string {
	base, _ := hostileSandbox(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !match(r.URL.Path) {
			return false
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(body)
		return true
	})
	return base
}

// TestReadersDeepNestingFailsOneQuery: a Pulse page of 4 MB of '[', OnApp
// JSON and XML answers and an OVH statistics answer nested 100,000 deep.
// Each fails its own query in plain words; the sibling query of the same
// request answers; the process is alive afterwards and answers a health
// check.
func TestReadersDeepNestingFailsOneQuery(t *testing.T) {
	own := launchOwn(t) // a process of its own: a crash here spoils no other test
	defer own.Close()
	pid := own.PID()

	usageFrom, usageTo := usageRange(time.Hour)
	cdnFrom, cdnTo := cdnRange(3, 2)
	cases := []struct {
		name  string
		match func(path string) bool
		ct    string
		body  []byte
		query Query
		want  string
	}{
		{"Pulse logs page of 4 MB of [", func(p string) bool { return p == sandbox.PulsePrefix+"/stats" }, "application/json",
			bytes.Repeat([]byte("["), 4<<20),
			Query{RefID: "H", QueryType: "usage", JSON: map[string]any{"report": "logs"}, From: usageFrom, To: usageTo}, tooDeep},
		{"Pulse aggregate nested 100,000 deep", func(p string) bool { return p == sandbox.PulsePrefix+"/stats/requests" }, "application/json",
			bytes.Repeat([]byte("["), 100_000),
			Query{RefID: "H", QueryType: "usage", JSON: map[string]any{"report": "requests"}, From: usageFrom, To: usageTo}, tooDeep},
		{"OnApp JSON nested 100,000 deep", func(p string) bool { return strings.Contains(p, "bandwidth") }, "application/json",
			[]byte(`{"stats":` + strings.Repeat(`[{"stat":`, 100_000)),
			Query{RefID: "H", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": "location"}, From: cdnFrom, To: cdnTo}, tooDeep},
		{"OnApp XML nested 100,000 deep", func(p string) bool { return strings.Contains(p, "bandwidth") }, "application/xml",
			[]byte(`<?xml version="1.0"?><stats type="array"><stat>` + strings.Repeat("<resources><resource>", 50_000)),
			Query{RefID: "H", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": "resource"}, From: cdnFrom, To: cdnTo},
			"XML nests deeper than 32 elements: not an answer OnApp sends"},
		{"OVH statistics nested 100,000 deep", func(p string) bool { return strings.Contains(p, telLine1) && strings.HasSuffix(p, "/statistics") }, "application/json",
			[]byte(`{"unit":"ms","values":` + strings.Repeat(`[{"value":`, 50_000)),
			telephonyQuery("H", time.Hour, map[string]any{"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"rtpMos"}}), tooDeep},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := nestedAnswer(t, tc.match, tc.ct, tc.body)
			ds := SandboxDataSource("readers-deep-"+string(rune('a'+i)), base)
			ds.JSONData["cacheTTLSeconds"] = -1
			sibling := telephonyQuery("S", time.Hour, map[string]any{"billingAccount": telAccount, "lines": []string{telLine2}, "metrics": []string{"rtpMos"}})
			resp, err := own.QueryData(ctxT(t), ds, tc.query, sibling)
			if err != nil {
				t.Fatalf("the plugin did not answer: %v\n%s", err, own.Logs())
			}
			h := resp.Responses["H"]
			if h.Error == nil || !strings.Contains(h.Error.Error(), tc.want) {
				t.Errorf("hostile query: error %v, want one with %q", h.Error, tc.want)
			} else {
				t.Logf("error: %s", h.Error)
			}
			if s := resp.Responses["S"]; s.Error != nil || len(s.Frames) == 0 {
				t.Errorf("sibling query: error %v, %d frames", s.Error, len(s.Frames))
			}
			if _, err := own.CheckHealth(ctxT(t), ds); err != nil {
				t.Fatalf("health after the answer: %v", err)
			}
			if own.PID() != pid {
				t.Fatalf("the plugin process changed: %d, was %d", own.PID(), pid)
			}
		})
	}
}

// TestReadersNestedPulsePageMemory: a 2 MB Pulse page of nested arrays
// drove a fresh process's peak RSS to ~450 MB (the goroutine stack of the
// recursion). Its growth must stay within 100 MB + 3× the page.
func TestReadersNestedPulsePageMemory(t *testing.T) {
	const size = 2 << 20
	base := nestedAnswer(t, func(p string) bool { return p == sandbox.PulsePrefix+"/stats" }, "application/json", bytes.Repeat([]byte("["), size))
	own := launchOwn(t)
	defer own.Close()
	_, start := processMemory(t, own.PID())
	ds := SandboxDataSource("readers-deep-memory", base)
	from, to := usageRange(time.Hour)
	msg := oneQuery(t, own, ctxT(t), ds, Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": "logs"}, From: from, To: to})
	if !strings.Contains(msg, tooDeep) {
		t.Errorf("error %q, want one with %q", msg, tooDeep)
	}
	_, peak := processMemory(t, own.PID())
	t.Logf("peak RSS %d MiB at start, %d MiB after a %d MiB nested page", start>>20, peak>>20, size>>20)
	if limit := int64(100<<20 + 3*size); peak-start > limit {
		t.Errorf("peak RSS grew by %d MiB, want under %d MiB", (peak-start)>>20, limit>>20)
	}
}

// routesPages serves /stats/routes as pages pages of 5,000 distinct routes
// (about 250 KB each; the last one short, so that it ends the walk), and
// counts the bytes sent.
func routesPages(t testing.TB, pages int, sent *atomic.Int64) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != sandbox.PulsePrefix+"/stats/routes" {
			http.NotFound(w, r)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		n := limit
		if page >= pages {
			n = limit / 2
		}
		if page > pages {
			n = 0
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			k := page*limit + i
			fmt.Fprintf(&b, `{"route":"/api/v1/customers/%08d/orders","totalRequests":%d}`, k, (k*7919)%1_000_003)
		}
		b.WriteByte(']')
		w.Header().Set("Content-Type", "application/json")
		sent.Add(int64(b.Len()))
		_, _ = w.Write(b.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// routesMemory asks a fresh process for the routes report over pages pages
// and returns its peak RSS growth and the bytes Pulse sent.
func routesMemory(t testing.TB, pages, topN int) (growth, sent int64) {
	t.Helper()
	var n atomic.Int64
	base := routesPages(t, pages, &n)
	own := launchOwn(t)
	defer own.Close()
	_, start, _ := procMemory(own.PID())
	ds := SandboxDataSource("readers-routes", base)
	ds.JSONData["maxPages"] = pages + 1
	from, to := usageRange(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	resp, err := own.QueryData(ctx, ds, Query{RefID: "R", QueryType: "usage", JSON: map[string]any{"report": "routes", "limit": 5000, "topN": topN}, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Responses["R"]; r.Error != nil || len(r.Frames) != 1 {
		t.Fatalf("routes: %v", r.Error)
	} else if want := min(topN, pages*5000-2500); topN > 0 && r.Frames[0].Rows() != want {
		t.Fatalf("%d rows, want %d", r.Frames[0].Rows(), want)
	}
	_, peak, err := procMemory(own.PID())
	if err != nil {
		t.Fatal(err)
	}
	return peak - start, n.Load()
}

// TestReadersAggregateTopNMemory: the top 10 of a million routes (200
// pages, about 65 MB) are kept while reading, not after sorting every row:
// the process's peak RSS grows by at most 100 MB + 3× the bytes (the
// answers' cache among them). Sorting everything grew it by 5.5×.
func TestReadersAggregateTopNMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("65 MB of answers")
	}
	growth, sent := routesMemory(t, 200, 10)
	t.Logf("peak RSS grew by %d MiB for %d MiB of answers", growth>>20, sent>>20)
	if limit := 100<<20 + 3*sent; growth > limit {
		t.Errorf("peak RSS grew by %d MiB, want under %d MiB", growth>>20, limit>>20)
	}
}

// BenchmarkReadersP5RoutesMemory: the routes report of 200 pages of 5,000
// routes (about 50 MB), top 10: peak RSS growth of a fresh process ÷ the
// bytes Pulse sent.
func BenchmarkReadersP5RoutesMemory(b *testing.B) {
	var growth, sent int64
	for b.Loop() {
		growth, sent = routesMemory(b, 200, 10)
	}
	b.ReportMetric(mib(growth), "growth-MiB")
	b.ReportMetric(mib(sent), "raw-MiB")
	b.ReportMetric(float64(growth)/float64(sent), "growth-ratio")
}

// onappXML serves OnApp bandwidth answers as XML of stats stats (one a
// minute from from) of resources resources each, in the documented form or,
// with tree, in one the one-pass reader refuses (a <note> in each stat), so
// that the tolerant tree reader reads it; the sandbox serves the rest.
func onappXML(t testing.TB, from time.Time, stats, resources int, tree bool, sent *atomic.Int64) string {
	note := ""
	if tree {
		note = "    <note>tree</note>\n"
	}
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<stats type="array">` + "\n")
	for s := range stats {
		fmt.Fprintf(&b, "  <stat>\n    <date>%s</date>\n%s    <resources type=\"array\">\n", from.Add(time.Duration(s)*time.Minute).UTC().Format(time.RFC3339), note)
		for r := range resources {
			fmt.Fprintf(&b, "      <resource>\n        <%d>\n          <cached>%d.%03d</cached>\n          <non_cached>0.%03d</non_cached>\n        </%d>\n      </resource>\n",
				900000000+r, s%7, r%1000, (s+r)%1000, 900000000+r)
		}
		b.WriteString("    </resources>\n  </stat>\n")
	}
	b.WriteString("</stats>\n")
	return serveBandwidth(t, "application/xml", b.Bytes(), sent)
}

// onappJSON is onappXML's answer in JSON, the legacy flavour's list of
// {"stat": {…}}; with tree, each stat has a "note" the one-pass reader
// refuses.
func onappJSON(t testing.TB, from time.Time, stats, resources int, tree bool, sent *atomic.Int64) string {
	note := ""
	if tree {
		note = `"note":"tree",`
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for s := range stats {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"stat":{"date":%q,%s"resources":[`, from.Add(time.Duration(s)*time.Minute).UTC().Format(time.RFC3339), note)
		for r := range resources {
			if r > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"resource":{"%d":{"cached":%d.%03d,"non_cached":"0.%03d"}}}`, 900000000+r, s%7, r%1000, (s+r)%1000)
		}
		b.WriteString("]}}")
	}
	b.WriteByte(']')
	return serveBandwidth(t, "application/json", b.Bytes(), sent)
}

// serveBandwidth serves body to the OnApp bandwidth calls, and the sandbox
// to the others.
func serveBandwidth(t testing.TB, ct string, body []byte, sent *atomic.Int64) string {
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "bandwidth") {
			sb.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		sent.Add(int64(len(body)))
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// onappXMLMemory asks a fresh process for the CDN bandwidth by resource of
// onappXML and returns its peak RSS growth and the bytes OnApp sent.
func onappXMLMemory(t testing.TB, stats, resources int, tree bool) (growth, sent int64) {
	return onappMemory(t, stats, resources, tree, onappXML)
}

// onappMemory asks a fresh process for the CDN bandwidth by resource of
// serve's answer and returns its peak RSS growth and the bytes OnApp sent.
func onappMemory(t testing.TB, stats, resources int, tree bool, serve func(testing.TB, time.Time, int, int, bool, *atomic.Int64) string) (growth, sent int64) {
	t.Helper()
	from, to := cdnRange(4, 2)
	var n atomic.Int64
	base := serve(t, from, stats, resources, tree, &n)
	own := launchOwn(t)
	defer own.Close()
	_, start, _ := procMemory(own.PID())
	ds := SandboxDataSource("readers-onapp-xml", base)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	resp, err := own.QueryData(ctx, ds, Query{RefID: "C", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": "resource"}, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Responses["C"]; r.Error != nil || len(r.Frames) == 0 {
		t.Fatalf("bandwidth: %v", r.Error)
	}
	_, peak, err := procMemory(own.PID())
	if err != nil {
		t.Fatal(err)
	}
	return peak - start, n.Load()
}

// BenchmarkReadersP5OnAppXMLMemory: about 60 MB of OnApp XML (2,880
// stats of 130 resources), in the documented form (one-pass reader) and in
// the tolerant one (tree reader): peak RSS growth of a fresh process ÷ the
// bytes OnApp sent.
func BenchmarkReadersP5OnAppXMLMemory(b *testing.B) {
	for _, tree := range []bool{false, true} {
		b.Run(map[bool]string{false: "documented", true: "tree"}[tree], func(b *testing.B) {
			var growth, sent int64
			for b.Loop() {
				growth, sent = onappXMLMemory(b, 2880, 130, tree)
			}
			b.ReportMetric(mib(growth), "growth-MiB")
			b.ReportMetric(mib(sent), "raw-MiB")
			b.ReportMetric(float64(growth)/float64(sent), "growth-ratio")
		})
	}
}

// BenchmarkReadersP5OnAppJSONMemory: onappXML's answer in JSON (about 36
// MB), documented and tolerant: peak RSS growth ÷ the bytes OnApp sent.
func BenchmarkReadersP5OnAppJSONMemory(b *testing.B) {
	for _, tree := range []bool{false, true} {
		b.Run(map[bool]string{false: "documented", true: "tree"}[tree], func(b *testing.B) {
			var growth, sent int64
			for b.Loop() {
				growth, sent = onappMemory(b, 2880, 130, tree, onappJSON)
			}
			b.ReportMetric(mib(growth), "growth-MiB")
			b.ReportMetric(mib(sent), "raw-MiB")
			b.ReportMetric(float64(growth)/float64(sent), "growth-ratio")
		})
	}
}

// overfullLogPage is one Pulse log page of rows rows (about 280 bytes a
// row), whatever the limit asked.
func overfullLogPage(rows int) []byte {
	start := time.Now().UTC().Add(-2 * time.Hour)
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"requestId":"req-%016x","entreprise":{"id":"ent-%d","name":"Enterprise %d"},"device":[{"id":"dev-%d","name":"Gateway %d"}],`+
			`"route":"/api/v1/orders/%d","method":"GET","timestamp":%q,"executionTime":%d,"responseSize":2600,"complexityScore":6}`,
			i, i%50, i%50, i%400, i%400, i, start.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02T15:04:05.000Z"), i%700)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// TestReadersOverfullPageMemory: one Pulse log page of 200,000 rows (about
// 58 MB, under the size cap) where 5,000 were asked for is an error, and
// the rows past the limit are counted, not kept: the process's peak RSS
// grows by at most 100 MB + 3× the page.
func TestReadersOverfullPageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("58 MB of answer")
	}
	page := overfullLogPage(200_000)
	base := nestedAnswer(t, func(p string) bool { return p == sandbox.PulsePrefix+"/stats" }, "application/json", page)
	own := launchOwn(t)
	defer own.Close()
	_, start := processMemory(t, own.PID())
	from, to := usageRange(time.Hour)
	msg := oneQuery(t, own, ctxT(t), SandboxDataSource("readers-overfull", base),
		Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": "logs", "limit": 5000}, From: from, To: to})
	if want := "Pulse sent 200000 rows for a page of at most 5000"; !strings.Contains(msg, want) {
		t.Errorf("error %q, want one with %q", msg, want)
	}
	_, peak := processMemory(t, own.PID())
	t.Logf("peak RSS grew by %d MiB for a %d MiB page", (peak-start)>>20, len(page)>>20)
	if limit := int64(100<<20 + 3*len(page)); peak-start > limit {
		t.Errorf("peak RSS grew by %d MiB, want under %d MiB", (peak-start)>>20, limit>>20)
	}
}
