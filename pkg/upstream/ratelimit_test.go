package upstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
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
	return maxInSpan(adm, time.Minute, only)
}

// maxInSpan is the most admissions (of one kind, or all) in any window
// [x, x+span); adm is in time order.
func maxInSpan(adm []admission, span time.Duration, only func(admission) bool) int {
	best := 0
	for i := range adm {
		n := 0
		for j := i; j < len(adm) && adm[j].at.Sub(adm[i].at) < span; j++ {
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
		if g.alertLimit > 0 && dash > g.dashLimit {
			t.Errorf("%d/min share %g: %d dashboard calls in one minute, want at most %d", tc.perMinute, tc.share, dash, g.dashLimit)
		}
		// Over five minutes the alerting limiter gives its part at 0, 61,
		// 122, 183 and 244 s.
		if g.alertLimit > 0 && alerts != 5*g.alertLimit {
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
	if n := len(adm); n != 60 {
		t.Errorf("alert rules alone got %d calls in a minute, want all 60", n)
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
	for range g.dashLimit {
		if _, err := g.wait(spare, "Test API"); err != nil {
			t.Fatalf("a free turn was refused: %v", err)
		}
	}
	for range 3 {
		waited, err := g.wait(spare, "Test API")
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindRateGuard || !strings.Contains(e.Message, "no call to spare") || waited != 0 {
			t.Fatalf("no turn to spare: waited %s, %v", waited, err)
		}
	}
	// The refusals reserved nothing: the guard counts the 12 turns taken,
	// and the next 12 all come within one window of now.
	if n := len(turnsOf(g.dashboards)); n != 12 {
		t.Errorf("%d turns counted after 12 taken and 3 refused", n)
	}
	limit := time.Now().Add(guardWindow)
	for i := range 12 {
		r := g.dashboards.reserve(time.Now())
		defer r.cancel()
		if r.at.After(limit) {
			t.Fatalf("turn %d after the refusals is more than a window away: they pushed it back", i+1)
		}
	}
}

// A call that does not start gives its turn back: one refused because its
// turn comes after its deadline, and one whose context ends while it
// waits.
func TestWaitGivesTheTurnBack(t *testing.T) {
	g := newRateGuard(2, 0)
	for range 2 {
		if _, err := g.wait(context.Background(), "Test API"); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := g.wait(short, "Test API")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRateGuard || !strings.Contains(e.Message, "could not fit this call before the query's deadline (next turn in ") {
		t.Fatalf("a turn after the deadline: %v", err)
	}
	if n := len(turnsOf(g.dashboards)); n != 2 {
		t.Errorf("%d turns counted after a refusal, want the 2 taken", n)
	}

	waiting, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := g.wait(waiting, "Test API")
		done <- err
	}()
	for len(turnsOf(g.dashboards)) != 3 { // until it holds its turn
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a wait whose context ended: %v", err)
	}
	if n := len(turnsOf(g.dashboards)); n != 2 {
		t.Errorf("%d turns counted after the waiting call gave up, want the 2 taken", n)
	}
	// The two turns given back are the next callers': both within a
	// window of now (were either still counted, one would be two away).
	limit := time.Now().Add(guardWindow)
	for i := range 2 {
		r := g.dashboards.reserve(time.Now())
		defer r.cancel()
		if r.at.After(limit) {
			t.Errorf("turn %d more than a window away: a turn given back still counts", i+1)
		}
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
	// dashboards 30 per 61 s: all 30 within 30 s
	if !ok || b.Alerting || b.PerMinute != 30 || b.Total != 60 || b.Share != 0.5 || !b.Deadline || b.Calls != 30 {
		t.Errorf("dashboards: %+v", b)
	}
	// alert rules: their 30 and the dashboards' 30
	a, _ := c.Budget(WithAlerting(ctx))
	if !a.Alerting || a.PerMinute != 60 || a.Calls != 60 {
		t.Errorf("alerting: %+v", a)
	}
	// Over 90 s: the dashboards' 30, and 30 more after 61 s.
	long, cancelLong := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelLong()
	if l, _ := c.Budget(long); l.Calls != 60 {
		t.Errorf("dashboards over 90 s: %+v", l)
	}
	// Without a deadline, within one call's timeout (2 s).
	if n, _ := c.Budget(context.Background()); n.Deadline || n.Horizon != 2*time.Second || n.Calls != 30 {
		t.Errorf("without deadline: %+v", n)
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

// For random arrival patterns on a simulated clock — dashboard and alerting
// calls mixed, in waves above and below the budget, optional calls that
// take only free turns, callers whose turn comes after their deadline and
// callers who give up while waiting — the calls that start never exceed
// perMinute in any 60 s (nor in any window of the guard's 61 s), and
// dashboards never exceed their part.
func TestGuardRandomArrivals(t *testing.T) {
	const step = 100 * time.Millisecond
	type waiter struct {
		turn     *windowTurn
		alerting bool
		giveUp   time.Time // zero: waits for its turn
	}
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 11))
		perMinute := []int{1, 2, 3, 4, 7, 12, 30, 60}[rng.IntN(8)]
		share := []float64{0, 0.25, 0.5, 0.9}[rng.IntN(4)]
		g := newRateGuard(perMinute, share)
		var adm []admission
		var waiting []waiter
		refused, gaveUp := 0, 0
		load := 0.0
		for s := range 6000 { // ten minutes
			now := simT0.Add(time.Duration(s) * step)
			if s%300 == 0 { // a new wave every 30 s
				load = []float64{0, 0.05, 0.2, 1, 3}[rng.IntN(5)]
			}
			keep := waiting[:0]
			for _, w := range waiting {
				switch {
				case !w.giveUp.IsZero() && !w.giveUp.After(now):
					w.turn.cancel()
					gaveUp++
				case !w.turn.at.After(now):
					adm = append(adm, admission{at: w.turn.at, alerting: w.alerting})
				default:
					keep = append(keep, w)
				}
			}
			waiting = keep
			arrivals := int(load) // load calls a step on average
			if rng.Float64() < load-float64(arrivals) {
				arrivals++
			}
			for range arrivals {
				alerting := rng.IntN(3) == 0
				if g.free(now, alerting) {
					adm = append(adm, admission{at: now, alerting: alerting})
					continue
				}
				if rng.IntN(4) == 0 { // OnlySpare: refused at once
					refused++
					continue
				}
				turn := g.reserve(now, alerting)
				if turn.at.Before(now) {
					t.Fatalf("seed %d: a turn at %s given at %s", seed, turn.at.Sub(simT0), now.Sub(simT0))
				}
				if deadline := now.Add(time.Duration(rng.IntN(900)) * step); deadline.Before(turn.at) {
					turn.cancel()
					refused++
					continue
				}
				w := waiter{turn: turn, alerting: alerting}
				if steps := int(turn.at.Sub(now) / step); steps > 0 && rng.IntN(5) == 0 {
					w.giveUp = now.Add(time.Duration(rng.IntN(steps)) * step)
				}
				waiting = append(waiting, w)
			}
		}
		slices.SortFunc(adm, func(a, b admission) int { return a.at.Compare(b.at) })
		all := func(admission) bool { return true }
		dashboards := func(a admission) bool { return !a.alerting }
		inMinute, inWindow, dash := maxInWindow(adm, all), maxInSpan(adm, guardWindow, all), maxInWindow(adm, dashboards)
		t.Logf("seed %d: %d/min share %g: %d calls started, %d refused, %d gave up; at most %d in 60 s (%d in 61 s), %d of dashboards",
			seed, perMinute, share, len(adm), refused, gaveUp, inMinute, inWindow, dash)
		if inMinute > perMinute || inWindow > perMinute {
			t.Errorf("seed %d, %d/min share %g: %d calls in 60 s, %d in 61 s", seed, perMinute, share, inMinute, inWindow)
		}
		if dash > g.dashLimit {
			t.Errorf("seed %d, %d/min share %g: %d dashboard calls in 60 s, their part is %d", seed, perMinute, share, dash, g.dashLimit)
		}
	}
}

// alertCall is an alert rule's call in dashboardsUnderLoad: when it was
// asked, when it started, and when the alerting part alone would have let
// it start.
type alertCall struct{ asked, started, alone time.Time }

// dashboardsUnderLoad drives a guard on a simulated clock for ten minutes:
// dashboards ask two calls a second, each waiting up to 30 s for its turn;
// an alert rule asks a call every 3 s, and 35 at once at 5 minutes. It
// returns the dashboard calls started, and the alert rules' calls.
func dashboardsUnderLoad(g *rateGuard) (dash int, alerts []alertCall) {
	const step = 100 * time.Millisecond
	own := newWindowLimiter(g.alertLimit, guardWindow) // the alerting part alone
	var waiting []*windowTurn
	end := simT0.Add(10 * time.Minute)
	for s := 0; ; s++ {
		now := simT0.Add(time.Duration(s) * step)
		keep := waiting[:0]
		for _, w := range waiting {
			if w.at.After(now) {
				keep = append(keep, w)
			} else if w.at.Before(end) {
				dash++
			}
		}
		waiting = keep
		if !now.Before(end) {
			return dash, alerts
		}
		if s%5 == 0 {
			if g.free(now, false) {
				dash++
			} else if w := g.reserve(now, false); w.at.After(now.Add(30 * time.Second)) {
				w.cancel() // refused: past its deadline
			} else {
				waiting = append(waiting, w)
			}
		}
		asks := 0
		switch {
		case s == 3000:
			asks = 35
		case s%30 == 0:
			asks = 1
		}
		for range asks {
			a := alertCall{asked: now, started: now, alone: now}
			if !g.free(now, true) {
				a.started = g.reserve(now, true).at
			}
			if !own.allow(now) {
				a.alone = own.reserve(now).at
			}
			alerts = append(alerts, a)
		}
	}
}

// Dashboards saturating their part get all of it, 30 calls per 61 s (a
// token bucket of burst 10 kept to the same bound sustained 19 a minute),
// and alert rules meanwhile start at once, or, past their own part, when
// that part alone lets them: dashboards never delay them.
func TestGuardThroughputUnderSaturatedDashboards(t *testing.T) {
	g := newRateGuard(60, 0.5)
	dash, alerts := dashboardsUnderLoad(g)
	t.Logf("dashboards started %d calls in 10 minutes: %.1f a minute", dash, float64(dash)/10)
	if dash < 290 {
		t.Errorf("dashboards started %d calls in 10 minutes, want at least 29 a minute", dash)
	}
	atOnce := 0
	for i, a := range alerts {
		if a.started.After(a.alone) {
			t.Errorf("alert call %d asked at %s started at %s; its own part would have let it at %s",
				i, a.asked.Sub(simT0), a.started.Sub(simT0), a.alone.Sub(simT0))
		}
		if i < 100 && !a.started.Equal(a.asked) { // one every 3 s before the burst
			t.Errorf("alert call %d asked at %s waited until %s", i, a.asked.Sub(simT0), a.started.Sub(simT0))
		}
		if i >= 100 && i < 135 && a.started.Equal(a.asked) {
			atOnce++
		}
	}
	// At 5:00 the 20 calls asked since 4:00 (4:00, 4:03 … 4:57) still count:
	// 10 of the burst start at once, the 25 others at their own part's turns.
	if atOnce != 10 {
		t.Errorf("%d of the burst of 35 started at once, want 10", atOnce)
	}
}
