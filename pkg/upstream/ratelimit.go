package upstream

import (
	"context"
	"fmt"
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

// rateGuard lets at most perMinute calls start in any 60-second window.
type rateGuard struct {
	perMinute int
	limiter   *rate.Limiter
}

// guardFor returns the process's guard for a credential, replacing it when
// the configured rate changed.
func guardFor(key string, perMinute int, alertingShare float64) *rateGuard {
	guardsMu.Lock()
	defer guardsMu.Unlock()
	if g, ok := guards[key]; ok && g.perMinute == perMinute {
		return g
	}
	g := &rateGuard{perMinute: perMinute, limiter: newMinuteLimiter(perMinute)}
	guards[key] = g
	return g
}

// newMinuteLimiter builds a token bucket that never lets more than perMinute
// calls start in any 60-second window: a bucket of burst b refilled at r per
// second admits at most b + 60·r calls in 60 s, so b + 60·r is kept one below
// perMinute (the margin absorbs scheduling jitter between the plugin and the
// upstream's own clock).
func newMinuteLimiter(perMinute int) *rate.Limiter {
	if perMinute <= 1 {
		return rate.NewLimiter(rate.Limit(1.0/60), 1)
	}
	burst := max(1, perMinute/6)
	refill := float64(perMinute-burst-1) / 60
	if refill <= 0 {
		refill = 1.0 / 60
	}
	return rate.NewLimiter(rate.Limit(refill), burst)
}

// wait blocks until the call may start. It fails at once, without waiting,
// when the turn would come after the context's deadline.
func (g *rateGuard) wait(ctx context.Context, source string) (time.Duration, error) {
	start := time.Now()
	r := g.limiter.Reserve()
	delay := r.Delay()
	if delay == 0 {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
		r.Cancel()
		return 0, &Error{Source: source, Kind: KindRateGuard, Message: fmt.Sprintf(
			"%s: the plugin's rate guard (%d calls per minute for this credential) could not fit this call before the query's deadline (next turn in %s) — lower the dashboard's refresh rate or the number of panels, or raise the guard if the API allows it",
			source, g.perMinute, delay.Round(100*time.Millisecond))}
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
