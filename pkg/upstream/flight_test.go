package upstream

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type flightKey struct{}

// waitForWaiters returns once n callers wait for key's running call (a
// caller counted as waiting is one the call's result will reach).
func waitForWaiters[T any](f *Flights[T], key string, n int) {
	for {
		f.mu.Lock()
		fl := f.live[key]
		got := 0
		if fl != nil {
			got = fl.waiters
		}
		f.mu.Unlock()
		if got == n {
			return
		}
		runtime.Gosched()
	}
}

// Concurrent callers of a key share one call and its result, on the first
// caller's values; nothing is kept afterwards, an error no more than an
// answer.
func TestFlightsShareOneCall(t *testing.T) {
	for _, cancelAbandoned := range []bool{false, true} {
		f := &Flights[int]{CancelAbandoned: cancelAbandoned}
		var calls atomic.Int32
		release := make(chan struct{})
		fn := func(ctx context.Context) (int, error) {
			if ctx.Value(flightKey{}) != "first" {
				t.Errorf("the call runs on values %v, want the first caller's", ctx.Value(flightKey{}))
			}
			calls.Add(1)
			<-release
			return 7, nil
		}
		first := context.WithValue(context.Background(), flightKey{}, "first")
		var wg sync.WaitGroup
		wg.Go(func() {
			if v, shared, err := f.Do(first, "k", fn); v != 7 || !shared || err != nil {
				t.Errorf("first caller: %d %v %v", v, shared, err)
			}
		})
		waitForWaiters(f, "k", 1)
		for range 4 {
			wg.Go(func() {
				if v, shared, err := f.Do(context.WithValue(first, flightKey{}, "other"), "k", fn); v != 7 || !shared || err != nil {
					t.Errorf("joining caller: %d %v %v", v, shared, err)
				}
			})
		}
		waitForWaiters(f, "k", 5)
		if v, shared, err := f.Do(first, "other key", func(context.Context) (int, error) { return 8, nil }); v != 8 || shared || err != nil {
			t.Errorf("another key: %d %v %v", v, shared, err)
		}
		close(release)
		wg.Wait()
		if n := calls.Load(); n != 1 {
			t.Errorf("CancelAbandoned %v: %d calls, want 1", cancelAbandoned, n)
		}

		boom := errors.New("boom")
		for i := range 2 {
			_, _, err := f.Do(first, "k", func(context.Context) (int, error) { calls.Add(1); return 0, boom })
			if !errors.Is(err, boom) {
				t.Errorf("error %v, want boom", err)
			}
			if n := calls.Load(); n != int32(2+i) {
				t.Errorf("CancelAbandoned %v: %d calls, want %d: a result was kept", cancelAbandoned, n, 2+i)
			}
		}
		if len(f.live) != 0 {
			t.Errorf("%d flights left", len(f.live))
		}
	}
}

// By default a call outlives the callers that gave up, has no deadline of
// theirs, and a caller arriving meanwhile gets its result.
func TestFlightsOutliveCallers(t *testing.T) {
	var f Flights[string]
	release := make(chan struct{})
	callCtx := make(chan context.Context, 2)
	fn := func(ctx context.Context) (string, error) {
		callCtx <- ctx
		<-release
		return "token", ctx.Err()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	done := make(chan error, 1)
	go func() { _, _, err := f.Do(ctx, "t", fn); done <- err }()
	running := <-callCtx
	if _, ok := running.Deadline(); ok {
		t.Error("the call has the caller's deadline")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that gave up got %v", err)
	}
	if running.Err() != nil {
		t.Fatal("the call was canceled with its only caller")
	}

	got := make(chan string, 1)
	go func() { v, _, _ := f.Do(context.Background(), "t", fn); got <- v }()
	waitForWaiters(&f, "t", 1)
	close(release)
	if v := <-got; v != "token" {
		t.Errorf("a later caller got %q, want the running call's token", v)
	}
	if n := len(callCtx); n != 0 {
		t.Errorf("%d more calls, want none", n)
	}
}

// With CancelAbandoned the call keeps the first caller's deadline, survives
// one caller giving up, is canceled when the last one does, and a later
// caller starts afresh.
func TestFlightsCancelAbandoned(t *testing.T) {
	f := &Flights[int]{CancelAbandoned: true}
	callCtx := make(chan context.Context, 2)
	fn := func(ctx context.Context) (int, error) {
		callCtx <- ctx
		<-ctx.Done()
		return 0, ctx.Err()
	}
	deadline := time.Now().Add(time.Hour)
	ctxA, cancelA := context.WithDeadline(context.Background(), deadline)
	ctxB, cancelB := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, _, err := f.Do(ctxA, "c", fn); errs <- err }()
	running := <-callCtx
	if dl, ok := running.Deadline(); !ok || !dl.Equal(deadline) {
		t.Errorf("the call's deadline %v %v, want the first caller's %v", dl, ok, deadline)
	}
	go func() { _, _, err := f.Do(ctxB, "c", fn); errs <- err }()
	waitForWaiters(f, "c", 2)

	cancelA()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("caller A: %v", err)
	}
	if running.Err() != nil {
		t.Fatal("the call was canceled while caller B still waits")
	}
	cancelB()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("caller B: %v", err)
	}
	<-running.Done() // canceled with its last caller

	v, _, err := f.Do(context.Background(), "c", func(context.Context) (int, error) { return 3, nil })
	if v != 3 || err != nil {
		t.Errorf("a later caller got %d %v, want a call of its own", v, err)
	}
}
