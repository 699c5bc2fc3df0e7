package pulse

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

func TestChooseStep(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name        string
		span, panel time.Duration
		want        time.Duration
		notice      bool
	}{
		{"panel interval kept", time.Hour, time.Minute, time.Minute, false},
		{"raised to 1 minute", time.Hour, 10 * time.Second, time.Minute, true},
		{"no panel interval", time.Hour, 0, time.Minute, true},
		{"rounded up to a tidy step", time.Hour, 7 * time.Minute, 10 * time.Minute, false},
		{"at most half the range", time.Hour, 2 * time.Hour, 30 * time.Minute, true},
		{"at most 2000 buckets", 90 * day, time.Minute, 2 * time.Hour, true}, // 90 d / 2000 = 64.8 min
		{"a tiny range still gets 1 minute", time.Minute, time.Second, time.Minute, true},
		{"no tidy step under half the range", 150 * time.Minute, 2 * time.Hour, 75 * time.Minute, true},
		{"ten years by the day", 3650 * day, day, 2 * day, true},
		{"beyond the tidy steps: whole days", 200 * 365 * day, day, 37 * day, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chooseStep(ceilSeconds(tt.span), tt.panel)
			if got != tt.want {
				t.Errorf("chooseStep(%v, %v) = %v, want %v", tt.span, tt.panel, got, tt.want)
			}
			if n := tt.span / got; n > maxBuckets+1 {
				t.Errorf("%d buckets", n)
			}
			if n := stepNotice(ceilSeconds(tt.span), tt.panel, got); (n != nil) != tt.notice {
				t.Errorf("notice %+v, want one: %v", n, tt.notice)
			}
		})
	}
}

func TestGridIsAlignedToTheStep(t *testing.T) {
	from := time.Date(2026, 11, 23, 8, 7, 30, 0, time.UTC)
	to := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	g := newGrid(from, to, 5*time.Minute)
	times := g.timeField()
	if first := times.At(0).(time.Time); !first.Equal(time.Date(2026, 11, 23, 8, 5, 0, 0, time.UTC)) {
		t.Errorf("first bucket at %v", first)
	}
	if g.n != 11 {
		t.Errorf("%d buckets, want 11 (08:05 to 08:55)", g.n)
	}
	for _, c := range []struct {
		at   time.Time
		want int
	}{
		{from, 0}, {from.Add(-time.Minute), 0}, {from.Add(-3 * time.Minute), -1},
		{time.Date(2026, 11, 23, 8, 10, 0, 0, time.UTC), 1}, {to.Add(-time.Nanosecond), 10}, {to, -1},
	} {
		if got := g.bucket(c.at); got != c.want {
			t.Errorf("bucket(%v) = %d, want %d", c.at, got, c.want)
		}
	}
	if times.Config == nil || times.Config.Interval != 300000 {
		t.Errorf("time field interval %+v, want 300000 ms", times.Config)
	}
}

func TestNearestRank(t *testing.T) {
	tests := []struct {
		p, n, want int // want: index in the sorted values
	}{
		{50, 1, 0}, {95, 1, 0},
		{50, 2, 0}, {95, 2, 1},
		{50, 4, 1}, {95, 4, 3},
		{50, 5, 2}, {95, 5, 4},
		{50, 20, 9}, {95, 20, 18},
		{95, 100, 94}, {95, 101, 95},
		{50, 1000, 499}, {95, 1000, 949},
	}
	for _, tt := range tests {
		if got := nearestRank(tt.p, tt.n); got != tt.want {
			t.Errorf("nearestRank(%d, %d) = %d, want %d", tt.p, tt.n, got, tt.want)
		}
	}
}

// TestLatencyAgainstHandComputedValues: one bucket of 20 requests taking
// 10, 20, …, 200 ms in shuffled order, one of a single request, and an empty
// one between them.
func TestLatencyAgainstHandComputedValues(t *testing.T) {
	from := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	c := newLogColumns()
	for _, ms := range []int{70, 200, 10, 150, 90, 30, 180, 110, 50, 130, 20, 160, 100, 40, 190, 60, 140, 80, 170, 120} {
		addRow(c, from.Add(time.Duration(ms)*time.Second), "/a", float64(ms))
	}
	addRow(c, from.Add(2*time.Hour+time.Second), "/a", 33)
	addRow(c, from.Add(2*time.Hour+2*time.Second), "/a", -1) // no executionTime: counted, not timed

	b := tally(c, newGrid(from, from.Add(3*time.Hour), time.Hour), "")
	rate := rateFrames(b, "", "")
	if got := int64s(rate[0].Fields[1]); !slices.Equal(got, []int64{20, 0, 2}) {
		t.Errorf("requests %v, want [20 0 2]", got)
	}
	lat := latencyFrames(c, b, "", "")
	want := map[string][]any{
		// sorted: 10 … 200; p50 = 10th value, p95 = 19th value
		"p50": {100.0, nil, 33.0},
		"p95": {190.0, nil, 33.0},
		"max": {200.0, nil, 33.0},
	}
	for _, f := range lat {
		v := f.Fields[1]
		stat := v.Labels["stat"]
		for k, w := range want[stat] {
			var got any
			if p := v.At(k).(*float64); p != nil {
				got = *p
			}
			if got != w {
				t.Errorf("%s bucket %d = %v, want %v", stat, k, got, w)
			}
		}
		if v.Config.Unit != "ms" {
			t.Errorf("unit %q", v.Config.Unit)
		}
	}
}

// TestSplitSeries checks the labels of a split and the enterprise filter.
func TestSplitSeries(t *testing.T) {
	from := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	c := newLogColumns()
	addRow(c, from, "/b", 5)
	addRow(c, from.Add(time.Minute), "/a", 7)
	b := tally(c, newGrid(from, from.Add(time.Hour), 30*time.Minute), "route")
	frames := rateFrames(b, "route", "ent-acme")
	var got []string
	for _, f := range frames {
		got = append(got, f.Fields[1].Labels.String())
		if f.Meta.Type != data.FrameTypeTimeSeriesMulti {
			t.Errorf("type %q", f.Meta.Type)
		}
	}
	if strings.Join(got, " ") != "enterprise=ent-acme, route=/a enterprise=ent-acme, route=/b" {
		t.Errorf("labels %v", got)
	}
	// Split by enterprise, the filter adds no second enterprise label.
	if frames := rateFrames(tally(c, b.g, "enterprise"), "enterprise", "ent-acme"); frames[0].Fields[1].Labels.String() != "enterprise=ent-acme" {
		t.Errorf("split by enterprise with a filter: %v", frames[0].Fields[1].Labels)
	}
}

// addRow appends a row at t on route taking ms (none when ms < 0).
func addRow(c *logColumns, t time.Time, route string, ms float64) {
	b := newLogBlock(1, func(s string) string { return s })
	b.add(wireLog{Timestamp: stamp{t: t, ok: true}, Enterprise: entity{ID: "ent-acme"}, Route: route,
		ExecutionTime: number{v: ms, ok: ms >= 0}}, 1)
	c.addBlock(1, b)
}

func int64s(f *data.Field) []int64 {
	out := make([]int64, f.Len())
	for i := range out {
		out[i] = f.At(i).(int64)
	}
	return out
}

// TestCutSeriesLeaveUnreadBucketsEmpty: a read stopped at maxPages shows no
// value where rows were not read, never a drop to zero, whichever order
// Pulse sends the rows in.
func TestCutSeriesLeaveUnreadBucketsEmpty(t *testing.T) {
	at := func(min int) string {
		return time.Date(2026, 11, 23, 8, min, 0, 0, time.UTC).Format(time.RFC3339)
	}
	tests := []struct {
		name    string
		minutes []int
		want    []any
	}{
		{"oldest first", []int{0, 10, 20, 30, 40, 50}, []any{int64(2), int64(1), nil, nil}},
		{"newest first", []int{50, 40, 30, 20, 10, 0}, []any{nil, nil, int64(2), int64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) {
				page, _ := strconv.Atoi(r.URL.Query().Get("page"))
				var rows []string
				for _, m := range tt.minutes[min((page-1)*2, len(tt.minutes)):min(page*2, len(tt.minutes))] {
					rows = append(rows, fmt.Sprintf(`{"timestamp":%q,"executionTime":5}`, at(m)))
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte("[" + strings.Join(rows, ",") + "]"))
			})
			q := usageQuery(map[string]any{"report": "requestRate", "limit": 2})
			q.Interval = 15 * time.Minute
			resp := newTestSource(t, srv.URL, withMaxPages(2)).HandleQuery(ctxT(t), q)
			if resp.Error != nil {
				t.Fatal(resp.Error)
			}
			v := resp.Frames[0].Fields[1]
			for k, w := range tt.want {
				var got any
				if p := v.At(k).(*int64); p != nil {
					got = *p
				}
				if got != w {
					t.Errorf("bucket %d = %v, want %v", k, got, w)
				}
			}
			if n := resp.Frames[0].Meta.Notices; len(n) != 1 || !strings.Contains(n[0].Text, "cut after 2 pages (4 rows)") {
				t.Errorf("notices %+v", n)
			}
		})
	}
}

// TestSplitKeepsTheBusiestSeries caps a split at maxSeries series.
func TestSplitKeepsTheBusiestSeries(t *testing.T) {
	from := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	c := newLogColumns()
	addRow(c, from, "/r501", 1) // the busiest, though last by name
	for i := range maxSeries + 2 {
		addRow(c, from.Add(time.Second), fmt.Sprintf("/r%03d", i), 1)
	}
	b := tally(c, newGrid(from, from.Add(time.Hour), time.Hour), "route")
	frames := rateFrames(b, "route", "")
	if len(frames) != maxSeries {
		t.Fatalf("%d series, want %d", len(frames), maxSeries)
	}
	if got := frames[len(frames)-1].Fields[1].Labels["route"]; got != "/r501" {
		t.Errorf("the busiest series was left out; last kept %q", got)
	}
	if got := frames[len(frames)-2].Fields[1].Labels["route"]; got != "/r498" {
		t.Errorf("kept %q before /r501, want /r498 (/r499 and /r500 left out)", got)
	}
	n := droppedNotice(b, "route")
	if n == nil || n.Text != "showing the 500 busiest route series; 2 more were left out: filter by enterprise or split otherwise" {
		t.Errorf("notice %+v", n)
	}
}
