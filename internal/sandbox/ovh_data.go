package sandbox

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// OVHLine is a telephony line of the sandbox's OVH data set.
type OVHLine struct {
	ServiceName string // e.g. "0033123456789"
	Description string // may be empty
}

// OVHBillingAccount is a billing account of the sandbox's OVH data set.
type OVHBillingAccount struct {
	BillingAccount string // e.g. "ab12345-ovh-1"
	Description    string
	Lines          []OVHLine
	// StatisticsRetired marks the account whose line statistics route is
	// gone (the operation is deprecated upstream): it answers 404 NOT_FOUND
	// while its listing endpoints still work.
	StatisticsRetired bool
}

// Notable members of the data set.
const (
	// OVHDegradedLine is the one line with bad call quality: its rtpMos is
	// always between 2600 and 3300, its lost packets higher. Every other
	// line's rtpMos over the last two hours is at least 3700, so an alert
	// "rtpMos < 3600" fires for exactly this line.
	OVHDegradedLine = "0033123456791"
	// OVHRetiredAccount is the billing account whose statistics route
	// answers 404 NOT_FOUND.
	OVHRetiredAccount = "zz99999-ovh-1"
)

// ovhAccounts is the data set, in the order GET /telephony lists it.
var ovhAccounts = []OVHBillingAccount{
	{
		BillingAccount: "ab12345-ovh-1",
		Description:    "Head office",
		Lines: []OVHLine{
			{"0033123456789", "Reception desk"},
			{"0033123456790", "Support hotline"},
			{OVHDegradedLine, "Sales floor"},
		},
	},
	{
		BillingAccount: "cd67890-ovh-1",
		Description:    "Warehouse",
		Lines: []OVHLine{
			{"0033987654321", "Loading bay"},
			{"0033987654322", ""},
		},
	},
	{
		BillingAccount:    OVHRetiredAccount,
		Description:       "Legacy PBX",
		Lines:             []OVHLine{{"0033555000111", "Legacy handset"}},
		StatisticsRetired: true,
	},
}

// OVHAccounts returns the sandbox's billing accounts with their lines, in the
// order the API lists them. The result is a copy the caller may modify.
func OVHAccounts() []OVHBillingAccount {
	out := slices.Clone(ovhAccounts)
	for i := range out {
		out[i].Lines = slices.Clone(out[i].Lines)
	}
	return out
}

// ovhAccount finds a billing account.
func ovhAccount(name string) (*OVHBillingAccount, bool) {
	for i := range ovhAccounts {
		if ovhAccounts[i].BillingAccount == name {
			return &ovhAccounts[i], true
		}
	}
	return nil, false
}

// line finds a line of the account.
func (a *OVHBillingAccount) line(serviceName string) (OVHLine, bool) {
	for _, l := range a.Lines {
		if l.ServiceName == serviceName {
			return l, true
		}
	}
	return OVHLine{}, false
}

// The four statistics types (telephony.LineStatisticsTypeEnum) and their units.
const (
	ovhMaxDelay   = "maxDelay"
	ovhMaxJitter  = "maxJitter"
	ovhRtpMos     = "rtpMos"
	ovhSumRtpLost = "sumRtpLost"
)

var ovhMetricUnits = map[string]string{
	ovhMaxDelay:   "s",
	ovhMaxJitter:  "s",
	ovhRtpMos:     "",
	ovhSumRtpLost: "",
}

// ovhTimeframe is a look-back window and the spacing of its points.
type ovhTimeframe struct {
	window, step time.Duration
}

// ovhTimeframes are the telephony.StatisticsTimeframeEnum values, as
// docs/architecture.md decides them.
var ovhTimeframes = map[string]ovhTimeframe{
	"hourly":  {time.Hour, time.Minute},
	"daily":   {24 * time.Hour, 5 * time.Minute},
	"weekly":  {7 * 24 * time.Hour, 30 * time.Minute},
	"monthly": {31 * 24 * time.Hour, 2 * time.Hour},
	"yearly":  {366 * 24 * time.Hour, 24 * time.Hour},
}

// OVHTimeframeWindow returns the look-back window of a statistics timeframe
// ("hourly", "daily", "weekly", "monthly", "yearly") and the spacing of its
// points.
func OVHTimeframeWindow(timeframe string) (window, step time.Duration, ok bool) {
	tf, ok := ovhTimeframes[timeframe]
	return tf.window, tf.step, ok
}

// OVHPoint is one point of a statistics answer; Value is nil for null.
type OVHPoint struct {
	Timestamp int64    `json:"timestamp"` // Unix seconds
	Value     *float64 `json:"value"`
}

// OVHStatistics is the answer of the line statistics call
// (complexType.UnitAndValues<telephony.TimestampAndValue>).
type OVHStatistics struct {
	Unit   string     `json:"unit"`
	Values []OVHPoint `json:"values"`
}

// Shape of the generated series.
const (
	ovhNullRate   = 0.03          // share of null points
	ovhCalmPoints = 10            // rtpMos: no null among the last points...
	ovhCalmPeriod = 2 * time.Hour // ...and no dip in the last two hours
)

// OVHLineStatistics computes the statistics the sandbox serves for a line
// (any service name) at the sandbox time now, as GET .../statistics does.
//
// The points are aligned on multiples of the timeframe's step, ascending,
// from the last one at or before now-window to the last one at or before
// now, so they cover the whole window. A point's value depends only on the
// line, the metric and its timestamp, with one exception that keeps alerts
// meaningful: rtpMos is never null on the last 10 points and never dips in
// the last two hours.
func OVHLineStatistics(line, timeframe, metric string, now time.Time) (OVHStatistics, error) {
	tf, ok := ovhTimeframes[timeframe]
	if !ok {
		return OVHStatistics{}, fmt.Errorf("unknown timeframe %q", timeframe)
	}
	unit, ok := ovhMetricUnits[metric]
	if !ok {
		return OVHStatistics{}, fmt.Errorf("unknown statistics type %q", metric)
	}
	step := int64(tf.step / time.Second)
	end := now.Unix()
	last := ovhFloorTo(end, step)
	first := ovhFloorTo(end-int64(tf.window/time.Second), step)
	n := int((last-first)/step) + 1

	values := make([]OVHPoint, 0, n)
	for i := range n {
		ts := first + int64(i)*step
		calm := metric == ovhRtpMos && (i >= n-ovhCalmPoints || end-ts < int64(ovhCalmPeriod/time.Second))
		values = append(values, OVHPoint{Timestamp: ts, Value: ovhValue(line, metric, ts, calm)})
	}
	return OVHStatistics{Unit: unit, Values: values}, nil
}

// ovhFloorTo rounds t down to a multiple of step (also for negative t).
func ovhFloorTo(t, step int64) int64 {
	q := t / step
	if t%step < 0 {
		q--
	}
	return q * step
}

// ovhValue is the value of metric on line at ts, or nil for a null point.
// calm suppresses nulls and dips.
func ovhValue(line, metric string, ts int64, calm bool) *float64 {
	if !calm && ovhDraw(line, metric, ts, "null") < ovhNullRate {
		return nil
	}
	degraded := line == OVHDegradedLine
	u := ovhDraw(line, metric, ts, "noise")          // point noise, 0..1
	spike := ovhDraw(line, metric, ts, "spike")      // rare events
	wave := ovhDailyWave(line, ts)                   // -1..1, slow daily rhythm
	level := ovhDraw(line, metric, 0, "level") - 0.5 // per line offset, -0.5..0.5
	var v float64
	switch metric {
	case ovhRtpMos:
		if degraded {
			// 2600..3300 always.
			v = ovhClamp(2950+40*level+200*wave+(u-0.5)*200, 2600, 3300)
		} else if !calm && spike < 0.015 {
			v = 2300 + 690*ovhDraw(line, metric, ts, "dip") // a bad call: 2300..2990
		} else {
			// 3800..4400, mostly around 4100.
			v = ovhClamp(4100+100*level+120*wave+(u-0.5)*160, 3800, 4400)
		}
		v = math.Round(v)
	case ovhMaxJitter:
		v = 0.001 + 0.019*u*u // 0.001..0.02
		if degraded {
			v += 0.012
		}
		if spike < 0.03 {
			v = 0.02 + 0.03*ovhDraw(line, metric, ts, "peak") // ..0.05
		}
		v = math.Round(v*1e4) / 1e4
	case ovhMaxDelay:
		v = 0.02 + 0.1*u + 0.02*(wave+1) // 0.02..0.16
		if degraded {
			v += 0.08
		}
		if spike < 0.03 {
			v = 0.16 + 0.24*ovhDraw(line, metric, ts, "peak") // ..0.4
		}
		v = math.Round(v*1e3) / 1e3
	case ovhSumRtpLost:
		v = math.Floor(6 * u * u * u) // 0..5, mostly 0
		if degraded {
			v = 15 + math.Floor(45*u)
		}
		if spike < 0.03 {
			v += 20 + math.Floor(180*ovhDraw(line, metric, ts, "peak"))
		}
	}
	return &v
}

// ovhDailyWave is a smooth daily rhythm in -1..1 with a per-line phase.
func ovhDailyWave(line string, ts int64) float64 {
	phase := 2 * math.Pi * ovhDraw(line, "", 0, "phase")
	return math.Sin(2*math.Pi*float64(ts%86400)/86400 + phase)
}

// ovhDraw is a deterministic pseudo-random number in [0, 1) for its inputs:
// FNV-1a over them, then a SplitMix64 finaliser so that neighbouring
// timestamps give unrelated numbers.
func ovhDraw(line, metric string, ts int64, salt string) float64 {
	h := uint64(14695981039346656037) // FNV-1a 64 offset basis
	h = fnv1a(h, line)
	h = fnv1a(h, "|"+metric+"|")
	for i := range 8 {
		h = (h ^ uint64(byte(ts>>(8*i)))) * 1099511628211
	}
	h = fnv1a(h, "|"+salt)
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return float64(h>>11) / (1 << 53)
}

// fnv1a continues an FNV-1a 64 hash over s.
func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

func ovhClamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }
