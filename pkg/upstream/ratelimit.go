package upstream

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate guards are shared by every client of the process that uses the same
// credential: the upstream's budget belongs to the credential (OVH asks for
// about 60 calls a minute per consumer key), not to a data source.
var (
	guardsMu sync.Mutex
	guards   = map[string]*rateGuard{}
)

// rateGuard lets at most perMinute calls start in any 60-second window, and
// keeps a share of them for alerting requests (see WithAlerting).
//
// It holds two token buckets, and every call that starts takes one token
// from exactly one of them:
//
//   - dashboards, sized for perMinute×(1−share) calls a minute: the only
//     bucket other calls may take from;
//   - alerting, sized for the rest: only alerting calls take from it.
//
// An alerting call takes a token free at once in its own bucket, else one
// free at once in the dashboards' bucket (so that alert rules may use the
// whole budget while dashboards are idle), else waits its turn in its own
// bucket, behind other alert rules only. Dashboards never take from the
// alerting bucket, so however hard they saturate theirs, an alert's turn
// never waits for them.
//
// A call spends one token of one bucket, so the calls started in any 60 s
// are those of the dashboards' bucket plus those of the alerting bucket.
// A bucket of n ≥ 2 calls a minute admits at most n of them in any 60 s, and
// at most n − 1 from n = 3 on (see newMinuteLimiter); one of 1 admits at most
// 2 (one at each end of the window). splitBudget splits only budgets of at
// least minReserved, so a part of 1 goes with another of at least 3: all
// calls together never start more than perMinute in any 60 s, and
// dashboards never more than their part (perMinute×(1−share), rounded down,
// or the 2 of a part of 1).
type rateGuard struct {
	perMinute int
	share     float64
	// dashLimit and alertLimit are the sizes of the buckets, in calls a
	// minute; alertLimit 0 means no reservation (alerting is nil).
	dashLimit, alertLimit int
	dashboards            *rate.Limiter
	alerting              *rate.Limiter
}

// guardFor returns the process's guard for a credential, replacing it when
// the configured rate or share changed.
func guardFor(key string, perMinute int, alertingShare float64) *rateGuard {
	guardsMu.Lock()
	defer guardsMu.Unlock()
	if g, ok := guards[key]; ok && g.perMinute == perMinute && g.share == alertingShare {
		return g
	}
	g := newRateGuard(perMinute, alertingShare)
	guards[key] = g
	return g
}

// newRateGuard builds a guard of perMinute calls a minute, alertingShare of
// them reserved for alerting.
func newRateGuard(perMinute int, alertingShare float64) *rateGuard {
	g := &rateGuard{perMinute: perMinute, share: alertingShare}
	g.dashLimit, g.alertLimit = splitBudget(perMinute, alertingShare)
	g.dashboards = newMinuteLimiter(g.dashLimit, burstOf(perMinute, g.dashLimit))
	if g.alertLimit > 0 {
		g.alerting = newMinuteLimiter(g.alertLimit, burstOf(perMinute, g.alertLimit))
	}
	return g
}

// burstOf is the burst of a bucket of part calls a minute out of perMinute:
// ten seconds' worth of the whole budget, as an unsplit guard has, but at
// most half the part, so that the part keeps a steady refill. A panel of a
// few series is then answered in one round trip, descriptions included,
// whichever part it draws on.
func burstOf(perMinute, part int) int {
	return max(1, min(perMinute/6, part/2))
}

// minReserved is the smallest budget that can be split: below it each part
// would be too small for its bucket to keep the 60-second bound.
const minReserved = 4

// splitBudget splits perMinute calls a minute between dashboards (at most
// perMinute×(1−share), at least 1) and alerting (the rest). A share of 0, or
// a budget below minReserved, reserves nothing.
func splitBudget(perMinute int, share float64) (dashboards, alerting int) {
	if share <= 0 || perMinute < minReserved {
		return perMinute, 0
	}
	dashboards = max(1, int(math.Floor(float64(perMinute)*(1-share)+1e-9)))
	return dashboards, perMinute - dashboards
}

// newMinuteLimiter builds a token bucket that never lets more than perMinute
// calls start in any 60-second window: a bucket of burst b refilled at r per
// second admits at most b + 60·r calls in 60 s, so b + 60·r is kept one below
// perMinute (the margin absorbs scheduling jitter between the plugin and the
// upstream's own clock). The burst is at most perMinute − 1.
func newMinuteLimiter(perMinute, burst int) *rate.Limiter {
	if perMinute <= 1 {
		return rate.NewLimiter(rate.Limit(1.0/60), 1)
	}
	burst = max(1, min(burst, perMinute-1))
	refill := float64(perMinute-burst-1) / 60
	if refill <= 0 {
		refill = 1.0 / 60
	}
	return rate.NewLimiter(rate.Limit(refill), burst)
}

type spareKey struct{}

// OnlySpare marks ctx's calls as optional (descriptions that only label a
// series): each starts only when the rate guard has a turn free at once, and
// otherwise fails at once (KindRateGuard) instead of waiting, so that such
// calls never delay the calls that fetch data. Answers from the cache are
// served as ever.
func OnlySpare(ctx context.Context) context.Context {
	return context.WithValue(ctx, spareKey{}, true)
}

func onlySpare(ctx context.Context) bool {
	v, _ := ctx.Value(spareKey{}).(bool)
	return v
}

// wait blocks until the call may start. It fails at once, without waiting,
// when the turn would come after the context's deadline, or when the
// context takes only spare turns (OnlySpare) and none is free.
func (g *rateGuard) wait(ctx context.Context, source string) (time.Duration, error) {
	start := time.Now()
	alerting := IsAlerting(ctx)
	if g.free(start, alerting) {
		return 0, nil
	}
	if onlySpare(ctx) {
		return 0, &Error{Source: source, Kind: KindRateGuard, Message: fmt.Sprintf(
			"%s: the plugin's rate guard had no call to spare for this optional lookup", source)}
	}
	lim := g.dashboards
	if alerting && g.alerting != nil {
		lim = g.alerting
	}
	r := lim.ReserveN(start, 1)
	delay := r.DelayFrom(start)
	if delay == 0 {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
		r.Cancel()
		todo := "lower the dashboard's refresh rate or the number of panels"
		if alerting {
			todo = "evaluate the alert rules less often or over fewer series"
		}
		return 0, &Error{Source: source, Kind: KindRateGuard, Message: fmt.Sprintf(
			"%s: the plugin's rate guard (%s) could not fit this call before the query's deadline (next turn in %s) — %s, or raise the guard if the API allows it",
			source, g.describe(alerting), delay.Round(100*time.Millisecond), todo)}
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return time.Since(start), nil
	case <-ctx.Done():
		r.Cancel()
		return 0, ctx.Err()
	}
}

// free takes a turn free at now, if there is one, without waiting: for
// alerting calls in their own bucket first, then in the dashboards'.
func (g *rateGuard) free(now time.Time, alerting bool) bool {
	if alerting && g.alerting != nil && g.alerting.AllowN(now, 1) {
		return true
	}
	return g.dashboards.AllowN(now, 1)
}

// describe words the guard's budget for calls of one kind. The words "N
// calls per minute for this credential" come first, as they always have.
func (g *rateGuard) describe(alerting bool) string {
	switch {
	case g.alertLimit == 0:
		return fmt.Sprintf("%d calls per minute for this credential", g.perMinute)
	case alerting:
		return fmt.Sprintf("%d calls per minute for this credential; alert rules may use all of them, %d are kept for them alone", g.perMinute, g.alertLimit)
	}
	return fmt.Sprintf("%d calls per minute for this credential, %d of them for dashboards; the other %d are kept for alert rules", g.perMinute, g.dashLimit, g.alertLimit)
}

// Budget is what a client's rate guard can give the calls of one context
// (dashboards, or alerting: see WithAlerting) within a horizon, counted as
// if no other call were competing: a query that needs more can never be
// answered in time, whatever else is running.
type Budget struct {
	// Calls is how many calls can start within Horizon.
	Calls int
	// PerMinute is the guard's rate for calls of this kind; Total its rate
	// for all calls of the credential, and Share the share of Total kept
	// for alerting.
	PerMinute, Total int
	Share            float64
	// Alerting tells which kind the budget is for.
	Alerting bool
	// Horizon is how long the calls may take: until the context's deadline
	// (Deadline true), else one call's timeout.
	Horizon  time.Duration
	Deadline bool
}

// Budget returns what the rate guard can give the calls of ctx before its
// deadline; false when the client has no rate guard.
func (c *Client) Budget(ctx context.Context) (Budget, bool) {
	if c.guard == nil {
		return Budget{}, false
	}
	g := c.guard
	b := Budget{Total: g.perMinute, Share: g.share, Alerting: IsAlerting(ctx), Horizon: c.opts.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		b.Horizon, b.Deadline = max(0, time.Until(dl)), true
	}
	b.PerMinute, b.Calls = g.dashLimit, capacity(g.dashboards, b.Horizon)
	if b.Alerting {
		b.PerMinute = g.perMinute
		if g.alerting != nil {
			b.Calls += capacity(g.alerting, b.Horizon)
		}
	}
	return b, true
}

// capacity is how many calls an idle bucket admits within d: its burst,
// then one per refill interval.
func capacity(l *rate.Limiter, d time.Duration) int {
	return l.Burst() + int(math.Floor(float64(l.Limit())*d.Seconds()))
}

// Uncached counts the calls that would spend the rate budget: those the
// cache cannot answer now (all of them when ctx bypasses the cache). Calls
// answered from the cache cost nothing.
func (c *Client) Uncached(ctx context.Context, calls []Call) int {
	if c.opts.CacheTTL <= 0 || bypassCache(ctx) {
		return len(calls)
	}
	now := time.Now()
	n := 0
	for _, call := range calls {
		if call.Method == "" {
			call.Method = http.MethodGet
		}
		if call.Method != http.MethodGet && call.Method != http.MethodHead {
			n++
			continue
		}
		if _, ok := c.cache.get(c.key(call, c.URL(call.Path, call.Query)), now); !ok {
			n++
		}
	}
	return n
}
