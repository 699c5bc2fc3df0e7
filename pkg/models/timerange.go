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

// InFrameRange reports whether t can stand in a frame's time field.
func InFrameRange(t time.Time) bool {
	return !t.Before(MinFrameTime) && !t.After(MaxFrameTime)
}

// ClampRange bounds a query's range to the times a frame can hold, so that
// the sources' arithmetic on it (UnixNano, Sub, bucket counts) cannot
// overflow: nothing outside those times could be shown anyway. A range
// lying wholly outside them is a 400 naming the years; an empty or inverted
// range is returned as is, for the source's own message.
func ClampRange(tr backend.TimeRange) (backend.TimeRange, error) {
	if !tr.From.Before(tr.To) {
		return tr, nil
	}
	if !tr.To.After(MinFrameTime) || !tr.From.Before(MaxFrameTime) {
		return tr, fmt.Errorf("the time range (%s to %s) lies outside the years Grafana can show, %d to %d: pick a range within them",
			formatRangeEnd(tr.From), formatRangeEnd(tr.To), MinFrameTime.Year(), MaxFrameTime.Year())
	}
	if tr.From.Before(MinFrameTime) {
		tr.From = MinFrameTime
	}
	if tr.To.After(MaxFrameTime) {
		tr.To = MaxFrameTime
	}
	return tr, nil
}

func formatRangeEnd(t time.Time) string { return t.UTC().Format(time.RFC3339) }
