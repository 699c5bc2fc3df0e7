package contract

// Odd but possible input, through the built binary: every case gets a
// clear 400 or an error or a notice, never a silent wrong answer (issue 11:
// template-variable leftovers, unbounded user values, answers of the wrong
// shape, ranges past what time arithmetic holds, credentials that cannot
// be sent).

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// TestOddInputTemplateVariableIsABadQuery: an enterpriseId Grafana could
// not expand is a 400 naming the field, and the sibling query of the same
// request still answers. Nothing is sent to Pulse for it.
func TestOddInputTemplateVariableIsABadQuery(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	ds := usageDataSource("odd-variable", base)
	from, to := usageRange(time.Hour)
	before := sb.Stats().Calls["pulse"]
	resp, err := host.QueryData(ctxT(t), ds,
		Query{RefID: "V", QueryType: "usage", JSON: map[string]any{"report": "requests", "enterpriseId": "$enterprise"}, From: from, To: to},
		Query{RefID: "W", QueryType: "cdnBandwidth", JSON: map[string]any{"resources": []string{"${resource:csv}"}}, From: from, To: to},
		Query{RefID: "S", QueryType: "usage", JSON: map[string]any{"report": "requests"}, From: from, To: to},
	)
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{
		"V": `enterpriseId: "$enterprise" is a template variable Grafana could not expand`,
		"W": `resources: "${resource:csv}" is a template variable Grafana could not expand`,
	} {
		r := resp.Responses[ref]
		if r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), want) {
			t.Errorf("%s: status %d error %v, want 400 with %q", ref, r.Status, r.Error, want)
		}
	}
	s := resp.Responses["S"]
	if s.Error != nil || len(s.Frames) == 0 || s.Frames[0].Rows() == 0 {
		t.Fatalf("sibling query S should answer rows: %v", s.Error)
	}
	if got := sb.Stats().Calls["pulse"] - before; got != 1 {
		t.Errorf("%d Pulse calls, want 1 (the sibling's): the leftover must not reach Pulse", got)
	}
}

// TestOddInputHugeValuesAreBounded: a 1 MB billing account or line name is
// not repeated whole in any error.
func TestOddInputHugeValuesAreBounded(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("odd-huge", base)
	huge := strings.Repeat("ligne-é", 1<<20/8)
	now := time.Now()
	resp, err := host.QueryData(ctxT(t), ds,
		Query{RefID: "A", QueryType: "telephony", JSON: map[string]any{"billingAccount": huge, "lines": []string{}, "metrics": []string{"rtpMos"}}, From: now.Add(-time.Hour), To: now},
		Query{RefID: "L", QueryType: "telephony", JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"$" + huge}, "metrics": []string{"rtpMos"}}, From: now.Add(-time.Hour), To: now},
		Query{RefID: "R", QueryType: "cdnBandwidth", JSON: map[string]any{"resources": []string{huge}}, From: now.Add(-time.Hour), To: now},
		Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": huge}, From: now.Add(-time.Hour), To: now},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"A", "L", "R", "U"} {
		r := resp.Responses[ref]
		if r.Status != backend.StatusBadRequest || r.Error == nil {
			t.Errorf("%s: status %d error %v, want a 400", ref, r.Status, r.Error)
			continue
		}
		if msg := r.Error.Error(); len(msg) > 512 || !utf8.ValidString(msg) || !strings.Contains(msg, "ligne-é") {
			t.Errorf("%s: %d bytes: %.300s", ref, len(msg), msg)
		}
	}
}

// TestOddInputOnAppAnswerOfTheWrongShape: an OnApp answer that holds no
// list of stats ({}, {"stats":{}}, null) is an error an alert rule sees,
// not an empty frame; a documented empty list is an empty answer with a
// notice saying so.
func TestOddInputOnAppAnswerOfTheWrongShape(t *testing.T) {
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body.Load().(string))
	}))
	t.Cleanup(srv.Close)
	to := time.Now().Add(-time.Hour).Truncate(time.Minute)
	for i, tc := range []struct {
		answer, want string
	}{
		{`{}`, "expected a list of stats, found an empty object {}"},
		{`{"stats":{}}`, "stats: expected a list of stats, found an empty object {}"},
		{`null`, `neither JSON nor XML: "null"`},
		{`{"data":[]}`, `expected stats, found an object with the keys "data"`},
		{`[]`, ""},
		{`{"stats":[]}`, ""},
	} {
		body.Store(tc.answer)
		ds := DataSource{UID: fmt.Sprintf("odd-onapp-%d", i), Updated: time.Now(),
			JSONData: map[string]any{"onappUrl": srv.URL, "onappUser": "u@example.com"},
			Secure:   map[string]string{"onappApiKey": "odd-onapp-key"}}
		resp, err := host.QueryData(ctxT(t), ds, Query{RefID: "C", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB"}, From: to.Add(-48 * time.Hour), To: to})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.Responses["C"]
		if tc.want != "" {
			if r.Error == nil || !strings.Contains(r.Error.Error(), tc.want) || len(r.Frames) != 0 {
				t.Errorf("%s: error %v, %d frames; want an error with %q", tc.answer, r.Error, len(r.Frames), tc.want)
			}
			continue
		}
		if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].Meta == nil || !oddHasNotice(r.Frames[0], data.NoticeSeverityInfo, "OnApp answered no bandwidth figures for this range") {
			t.Errorf("%s: %v %d frames, want one empty frame with the notice", tc.answer, r.Error, len(r.Frames))
		}
	}
}

func oddHasNotice(f *data.Frame, severity data.NoticeSeverity, text string) bool {
	for _, n := range f.Meta.Notices {
		if n.Severity == severity && strings.Contains(n.Text, text) {
			return true
		}
	}
	return false
}

// TestOddInputUsageSeriesOverCenturies: requestRate over a range starting
// in 1700 (longer than a time.Duration holds) puts logs of different years
// in different buckets, within the bucket bound, on a time axis inside the
// range.
func TestOddInputUsageSeriesOverCenturies(t *testing.T) {
	logs := []time.Time{
		time.Date(1701, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1850, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 1, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2000, 1, 2, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/stats" {
			http.NotFound(w, r)
			return
		}
		var rows []string
		for i, at := range logs {
			rows = append(rows, fmt.Sprintf(`{"entreprise":{"id":"e1"},"route":"/r","method":"GET","timestamp":%q,"executionTime":%d}`, at.Format(time.RFC3339), 10*(i+1)))
		}
		fmt.Fprint(w, "["+strings.Join(rows, ",")+"]")
	}))
	t.Cleanup(srv.Close)
	ds := DataSource{UID: "odd-centuries", Updated: time.Now(), JSONData: map[string]any{"pulseUrl": srv.URL}, Secure: map[string]string{"pulseToken": "odd-pulse-token"}}
	from, to := time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	resp, err := host.QueryData(ctxT(t), ds,
		Query{RefID: "R", QueryType: "usage", JSON: map[string]any{"report": "requestRate"}, From: from, To: to, Interval: time.Hour},
		Query{RefID: "L", QueryType: "usage", JSON: map[string]any{"report": "latency"}, From: from, To: to, Interval: time.Hour},
	)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses["R"]
	if r.Error != nil || len(r.Frames) != 1 {
		t.Fatalf("requestRate: %v, %d frames", r.Error, len(r.Frames))
	}
	times, counts := r.Frames[0].Fields[0], r.Frames[0].Fields[1]
	if n := times.Len(); n < 2 || n > 2001 {
		t.Fatalf("%d buckets, want 2 to 2000", n)
	}
	first, last := times.At(0).(time.Time), times.At(times.Len()-1).(time.Time)
	if first.After(from) || first.Before(from.AddDate(-1, 0, 0)) || !last.Before(to) || last.Before(to.AddDate(-1, 0, 0)) {
		t.Errorf("time axis %v to %v for a range %v to %v", first, last, from, to)
	}
	nonZero, total := 0, int64(0)
	for i := range counts.Len() {
		if v := counts.At(i).(int64); v > 0 {
			nonZero++
			total += v
		}
	}
	// 1701, 1850 and 2025 apart; the two days of 2000 share a bucket of
	// 60 days or more.
	if total != int64(len(logs)) || nonZero != 4 {
		t.Errorf("%d requests in %d buckets, want %d in 4", total, nonZero, len(logs))
	}
	if l := resp.Responses["L"]; l.Error != nil || len(l.Frames) != 3 {
		t.Errorf("latency: %v, %d frames", l.Error, len(l.Frames))
	}
}

// TestOddInputCredentialWithALineBreak: a pulseToken ending with or
// holding a line break is refused when the settings load, naming the
// setting and never its value, in the health check and in queries.
func TestOddInputCredentialWithALineBreak(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	from, to := usageRange(time.Hour)
	for i, tc := range []struct{ token, want string }{
		{sandbox.PulseToken + "\n", "pulseToken ends with a line break or space, which is not part of it — paste it again without it"},
		{sandbox.PulseToken[:4] + "\n" + sandbox.PulseToken[4:], "pulseToken holds a line break or control character, which cannot be sent in an HTTP header — paste it again"},
	} {
		ds := DataSource{UID: fmt.Sprintf("odd-token-%d", i), Updated: time.Now(),
			JSONData: map[string]any{"pulseUrl": base + sandbox.PulsePrefix}, Secure: map[string]string{"pulseToken": tc.token}}
		h, err := host.CheckHealth(ctxT(t), ds)
		health := ""
		if err != nil {
			health = err.Error()
		} else {
			health = h.Message
			if h.Status == backend.HealthStatusOk {
				t.Errorf("health OK with a token holding a line break")
			}
		}
		resp, err := host.QueryData(ctxT(t), ds, Query{RefID: "A", QueryType: "usage", JSON: map[string]any{"report": "requests"}, From: from, To: to})
		query := ""
		if err != nil {
			query = err.Error()
		} else if r := resp.Responses["A"]; r.Error != nil {
			query = r.Error.Error()
		}
		t.Logf("health: %s\nquery: %s", health, query)
		for what, msg := range map[string]string{"health": health, "query": query} {
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, sandbox.PulseToken[4:]) {
				t.Errorf("%q: %s says %q, want %q", tc.token, what, msg, tc.want)
			}
		}
	}
}
