package ovh

// P1 of the benchmarks (BENCHMARKS.md): the cost of turning OVHcloud's answers
// into frames, against the floor of merely reading every token of the same
// bytes once with jsoniter (testutil.JSONFloor); decoding them with
// encoding/json into minimal structs, the floor of earlier runs, is
// measured beside it (floor-json). The large answer is a panel of 50 lines
// × the four metrics over the yearly timeframe (367 daily points each), one
// statistics body per (line, metric) as the sandbox serves them.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/opsdeck/servicestats/internal/sandbox"
	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
	"github.com/opsdeck/servicestats/test/bench/paired"
)

// benchLines is the number of lines of the large answer.
const benchLines = 50

// benchPanel is the large answer: the query, its bodies (one per series, in
// seriesOf order) and the instant it was made.
type benchPanel struct {
	query  *models.TelephonyQuery
	bodies [][]byte
	now    time.Time
	bytes  int64
}

func newBenchPanel(tb testing.TB) *benchPanel {
	tb.Helper()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	m := &models.TelephonyQuery{BillingAccount: "ab12345-ovh-1", Metrics: models.TelephonyMetrics, Timeframe: "yearly", MOSScale: models.MOSScaleRaw}
	for i := range benchLines {
		m.Lines = append(m.Lines, fmt.Sprintf("00331234%05d", i))
	}
	if err := m.Validate(); err != nil {
		tb.Fatal(err)
	}
	p := &benchPanel{query: m, now: now}
	for _, s := range seriesOf(benchTargets(m), m.Metrics) {
		st, err := sandbox.OVHLineStatistics(m.Lines[s.target], "yearly", s.metric, now)
		if err != nil {
			tb.Fatal(err)
		}
		body, err := json.Marshal(st) // what the sandbox writes
		if err != nil {
			tb.Fatal(err)
		}
		p.bodies = append(p.bodies, body)
		p.bytes += int64(len(body))
	}
	return p
}

// benchTargets are the query's lines in its one account.
func benchTargets(m *models.TelephonyQuery) []target {
	out := make([]target, len(m.Lines))
	for i, l := range m.Lines {
		out[i] = target{ba: m.BillingAccounts[0], line: l}
	}
	return out
}

// ovhFrames returns the bytes → frames operation: the 200 bodies through the
// source's own code, the reader of every body straight into its frame's
// vectors (readPoints, as a query does), then the frames (labels, units).
func ovhFrames(b *testing.B, p *benchPanel) func() {
	s := testSettings()
	src, err := newTelephony(s, source.Deps{Logger: log.NewNullLogger(), InstanceID: "bench"}, options{httpClient: &http.Client{}, now: func() time.Time { return p.now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(src.Dispose)
	targets := benchTargets(p.query)
	all := seriesOf(targets, p.query.Metrics)
	lines := make([]described, len(p.query.Lines))
	for i, l := range p.query.Lines {
		lines[i] = described{info: lineInfo{ServiceName: l, Description: "Line " + l}}
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	from, to := p.now.Add(-365*24*time.Hour), p.now
	return func() {
		plan := planTimeframe(p.query.Timeframe, from, to, p.now)
		results := make([]fetched, len(all))
		for i, body := range p.bodies {
			results[i].points, results[i].err = src.readPoints(&upstream.Response{Status: 200, Header: header, Body: body}, all[i].metric, p.query.MOSScale, plan)
		}
		frames, err := src.frames(&answer{m: p.query, x: expansion{targets: targets}, all: all, results: results, lines: lines, plan: plan})
		if err != nil || len(frames) != len(all) {
			b.Fatal(len(frames), err)
		}
		points := 0
		for _, f := range frames {
			points += f.Rows()
		}
		if points < len(all)*360 {
			b.Fatalf("%d points in the frames, want about %d", points, len(all)*365)
		}
	}
}

// ovhFloor returns the floor: every token of the same bodies read once by
// jsoniter, nothing built from them.
func ovhFloor(b *testing.B, p *benchPanel) func() {
	return func() {
		for _, body := range p.bodies {
			if _, err := testutil.JSONFloor(body); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// ovhFloorJSON returns the floor of earlier runs: the same bodies decoded
// with encoding/json into the least that holds them, the unit and
// (timestamp, value or null) pairs.
func ovhFloorJSON(b *testing.B, p *benchPanel) func() {
	type minimalPoint struct {
		Timestamp int64    `json:"timestamp"`
		Value     *float64 `json:"value"`
	}
	type minimal struct {
		Unit   string         `json:"unit"`
		Values []minimalPoint `json:"values"`
	}
	return func() {
		out := make([]minimal, len(p.bodies))
		for i, body := range p.bodies {
			if err := json.Unmarshal(body, &out[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkP1OVH measures them side by side (paired.Run): frames-ms,
// floor-ms and their ratio, the figure of BENCHMARKS.md; floor-json-ms and
// ratio-floor-json against encoding/json.
func BenchmarkP1OVH(b *testing.B) {
	p := newBenchPanel(b)
	paired.Run(b, paired.Op{Name: "frames", F: ovhFrames(b, p)}, paired.Op{Name: "floor", F: ovhFloor(b, p)},
		paired.Op{Name: "floor-json", F: ovhFloorJSON(b, p)})
	b.ReportMetric(float64(p.bytes)/1e6, "MB")
}

// BenchmarkP1OVHFrames and BenchmarkP1OVHFloor run each alone, for
// profiling (-cpuprofile, -memprofile).
func BenchmarkP1OVHFrames(b *testing.B) {
	p := newBenchPanel(b)
	op := ovhFrames(b, p)
	b.SetBytes(p.bytes)
	b.ReportAllocs()
	for b.Loop() {
		op()
	}
}

func BenchmarkP1OVHFloor(b *testing.B) {
	p := newBenchPanel(b)
	op := ovhFloor(b, p)
	b.SetBytes(p.bytes)
	b.ReportAllocs()
	for b.Loop() {
		op()
	}
}
