package ovh

import (
	"cmp"
	"slices"
	"strings"
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

// seriesFrame builds the timeseries-multi frame of one series: the points
// inside the plan's [from, to], nulls kept as gaps.
func seriesFrame(spec frameSpec, st statistics, p plan) *data.Frame {
	scale := 1.0
	if spec.metric == metricRtpMos && spec.mosScale == models.MOSScaleMOS {
		scale = 1000 // 0–5000 → 1–5
	}
	times, values := pointsIn(st.Values, p.from, p.to, scale)
	return newFrame(spec, times, values, unitFor(spec.metric, st.Unit), slices.Clone(p.notices))
}

// errorFrame is the empty frame of a failed series: the same labels, so an
// alert rule keeps the instance, and the error as a notice.
func errorFrame(spec frameSpec, message string) *data.Frame {
	return newFrame(spec, []time.Time{}, []*float64{}, unitFor(spec.metric, ""),
		[]data.Notice{{Severity: data.NoticeSeverityError, Text: message}})
}

func newFrame(spec frameSpec, times []time.Time, values []*float64, unit string, notices []data.Notice) *data.Frame {
	labels := data.Labels{"billingAccount": spec.billingAccount, "line": spec.line, "metric": spec.metric}
	value := data.NewField("value", labels, values)
	value.Config = fieldConfig(spec, unit)
	f := data.NewFrame("", data.NewField("time", nil, times), value)
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

// pointsIn converts OVHcloud's points inside [from, to] to UTC times and
// values divided by scale. A null stays nil (a gap), never zero.
//
// A timestamp sent more than once keeps one point: a value rather than a
// null (a null only says nothing was measured), and among values the last
// one sent (OVHcloud's latest word on that instant). Two points at one
// instant would draw a vertical stroke and count twice in an alert rule's
// reduction.
func pointsIn(in []point, from, to time.Time, scale float64) ([]time.Time, []*float64) {
	if !slices.IsSortedFunc(in, byTimestamp) {
		in = slices.Clone(in)
		slices.SortStableFunc(in, byTimestamp) // stable: equal timestamps stay in the order sent
	}
	times := make([]time.Time, 0, len(in))
	values := make([]*float64, 0, len(in))
	store := make([]float64, 0, len(in)) // the values, in one array
	for i, pt := range in {
		ts := time.Unix(pt.Timestamp, 0).UTC()
		if ts.Before(from) || ts.After(to) {
			continue
		}
		var v *float64
		if pt.Value != nil {
			store = append(store, *pt.Value/scale)
			v = &store[len(store)-1]
		}
		if i > 0 && len(times) > 0 && in[i-1].Timestamp == pt.Timestamp {
			if v != nil { // a value replaces a null or an earlier value
				values[len(values)-1] = v
			}
			continue
		}
		times = append(times, ts)
		values = append(values, v)
	}
	return times, values
}

func byTimestamp(a, b point) int { return cmp.Compare(a.Timestamp, b.Timestamp) }

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
