package upstream

import (
	"slices"
	"sync"
	"time"
)

// guardWindow is the window of the rate guard's limiters: a minute, the
// upstream's, and a margin of one second.
//
// The upstream counts the calls that reach it on its own clock; the guard
// counts the turns it gives on the plugin's. Between the two lie the wait of
// a timer, the setting up of a connection and the network, which vary from
// call to call. Keeping the first and the last of any n + 1 turns at least
// 61 s apart (rather than 60) means the upstream sees at most n calls in any
// 60 s as long as that variation stays under a second between two calls. A margin of one call
// (n − 1 turns per 60 s) would not do that: once calls run at the sustained
// rate, the first and the n-th of them are exactly 60 s apart, and any delay
// of the first brings them closer. The second also costs less: 1/61 of the
// budget rather than 1/n (1/30 for the default dashboards' part).
const guardWindow = time.Minute + time.Second

// windowLimiter admits at most n calls in any window of its length: exactly
// n, all at once if they come at once, and then n in every window after, so
// its sustained rate is n per window. (A token bucket of burst b keeping the
// same bound could sustain only n − b per window.)
//
// It keeps the turns it gave that still count, past and reserved, in time
// order. A ring of the last n starts would do for calls that only ever take
// the next turn; a reservation that is cancelled must leave a gap another
// caller can take, wherever it lies among the turns reserved after it, so
// the turns are a sorted slice from which a cancelled one is removed. Turns
// more than a window old no longer count and are dropped, so the slice holds
// at most n turns per window from the oldest that counts to the latest
// reserved: n, plus one per caller waiting for a turn.
//
// Times are given by the caller (time.Now in the guard, a simulated clock in
// tests). The limiter never lets time run backwards: a time earlier than
// one it already saw counts as that one, so that callers whose clock
// readings reach the mutex out of order cannot take a turn that an older
// one, already dropped, would have forbidden.
type windowLimiter struct {
	n      int
	window time.Duration

	mu    sync.Mutex
	last  time.Time   // the latest time seen
	turns []time.Time // sorted; those that count at last
}

// newWindowLimiter builds a limiter of n ≥ 1 calls per window.
func newWindowLimiter(n int, window time.Duration) *windowLimiter {
	return &windowLimiter{n: max(1, n), window: window}
}

// windowTurn is a turn reserved at a time, which its holder gives back with
// cancel if its call will not start.
type windowTurn struct {
	l         *windowLimiter
	at        time.Time
	cancelled bool // under l.mu
}

// allow takes a turn at now if one is free then, and tells whether it did.
// It never reserves a later turn.
func (l *windowLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.advance(now)
	if !l.earliest(now).Equal(now) {
		return false
	}
	l.insert(now)
	return true
}

// reserve takes the earliest turn free from now on, which may be now.
func (l *windowLimiter) reserve(now time.Time) *windowTurn {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.advance(now)
	at := l.earliest(now)
	l.insert(at)
	return &windowTurn{l: l, at: at}
}

// cancel gives the turn back: its call will not start, and the turn no
// longer counts, so the next caller may take it (or an earlier one: the
// turns reserved after it stay where they are). Cancelling twice gives it
// back once. Turns of equal times are alike, so removing any one of them
// is removing this one.
func (t *windowTurn) cancel() {
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.cancelled {
		return
	}
	t.cancelled = true
	if i, ok := slices.BinarySearchFunc(l.turns, t.at, time.Time.Compare); ok {
		l.turns = slices.Delete(l.turns, i, i+1)
	}
}

// idleCapacity is how many calls the limiter admits within d from the
// moment it is idle, counting a turn at exactly d: n at once, then n more at
// each window's end.
func (l *windowLimiter) idleCapacity(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return l.n * int(d/l.window+1)
}

// advance moves the limiter's clock to now, unless now is earlier than the
// latest time seen, and drops the turns that no longer count; it returns
// the limiter's time. l.mu is held.
func (l *windowLimiter) advance(now time.Time) time.Time {
	if now.Before(l.last) {
		now = l.last
	}
	l.last = now
	// A turn at s counts in the windows [x, x+window) with x ≤ s; none of
	// them holds a time from now on once s + window ≤ now.
	old := 0
	for old < len(l.turns) && !l.turns[old].Add(l.window).After(now) {
		old++
	}
	l.turns = slices.Delete(l.turns, 0, old)
	return now
}

// earliest is the earliest time from now on at which one more turn keeps
// every window [x, x+window) to at most n turns. l.mu is held.
//
// n turns turns[i] … turns[i+n−1] less than a window apart fill the windows
// that start in (turns[i+n−1] − window, turns[i]]. A turn at t fits unless
// one of these full windows holds it, that is unless t is in
// (turns[i+n−1] − window, turns[i] + window) for some such i. Both ends of
// these intervals grow with i, so one pass from the earliest finds the
// first time past all the intervals that hold it.
func (l *windowLimiter) earliest(now time.Time) time.Time {
	t := now
	for i := 0; i+l.n-1 < len(l.turns); i++ {
		first, last := l.turns[i], l.turns[i+l.n-1]
		if last.Sub(first) >= l.window {
			continue // never in one window
		}
		if from, until := last.Add(-l.window), first.Add(l.window); t.After(from) && t.Before(until) {
			t = until
		}
	}
	return t
}

// insert adds a turn at t, keeping the turns sorted. l.mu is held.
func (l *windowLimiter) insert(t time.Time) {
	i, _ := slices.BinarySearchFunc(l.turns, t, time.Time.Compare)
	l.turns = slices.Insert(l.turns, i, t)
}
