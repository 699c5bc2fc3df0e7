package ovh

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// One bad line gives an empty frame with the same labels and an error
// notice, beside the good series; the query itself succeeds.
func TestFailingSeriesBesideGoodOnes(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{
			pathStats:                             {status: 200, body: `{"unit":"","values":[{"timestamp":1732449000,"value":4100}]}`},
			pathAccount + "/line/0000/statistics": notFoundAnswer,
			pathAccount + "/line/0000":            notFoundAnswer,
		})
	})
	src := newTestSource(t, f)
	q := telephonyQuery(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0000"}, "metrics": []string{"rtpMos"}},
		testNow.Add(-time.Hour), testNow)
	resp := src.HandleQuery(context.Background(), q)
	if resp.Error != nil || len(resp.Frames) != 2 {
		t.Fatalf("error %v, %d frames; want 2 frames and no error", resp.Error, len(resp.Frames))
	}
	good, bad := resp.Frames[0], resp.Frames[1]
	if good.Rows() != 1 || len(good.Meta.Notices) != 0 {
		t.Errorf("good series: %d rows, notices %v", good.Rows(), good.Meta.Notices)
	}
	want := data.Labels{"billingAccount": "ab12345-ovh-1", "line": "0000", "metric": "rtpMos"}
	if got := bad.Fields[1].Labels; got.String() != want.String() {
		t.Errorf("bad series labels %v, want %v", got, want)
	}
	if bad.Rows() != 0 || len(bad.Meta.Notices) != 1 {
		t.Fatalf("bad series: %d rows, notices %v", bad.Rows(), bad.Meta.Notices)
	}
	n := bad.Meta.Notices[0]
	if n.Severity != data.NoticeSeverityError || !strings.Contains(n.Text, `has no line "0000"`) {
		t.Errorf("notice %v %q", n.Severity, n.Text)
	}
	if bad.Meta.Type != data.FrameTypeTimeSeriesMulti || !strings.HasSuffix(bad.Meta.ExecutedQueryString, "/line/0000/statistics?timeframe=hourly&type=rtpMos") {
		t.Errorf("bad series meta %+v", bad.Meta)
	}
}

// When every series fails the query fails, so an alert rule sees an error
// rather than "no data": with the first series' error.
func TestEverySeriesFailingFailsTheQuery(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{
			pathStats:                             {status: 503, body: `{"class":"Server::ServiceUnavailable","message":"first"}`},
			pathAccount + "/line/0000/statistics": {status: 500, body: `{"class":"Server::InternalServerError","message":"second"}`},
		})
	})
	src := newTestSource(t, f)
	q := telephonyQuery(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0000"}, "metrics": []string{"rtpMos"}},
		testNow.Add(-time.Hour), testNow)
	resp := src.HandleQuery(context.Background(), q)
	if resp.Error == nil || !strings.Contains(resp.Error.Error(), "503 Service Unavailable: first") || len(resp.Frames) != 0 {
		t.Fatalf("error %v, %d frames", resp.Error, len(resp.Frames))
	}
}

// Series run concurrently, never more than fanOut calls at once, and the
// frames come out in query order: lines, then metrics.
func TestFanOutIsBoundedAndOrdered(t *testing.T) {
	var inFlight, peak atomic.Int32
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			emptyStats(w, r)
		}
	})
	src := newTestSource(t, f)
	lines := []string{"l4", "l1", "l3", "l2"}
	metrics := []string{"sumRtpLost", "rtpMos", "maxJitter", "maxDelay"}
	q := telephonyQuery(map[string]any{"billingAccount": "ab", "lines": lines, "metrics": metrics}, testNow.Add(-time.Hour), testNow)
	resp := src.HandleQuery(context.Background(), q)
	if resp.Error != nil || len(resp.Frames) != 16 {
		t.Fatalf("error %v, %d frames", resp.Error, len(resp.Frames))
	}
	if p := peak.Load(); p > fanOut || p < 2 {
		t.Errorf("peak of %d calls in flight, want 2..%d", p, fanOut)
	}
	i := 0
	for _, line := range lines {
		for _, metric := range metrics {
			l := resp.Frames[i].Fields[1].Labels
			if l["line"] != line || l["metric"] != metric {
				t.Errorf("frame %d is %s/%s, want %s/%s", i, l["line"], l["metric"], line, metric)
			}
			i++
		}
	}
}

// Canceling the query stops the calls in flight and answers at once.
func TestCancellationPropagates(t *testing.T) {
	started := make(chan struct{}, 16)
	var active atomic.Int32 // statistics handlers still running
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = func(w http.ResponseWriter, r *http.Request) {
			if !strings.Contains(r.URL.Path, "/statistics") {
				emptyStats(w, r)
				return
			}
			active.Add(1)
			defer active.Add(-1)
			started <- struct{}{}
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
				t.Error("the call was not canceled")
			}
		}
	})
	src := newTestSource(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan backend.DataResponse, 1)
	q := telephonyQuery(map[string]any{"billingAccount": "ab", "lines": []string{"1", "2"}, "metrics": []string{"rtpMos"}}, testNow.Add(-time.Hour), testNow)
	go func() { done <- src.HandleQuery(ctx, q) }()
	<-started
	cancel()
	select {
	case resp := <-done:
		if resp.Error == nil || resp.Status != 499 || !strings.Contains(resp.Error.Error(), "canceled") {
			t.Errorf("status %d error %v, want 499 canceled", resp.Status, resp.Error)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the query did not return after cancellation")
	}
	// Every upstream call sees the cancellation and returns.
	for deadline := time.Now().Add(5 * time.Second); active.Load() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d upstream calls still running after the cancellation", active.Load())
		}
	}
}

// Bad input gets a 400 that names the field, without any upstream call.
func TestBadQueries(t *testing.T) {
	cases := []struct {
		name     string
		model    map[string]any
		from, to time.Time
		want     string
	}{
		{"no billing account", map[string]any{"lines": []string{"1"}, "metrics": []string{"rtpMos"}}, testNow.Add(-time.Hour), testNow, "billingAccount is required"},
		{"no lines", map[string]any{"billingAccount": "ab", "metrics": []string{"rtpMos"}}, testNow.Add(-time.Hour), testNow, "lines: give at least one line"},
		{"unknown metric", map[string]any{"billingAccount": "ab", "lines": []string{"1"}, "metrics": []string{"mos"}}, testNow.Add(-time.Hour), testNow, `unknown metric "mos"`},
		{"unknown timeframe", map[string]any{"billingAccount": "ab", "lines": []string{"1"}, "metrics": []string{"rtpMos"}, "timeframe": "daly"}, testNow.Add(-time.Hour), testNow, `timeframe: unknown value "daly"`},
		{"reversed range", map[string]any{"billingAccount": "ab", "lines": []string{"1"}, "metrics": []string{"rtpMos"}}, testNow, testNow.Add(-time.Hour), "the time range ends"},
		{"dot-dot line", map[string]any{"billingAccount": "ab", "lines": []string{".."}, "metrics": []string{"rtpMos"}}, testNow.Add(-time.Hour), testNow, `line ".." of billing account "ab"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil)
			f.set(func(f *fakeOVH) { f.handle = emptyStats })
			src := newTestSource(t, f)
			resp := src.HandleQuery(context.Background(), telephonyQuery(tc.model, tc.from, tc.to))
			if resp.Status != backend.StatusBadRequest || resp.Error == nil || !strings.Contains(resp.Error.Error(), tc.want) {
				t.Errorf("status %d error %v, want 400 with %q", resp.Status, resp.Error, tc.want)
			}
			if n := len(f.statsCalls()); n != 0 {
				t.Errorf("%d statistics calls for a bad query", n)
			}
		})
	}
}

// Secrets appear nowhere in what a query answers, even when the API echoes
// them in its error messages.
func TestSecretsStayOutOfAnswers(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{
			pathStats: {status: 403, body: `{"errorCode":"INVALID_CREDENTIAL","message":"credential ` + testConsumerKey + ` signed with ` + testAppSecret + ` is not valid"}`},
		})
	})
	src := newTestSource(t, f)
	q := telephonyQuery(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "2"}, "metrics": []string{"rtpMos"}},
		testNow.Add(-time.Hour), testNow)
	resp := src.HandleQuery(context.Background(), q)
	out, _ := json.Marshal(resp.Frames)
	all := string(out)
	if resp.Error != nil {
		all += resp.Error.Error()
	}
	if !strings.Contains(all, "INVALID_CREDENTIAL") {
		t.Fatalf("the failing series is missing: %s", all)
	}
	for _, s := range []string{testAppSecret, testConsumerKey} {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked: %s", s, all)
		}
	}
}
