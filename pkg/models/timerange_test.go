package models

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestClampRange(t *testing.T) {
	y := func(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		from, to         time.Time
		wantFrom, wantTo time.Time
		err              string
	}{
		{y(2026), y(2027), y(2026), y(2027), ""},
		{y(1700), y(2026), y(1700), y(2026), ""},
		{y(1), y(2026), MinRangeTime, y(2026), ""},
		{y(2000), y(9999), y(2000), MaxRangeTime, ""},
		{y(1), y(9999), MinRangeTime, MaxRangeTime, ""},
		{y(2261), y(2263), y(2261), MaxRangeTime, ""},
		{y(1), y(1000), time.Time{}, time.Time{}, "lies outside the years Grafana can show, 1678 to 2261"},
		{y(2262), y(9999), time.Time{}, time.Time{}, "lies outside the years Grafana can show"},
		{y(2027), y(2026), y(2027), y(2026), ""}, // inverted: left to the source's own message
	}
	for _, tc := range cases {
		got, err := ClampRange(backend.TimeRange{From: tc.from, To: tc.to})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v–%v: %v, want %q", tc.from, tc.to, err, tc.err)
			}
			continue
		}
		if err != nil || !got.From.Equal(tc.wantFrom) || !got.To.Equal(tc.wantTo) {
			t.Errorf("%v–%v: %v–%v %v", tc.from, tc.to, got.From, got.To, err)
		}
		if err == nil && tc.from.Before(tc.to) && (got.From.UnixNano() > got.To.UnixNano() || !InFrameRange(got.From) || !InFrameRange(got.To)) {
			t.Errorf("%v–%v: clamped range %v–%v does not survive UnixNano", tc.from, tc.to, got.From, got.To)
		}
	}
	if MinFrameTime.UnixNano() > 0 || MaxFrameTime.UnixNano() < 0 || InFrameRange(MinFrameTime.Add(-time.Second)) || InFrameRange(MaxFrameTime.Add(time.Second)) {
		t.Errorf("frame bounds %v %v", MinFrameTime, MaxFrameTime)
	}
}
