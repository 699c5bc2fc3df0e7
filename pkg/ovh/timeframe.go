package ovh

import (
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// OVHcloud's statistics take no start and end: a timeframe is a look-back
// window ending now. These are the windows the plugin assumes
// (docs/architecture.md), smallest first.
var timeframes = []struct {
	name   string
	window time.Duration
}{
	{"hourly", time.Hour},
	{"daily", 24 * time.Hour},
	{"weekly", 7 * 24 * time.Hour},
	{"monthly", 31 * 24 * time.Hour},
	{"yearly", 366 * 24 * time.Hour},
}

// clockSlack is how far before a window's start a range may begin and still
// count as covered. Grafana fixes "now" when the dashboard asks, so by the
// time the plugin plans, its own now is a little later: without the slack,
// "Last 1 hour" would need more than an hour and get the daily timeframe.
const clockSlack = time.Minute

// retention is the longest window: OVHcloud keeps nothing older.
var retention = timeframes[len(timeframes)-1]

// plan is how one dashboard time range is read from OVHcloud: the timeframe
// to ask for, the points to keep, and what the user should know about it.
type plan struct {
	timeframe string
	from, to  time.Time // points outside [from, to] are dropped
	notices   []data.Notice
}

// planTimeframe maps the time range [from, to] to an OVH timeframe at the
// instant now. "auto" picks the smallest window whose start (now − window,
// less clockSlack) is at or before from; a fixed timeframe is honoured as asked. Either way a
// notice says when part of the range cannot hold data.
func planTimeframe(asked string, from, to, now time.Time) plan {
	p := plan{timeframe: asked, from: from, to: to}
	if asked == "auto" {
		p.timeframe = retention.name
		for _, tf := range timeframes {
			if !now.Add(-tf.window - clockSlack).After(from) {
				p.timeframe = tf.name
				break
			}
		}
	}
	start := now.Add(-windowOf(p.timeframe))
	covered := !start.Add(-clockSlack).After(from)
	switch {
	case from.After(now):
		p.notices = append(p.notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(
			"The time range starts in the future (%s): OVHcloud has no line statistics for it yet.", stamp(from))})
	case !covered && p.timeframe == retention.name:
		p.notices = append(p.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"OVHcloud keeps at most %d days of line statistics: the part of the time range before %s is empty.",
			int(retention.window.Hours()/24), stamp(start))})
	case !covered:
		p.notices = append(p.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"The %s timeframe only reaches back to %s: the part of the time range before it is empty. Choose timeframe auto, or a longer one, to see it.",
			p.timeframe, stamp(start))})
	}
	return p
}

// windowOf returns the look-back window of a timeframe name.
func windowOf(name string) time.Duration {
	for _, tf := range timeframes {
		if tf.name == name {
			return tf.window
		}
	}
	return retention.window // unreachable: the query model only admits the names above
}

// stamp formats an instant for notices, in UTC to the minute.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
