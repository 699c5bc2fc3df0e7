package onapp

// Frames per the data-plane contract: one timeseries-multi frame per series,
// identity in labels (traffic, and location or resource when grouped).

import (
	"cmp"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
)

// Grafana unit ids: OnApp's GB are SI (1 GB = 1000 MB), and MBPS are
// megabits per second.
const (
	unitGB   = "decgbytes"
	unitMbps = "Mbits"
)

// seriesKey identifies one series of an answer.
type seriesKey struct {
	traffic string
	group   string // "" when not grouped
}

// namer gives the readable name of a group (a hostname, a city), or "".
type namer func(group string) string

func noNames(string) string { return "" }

// frameSpec is what the frames need besides the answer.
type frameSpec struct {
	dim     string        // the group label's name: "resource", "location" or ""
	unit    string        // unitGB or unitMbps
	step    time.Duration // the points' spacing, for the time field's interval
	notices []data.Notice
	name    namer
}

// buildFrames turns an answer into one frame per series, in a stable
// order: by traffic, then by id. Points are sorted by time; two figures of
// one series at one time are parts of one bucket, so they are added, in the
// answer's order.
func buildFrames(a answer, spec frameSpec) data.Frames {
	// First the series of each sample, counting their points, then the
	// points into slices of the right size. The series of a group are
	// found by the group's index and the traffic kind's.
	groups := make([][2]int32, len(a.groups)+1)
	for i := range groups {
		groups[i] = [2]int32{-1, -1}
	}
	var series []*seriesPoints
	var counts []int
	of := make([]int32, len(a.samples))
	for j, s := range a.samples {
		g := &groups[s.group]
		if g[s.traffic] < 0 {
			g[s.traffic] = int32(len(series))
			series = append(series, &seriesPoints{key: seriesKey{trafficKinds[s.traffic], a.groupOf(s)}})
			counts = append(counts, 0)
		}
		of[j] = g[s.traffic]
		counts[of[j]]++
	}
	for i, p := range series {
		p.stamps, p.values = make([]int64, 0, counts[i]), make([]float64, 0, counts[i])
	}
	for j, s := range a.samples {
		series[of[j]].add(s.at, s.value)
	}
	if len(series) == 0 {
		return data.Frames{emptyFrame(spec.notices)}
	}
	slices.SortFunc(series, func(a, b *seriesPoints) int {
		return cmp.Or(cmp.Compare(a.key.traffic, b.key.traffic), compareIDs(a.key.group, b.key.group), cmp.Compare(a.key.group, b.key.group))
	})
	frames := make(data.Frames, 0, len(series))
	for _, p := range series {
		frames = append(frames, seriesFrame(p, spec))
	}
	return frames
}

// seriesPoints gathers one series' figures in the answer's order.
type seriesPoints struct {
	key    seriesKey
	stamps []int64 // Unix nanoseconds
	values []float64
}

func (p *seriesPoints) add(stamp int64, v float64) {
	p.stamps = append(p.stamps, stamp)
	p.values = append(p.values, v)
}

// points returns the series' times in order, each with the sum of its
// figures (added in the answer's order).
func (p *seriesPoints) points() ([]time.Time, []float64) {
	// Answers come in ascending or descending date order: only other
	// orders need the sort, which is stable so that figures of one time
	// keep the answer's order.
	if !slices.IsSorted(p.stamps) {
		order := make([]int, len(p.stamps))
		for i := range order {
			order[i] = i
		}
		if isDescending(p.stamps) {
			slices.Reverse(order)
		} else {
			slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p.stamps[a], p.stamps[b]) })
		}
		stamps := make([]int64, len(order))
		values := make([]float64, len(order))
		for i, j := range order {
			stamps[i], values[i] = p.stamps[j], p.values[j]
		}
		p.stamps, p.values = stamps, values
	}
	times := make([]time.Time, 0, len(p.stamps))
	values := make([]float64, 0, len(p.stamps))
	for j := 0; j < len(p.stamps); {
		stamp, sum := p.stamps[j], 0.0
		for ; j < len(p.stamps) && p.stamps[j] == stamp; j++ {
			sum += p.values[j]
		}
		times = append(times, time.Unix(0, stamp).UTC())
		values = append(values, sum)
	}
	return times, values
}

// isDescending reports whether every stamp is after the next one.
func isDescending(stamps []int64) bool {
	for i := 1; i < len(stamps); i++ {
		if stamps[i] >= stamps[i-1] {
			return false
		}
	}
	return true
}

func seriesFrame(p *seriesPoints, spec frameSpec) *data.Frame {
	k := p.key
	times, values := p.points()

	labels := data.Labels{"traffic": k.traffic}
	display := k.traffic
	if k.group != "" {
		dim := cmp.Or(spec.dim, "group")
		labels[dim] = k.group
		display = cmp.Or(spec.name(k.group), k.group) + " " + k.traffic
	}
	timeField := data.NewField("time", nil, times)
	timeField.Config = &data.FieldConfig{Interval: float64(spec.step.Milliseconds())}
	valueField := data.NewField("value", labels, values)
	valueField.Config = &data.FieldConfig{Unit: spec.unit, DisplayNameFromDS: display}

	f := data.NewFrame(display, timeField, valueField)
	f.Meta = frameMeta(spec.notices)
	return f
}

// emptyFrame is the data plane's "no data" answer: a typed frame without
// fields, carrying the notices that explain why.
func emptyFrame(notices []data.Notice) *data.Frame {
	f := data.NewFrame("")
	f.Meta = frameMeta(notices)
	return f
}

func frameMeta(notices []data.Notice) *data.FrameMeta {
	return &data.FrameMeta{
		Type:        data.FrameTypeTimeSeriesMulti,
		TypeVersion: data.FrameTypeVersion{0, 1},
		Notices:     slices.Clone(notices),
	}
}

func unitOf(typ string) string {
	if typ == models.CDNTypeMBPS {
		return unitMbps
	}
	return unitGB
}
