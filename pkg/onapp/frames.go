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
// one series at one time are parts of one bucket, so they are added.
func buildFrames(a answer, spec frameSpec) data.Frames {
	points := map[seriesKey]map[int64]float64{}
	for _, s := range a.samples {
		k := seriesKey{s.traffic, s.group}
		if points[k] == nil {
			points[k] = map[int64]float64{}
		}
		points[k][s.at.UnixNano()] += s.value
	}
	if len(points) == 0 {
		return data.Frames{emptyFrame(spec.notices)}
	}
	keys := make([]seriesKey, 0, len(points))
	for k := range points {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b seriesKey) int {
		return cmp.Or(cmp.Compare(a.traffic, b.traffic), compareIDs(a.group, b.group))
	})
	frames := make(data.Frames, 0, len(keys))
	for _, k := range keys {
		frames = append(frames, seriesFrame(k, points[k], spec))
	}
	return frames
}

func seriesFrame(k seriesKey, byTime map[int64]float64, spec frameSpec) *data.Frame {
	stamps := make([]int64, 0, len(byTime))
	for t := range byTime {
		stamps = append(stamps, t)
	}
	slices.Sort(stamps)
	times := make([]time.Time, len(stamps))
	values := make([]float64, len(stamps))
	for i, t := range stamps {
		times[i] = time.Unix(0, t).UTC()
		values[i] = byTime[t]
	}

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
