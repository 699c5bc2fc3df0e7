package ovh

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
)

// The metric whose scale the query may change.
const metricRtpMos = "rtpMos"

// frameSpec is everything about a series but its points.
type frameSpec struct {
	billingAccount, line, metric string
	name                         string // the line's description, or its name
	mosScale                     string
	executed                     string // Meta.ExecutedQueryString
}

// seriesPoints is one series' points as its frame holds them, and its
// Grafana unit: built as soon as the answer is read (readPoints), so that
// nothing else of the answer outlives its reading.
type seriesPoints struct {
	times, values *data.Field
	unit          string
}

// scaleOf is what a metric's values are divided by: MOS read on the 1–5
// scale is sent on a 0–5000 one.
func scaleOf(metric, mosScale string) float64 {
	if metric == metricRtpMos && mosScale == models.MOSScaleMOS {
		return 1000
	}
	return 1
}

// pointsFrame builds the timeseries-multi frame of one series from its
// points.
func pointsFrame(spec frameSpec, pts *seriesPoints, p plan) *data.Frame {
	return newFrame(spec, pts.times, pts.values, pts.unit, slices.Clone(p.notices))
}

// errorFrame is the empty frame of a failed series: the same labels, so an
// alert rule keeps the instance, and the error as a notice.
func errorFrame(spec frameSpec, message string) *data.Frame {
	return newFrame(spec, data.NewField("time", nil, []time.Time{}), data.NewField("value", nil, []*float64{}), unitFor(spec.metric, ""),
		[]data.Notice{{Severity: data.NoticeSeverityError, Text: message}})
}

// newFrame names and labels the fields and puts them in a frame.
func newFrame(spec frameSpec, times, value *data.Field, unit string, notices []data.Notice) *data.Frame {
	times.Name, value.Name = "time", "value"
	value.Labels = data.Labels{"billingAccount": spec.billingAccount, "line": spec.line, "metric": spec.metric}
	value.Config = fieldConfig(spec, unit)
	f := data.NewFrame("", times, value)
	f.Meta = &data.FrameMeta{
		Type:                data.FrameTypeTimeSeriesMulti,
		TypeVersion:         data.FrameTypeVersion{0, 1},
		Notices:             notices,
		ExecutedQueryString: spec.executed,
	}
	return f
}

// fieldConfig names the series and bounds the MOS axis to its scale.
func fieldConfig(spec frameSpec, unit string) *data.FieldConfig {
	fc := &data.FieldConfig{Unit: unit, DisplayNameFromDS: spec.name + " " + spec.metric}
	if spec.metric != metricRtpMos {
		return fc
	}
	if spec.mosScale == models.MOSScaleMOS {
		fc.DisplayNameFromDS += " (MOS 1–5)"
		return fc.SetMin(1).SetMax(5)
	}
	return fc.SetMin(0).SetMax(5000)
}

// sampleBufs are the buffers samples are read into, one per answer being
// read, reused from answer to answer: the samples only live until their
// frame's vectors are built.
var sampleBufs = sync.Pool{New: func() any { return new([]sample) }}

// pointsOf builds a series' points from its samples (reordered in place
// when they are not ascending): UTC times inside [from, to] and values
// divided by scale, straight into the frame's two vectors. A null stays nil
// (a gap), never zero.
//
// A timestamp sent more than once keeps one point: a value rather than a
// null (a null only says nothing was measured), and among values the last
// one sent (OVHcloud's latest word on that instant). Two points at one
// instant would draw a vertical stroke and count twice in an alert rule's
// reduction.
func pointsOf(in []sample, metric, ovhUnit string, scale float64, p plan) *seriesPoints {
	if !slices.IsSortedFunc(in, byTimestamp) {
		slices.SortStableFunc(in, byTimestamp) // stable: equal timestamps stay in the order sent
	}
	inside := func(i int) bool {
		ts := time.Unix(in[i].ts, 0)
		return !ts.Before(p.from) && !ts.After(p.to)
	}
	n, values := 0, 0 // the points kept, and the values among the samples inside
	for i := range in {
		if !inside(i) {
			continue
		}
		if in[i].ok {
			values++
		}
		if i == 0 || in[i-1].ts != in[i].ts {
			n++
		}
	}
	times := data.NewFieldFromFieldType(data.FieldTypeTime, n)
	vals := data.NewFieldFromFieldType(data.FieldTypeNullableFloat64, n)
	store := make([]float64, 0, values) // the values, in one array
	j := -1                             // the point being written
	for i, s := range in {
		if !inside(i) {
			continue
		}
		if i == 0 || in[i-1].ts != s.ts {
			j++
			*times.PointerAt(j).(*time.Time) = time.Unix(s.ts, 0).UTC()
		}
		if s.ok { // a value replaces a null or an earlier value
			store = append(store, s.value/scale)
			*vals.PointerAt(j).(**float64) = &store[len(store)-1]
		}
	}
	return &seriesPoints{times: times, values: vals, unit: unitFor(metric, ovhUnit)}
}

func byTimestamp(a, b sample) int { return cmp.Compare(a.ts, b.ts) }

// unitFor maps a metric and the unit OVHcloud sent to a Grafana unit. Delay
// and jitter are in seconds when OVHcloud names no unit (the source document
// says so for jitter); MOS and lost packets are plain numbers.
func unitFor(metric, ovhUnit string) string {
	if metric == metricRtpMos {
		return "none"
	}
	switch strings.ToLower(strings.TrimSpace(ovhUnit)) {
	case "s", "sec", "second", "seconds":
		return "s"
	case "ms", "millisecond", "milliseconds":
		return "ms"
	case "":
		if metric == "maxDelay" || metric == "maxJitter" {
			return "s"
		}
		return "none"
	}
	return "suffix: " + strings.TrimSpace(ovhUnit)
}
