package upstream

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"
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
// It holds two sliding-window limiters (see windowLimiter), and every call
// that starts takes one turn of exactly one of them:
//
//   - dashboards, of perMinute×(1−share) calls per window: the only one
//     other calls may take from;
//   - alerting, of the rest: only alerting calls take from it.
//
// An alerting call takes a turn free at once in its own limiter, else one
// free at once in the dashboards' (so that alert rules may use the whole
// budget while dashboards are idle), else waits its turn in its own, behind
// other alert rules only. Dashboards never take from the alerting limiter,
// so however hard they saturate theirs, an alert's turn never waits for
// them.
//
// A limiter of n calls admits at most n in any window of guardWindow (61 s,
// so in any 60 s too), and every call that starts holds a turn of one of
// the two: all calls together never start more than dashLimit + alertLimit
// = perMinute in any 60 s, and dashboards, which take turns of their own
// limiter only, never more than dashLimit. Each limiter also admits all of
// its n at once and then n in every window after: nothing of the budget is
// lost to a burst.
type rateGuard struct {
	perMinute int
	share     float64
	// dashLimit and alertLimit are the sizes of the limiters, in calls a
	// minute; alertLimit 0 means no reservation (alerting is nil).
	dashLimit, alertLimit int
	dashboards            *windowLimiter
	alerting              *windowLimiter

	// shared, when set, holds the limiters in Redis, shared by every
	// replica's plugin process (see waitShared), under the credential's
	// fingerprint key; fallback is the local guard at perMinute ÷ the
	// replicas, used while Redis fails. note words the fallback's budget.
	shared   *Shared
	key      string
	replicas int
	fallback *rateGuard
	note     string
}

// guardFor returns the process's guard for a credential, replacing it when
// the configured rate or share changed. With shared (Grafana in high
// availability), the guard's limiters are in Redis, shared by every
// replica, and the guard falls back to perMinute ÷ the replicas of its own
// while Redis fails.
func guardFor(key string, perMinute int, alertingShare float64, shared *Shared) *rateGuard {
	guardsMu.Lock()
	defer guardsMu.Unlock()
	replicas := 0
	if shared != nil {
		replicas = shared.replicas()
	}
	if g, ok := guards[key]; ok && g.perMinute == perMinute && g.share == alertingShare && g.shared == shared && g.replicas == replicas {
		return g
	}
	g := newRateGuard(perMinute, alertingShare)
	if shared != nil {
		g.shared, g.key, g.replicas = shared, key, replicas
		g.fallback = newRateGuard(max(1, perMinute/replicas), alertingShare)
		g.fallback.note = fmt.Sprintf(", ovhRequestsPerMinute %d ÷ %d replicas while the shared cache is unreachable", perMinute, replicas)
	}
	guards[key] = g
	return g
}

// effective is the guard that gives turns now: the fallback while the
// shared cache fails, else g.
func (g *rateGuard) effective() *rateGuard {
	if g.shared != nil && !g.shared.usable() {
		return g.fallback
	}
	return g
}

// newRateGuard builds a guard of perMinute calls a minute, alertingShare of
// them reserved for alerting.
func newRateGuard(perMinute int, alertingShare float64) *rateGuard {
	g := &rateGuard{perMinute: perMinute, share: alertingShare}
	g.dashLimit, g.alertLimit = splitBudget(perMinute, alertingShare)
	g.dashboards = newWindowLimiter(g.dashLimit, guardWindow)
	if g.alertLimit > 0 {
		g.alerting = newWindowLimiter(g.alertLimit, guardWindow)
	}
	return g
}

// minReserved is the smallest budget that is split. The limiters keep the
// bound for parts of any size, even of one call; but a budget of one to
// three calls a minute is too small to share (each side would be left one
// or two calls, a minute's wait behind them), so it stays whole.
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
// context takes only spare turns (OnlySpare) and none is free. A call that
// does not start gives its turn back.
//
// With a shared cache the turns come from the limiters in Redis (see
// waitShared), and from the local fallback guard whenever Redis fails.
func (g *rateGuard) wait(ctx context.Context, source string) (time.Duration, error) {
	if g.shared != nil {
		if waited, err, ok := g.waitShared(ctx, source); ok {
			return waited, err
		}
		return g.fallback.wait(ctx, source)
	}
	start := time.Now()
	alerting := IsAlerting(ctx)
	if g.free(start, alerting) {
		return 0, nil
	}
	if onlySpare(ctx) {
		return 0, noSpareError(source)
	}
	turn := g.reserve(start, alerting)
	return g.waitFor(ctx, source, start, turn.at, turn.cancel)
}

// waitShared is wait with the limiters in Redis, shared by every replica:
// the same turns in the same order as the local limiters give (an alerting
// call takes a turn free at once in its own part, else in the dashboards',
// else waits in its own), each taken by one atomic script (turnScript).
// ok false: Redis failed before a turn was taken, and the caller falls back
// to the local guard.
func (g *rateGuard) waitShared(ctx context.Context, source string) (waited time.Duration, err error, ok bool) {
	start := time.Now()
	alerting := IsAlerting(ctx) && g.alerting != nil
	if alerting {
		turn, ok := g.shared.takeTurn(ctx, g.key+":alerting", g.alertLimit, guardWindow, true)
		if !ok || turn != nil {
			return 0, nil, ok
		}
	}
	turn, ok := g.shared.takeTurn(ctx, g.key+":dashboards", g.dashLimit, guardWindow, true)
	if !ok || turn != nil {
		return 0, nil, ok
	}
	if onlySpare(ctx) {
		return 0, noSpareError(source), true
	}
	if alerting {
		turn, ok = g.shared.takeTurn(ctx, g.key+":alerting", g.alertLimit, guardWindow, false)
	} else {
		turn, ok = g.shared.takeTurn(ctx, g.key+":dashboards", g.dashLimit, guardWindow, false)
	}
	if !ok || turn == nil {
		return 0, nil, false
	}
	waited, err = g.waitFor(ctx, source, start, turn.at, turn.cancel)
	return waited, err, true
}

// noSpareError refuses an optional call (OnlySpare) the guard has no turn
// free for at once.
func noSpareError(source string) error {
	return &Error{Source: source, Kind: KindRateGuard, Message: fmt.Sprintf(
		"%s: the plugin's rate guard had no call to spare for this optional lookup", source)}
}

// waitFor waits for a turn reserved at at, or gives it back (cancel) and
// fails when it would come after the context's deadline or the context
// ends first.
func (g *rateGuard) waitFor(ctx context.Context, source string, start, at time.Time, cancel func()) (time.Duration, error) {
	alerting := IsAlerting(ctx)
	if !at.After(start) {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(at) {
		cancel()
		todo := "lower the dashboard's refresh rate or the number of panels"
		if alerting {
			todo = "evaluate the alert rules less often or over fewer series"
		}
		return 0, &Error{Source: source, Kind: KindRateGuard, Message: fmt.Sprintf(
			"%s: the plugin's rate guard (%s) could not fit this call before the query's deadline (next turn in %s) — %s, or raise the guard if the API allows it",
			source, g.describe(alerting), at.Sub(start).Round(100*time.Millisecond), todo)}
	}
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return time.Since(start), nil
	case <-ctx.Done():
		cancel()
		return 0, ctx.Err()
	}
}

// free takes a turn free at now, if there is one, without waiting: for
// alerting calls in their own limiter first, then in the dashboards'.
func (g *rateGuard) free(now time.Time, alerting bool) bool {
	if alerting && g.alerting != nil && g.alerting.allow(now) {
		return true
	}
	return g.dashboards.allow(now)
}

// reserve takes the earliest turn from now on of the limiter calls of this
// kind wait in: the alerting one for alerting calls (when there is one),
// else the dashboards'.
func (g *rateGuard) reserve(now time.Time, alerting bool) *windowTurn {
	if alerting && g.alerting != nil {
		return g.alerting.reserve(now)
	}
	return g.dashboards.reserve(now)
}

// describe words the guard's budget for calls of one kind. The words "N
// calls per minute for this credential" come first, as they always have.
func (g *rateGuard) describe(alerting bool) string {
	switch {
	case g.alertLimit == 0:
		return fmt.Sprintf("%d calls per minute for this credential%s", g.perMinute, g.note)
	case alerting:
		return fmt.Sprintf("%d calls per minute for this credential%s; alert rules may use all of them, %d are kept for them alone", g.perMinute, g.note, g.alertLimit)
	}
	return fmt.Sprintf("%d calls per minute for this credential%s, %d of them for dashboards; the other %d are kept for alert rules", g.perMinute, g.note, g.dashLimit, g.alertLimit)
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
	g := c.guard.effective()
	b := Budget{Total: g.perMinute, Share: g.share, Alerting: IsAlerting(ctx), Horizon: c.opts.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		b.Horizon, b.Deadline = max(0, time.Until(dl)), true
	}
	b.PerMinute, b.Calls = g.dashLimit, g.dashboards.idleCapacity(b.Horizon)
	if b.Alerting {
		b.PerMinute = g.perMinute
		if g.alerting != nil {
			b.Calls += g.alerting.idleCapacity(b.Horizon)
		}
	}
	return b, true
}

// Uncached counts the calls that would spend the rate budget: those the
// cache cannot answer now (all of them when ctx bypasses the cache). Calls
// answered from the cache cost nothing.
func (c *Client) Uncached(ctx context.Context, calls []Call) (n int) {
	if c.opts.CacheTTL <= 0 || bypassCache(ctx) {
		return len(calls)
	}
	now := time.Now()
	var missed []string // cacheable calls the process's cache lacks
	defer func() {
		if c.opts.Shared != nil {
			n -= c.opts.Shared.exists(ctx, missed)
		}
	}()
	for _, call := range calls {
		if call.Method == "" {
			call.Method = http.MethodGet
		}
		if call.Method != http.MethodGet && call.Method != http.MethodHead {
			n++
			continue
		}
		key := c.key(call, c.URL(call.Path, call.Query))
		if _, ok := c.cache.get(key, now); !ok {
			n++
			missed = append(missed, key)
		}
	}
	return n
}
