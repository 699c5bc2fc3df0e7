package models

// The times a query can be about. A data frame's time field holds
// nanoseconds since 1970 in an int64, from 1677-09-21 to 2262-04-11, and
// Go's time.Duration and UnixNano stop at the same 292 years either side of
// 1970: a range reaching past them, which a dashboard's absolute range can
// (from 1700, to 9999), must be bounded before any arithmetic on it.

import (
	"fmt"
	"math"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// The first and last instants a frame's time field can hold, in whole
// seconds inside the int64 nanosecond range.
var (
	MinFrameTime = time.Unix(math.MinInt64/int64(time.Second)+1, 0).UTC() // 1677-09-21T00:12:44Z
	MaxFrameTime = time.Unix(math.MaxInt64/int64(time.Second), 0).UTC()   // 2262-04-11T23:47:16Z
)

// The range ClampRange bounds queries to: whole years inside the frame's
// times, with room to spare for buckets aligned before a range's start (a
// step of a few months at most).
var (
	MinRangeTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxRangeTime = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
)

// InFrameRange reports whether t can stand in a frame's time field.
func InFrameRange(t time.Time) bool {
	return !t.Before(MinFrameTime) && !t.After(MaxFrameTime)
}

// ClampRange bounds a query's range to MinRangeTime–MaxRangeTime, times a
// frame can hold, so that the sources' arithmetic on it (UnixNano, Sub,
// bucket counts) cannot overflow: nothing outside those times could be
// shown anyway. A range lying wholly outside them is an error naming the
// years (a 400 for the source to return); an empty or inverted range is
// returned as is, for the source's own message.
func ClampRange(tr backend.TimeRange) (backend.TimeRange, error) {
	if !tr.From.Before(tr.To) {
		return tr, nil
	}
	if !tr.To.After(MinRangeTime) || !tr.From.Before(MaxRangeTime) {
		return tr, fmt.Errorf("the time range (%s to %s) lies outside the years Grafana can show, %d to %d: pick a range within them",
			formatRangeEnd(tr.From), formatRangeEnd(tr.To), MinRangeTime.Year(), MaxRangeTime.Year()-1)
	}
	if tr.From.Before(MinRangeTime) {
		tr.From = MinRangeTime
	}
	if tr.To.After(MaxRangeTime) {
		tr.To = MaxRangeTime
	}
	return tr, nil
}

func formatRangeEnd(t time.Time) string { return t.UTC().Format(time.RFC3339) }
