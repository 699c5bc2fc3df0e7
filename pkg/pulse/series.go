package pulse

// Series the Pulse API does not offer, derived from the logs: requests per
// interval ("requestRate") and the p50, p95 and max executionTime per
// interval ("latency"), optionally one series per route, enterprise or
// device ("splitBy").
//
// Buckets are aligned to multiples of the step since the Unix epoch (UTC),
// so the same instant always falls in the same bucket whatever the range,
// and the first bucket may start before the range does. An empty bucket
// counts 0 requests and has no latency (null, a gap), never 0 ms.
//
// Percentiles are exact, by the nearest-rank method: the p-th percentile of
// n values is the ⌈p·n/100⌉-th smallest. It always returns a latency that
// was actually observed, which is what an SRE reading "p95 = 412 ms"
// expects, and needs no interpolation between two requests.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
)

const (
	minStep    = time.Minute
	maxBuckets = 2000
	// noDevice is the device label of requests that concerned no device.
	noDevice = "(none)"
)

// tidySteps are the steps a computed interval is rounded up to.
var tidySteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
}

// chooseStep returns the bucket width for a range of span seconds and the
// panel's interval: the panel's interval bounded to [1 min, span/2], raised
// so that there are at most maxBuckets buckets, then rounded up to a tidy
// step when one fits under span/2 (else to whole minutes, or whole days past
// 30 days). The arithmetic is in seconds: a time.Duration holds 292 years,
// and a range Grafana sends can be twice as long (spanSeconds).
func chooseStep(span int64, panel time.Duration) time.Duration {
	const minSec = int64(minStep / time.Second)
	upper := max(minSec, span/2)
	want := min(max(ceilSeconds(panel), minSec), upper)
	want = max(want, ceilDivInt(span, maxBuckets))
	for _, s := range tidySteps {
		if sec := int64(s / time.Second); sec >= want {
			if sec <= upper {
				return s
			}
			break
		}
	}
	unit := minSec
	if want > int64(tidySteps[len(tidySteps)-1]/time.Second) {
		unit = 86400
	}
	want = min(ceilDivInt(want, unit)*unit, maxStepSeconds)
	return time.Duration(want) * time.Second
}

// maxStepSeconds is the longest step a time.Duration holds, in whole days.
const maxStepSeconds = int64(math.MaxInt64/int64(time.Second)) / 86400 * 86400

// spanSeconds is the length of the range from–to in seconds, rounded up.
func spanSeconds(from, to time.Time) int64 {
	span := to.Unix() - from.Unix()
	if to.Nanosecond() > from.Nanosecond() {
		span++
	}
	return span
}

// ceilSeconds is d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int64 { return ceilDivInt(int64(d), int64(time.Second)) }

// stepNotice says why the step differs from the panel's interval, when it
// was bounded rather than merely rounded.
func stepNotice(span int64, panel, step time.Duration) *data.Notice {
	const minSec = int64(minStep / time.Second)
	if panel >= minStep && ceilSeconds(panel) <= max(minSec, span/2) && span/max(ceilSeconds(panel), 1) <= maxBuckets {
		return nil
	}
	return &data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(
		"one point every %s (the panel asked for %s; these series use at least 1m, at most half the range and at most %d points)",
		formatStep(step), formatStep(panel), maxBuckets)}
}

// formatStep writes a duration the way Grafana writes intervals: "30s",
// "5m", "2h", "7d"; the largest unit that divides it exactly.
func formatStep(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d >= u.d && d%u.d == 0 {
			return fmt.Sprintf("%d%s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// grid is the bucketing of a range: n buckets of step from start. It
// counts in seconds (steps are whole minutes), which hold any range a
// frame can show; nanoseconds since 1970 do not reach past 2262.
type grid struct {
	start int64 // Unix seconds, a multiple of step
	step  int64 // seconds
	n     int
}

// newGrid lays the buckets over from–to (a range within the times a frame
// holds, models.ClampRange). The first bucket starts at the multiple of
// step at or before from, unless that is before the first time a frame can
// hold: it then starts one step later.
func newGrid(from, to time.Time, step time.Duration) grid {
	s := max(int64(step/time.Second), 1)
	start := floorDiv(from.Unix(), s) * s
	if start < models.MinFrameTime.Unix() {
		start += s
	}
	end := to.Unix()
	if to.Nanosecond() > 0 {
		end++
	}
	n := int(max(ceilDivInt(end-start, s), 1))
	return grid{start: start, step: s, n: n}
}

// bucket returns the bucket of t, or −1 when t lies outside the grid.
// Bucket bounds are whole seconds, so t's whole second (Unix, rounded down)
// decides.
func (g grid) bucket(t time.Time) int {
	d := t.Unix() - g.start
	if d < 0 || d >= int64(g.n)*g.step {
		return -1
	}
	return int(d / g.step)
}

// clamp returns the bucket of t, or the first or last one when t lies
// before or after the grid.
func (g grid) clamp(t time.Time) int {
	d := t.Unix() - g.start
	return int(min(max(floorDiv(d, g.step), 0), int64(g.n-1)))
}

// timeField is the grid's time column, with the step as its interval.
func (g grid) timeField() *data.Field {
	ts := make([]time.Time, g.n)
	for i := range ts {
		ts[i] = time.Unix(g.start+int64(i)*g.step, 0).UTC()
	}
	f := data.NewField("time", nil, ts)
	f.SetConfig(&data.FieldConfig{Interval: float64(g.step * 1000)})
	return f
}

// buckets tallies the rows per series and bucket.
type buckets struct {
	g      grid
	keys   []string       // split values, in order of appearance
	index  map[string]int // split value → series
	counts [][]int32      // series → bucket → requests
	timed  [][]int32      // series → bucket → requests with an executionTime

	// unknownLo and unknownHi bound the buckets a read cut at maxPages
	// says nothing reliable about (none when unknownLo >= unknownHi).
	unknownLo, unknownHi int
}

// known reports whether bucket k holds every row Pulse has for it.
func (b *buckets) known(k int) bool { return k < b.unknownLo || k >= b.unknownHi }

// cut marks the buckets a read stopped at maxPages left unread, so that
// they show no value rather than a drop to zero requests that an alert rule
// would take for an outage. Pulse's order is not documented: rows read
// oldest first leave the buckets from the last row read to the end of the
// range unread, newest first the ones from its start to the last row read
// (the last row's own bucket is incomplete either way).
func (b *buckets) cut(c *logColumns) {
	if c.len() == 0 {
		return
	}
	first := c.blocks[0].time[0]
	lastBlock := c.blocks[len(c.blocks)-1]
	last := lastBlock.time[len(lastBlock.time)-1]
	k := b.g.clamp(last)
	if last.Before(first) {
		b.unknownLo, b.unknownHi = 0, k+1
	} else {
		b.unknownLo, b.unknownHi = k, b.g.n
	}
}

// series returns the index of the series of key, adding it when new.
func (b *buckets) series(key string) int {
	if s, ok := b.index[key]; ok {
		return s
	}
	b.index[key] = len(b.keys)
	b.keys = append(b.keys, key)
	b.counts = append(b.counts, make([]int32, b.g.n))
	b.timed = append(b.timed, make([]int32, b.g.n))
	return len(b.keys) - 1
}

// eachKey calls fn with each split value of row i of block b: none ("")
// without a split; every device of a request that concerned several (it
// counts in each of their series), noDevice for one that concerned none.
func eachKey(b *logBlock, i int, split string, fn func(key string)) {
	switch split {
	case "route":
		fn(b.route[i])
	case "enterprise":
		fn(b.enterprise[i])
	case "device":
		ids := b.deviceIDs(i)
		if len(ids) == 0 {
			fn(noDevice)
		}
		for _, id := range ids {
			fn(id)
		}
	default:
		fn("")
	}
}

// eachRow calls fn with every row of c: its block, index, bucket (rows
// outside the grid are skipped) and whether it has an executionTime.
func eachRow(c *logColumns, g grid, fn func(b *logBlock, i, bucket int, timed bool)) {
	for _, b := range c.blocks {
		untimed := nullSet(b.executionTime.nulls)
		for i, t := range b.time {
			if k := g.bucket(t); k >= 0 {
				fn(b, i, k, !untimed.has(i))
			}
		}
	}
}

// tally counts every row of c in its series and bucket. Without a split
// there is always the one series, even with no rows: zero requests is an
// answer an alert rule must see, not "no data".
func tally(c *logColumns, g grid, split string) *buckets {
	bk := &buckets{g: g, index: map[string]int{}}
	if split == "" {
		bk.series("")
	}
	eachRow(c, g, func(b *logBlock, i, k int, timed bool) {
		eachKey(b, i, split, func(key string) {
			s := bk.series(key)
			bk.counts[s][k]++
			if timed {
				bk.timed[s][k]++
			}
		})
	})
	return bk
}

// maxSeries bounds the series of a split: a split by route over paths that
// embed ids could make thousands, which no panel can show and no alert rule
// needs. The busiest are kept, and a notice says how many were left out.
const maxSeries = 500

// order returns the indexes of the series shown, at most maxSeries of the
// busiest, sorted by split value, and how many were left out.
func (b *buckets) order() (idx []int, dropped int) {
	idx = make([]int, len(b.keys))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) > maxSeries {
		totals := make([]int, len(idx))
		for s, counts := range b.counts {
			for _, n := range counts {
				totals[s] += int(n)
			}
		}
		slices.SortFunc(idx, func(x, y int) int {
			return cmp.Or(cmp.Compare(totals[y], totals[x]), cmp.Compare(b.keys[x], b.keys[y]))
		})
		idx, dropped = idx[:maxSeries], len(idx)-maxSeries
	}
	slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(b.keys[x], b.keys[y]) })
	return idx, dropped
}

// droppedNotice says how many series order left out.
func droppedNotice(b *buckets, split string) *data.Notice {
	if _, dropped := b.order(); dropped > 0 {
		return &data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"showing the %d busiest %s series; %d more were left out: filter by enterprise or split otherwise", maxSeries, split, dropped)}
	}
	return nil
}

// latencies returns, per series and bucket, the p50, p95 and max
// executionTime (nil where the bucket has no timed request). The values are
// gathered into one array, each (series, bucket) in its own segment placed by
// the counts, then each segment is sorted once.
func latencies(c *logColumns, b *buckets, split string) [][][3]*float64 {
	offsets := make([][]int, len(b.keys))
	total := 0
	for s := range b.timed {
		offsets[s] = make([]int, b.g.n)
		for k, n := range b.timed[s] {
			offsets[s][k] = total
			total += int(n)
		}
	}
	vals := make([]float64, total)
	fill := make([][]int, len(b.keys))
	for s := range offsets {
		fill[s] = slices.Clone(offsets[s])
	}
	eachRow(c, b.g, func(blk *logBlock, i, k int, timed bool) {
		if !timed {
			return
		}
		eachKey(blk, i, split, func(key string) {
			s := b.index[key]
			vals[fill[s][k]] = blk.executionTime.v[i]
			fill[s][k]++
		})
	})

	out := make([][][3]*float64, len(b.keys))
	for s := range out {
		out[s] = make([][3]*float64, b.g.n)
		for k := range out[s] {
			seg := vals[offsets[s][k] : offsets[s][k]+int(b.timed[s][k])]
			if len(seg) == 0 || !b.known(k) {
				continue
			}
			slices.Sort(seg)
			out[s][k] = [3]*float64{&seg[nearestRank(50, len(seg))], &seg[nearestRank(95, len(seg))], &seg[len(seg)-1]}
		}
	}
	return out
}

// nearestRank returns the index, in n sorted values, of the p-th percentile
// by the nearest-rank method: rank ⌈p·n/100⌉, counted from 1.
func nearestRank(p, n int) int {
	return max((p*n+99)/100, 1) - 1
}

// nullSet answers whether a row index is among ascending null indexes.
type nullSet []int

func (s nullSet) has(i int) bool {
	_, found := slices.BinarySearch(s, i)
	return found
}

// seriesLabels are the labels of one derived series: the split value, and
// the enterprise filter when there is one (so that an alert names the
// enterprise it fired for).
func seriesLabels(split, key, enterpriseID string) data.Labels {
	l := data.Labels{}
	if split != "" {
		l[split] = key
	}
	if enterpriseID != "" && split != "enterprise" {
		l["enterprise"] = enterpriseID
	}
	return l
}

// rateFrames builds one timeseries-multi frame per series: requests per
// bucket (null in the buckets a cut read left unknown).
func rateFrames(b *buckets, split, enterpriseID string) data.Frames {
	var frames data.Frames
	shown, _ := b.order()
	for _, s := range shown {
		var values any
		if b.unknownLo < b.unknownHi {
			v := make([]*int64, b.g.n)
			for k, n := range b.counts[s] {
				if b.known(k) {
					v[k] = new(int64(n))
				}
			}
			values = v
		} else {
			v := make([]int64, b.g.n)
			for k, n := range b.counts[s] {
				v[k] = int64(n)
			}
			values = v
		}
		value := data.NewField("requests", seriesLabels(split, b.keys[s], enterpriseID), values)
		value.SetConfig(&data.FieldConfig{Unit: "short"})
		frames = append(frames, seriesFrame(b.g, value))
	}
	return frames
}

// latencyStats are the three latency series of each split value.
var latencyStats = [3]string{"p50", "p95", "max"}

// latencyFrames builds three timeseries-multi frames per series (label
// stat=p50|p95|max): executionTime in ms, null in empty buckets.
func latencyFrames(c *logColumns, b *buckets, split, enterpriseID string) data.Frames {
	lat := latencies(c, b, split)
	var frames data.Frames
	shown, _ := b.order()
	for _, s := range shown {
		for i, stat := range latencyStats {
			v := make([]*float64, b.g.n)
			for k := range v {
				v[k] = lat[s][k][i]
			}
			labels := seriesLabels(split, b.keys[s], enterpriseID)
			labels["stat"] = stat
			value := data.NewField("executionTime", labels, v)
			value.SetConfig(&data.FieldConfig{Unit: "ms"})
			frames = append(frames, seriesFrame(b.g, value))
		}
	}
	return frames
}

func seriesFrame(g grid, value *data.Field) *data.Frame {
	f := data.NewFrame("", g.timeField(), value)
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
	return f
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDivInt(a, b int64) int64 { return -floorDiv(-a, b) }
