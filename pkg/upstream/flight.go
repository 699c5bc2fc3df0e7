package upstream

import (
	"context"
	"sync"

	"golang.org/x/sync/singleflight"
)

// flights coalesces identical calls in flight at the same moment: the first
// caller makes the call, the others wait for its answer. The call runs on a
// context of its own that keeps the first caller's deadline and is canceled
// when every caller waiting for it has gone — so Grafana canceling one panel
// does not cancel a call a sibling still needs, and canceling all of them
// stops the call.
type flights struct {
	group singleflight.Group
	mu    sync.Mutex
	live  map[string]*flight
}

type flight struct {
	ctx     context.Context
	cancel  context.CancelFunc
	waiters int
}

// do runs fn once for all concurrent callers with the same key. shared
// reports whether this caller got another caller's answer.
func (f *flights) do(ctx context.Context, key string, fn func(ctx context.Context) (*Response, error)) (resp *Response, shared bool, err error) {
	fl := f.join(ctx, key)
	ch := f.group.DoChan(key, func() (any, error) {
		defer f.finish(key, fl)
		return fn(fl.ctx)
	})
	select {
	case res := <-ch:
		f.leave(key, fl, false)
		r, _ := res.Val.(*Response)
		return r, res.Shared, res.Err
	case <-ctx.Done():
		f.leave(key, fl, true)
		return nil, false, ctx.Err()
	}
}

// join registers a waiter on the key's flight, creating it if needed.
func (f *flights) join(ctx context.Context, key string) *flight {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live == nil {
		f.live = map[string]*flight{}
	}
	fl, ok := f.live[key]
	if !ok {
		fctx := context.WithoutCancel(ctx)
		var cancel context.CancelFunc
		if dl, ok := ctx.Deadline(); ok {
			fctx, cancel = context.WithDeadline(fctx, dl)
		} else {
			fctx, cancel = context.WithCancel(fctx)
		}
		fl = &flight{ctx: fctx, cancel: cancel}
		f.live[key] = fl
	}
	fl.waiters++
	return fl
}

// leave unregisters a waiter. The last one out retires the flight; if it
// gave up before the answer came, the call itself is canceled and forgotten,
// so a later caller starts afresh.
func (f *flights) leave(key string, fl *flight, gaveUp bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl.waiters--
	if fl.waiters > 0 {
		return
	}
	fl.cancel()
	if f.live[key] == fl {
		delete(f.live, key)
		if gaveUp {
			f.group.Forget(key)
		}
	}
}

// finish retires the flight once its call returned.
func (f *flights) finish(key string, fl *flight) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live[key] == fl {
		delete(f.live, key)
	}
	fl.cancel()
}
