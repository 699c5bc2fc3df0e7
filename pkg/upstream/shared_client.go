package upstream

import (
	"context"
	"time"
)

// sharedPoll is how often a process waiting for another replica's call
// looks for its answer in the shared cache.
const sharedPoll = 50 * time.Millisecond

// sharedDo makes a cacheable call with the shared cache (Options.Shared):
// the answer another replica published answers it (unless the context
// bypasses the cache); else the caller takes the call's short lock in
// Redis and makes the call, publishing the answer for every replica, or,
// when another replica holds the lock, waits for that replica's answer to
// appear — and makes the call itself when it does not appear in time, the
// lock goes away without it, or Redis fails: waiting never ends in an
// error of its own.
func (c *Client) sharedDo(ctx context.Context, call Call, target, key string, win *windowRef) (*Response, error) {
	sh := c.opts.Shared
	bypass := bypassCache(ctx)
	lockKey := key
	if win != nil {
		lockKey = win.key // the same call for a range moved a little is the same call
	}
	release := func() {}
	if !bypass {
		if resp, ok := c.sharedGet(ctx, key, win); ok {
			return resp, nil
		}
		var held bool
		release, held = sh.lock(ctx, lockKey, c.opts.Timeout+time.Second)
		if !held {
			if resp, ok := c.awaitPeer(ctx, key, lockKey, win); ok {
				return resp, nil
			}
			if err := ctx.Err(); err != nil {
				return nil, c.queryEnded(ctx, err)
			}
			metricSharedWaits.WithLabelValues(c.opts.Source, "own").Inc()
		}
	}
	defer release()
	resp, err := c.attempts(ctx, call, target, true)
	if err == nil {
		c.cache.put(key, resp, time.Now().Add(c.opts.CacheTTL), win)
		sh.put(ctx, key, resp, c.opts.CacheTTL, win)
	}
	return resp, err
}

// sharedGet reads the call's answer from the shared cache (or, with a
// Window, the answer of the same call for a range it may stand for), and
// keeps it in the process's cache for as long as it still lives.
func (c *Client) sharedGet(ctx context.Context, key string, win *windowRef) (*Response, bool) {
	sh := c.opts.Shared
	resp, ttl, ok := sh.get(ctx, key, c.opts.MaxResponseBytes)
	if !ok && win != nil {
		resp, ttl, ok = sh.getMoved(ctx, win, c.opts.MaxResponseBytes)
	}
	if !ok {
		return nil, false
	}
	c.cache.put(key, resp, time.Now().Add(ttl), nil)
	metricSharedHits.WithLabelValues(c.opts.Source).Inc()
	return resp, true
}

// awaitPeer waits for the answer of the call another replica holds the lock
// of: until it appears in the shared cache (true), or the lock goes away
// without it, or Redis fails, or the wait's bound passes — the lock's
// lifetime, and no more than half the query's remaining time, so that the
// caller still has time to make the call itself (false).
func (c *Client) awaitPeer(ctx context.Context, key, lockKey string, win *windowRef) (*Response, bool) {
	sh := c.opts.Shared
	until := time.Now().Add(c.opts.Timeout + time.Second)
	if dl, ok := ctx.Deadline(); ok {
		if half := time.Now().Add(time.Until(dl) / 2); half.Before(until) {
			until = half
		}
	}
	for time.Now().Before(until) {
		if sleep(ctx, sharedPoll) != nil {
			return nil, false
		}
		if resp, ok := c.sharedGet(ctx, key, win); ok {
			metricSharedWaits.WithLabelValues(c.opts.Source, "answered").Inc()
			return resp, true
		}
		if !sh.usable() || !sh.locked(ctx, lockKey) {
			break
		}
	}
	// The holder may have published and released between two looks.
	if resp, ok := c.sharedGet(ctx, key, win); ok {
		metricSharedWaits.WithLabelValues(c.opts.Source, "answered").Inc()
		return resp, true
	}
	return nil, false
}
