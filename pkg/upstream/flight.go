package upstream

import (
	"context"
	"sync"

	"golang.org/x/sync/singleflight"
)

// Flights coalesces identical calls in flight at the same moment: the first
// caller of a key runs the call, the callers that come while it runs wait
// for its result. Every caller stops waiting when its own context ends.
// Nothing is kept once the call returned — not an answer, not an error — so
// the owner keeps what lives longer (a cache, a token) itself. The zero
// value is ready to use.
//
// The call does not belong to any one caller: it runs on a context of its
// own that has the first caller's values but not its cancellation, so that
// Grafana canceling one panel does not cancel a call a sibling still needs.
// Beyond that, two lifetimes:
//
//   - by default (a fetch whose result the owner keeps: a token, the clock
//     offset, a list) the call runs to its end on its own bounds (the
//     client's timeout), and a caller arriving meanwhile waits for it too;
//   - with CancelAbandoned (an upstream call of a query) the call keeps the
//     first caller's deadline and is canceled when every caller waiting for
//     it has gone, and then forgotten, so a later caller starts afresh.
type Flights[T any] struct {
	// CancelAbandoned cancels a call when every caller has gone.
	CancelAbandoned bool

	group singleflight.Group
	mu    sync.Mutex
	live  map[string]*flight
}

// flight is a running call's context and how many callers wait for it.
type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

// Do runs fn once for all concurrent callers with the same key. shared
// reports whether the result went to more than one caller.
func (f *Flights[T]) Do(ctx context.Context, key string, fn func(ctx context.Context) (T, error)) (v T, shared bool, err error) {
	// Joining and entering the call are one step: a caller counted as a
	// waiter is one the call's result will reach.
	f.mu.Lock()
	fl := f.join(ctx, key)
	ch := f.group.DoChan(key, func() (any, error) {
		defer f.finish(key, fl)
		return fn(fl.ctx)
	})
	f.mu.Unlock()
	select {
	case res := <-ch:
		f.leave(key, fl, false)
		v, _ = res.Val.(T)
		return v, res.Shared, res.Err
	case <-ctx.Done():
		f.leave(key, fl, true)
		return v, false, ctx.Err()
	}
}

// join registers a waiter on the key's flight, creating it if needed; f.mu
// is held.
func (f *Flights[T]) join(ctx context.Context, key string) *flight {
	if f.live == nil {
		f.live = map[string]*flight{}
	}
	fl, ok := f.live[key]
	if !ok {
		fl = &flight{}
		own := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok && f.CancelAbandoned {
			fl.ctx, fl.cancel = context.WithDeadline(own, dl)
		} else {
			fl.ctx, fl.cancel = context.WithCancel(own)
		}
		f.live[key] = fl
	}
	fl.waiters++
	return fl
}

// leave unregisters a waiter. The last one out retires the flight; if it
// gave up before the answer came and abandoned calls are canceled, the call
// itself is canceled and forgotten, so a later caller starts afresh.
// Otherwise a later caller still joins the running call.
func (f *Flights[T]) leave(key string, fl *flight, gaveUp bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl.waiters--
	if fl.waiters > 0 {
		return
	}
	current := f.live[key] == fl
	if current {
		delete(f.live, key)
	}
	if gaveUp && !f.CancelAbandoned {
		return // the call goes on, for its owner
	}
	fl.cancel()
	if gaveUp && current {
		f.group.Forget(key)
	}
}

// finish retires the flight once its call returned.
func (f *Flights[T]) finish(key string, fl *flight) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live[key] == fl {
		delete(f.live, key)
	}
	fl.cancel()
}
