package contract

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/sandbox"
	"github.com/opsdeck/servicestats/internal/testutil"
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

// nestedRun is the P5 run of a logs query whose first page is size bytes
// of '['. It must fail that query alone (the error is checked by
// TestReadersDeepNestingFailsOneQuery; the binary before the fix crashed
// or answered otherwise).
func nestedRun(tb testing.TB, size int) p5Run {
	page := bytes.Repeat([]byte("["), size)
	sent := &atomic.Int64{}
	base := answering(tb, sent, func(r *http.Request) (string, []byte, bool) {
		return "application/json", page, r.URL.Path == sandbox.PulsePrefix+"/stats"
	})
	from, to := usageRange(time.Hour)
	return p5Run{
		ds:    benchDataSource("p5-nested", base, nil),
		query: Query{RefID: "A", QueryType: "usage", JSON: map[string]any{"report": "logs"}, From: from, To: to},
		check: func(r backend.DataResponse) error {
			if r.Error == nil {
				return fmt.Errorf("no error for a page of %d bytes of '['", size)
			}
			return nil
		},
		sent: sent,
	}
}

// TestReadersNestedPulsePageMemory: a 2 MB Pulse page of nested arrays
// drove a fresh process's peak RSS to ~450 MB (the goroutine stack of the
// recursion). Its growth must stay within 100 MB + 3× the page.
func TestReadersNestedPulsePageMemory(t *testing.T) {
	const size = 2 << 20
	run := nestedRun(t, size)
	check := run.check
	run.check = func(r backend.DataResponse) error {
		if err := check(r); err != nil {
			return err
		}
		if !strings.Contains(r.Error.Error(), tooDeep) {
			return fmt.Errorf("error %q, want one with %q", r.Error, tooDeep)
		}
		return nil
	}
	f := p5Measure(t, run)
	t.Logf("peak RSS %d MiB at start, %d MiB after a %d MiB nested page", f.start>>20, f.peak>>20, size>>20)
	if limit := int64(100<<20 + 3*size); f.peak-f.start > limit {
		t.Errorf("peak RSS grew by %d MiB, want under %d MiB", (f.peak-f.start)>>20, limit>>20)
	}
}

// aggregatePages serves the Pulse aggregate report (routes or requests)
// as pages pages of 5,000 distinct rows (about 250 KB each; the last one
// half full, so that it ends the walk), and the sandbox for the rest; sent
// counts the bytes of the pages.
func aggregatePages(tb testing.TB, report string, pages int, sent *atomic.Int64) string {
	tb.Helper()
	row := map[string]string{
		"routes":   `{"route":"/api/v1/customers/%08d/orders","totalRequests":%d}`,
		"requests": `{"entreprise":{"id":"ent-%08d","name":"Enterprise"},"totalRequests":%d}`,
	}[report]
	if row == "" {
		tb.Fatalf("no pages for the %s report", report)
	}
	return answering(tb, sent, func(r *http.Request) (string, []byte, bool) {
		if r.URL.Path != sandbox.PulsePrefix+"/stats/"+report {
			return "", nil, false
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
			fmt.Fprintf(&b, row, k, (k*7919)%1_000_003)
		}
		b.WriteByte(']')
		return "application/json", b.Bytes(), true
	})
}

// answering serves answer's bodies to the requests it takes (ok), adding
// their bytes to sent, and the sandbox to the others.
func answering(tb testing.TB, sent *atomic.Int64, answer func(r *http.Request) (ct string, body []byte, ok bool)) string {
	tb.Helper()
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, body, ok := answer(r)
		if !ok {
			sb.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		sent.Add(int64(len(body)))
		_, _ = w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// aggregateRun is the P5 run of the report over pages pages of
// aggregatePages, top topN.
func aggregateRun(tb testing.TB, report string, pages, topN int) p5Run {
	sent := &atomic.Int64{}
	base := aggregatePages(tb, report, pages, sent)
	from, to := usageRange(time.Hour)
	want := pages*5000 - 2500 // pages 1 to pages-1 full, the last half full
	if topN > 0 {
		want = min(topN, want)
	}
	return p5Run{
		ds:    benchDataSource("p5-"+report, base, map[string]any{"maxPages": pages + 1}),
		query: Query{RefID: "A", QueryType: "usage", JSON: map[string]any{"report": report, "limit": 5000, "topN": topN}, From: from, To: to},
		check: wantRows(want),
		sent:  sent,
	}
}

// TestReadersAggregateTopNMemory: the top 10 of a million routes (200
// pages, about 65 MB) are kept while reading, not after sorting every row:
// the process's peak RSS grows by at most 100 MB + 3× the bytes (the
// answers' cache among them). Sorting everything grew it by 5.5×.
func TestReadersAggregateTopNMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("65 MB of answers")
	}
	f := p5Measure(t, aggregateRun(t, "routes", 200, 10))
	t.Logf("peak RSS grew by %d MiB for %d MiB of answers", (f.peak-f.start)>>20, f.sent>>20)
	if limit := 100<<20 + 3*f.sent; f.peak-f.start > limit {
		t.Errorf("peak RSS grew by %d MiB, want under %d MiB", (f.peak-f.start)>>20, limit>>20)
	}
}

// onappAnswer is an OnApp bandwidth answer of stats stats spread evenly
// over [from, to), in XML (Rails, numeric element names) or in JSON (the
// legacy flavour's list of {"stat": {…}}, non-cached figures as strings).
// With resources > 0 each stat holds that many resources (grouped by
// resource), else the totals (no grouping). With tolerant, each stat also
// holds a "note": not the documented form, so that the tolerant reading of
// the answer is taken.
func onappAnswer(xml bool, from, to time.Time, stats, resources int, tolerant bool) []byte {
	step := to.Sub(from) / time.Duration(stats)
	var b bytes.Buffer
	if xml {
		note := ""
		if tolerant {
			note = "    <note>tree</note>\n"
		}
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<stats type="array">` + "\n")
		for s := range stats {
			fmt.Fprintf(&b, "  <stat>\n    <date>%s</date>\n%s", from.Add(time.Duration(s)*step).UTC().Format(time.RFC3339), note)
			if resources == 0 {
				fmt.Fprintf(&b, "    <cached>%d.%03d</cached>\n    <non_cached>0.%03d</non_cached>\n", s%7, s%1000, (s*7)%1000)
			} else {
				b.WriteString("    <resources type=\"array\">\n")
				for r := range resources {
					fmt.Fprintf(&b, "      <resource>\n        <%d>\n          <cached>%d.%03d</cached>\n          <non_cached>0.%03d</non_cached>\n        </%d>\n      </resource>\n",
						900000000+r, s%7, r%1000, (s+r)%1000, 900000000+r)
				}
				b.WriteString("    </resources>\n")
			}
			b.WriteString("  </stat>\n")
		}
		b.WriteString("</stats>\n")
		return b.Bytes()
	}
	note := ""
	if tolerant {
		note = `"note":"tree",`
	}
	b.WriteByte('[')
	for s := range stats {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"stat":{"date":%q,%s`, from.Add(time.Duration(s)*step).UTC().Format(time.RFC3339), note)
		if resources == 0 {
			fmt.Fprintf(&b, `"cached":%d.%03d,"non_cached":"0.%03d"}}`, s%7, s%1000, (s*7)%1000)
			continue
		}
		b.WriteString(`"resources":[`)
		for r := range resources {
			if r > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"resource":{"%d":{"cached":%d.%03d,"non_cached":"0.%03d"}}}`, 900000000+r, s%7, r%1000, (s+r)%1000)
		}
		b.WriteString("]}}")
	}
	b.WriteByte(']')
	return b.Bytes()
}

// onappRun is the P5 run of a CDN bandwidth query (by resource when
// resources > 0) answered by onappAnswer; the sandbox serves the rest (the
// resource list).
func onappRun(tb testing.TB, xml bool, stats, resources int, tolerant bool) p5Run {
	from, to := cdnRange(4, 2)
	body := onappAnswer(xml, from, to, stats, resources, tolerant)
	ct := map[bool]string{false: "application/json", true: "application/xml"}[xml]
	sent := &atomic.Int64{}
	base := answering(tb, sent, func(r *http.Request) (string, []byte, bool) {
		return ct, body, strings.Contains(r.URL.Path, "bandwidth")
	})
	groupBy := ""
	if resources > 0 {
		groupBy = "resource"
	}
	return p5Run{
		ds:    benchDataSource("p5-onapp", base, nil),
		query: Query{RefID: "A", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": groupBy}, From: from, To: to},
		sent:  sent,
	}
}

// TestReadersOverfullPageMemory: one Pulse log page of 200,000 rows (about
// 58 MB, under the size cap) where 5,000 were asked for is an error, and
// the rows past the limit are counted, not kept: the process's peak RSS
// grows by at most 100 MB + 3× the page.
func TestReadersOverfullPageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("58 MB of answer")
	}
	page := testutil.PulseLogs{Start: time.Now().UTC().Add(-2 * time.Hour), Step: time.Millisecond, Distinct: true}.Page(200_000) // a route of its own per row, 50 enterprises, 400 devices
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
