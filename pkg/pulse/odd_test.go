package pulse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// TestSeriesOverRangesPastWhatDurationsHold: derived series over ranges
// Grafana can send — from the year 1, 1700, to 2262 and past, to 9999 —
// keep the bucket bound, a time axis inside the range, and put logs of
// different years in different buckets (a time.Duration overflows past 292
// years and UnixNano past 2262, which put every log in one bucket).
func TestSeriesOverRangesPastWhatDurationsHold(t *testing.T) {
	y := func(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }
	logs := []time.Time{y(1701).AddDate(0, 2, 0), y(1850), y(2000).Add(12 * time.Hour), y(2000).Add(36 * time.Hour), y(2025), y(2200)}
	fake := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) {
		var rows []string
		for _, at := range logs {
			rows = append(rows, fmt.Sprintf(`{"entreprise":{"id":"e1"},"route":"/r","timestamp":%q,"executionTime":5}`, at.Format(time.RFC3339)))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "["+strings.Join(rows, ",")+"]")
	})
	src := newTestSource(t, fake.URL)
	for _, tc := range []struct {
		from, to time.Time
		inRange  int // logs inside the range
		buckets  int // non-empty buckets
	}{
		{y(1), y(2026), 5, 4},
		{y(1700), y(2026), 5, 4},
		{y(1700), y(9999), 6, 5},
		{y(1), y(9999), 6, 5},
		{y(2000), y(2262).Add(time.Hour), 4, 3},
		{y(1999), y(2001), 2, 2}, // a step of 12 h
	} {
		raw, _ := json.Marshal(map[string]any{"report": "requestRate"})
		resp := src.HandleQuery(ctxT(t), backend.DataQuery{RefID: "A", QueryType: models.QueryTypeUsage, JSON: raw,
			TimeRange: backend.TimeRange{From: tc.from, To: tc.to}, Interval: time.Minute})
		if resp.Error != nil || len(resp.Frames) != 1 {
			t.Fatalf("%v–%v: %v", tc.from, tc.to, resp.Error)
		}
		times, counts := resp.Frames[0].Fields[0], resp.Frames[0].Fields[1]
		if n := times.Len(); n < 2 || n > maxBuckets+1 {
			t.Errorf("%v–%v: %d buckets", tc.from, tc.to, n)
		}
		first, last := times.At(0).(time.Time), times.At(times.Len()-1).(time.Time)
		lo, hi := tc.from, tc.to
		if lo.Before(models.MinRangeTime) {
			lo = models.MinRangeTime
		}
		if hi.After(models.MaxRangeTime) {
			hi = models.MaxRangeTime
		}
		if first.After(lo) || !last.Before(hi) || !models.InFrameRange(first) || !models.InFrameRange(last) {
			t.Errorf("%v–%v: axis %v to %v", tc.from, tc.to, first, last)
		}
		total, nonEmpty := int64(0), 0
		for k := range counts.Len() {
			if v := counts.At(k).(int64); v > 0 {
				total, nonEmpty = total+v, nonEmpty+1
			}
		}
		if total != int64(tc.inRange) || nonEmpty != tc.buckets {
			t.Errorf("%v–%v: %d logs in %d buckets, want %d in %d", tc.from, tc.to, total, nonEmpty, tc.inRange, tc.buckets)
		}
	}
	// Every Pulse call got four-digit years within what a frame holds.
	for _, r := range fake.requests() {
		for _, k := range []string{"startDate", "endDate"} {
			if d, err := time.Parse(time.RFC3339, r.query.Get(k)); err != nil || !models.InFrameRange(d) {
				t.Errorf("%s=%s", k, r.query.Get(k))
			}
		}
	}
}

func TestRangeOutsideFrameYearsIsABadQuery(t *testing.T) {
	fake := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, "[]") })
	src := newTestSource(t, fake.URL)
	raw, _ := json.Marshal(map[string]any{"report": "requestRate"})
	resp := src.HandleQuery(ctxT(t), backend.DataQuery{RefID: "A", QueryType: models.QueryTypeUsage, JSON: raw,
		TimeRange: backend.TimeRange{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)}})
	if resp.Status != backend.StatusBadRequest || resp.Error == nil || !strings.Contains(resp.Error.Error(), "lies outside the years Grafana can show, 1678 to 2261") {
		t.Errorf("%d %v", resp.Status, resp.Error)
	}
	if len(fake.requests()) != 0 {
		t.Errorf("%d calls for a range with nothing to show", len(fake.requests()))
	}
}

func TestChooseStepPastDurations(t *testing.T) {
	const maxSpan = int64(1<<63-1) / int64(time.Second) * 2 // the whole frame range, twice what a Duration holds
	for _, span := range []int64{60, 3600, 326 * 365 * 86400, 8000 * 365 * 86400, maxSpan} {
		for _, panel := range []time.Duration{0, time.Minute, 1<<63 - 1} {
			step := chooseStep(span, panel)
			if step < minStep || step%time.Minute != 0 {
				t.Errorf("chooseStep(%d s, %v) = %v", span, panel, step)
			}
			if n := span / int64(step/time.Second); span > 60 && n > maxBuckets && step < time.Duration(maxStepSeconds)*time.Second {
				t.Errorf("chooseStep(%d s, %v) = %v: %d buckets", span, panel, step, n)
			}
		}
	}
}

// TestTimestampsPastFrameYearsAreSkipped: a row dated where a frame cannot
// hold it is left out and counted in the notice, not wrapped around.
func TestTimestampsPastFrameYearsAreSkipped(t *testing.T) {
	page := `[{"timestamp":"0001-01-01T00:00:00Z"},{"timestamp":"9999-12-31T00:00:00Z"},{"timestamp":99999999999},{"timestamp":"2026-11-23T08:00:00Z"},{"timestamp":"\xff` + strings.Repeat("z", 1<<16) + `"}]`
	fake := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, page) })
	src := newTestSource(t, fake.URL)
	resp := src.HandleQuery(ctxT(t), usageQuery(map[string]any{"report": "logs"}))
	if resp.Error != nil || len(resp.Frames) != 1 || resp.Frames[0].Rows() != 1 {
		t.Fatalf("%v %v", resp.Error, resp.Frames)
	}
	n := resp.Frames[0].Meta.Notices
	if len(n) != 1 || !strings.Contains(n[0].Text, `4 rows were left out`) || !strings.Contains(n[0].Text, `"0001-01-01T00:00:00Z" (outside the years Grafana can show)`) ||
		!utf8.ValidString(n[0].Text) || len(n[0].Text) > 400 {
		t.Errorf("notices %+v", n)
	}
}

// TestAnswersOfTheWrongShape: a page that is not a list of rows is an
// error naming what it is, for the logs and the aggregates alike; null is
// not an empty page.
func TestAnswersOfTheWrongShape(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{}`, "expected a JSON array of rows, found an empty object {}"},
		{`{"data": null}`, `expected a JSON array of rows, found an object with the keys "data"`},
		{`{"data":[],"page":1,"limit":500,"total":0,"next":null,"more":false}`, `"data", "page", "limit", "total", "next", …`},
		{`null`, "expected a JSON array of rows, found null"},
		{`"ok"`, "found a string"},
		{`{"\xff` + strings.Repeat("k", 1<<16) + `":1}`, "found an object with the keys"},
	} {
		for _, report := range []string{"logs", "requests", "latency"} {
			fake := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.body)
			})
			src := newTestSource(t, fake.URL)
			resp := src.HandleQuery(ctxT(t), usageQuery(map[string]any{"report": report}))
			if resp.Error == nil || !strings.Contains(resp.Error.Error(), tc.want) || len(resp.Frames) != 0 {
				t.Errorf("%s %.40s: %v, want an error with %q", report, tc.body, resp.Error, tc.want)
				continue
			}
			if msg := resp.Error.Error(); !utf8.ValidString(msg) || len(msg) > 1024 {
				t.Errorf("%s %.40s: %d bytes", report, tc.body, len(msg))
			}
		}
	}
	// An empty list stays an empty answer.
	fake := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, `[]`) })
	if resp := newTestSource(t, fake.URL).HandleQuery(ctxT(t), usageQuery(map[string]any{"report": "requests"})); resp.Error != nil {
		t.Errorf("[]: %v", resp.Error)
	}
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

// FuzzLogPage feeds arbitrary bytes to the log page reader and the
// aggregate reader: an error or rows, never a panic; every message and
// every skipped row's excerpt valid UTF-8 and bounded; every time kept one
// a frame can hold.
func FuzzLogPage(f *testing.F) {
	for _, seed := range []string{
		`[{"timestamp":"2026-11-23T08:00:00Z","executionTime":1,"route":"/a","entreprise":{"id":"e"}}]`,
		`[{"timestamp":"0001-01-01T00:00:00Z"},{"timestamp":99999999999},null,{"timestamp":"\u00ff"}]`,
		`{"data":[]}`, `null`, `{}`, `[] []`, "[{\"timestamp\":\"\xff\xfe\"}]", `{"\xff":1}`,
		// Nesting past the limit, in a row and bare; invalid UTF-8 in keys,
		// ids and names.
		nested(100_000, false), "[" + nested(jsonread.MaxDepth, true) + "]",
		`[{"device":` + strings.Repeat(`{"id":`, 20_000) + `}]`,
		"[{\"entreprise\":{\"id\":\"\xc3\x28\",\"name\":\"\xed\xa0\x80\"},\"timestamp\":1764000000,\"r\xffoute\":\"\xff\"}]",
	} {
		f.Add([]byte(seed))
	}
	src := newTestSource(f, "http://pulse.example")
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
		b, _, err := decodeLogs(src.logs, 500)(resp)
		if err != nil {
			if msg := err.Error(); !utf8.ValidString(msg) || len(msg) > 2048 {
				t.Fatalf("%d bytes: %.200q", len(msg), msg)
			}
		} else {
			if !utf8.ValidString(b.firstSkipped) || len(b.firstSkipped) > 400 {
				t.Fatalf("first skipped %.200q", b.firstSkipped)
			}
			for _, at := range b.time {
				if !models.InFrameRange(at) {
					t.Fatalf("time %v kept", at)
				}
			}
		}
		if _, _, err := decodeAggregates(src.reports, aggregateSpecs[models.UsageReportRequests])(resp); err != nil {
			if msg := err.Error(); !utf8.ValidString(msg) || len(msg) > 2048 {
				t.Fatalf("aggregate: %d bytes: %.200q", len(msg), msg)
			}
		}
	})
}
