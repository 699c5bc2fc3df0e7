package ovh

import (
	"testing"
	"time"
)

// point is a statistics point as encoding/json reads it (decode_test.go's
// oracle); Value is nil where OVHcloud sent null.
type point struct {
	Timestamp int64    `json:"timestamp"`
	Value     *float64 `json:"value"`
}

// samplesOf is points as the reader's samples.
func samplesOf(in []point) []sample {
	var out []sample
	for _, pt := range in {
		s := sample{ts: pt.Timestamp}
		if pt.Value != nil {
			s.value, s.ok = *pt.Value, true
		}
		out = append(out, s)
	}
	return out
}

// pointsIn is pointsOf on points, in plain slices:
// the points inside [from, to] as UTC times and values divided by scale.
func pointsIn(in []point, from, to time.Time, scale float64) ([]time.Time, []*float64) {
	pts := pointsOf(samplesOf(in), "maxDelay", "", scale, plan{from: from, to: to})
	times := make([]time.Time, pts.times.Len())
	values := make([]*float64, pts.values.Len())
	for i := range times {
		times[i] = pts.times.At(i).(time.Time)
		values[i] = pts.values.At(i).(*float64)
	}
	return times, values
}

func TestUnitFor(t *testing.T) {
	cases := []struct{ metric, ovhUnit, want string }{
		{"maxJitter", "s", "s"},
		{"maxDelay", "s", "s"},
		{"maxDelay", "", "s"}, // seconds when OVHcloud names no unit
		{"maxJitter", "ms", "ms"},
		{"maxDelay", " Seconds ", "s"},
		{"rtpMos", "", "none"},
		{"rtpMos", "s", "none"}, // a score whatever the answer says
		{"sumRtpLost", "", "none"},
		{"sumRtpLost", "packets", "suffix: packets"},
	}
	for _, tc := range cases {
		if got := unitFor(tc.metric, tc.ovhUnit); got != tc.want {
			t.Errorf("unitFor(%s, %q) = %q, want %q", tc.metric, tc.ovhUnit, got, tc.want)
		}
	}
}

// Points come out ascending and inside [from, to] (bounds included), nulls
// as nil, values scaled.
func TestPointsIn(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	in := []point{{300, v(3000)}, {100, v(1000)}, {400, nil}, {200, nil}, {500, v(5000)}, {0, v(1)}}
	times, values := pointsIn(in, time.Unix(100, 0), time.Unix(400, 0), 1000)
	wantT := []int64{100, 200, 300, 400}
	wantV := []*float64{v(1), nil, v(3), nil}
	if len(times) != len(wantT) || len(values) != len(wantV) {
		t.Fatalf("%d times %d values", len(times), len(values))
	}
	for i := range wantT {
		if times[i].Unix() != wantT[i] || times[i].Location() != time.UTC {
			t.Errorf("time %d: %v", i, times[i])
		}
		if (values[i] == nil) != (wantV[i] == nil) || (values[i] != nil && *values[i] != *wantV[i]) {
			t.Errorf("value %d: %v, want %v", i, values[i], wantV[i])
		}
	}
	if in[0].Timestamp != 300 {
		t.Error("the answer itself was reordered")
	}
}
