package ovh

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
)

func TestPlanTimeframe(t *testing.T) {
	now := testNow
	day := 24 * time.Hour
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name     string
		asked    string
		from, to time.Time
		want     string
		notice   string // substring of the one notice expected, "" for none
		severity data.NoticeSeverity
	}{
		{"a few minutes", "auto", ago(5 * time.Minute), now, "hourly", "", 0},
		{"exactly one hour", "auto", ago(time.Hour), now, "hourly", "", 0},
		{"one hour and a second (Grafana's now lags)", "auto", ago(time.Hour + time.Second), now, "hourly", "", 0},
		{"one hour, a minute and a second", "auto", ago(time.Hour + time.Minute + time.Second), now, "daily", "", 0},
		{"exactly one day", "auto", ago(day), now, "daily", "", 0},
		{"one day, a minute and a second", "auto", ago(day + time.Minute + time.Second), now, "weekly", "", 0},
		{"exactly seven days", "auto", ago(7 * day), now, "weekly", "", 0},
		{"seven days, a minute and a second", "auto", ago(7*day + time.Minute + time.Second), now, "monthly", "", 0},
		{"exactly 31 days", "auto", ago(31 * day), now, "monthly", "", 0},
		{"31 days, a minute and a second", "auto", ago(31*day + time.Minute + time.Second), now, "yearly", "", 0},
		{"exactly 366 days", "auto", ago(366 * day), now, "yearly", "", 0},
		{"366 days and a minute: within the slack", "auto", ago(366*day + time.Minute), now, "yearly", "", 0},
		{"366 days, a minute and a second", "auto", ago(366*day + time.Minute + time.Second), now, "yearly", "keeps at most 366 days", data.NoticeSeverityWarning},
		{"two years, ending a year ago", "auto", ago(730 * day), ago(365 * day), "yearly", "before 2023-11-24 12:00 UTC is empty", data.NoticeSeverityWarning},
		{"To in the past picks by From", "auto", ago(3 * day), ago(2 * day), "weekly", "", 0},
		{"To in the past, within the hour", "auto", ago(50 * time.Minute), ago(20 * time.Minute), "hourly", "", 0},
		{"From in the future", "auto", now.Add(time.Hour), now.Add(2 * time.Hour), "hourly", "starts in the future", data.NoticeSeverityInfo},
		{"range ending in the future", "auto", ago(2 * time.Hour), now.Add(time.Hour), "daily", "", 0},
		{"fixed, covering", "weekly", ago(3 * day), now, "weekly", "", 0},
		{"fixed, longer than needed", "yearly", ago(time.Hour), now, "yearly", "", 0},
		{"fixed, exactly its window", "daily", ago(day), now, "daily", "", 0},
		{"fixed, a second short: within the slack", "daily", ago(day + time.Second), now, "daily", "", 0},
		{"fixed, a minute and a second short", "daily", ago(day + time.Minute + time.Second), now, "daily", "daily timeframe only reaches back to 2024-11-23 12:00 UTC", data.NoticeSeverityWarning},
		{"fixed yearly beyond retention", "yearly", ago(400 * day), now, "yearly", "keeps at most 366 days", data.NoticeSeverityWarning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := planTimeframe(tc.asked, tc.from, tc.to, now)
			if p.timeframe != tc.want {
				t.Errorf("timeframe %q, want %q", p.timeframe, tc.want)
			}
			if !p.from.Equal(tc.from) || !p.to.Equal(tc.to) {
				t.Errorf("kept [%s, %s], want the range [%s, %s]", p.from, p.to, tc.from, tc.to)
			}
			switch {
			case tc.notice == "" && len(p.notices) > 0:
				t.Errorf("unexpected notices %+v", p.notices)
			case tc.notice != "" && len(p.notices) != 1:
				t.Errorf("notices %+v, want one containing %q", p.notices, tc.notice)
			case tc.notice != "":
				if n := p.notices[0]; !strings.Contains(n.Text, tc.notice) || n.Severity != tc.severity {
					t.Errorf("notice %v %q, want %v containing %q", n.Severity, n.Text, tc.severity, tc.notice)
				}
			}
		})
	}
}

// Every timeframe of the query model has a window, and the windows grow.
func TestTimeframeWindows(t *testing.T) {
	want := map[string]time.Duration{"hourly": time.Hour, "daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
		"monthly": 31 * 24 * time.Hour, "yearly": 366 * 24 * time.Hour}
	for name, w := range want {
		if got := windowOf(name); got != w {
			t.Errorf("%s: window %s, want %s", name, got, w)
		}
	}
	for _, name := range models.TelephonyTimeframes {
		if _, ok := want[name]; !ok && name != "auto" {
			t.Errorf("the query model's timeframe %q has no window", name)
		}
	}
	for i := 1; i < len(timeframes); i++ {
		if timeframes[i].window <= timeframes[i-1].window {
			t.Errorf("%s is not longer than %s", timeframes[i].name, timeframes[i-1].name)
		}
	}
}
