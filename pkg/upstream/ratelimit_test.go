package upstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSplitBudget(t *testing.T) {
	cases := []struct {
		perMinute   int
		share       float64
		dash, alert int
	}{
		{60, 0.5, 30, 30},
		{60, 0, 60, 0},
		{60, 0.25, 45, 15},
		{60, 0.99, 1, 59}, // dashboards keep one call
		{7, 0.5, 3, 4},
		{3, 0.5, 3, 0}, // too small to split
		{1, 0.5, 1, 0},
	}
	for _, tc := range cases {
		d, a := splitBudget(tc.perMinute, tc.share)
		if d != tc.dash || a != tc.alert {
			t.Errorf("splitBudget(%d, %g) = %d, %d; want %d, %d", tc.perMinute, tc.share, d, a, tc.dash, tc.alert)
		}
	}
}

// admission is one call the guard let start, in the simulation below.
type admission struct {
	at       time.Time
	alerting bool
}

// maxInWindow is the most admissions (of one kind, or all) in any 60 s.
func maxInWindow(adm []admission, only func(admission) bool) int {
	best := 0
	for i := range adm {
		n := 0
		for j := i; j < len(adm) && adm[j].at.Sub(adm[i].at) < time.Minute; j++ {
			if only(adm[j]) {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// simulate drives a guard on a simulated clock for five minutes: every
// 100 ms, dashboards take every turn free and alert rules (when they ask)
// too, as greedily as they can.
func simulate(g *rateGuard, alertsAsk func(step int) bool) []admission {
	var adm []admission
	start := time.Unix(1_700_000_000, 0)
	for step := range 3000 {
		now := start.Add(time.Duration(step) * 100 * time.Millisecond)
		for g.free(now, false) {
			adm = append(adm, admission{at: now})
		}
		for alertsAsk(step) && g.free(now, true) {
			adm = append(adm, admission{at: now, alerting: true})
		}
	}
	return adm
}

// However greedy both kinds are, no 60 s holds more than perMinute calls,
// nor more than the dashboards' part of dashboard calls; and alert rules
// still get their share, which dashboards asking first cannot take.
func TestGuardNeverExceedsAndKeepsTheShare(t *testing.T) {
	for _, tc := range []struct {
		perMinute int
		share     float64
	}{{60, 0.5}, {60, 0.25}, {12, 0.5}, {7, 0.5}, {60, 0}, {4, 0.9}} {
		g := newRateGuard(tc.perMinute, tc.share)
		adm := simulate(g, func(int) bool { return true })
		all := maxInWindow(adm, func(admission) bool { return true })
		dash := maxInWindow(adm, func(a admission) bool { return !a.alerting })
		alerts := 0
		for _, a := range adm {
			if a.alerting {
				alerts++
			}
		}
		if all > tc.perMinute {
			t.Errorf("%d/min share %g: %d calls in one minute", tc.perMinute, tc.share, all)
		}
		if want := max(g.dashLimit, 2); g.alertLimit > 0 && dash > want {
			t.Errorf("%d/min share %g: %d dashboard calls in one minute, want at most %d", tc.perMinute, tc.share, dash, want)
		}
		// Over five minutes the alerting bucket gives about 5× its refill.
		if g.alertLimit >= minReserved-1 && alerts < 4*(g.alertLimit-g.alerting.Burst()-1) {
			t.Errorf("%d/min share %g: alert rules got %d calls in 5 minutes", tc.perMinute, tc.share, alerts)
		}
		if tc.share == 0 && g.alerting != nil {
			t.Errorf("share 0 reserved a bucket")
		}
		t.Logf("%d/min share %g: at most %d calls in a minute, %d of dashboards; alert rules %d in 5 minutes", tc.perMinute, tc.share, all, dash, alerts)
	}
}

// With dashboards idle, alert rules may use the whole budget.
func TestAlertsMayUseTheWholeBudget(t *testing.T) {
	g := newRateGuard(60, 0.5)
	var adm []admission
	start := time.Unix(1_700_000_000, 0)
	for step := range 600 { // one minute
		now := start.Add(time.Duration(step) * 100 * time.Millisecond)
		for g.free(now, true) {
			adm = append(adm, admission{at: now, alerting: true})
		}
	}
	if n := len(adm); n <= 30 || n > 60 {
		t.Errorf("alert rules alone got %d calls in a minute, want more than their 30 and at most 60", n)
	}
}

// Through wait: with the dashboards' part saturated (their next turn past
// any deadline), an alerting call still starts at once; a dashboard call is
// refused at once with the numbers.
func TestAlertingGetsThroughSaturatedDashboards(t *testing.T) {
	g := newRateGuard(12, 0.5)
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for i := 0; ; i++ {
		if _, err := g.wait(short, "Test API"); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindRateGuard ||
				!strings.Contains(e.Message, "rate guard (12 calls per minute for this credential, 6 of them for dashboards; the other 6 are kept for alert rules)") {
				t.Fatalf("dashboard refusal: %v", err)
			}
			break
		}
		if i > 10 {
			t.Fatal("the dashboards' part never ran out")
		}
	}
	if _, err := g.wait(WithAlerting(short), "Test API"); err != nil {
		t.Fatalf("an alerting call behind saturated dashboards: %v", err)
	}
	// Without a reservation the same alerting call is refused.
	none := newRateGuard(12, 0)
	for {
		if _, err := none.wait(short, "Test API"); err != nil {
			break
		}
	}
	if _, err := none.wait(WithAlerting(short), "Test API"); err == nil {
		t.Error("with ovhAlertingShare 0 an alerting call got a turn the dashboards had spent")
	}
}

// OnlySpare takes a free turn or fails at once, never reserving one: the
// calls that wait are not pushed back by it.
func TestOnlySpareNeverWaitsNorReserves(t *testing.T) {
	g := newRateGuard(12, 0)
	spare := OnlySpare(context.Background())
	for range g.dashboards.Burst() {
		if _, err := g.wait(spare, "Test API"); err != nil {
			t.Fatalf("a free turn was refused: %v", err)
		}
	}
	for range 3 {
		_, err := g.wait(spare, "Test API")
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindRateGuard || !strings.Contains(e.Message, "no call to spare") {
			t.Fatalf("no turn to spare: %v", err)
		}
	}
	// The refusals reserved nothing: the next turn is one refill away.
	r := g.dashboards.Reserve()
	defer r.Cancel()
	if d := r.Delay(); d > time.Duration(float64(time.Second)/float64(g.dashboards.Limit()))+time.Second {
		t.Errorf("next turn in %s: spare refusals pushed it back", d)
	}
}

// Budget counts what an idle guard gives the calls of ctx before its
// deadline: the dashboards' part, or for alert rules the whole.
func TestBudget(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", func(o *Options) {
		o.BaseURL = "http://budget.test"
		o.RequestsPerMinute, o.AlertingShare = 60, 0.5
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, ok := c.Budget(ctx)
	// dashboards 30/min: burst 10, refill 19/min → 10 + 9 in 30 s
	if !ok || b.Alerting || b.PerMinute != 30 || b.Total != 60 || b.Share != 0.5 || !b.Deadline || b.Calls < 18 || b.Calls > 19 {
		t.Errorf("dashboards: %+v", b)
	}
	a, _ := c.Budget(WithAlerting(ctx))
	if !a.Alerting || a.PerMinute != 60 || a.Calls < 2*b.Calls-1 || a.Calls > 2*b.Calls {
		t.Errorf("alerting: %+v (dashboards %d)", a, b.Calls)
	}
	if _, ok := newClient(t, "http://127.0.0.1:1").Budget(ctx); ok {
		t.Error("a client without guard has a budget")
	}
}

// Uncached counts only the calls the cache cannot answer.
func TestUncached(t *testing.T) {
	s := newServer(t, okJSON)
	c := newClient(t, s.URL, func(o *Options) { o.CacheTTL = time.Minute })
	calls := []Call{{Path: "/a"}, {Path: "/b"}, {Method: http.MethodPost, Path: "/a"}}
	if n := c.Uncached(context.Background(), calls); n != 3 {
		t.Errorf("%d uncached before any call, want 3", n)
	}
	if _, err := c.Do(context.Background(), Call{Path: "/a"}); err != nil {
		t.Fatal(err)
	}
	if n := c.Uncached(context.Background(), calls); n != 2 {
		t.Errorf("%d uncached with /a cached, want 2 (/b and the POST)", n)
	}
	if n := c.Uncached(WithoutCache(context.Background()), calls); n != 3 {
		t.Errorf("%d uncached when bypassing the cache, want 3", n)
	}
}
