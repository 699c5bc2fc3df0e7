package onapp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// TestBuckets: the range's length in days picks the points' spacing, and
// sums of several days are announced.
func TestBuckets(t *testing.T) {
	paris := mustZone("Europe/Paris")
	from := time.Date(2024, 1, 10, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		name   string
		length time.Duration
		step   time.Duration
		notice string
	}{
		{"1 day", 24 * time.Hour, day, ""},
		{"30 days", 30 * 24 * time.Hour, day, ""},
		{"30 days and a minute is 31 days", 30*24*time.Hour + time.Minute, week, "sum of 7 days, stamped with its first day"},
		{"31 days", 31 * 24 * time.Hour, week, "sum of 7 days, stamped with its first day"},
		{"92 days", 92 * 24 * time.Hour, week, "sum of 7 days"},
		{"93 days", 93 * 24 * time.Hour, fortnight, "sum of 14 days, stamped with its first day"},
		{"94 days", 94 * 24 * time.Hour, fortnight, "sum of 14 days"},
		{"400 days", 400 * 24 * time.Hour, fortnight, "sum of 14 days"},
		{"seconds are dropped, not rounded up", 30*24*time.Hour + 59*time.Second, day, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := planWindow(backend.TimeRange{From: from, To: from.Add(tc.length)}, "GB", testNow, paris)
			if err != nil {
				t.Fatal(err)
			}
			if w.step != tc.step {
				t.Errorf("step %v, want %v", w.step, tc.step)
			}
			checkNotices(t, w.notices, data.NoticeSeverityInfo, tc.notice)
			if w.start.Location() != paris || w.start.Format(dateLayout) != "2024-01-10T10:30" {
				t.Errorf("start %v, want 2024-01-10T10:30 in Paris", w.start)
			}
		})
	}
}

// TestMBPSRetention: MBPS rates exist for 10 days only; the start is
// clamped and the user told, or nothing is asked when the whole range is
// older.
func TestMBPSRetention(t *testing.T) {
	paris := mustZone("Europe/Paris")
	oldest := testNow.Add(-mbpsRetention)
	cases := []struct {
		name      string
		from, to  time.Time
		start     string // sent start, "" when nothing is asked
		notice    string
		noNotices bool
	}{
		{"12 days to now clamps", testNow.Add(-12 * 24 * time.Hour), testNow, "2024-06-05T12:00", "shortened to start at 2024-06-05 12:00 Europe/Paris", false},
		{"within the 10 days is untouched", testNow.Add(-3 * 24 * time.Hour), testNow, "2024-06-12T12:00", "", true},
		{"Last 10 days a few seconds early is clamped quietly", oldest.Add(-5 * time.Second), testNow, "2024-06-05T12:00", "", true},
		{"entirely older than 10 days", testNow.Add(-20 * 24 * time.Hour), oldest.Add(-time.Hour), "", "ends before that, so there is no data", false},
		{"ending exactly at the limit", testNow.Add(-20 * 24 * time.Hour), oldest, "", "no data", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := planWindow(backend.TimeRange{From: tc.from, To: tc.to}, "MBPS", testNow, paris)
			if err != nil {
				t.Fatal(err)
			}
			if w.none != (tc.start == "") {
				t.Fatalf("none = %v, want %v", w.none, tc.start == "")
			}
			if !w.none {
				if got := w.start.Format(dateLayout); got != tc.start {
					t.Errorf("start %s, want %s", got, tc.start)
				}
				if w.step != day {
					t.Errorf("step %v, want a day", w.step)
				}
			}
			if tc.noNotices {
				if len(w.notices) != 0 {
					t.Errorf("unexpected notices %v", w.notices)
				}
				return
			}
			checkNotices(t, w.notices, data.NoticeSeverityWarning, tc.notice)
		})
	}
}

// TestMBPSOverTwelveDaysAsksTenAndSaysSo runs the clamp end to end.
func TestMBPSOverTwelveDaysAsksTenAndSaysSo(t *testing.T) {
	fake := newFakeOnApp(t)
	fake.handle("/cdn_resources/bandwidth.json", serveFile(t, "testdata/mbps_clamped_json.upstream.json"))
	src := newTestSource(t, fake.URL, nil)
	resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{"type": "MBPS"}, testNow.Add(-12*24*time.Hour), testNow))
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	r := fake.requests("/cdn_resources/bandwidth.json")[0]
	if !strings.Contains(r.Body, `"start":"2024-06-05T12:00","end":"2024-06-15T12:00"`) || !strings.Contains(r.RawQuery, "bandwidth%5Bstart%5D=2024-06-05T12%3A00") {
		t.Errorf("the request should start 10 days back: %s ? %s", r.Body, r.RawQuery)
	}
	for _, f := range resp.Frames {
		checkNotices(t, f.Meta.Notices, data.NoticeSeverityWarning, "last 10 days only")
		if u := f.Fields[1].Config.Unit; u != unitMbps {
			t.Errorf("unit %q, want %q", u, unitMbps)
		}
	}
}

func TestEmptyRangeIsABadQuery(t *testing.T) {
	_, err := planWindow(backend.TimeRange{From: testNow, To: testNow.Add(-time.Hour)}, "GB", testNow, time.UTC)
	var bq *upstream.BadQueryError
	if !errors.As(err, &bq) {
		t.Fatalf("got %v, want a bad query", err)
	}
}

func TestSubMinuteRangeAsksOneMinute(t *testing.T) {
	w, err := planWindow(backend.TimeRange{From: testNow.Add(10 * time.Second), To: testNow.Add(20 * time.Second)}, "GB", testNow, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if w.end.Sub(w.start) != time.Minute {
		t.Errorf("start %v end %v, want one minute", w.start, w.end)
	}
}

// checkNotices wants exactly one notice of the severity containing text,
// or none when text is "".
func checkNotices(t *testing.T, notices []data.Notice, sev data.NoticeSeverity, text string) {
	t.Helper()
	if text == "" {
		if len(notices) != 0 {
			t.Errorf("unexpected notices %v", notices)
		}
		return
	}
	if len(notices) != 1 || notices[0].Severity != sev || !strings.Contains(notices[0].Text, text) {
		t.Errorf("notices %v, want one %v notice with %q", notices, sev, text)
	}
}
