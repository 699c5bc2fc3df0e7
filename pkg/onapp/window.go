package onapp

// The time rules of OnApp's bandwidth statistics (docs/upstream-apis.md §2):
// MBPS rates exist for the last 10 days only, and the points are daily,
// weekly or fortnightly sums depending on the range's length. Both are
// surfaced as notices rather than hidden.

import (
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Bucket sizes, in the documentation's seconds.
const (
	day       = 86400 * time.Second
	week      = 604800 * time.Second
	fortnight = 1209600 * time.Second
)

// mbpsRetention is how far back OnApp keeps MBPS rates.
const mbpsRetention = 10 * 24 * time.Hour

// clampSlack is how far before the 10-day limit a range may start without a
// notice: "Last 10 days" computed by Grafana a moment before the plugin's own
// clock reads should not warn about the few seconds cut.
const clampSlack = time.Minute

// dateLayout is the request's date form, as in the documented example
// (2014-11-25T18:25), in the OnApp server's wall clock.
const dateLayout = "2006-01-02T15:04"

// window is the time range asked of OnApp and what the user is told about it.
type window struct {
	start, end time.Time     // as sent: minute precision, in the OnApp zone
	step       time.Duration // the points' spacing OnApp will use
	notices    []data.Notice
	none       bool // the whole range is older than OnApp keeps: nothing to ask
}

// planWindow turns the dashboard's range into the range sent to OnApp,
// bounded first to the times a frame can hold (models.ClampRange).
func planWindow(tr backend.TimeRange, typ string, now time.Time, loc *time.Location) (window, error) {
	tr, err := models.ClampRange(tr)
	if err != nil {
		return window{}, upstream.BadQuery(err)
	}
	from, to := tr.From, tr.To
	if !from.Before(to) {
		return window{}, upstream.BadQueryf("the time range is empty: from %s is not before to %s",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	var w window
	if typ == models.CDNTypeMBPS {
		oldest := now.Add(-mbpsRetention)
		if !to.After(oldest) {
			w.none = true
			w.notices = append(w.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
				"OnApp keeps MBPS rates for the last 10 days only (since %s) and this range ends before that, so there is no data: use type GB for older traffic",
				wallClock(oldest, loc))})
			return w, nil
		}
		if from.Before(oldest) {
			if oldest.Sub(from) > clampSlack {
				w.notices = append(w.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
					"OnApp keeps MBPS rates for the last 10 days only: the range was shortened to start at %s; use type GB for older traffic",
					wallClock(ceilMinute(oldest), loc))})
			}
			from = ceilMinute(oldest)
		}
	}
	w.start = from.Truncate(time.Minute).In(loc)
	w.end = to.Truncate(time.Minute).In(loc)
	if !w.start.Before(w.end) { // a range shorter than a minute
		w.end = w.start.Add(time.Minute)
	}
	w.step = bucketStep(w.start, w.end)
	if n := bucketNotice(w.step); n != nil {
		w.notices = append(w.notices, *n)
	}
	return w, nil
}

// bucketStep is the points' spacing for a range: its length in days,
// ceil((end − start) / 24 h), ≤ 30 gives days, 31–92 weeks, ≥ 93 fortnights
// (docs/architecture.md; the document's "31–93" and "≥ 93" overlap at 93).
// The length is counted in seconds: a time.Duration stops at 292 years,
// and a dashboard's range can be longer.
func bucketStep(start, end time.Time) time.Duration {
	secs := end.Unix() - start.Unix()
	if end.Nanosecond() > start.Nanosecond() {
		secs++ // part of a second more
	}
	days := secs / 86400
	if secs%86400 != 0 {
		days++
	}
	switch {
	case days <= 30:
		return day
	case days <= 92:
		return week
	}
	return fortnight
}

// bucketNotice tells the user when points are sums of several days: a
// weekly bar is not comparable with a daily one, and alert thresholds must
// know it.
func bucketNotice(step time.Duration) *data.Notice {
	var text string
	switch step {
	case week:
		text = "Each point is the sum of 7 days, stamped with its first day: OnApp sums ranges of 31 to 92 days by week"
	case fortnight:
		text = "Each point is the sum of 14 days, stamped with its first day: OnApp sums ranges of 93 days or more by fortnight"
	default:
		return nil
	}
	return &data.Notice{Severity: data.NoticeSeverityInfo, Text: text}
}

// wallClock writes t for a notice, in the OnApp zone, naming it.
func wallClock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04") + " " + loc.String()
}

func ceilMinute(t time.Time) time.Time {
	if r := t.Truncate(time.Minute); !r.Equal(t) {
		return r.Add(time.Minute)
	}
	return t
}
