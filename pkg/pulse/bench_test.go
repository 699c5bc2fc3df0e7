package pulse

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/upstream"
	"github.com/opsdeck/servicestats/test/bench/paired"
)

// BenchmarkDecodeLogs decodes one page of 5,000 rows into its block.
func BenchmarkDecodeLogs(b *testing.B) {
	body := testutil.PulseLogPage(5000)
	decode := decodeLogs(newTestSource(b, "http://pulse.example").logs, 5000)
	resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := decode(resp); err != nil || n != 5000 {
			b.Fatal(n, err)
		}
	}
}

// P1 of the benchmarks (BENCHMARKS.md): the cost of turning Pulse's log pages
// into the logs frame, against the floor of merely reading every token of
// the same bytes once with jsoniter (testutil.JSONFloor); decoding them with
// encoding/json into minimal structs, the floor of earlier runs, is
// measured beside it (floor-json). The large answer is 200,000 log
// rows: 40 full pages of 5,000 rows and the empty page that ends the walk,
// rendered by the sandbox itself (its mix of enterprise and device shapes,
// ISO and epoch timestamps).

// benchLogRows is the size of the large answer.
const benchLogRows = 200_000

// benchLogPages renders the large answer's pages with the sandbox.
func benchLogPages(tb testing.TB) (pages [][]byte, total int64) {
	tb.Helper()
	cfg := sandbox.Config{Now: func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }}
	sb := sandbox.New(cfg)
	step := 24 * time.Hour / sandbox.DefaultPulseRowsPerDay // the grid: rows sit on multiples of step
	to := cfg.Now().Add(-time.Hour).Truncate(step)
	from := to.Add(-benchLogRows * step)
	if n := sandbox.PulseRowCount(cfg, "", from, to); n != benchLogRows {
		tb.Fatalf("the sandbox holds %d rows in the range, want %d", n, benchLogRows)
	}
	for page := 1; ; page++ {
		q := url.Values{"startDate": {formatDate(from)}, "endDate": {formatDate(to)}, "page": {strconv.Itoa(page)}, "limit": {"5000"}}
		req := httptest.NewRequest(http.MethodGet, sandbox.PulsePrefix+"/stats?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+sandbox.PulseToken)
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			tb.Fatalf("page %d: %d %s", page, rec.Code, rec.Body)
		}
		pages = append(pages, rec.Body.Bytes())
		total += int64(rec.Body.Len())
		if page > benchLogRows/5000 {
			return pages, total
		}
	}
}

// pulseFrame returns the bytes → frame operation: each page decoded into its
// column block (decodeLogs), the blocks gathered in page order (addBlock),
// then the frame built from the columns (logsFrame) with its notices, as
// logsReport does.
func pulseFrame(b *testing.B, pages [][]byte) func() {
	client, err := upstream.New(upstream.Options{Source: "Pulse", BaseURL: "http://pulse.bench", HTTPClient: &http.Client{}})
	if err != nil {
		b.Fatal(err)
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	decode := decodeLogs(client, 5000)
	return func() {
		cols := newLogColumns()
		for i, body := range pages {
			block, _, err := decode(&upstream.Response{Status: 200, Header: header, Body: body})
			if err != nil {
				b.Fatal(err)
			}
			cols.addBlock(i+1, block)
		}
		frame := logsFrame(cols)
		frame.Meta.Notices = notices(cutNotice(pageSummary{pages: len(pages), rows: benchLogRows}), cols.skippedNotice())
		if frame.Rows() != benchLogRows {
			b.Fatalf("%d rows, want %d", frame.Rows(), benchLogRows)
		}
	}
}

// pulseFloor returns the floor: every token of the same pages read once by
// jsoniter, nothing built from them.
func pulseFloor(b *testing.B, pages [][]byte) func() {
	return func() {
		objects := 0
		for _, body := range pages {
			t, err := testutil.JSONFloor(body)
			if err != nil {
				b.Fatal(err)
			}
			objects += t.Objects
		}
		if objects < benchLogRows {
			b.Fatalf("%d objects, want at least %d", objects, benchLogRows)
		}
	}
}

// pulseFloorJSON returns the floor of earlier runs: the same pages decoded
// with encoding/json into the least that holds what the frame shows, the fields
// whose shape varies (an enterprise or device as an object or a bare id, a
// timestamp as a string or a number) as any, the others typed. requestId,
// which the plugin does not show, is left out.
func pulseFloorJSON(b *testing.B, pages [][]byte) func() {
	type minimalLog struct {
		Entreprise      any     `json:"entreprise"`
		Enterprise      any     `json:"enterprise"`
		Device          any     `json:"device"`
		Route           string  `json:"route"`
		Method          string  `json:"method"`
		Timestamp       any     `json:"timestamp"`
		ExecutionTime   float64 `json:"executionTime"`
		ResponseSize    float64 `json:"responseSize"`
		ComplexityScore float64 `json:"complexityScore"`
	}
	return func() {
		rows := 0
		for _, body := range pages {
			var page []minimalLog
			if err := json.Unmarshal(body, &page); err != nil {
				b.Fatal(err)
			}
			rows += len(page)
		}
		if rows != benchLogRows {
			b.Fatalf("%d rows, want %d", rows, benchLogRows)
		}
	}
}

// BenchmarkP1PulseLogs measures them side by side (paired.Run): frames-ms,
// floor-ms and their ratio, the figure of BENCHMARKS.md; floor-json-ms and
// ratio-floor-json against encoding/json.
func BenchmarkP1PulseLogs(b *testing.B) {
	pages, total := benchLogPages(b)
	paired.Run(b, paired.Op{Name: "frames", F: pulseFrame(b, pages)}, paired.Op{Name: "floor", F: pulseFloor(b, pages)},
		paired.Op{Name: "floor-json", F: pulseFloorJSON(b, pages)})
	b.ReportMetric(float64(total)/1e6, "MB")
}

// BenchmarkP1PulseLogsFrame and BenchmarkP1PulseLogsFloor run each alone,
// for profiling (-cpuprofile, -memprofile).
func BenchmarkP1PulseLogsFrame(b *testing.B) {
	pages, total := benchLogPages(b)
	op := pulseFrame(b, pages)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		op()
	}
}

func BenchmarkP1PulseLogsFloor(b *testing.B) {
	pages, total := benchLogPages(b)
	op := pulseFloor(b, pages)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		op()
	}
}
