package upstream

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var simT0 = time.Unix(1_700_000_000, 0)

// simAt is simT0 plus s seconds.
func simAt(s float64) time.Time { return simT0.Add(time.Duration(s * float64(time.Second))) }

// turnsOf copies the turns a limiter counts.
func turnsOf(l *windowLimiter) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.turns)
}

// fits tells, by counting, whether one more turn at x keeps every window
// [y, y+w) of turns to at most n. The fullest window containing x starts at
// one of the turns in (x−w, x], or at x.
func fits(turns []time.Time, x time.Time, n int, w time.Duration) bool {
	all := []time.Time{x}
	for _, u := range turns {
		if u.After(x.Add(-w)) && u.Before(x.Add(w)) {
			all = append(all, u)
		}
	}
	for _, y := range all {
		if y.After(x) || !y.Add(w).After(x) {
			continue
		}
		c := 0
		for _, u := range all {
			if !u.Before(y) && u.Before(y.Add(w)) {
				c++
			}
		}
		if c > n {
			return false
		}
	}
	return true
}

// Hand-worked: 3 calls per 61 s.
func TestWindowLimiterHandWorked(t *testing.T) {
	l := newWindowLimiter(3, guardWindow)
	for i := range 3 {
		if !l.allow(simAt(0)) {
			t.Fatalf("turn %d of 3 at once refused", i+1)
		}
	}
	if l.allow(simAt(0)) || l.allow(simAt(30)) || l.allow(simAt(60.9)) {
		t.Fatal("a fourth turn within 61 s")
	}
	// Three turns at 0: the next three are at 61, the three after at 122.
	for i, want := range []float64{61, 61, 61, 122} {
		if got := l.reserve(simAt(1)).at; !got.Equal(simAt(want)) {
			t.Errorf("reservation %d at %s, want %gs", i+1, got.Sub(simT0), want)
		}
	}
	// At 61 the turns at 0 no longer count; those reserved do.
	if l.allow(simAt(61)) {
		t.Error("a free turn at 61 s, all three reserved")
	}
	if got := len(turnsOf(l)); got != 4 {
		t.Errorf("%d turns counted at 61 s, want the 4 reserved", got)
	}

	// Spread turns: at 0, 20 and 40, the next is at 61, then 81, 101.
	s := newWindowLimiter(3, guardWindow)
	for _, x := range []float64{0, 20, 40} {
		if !s.allow(simAt(x)) {
			t.Fatalf("turn at %gs refused", x)
		}
	}
	for _, want := range []float64{61, 81, 101} {
		if got := s.reserve(simAt(41)).at; !got.Equal(simAt(want)) {
			t.Errorf("reservation at %s, want %gs", got.Sub(simT0), want)
		}
	}

	// One call per window: exactly 61 s apart.
	one := newWindowLimiter(1, guardWindow)
	if !one.allow(simAt(5)) || one.allow(simAt(65.9)) || !one.allow(simAt(66)) {
		t.Error("one call per 61 s: want turns at 5 s and 66 s only")
	}
}

// A cancelled reservation gives its turn back: to the next caller, even
// when turns were reserved after it.
func TestWindowLimiterCancelGivesTheTurnBack(t *testing.T) {
	l := newWindowLimiter(1, guardWindow)
	l.allow(simAt(0))
	a := l.reserve(simAt(0)) // 61
	b := l.reserve(simAt(0)) // 122
	c := l.reserve(simAt(0)) // 183
	if !a.at.Equal(simAt(61)) || !b.at.Equal(simAt(122)) || !c.at.Equal(simAt(183)) {
		t.Fatalf("reservations at %s %s %s", a.at.Sub(simT0), b.at.Sub(simT0), c.at.Sub(simT0))
	}
	// The last one given back: the next caller takes its turn.
	c.cancel()
	if d := l.reserve(simAt(1)); !d.at.Equal(simAt(183)) {
		t.Errorf("after the last cancelled, next turn at %s, want 183s", d.at.Sub(simT0))
	}
	// One between others given back: the next caller takes it, and the
	// turns after it stay where they are.
	a.cancel()
	if e := l.reserve(simAt(2)); !e.at.Equal(simAt(61)) {
		t.Errorf("after the one at 61 s cancelled, next turn at %s, want 61s", e.at.Sub(simT0))
	}
	// Cancelling twice gives back one turn: the other at an equal time
	// still counts.
	x := newWindowLimiter(2, guardWindow)
	x.allow(simAt(0))
	x.allow(simAt(0))
	p, q := x.reserve(simAt(0)), x.reserve(simAt(0))
	if !p.at.Equal(simAt(61)) || !q.at.Equal(simAt(61)) {
		t.Fatalf("reservations at %s %s, want 61s", p.at.Sub(simT0), q.at.Sub(simT0))
	}
	p.cancel()
	p.cancel()
	if r := x.reserve(simAt(1)); !r.at.Equal(simAt(61)) {
		t.Errorf("turn at %s, want the one given back at 61s", r.at.Sub(simT0))
	}
	if r := x.reserve(simAt(1)); !r.at.Equal(simAt(122)) {
		t.Errorf("turn at %s, want 122s: a second cancel gave back another's turn", r.at.Sub(simT0))
	}
}

// A clock reading earlier than one the limiter already saw takes no turn an
// older one, since dropped, forbids.
func TestWindowLimiterTimeNeverRunsBackwards(t *testing.T) {
	l := newWindowLimiter(2, guardWindow)
	l.allow(simAt(0))
	l.allow(simAt(0))
	if !l.allow(simAt(61)) { // drops the turns at 0
		t.Fatal("no turn at 61 s")
	}
	if !l.allow(simAt(60.5)) { // read before 61 s, reaching the mutex after
		t.Fatal("no second turn at 61 s")
	}
	got := turnsOf(l)
	if !slices.EqualFunc(got, []time.Time{simAt(61), simAt(61)}, time.Time.Equal) {
		t.Errorf("turns %v, want both at 61 s", got)
	}
}

// idleCapacity: n at once, and n more at the end of each window, counting
// a turn at exactly the horizon.
func TestWindowLimiterIdleCapacity(t *testing.T) {
	l := newWindowLimiter(3, guardWindow)
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{-time.Second, 0}, {0, 3}, {30 * time.Second, 3}, {60 * time.Second, 3}, {61 * time.Second, 6}, {121 * time.Second, 6}, {122 * time.Second, 9}} {
		if got := l.idleCapacity(tc.d); got != tc.want {
			t.Errorf("idleCapacity(%s) = %d, want %d", tc.d, got, tc.want)
		}
	}
	// The same counted by taking turns on an idle limiter.
	for _, d := range []time.Duration{0, 30 * time.Second, 61 * time.Second, 130 * time.Second} {
		idle, n := newWindowLimiter(3, guardWindow), 0
		for idle.reserve(simT0).at.Sub(simT0) <= d {
			n++
		}
		if want := idle.idleCapacity(d); n != want {
			t.Errorf("within %s: %d turns taken, idleCapacity says %d", d, n, want)
		}
	}
}

// For random sequences of turns taken, reserved and cancelled, the limiter
// gives every turn at the earliest time, checked by counting, at which it
// fits, and the turns it counts are exactly those given and not cancelled.
// Times are on a 100 ms grid (as is the window), so the earliest time that
// fits is on it too and every earlier point of the grid is tried.
func TestWindowLimiterIsExact(t *testing.T) {
	const step = 100 * time.Millisecond
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(4)
		l := newWindowLimiter(n, guardWindow)
		var live []time.Time       // turns given and not cancelled
		var reserved []*windowTurn // those that can be cancelled
		now := simT0
		for op := range 250 {
			now = now.Add(time.Duration(rng.IntN(60)) * step)
			switch k := rng.IntN(10); {
			case k < 4:
				ok := l.allow(now)
				if want := fits(live, now, n, guardWindow); ok != want {
					t.Fatalf("seed %d op %d: allow at %s = %v, counting says %v", seed, op, now.Sub(simT0), ok, want)
				}
				if ok {
					live = append(live, now)
				}
			case k < 7:
				r := l.reserve(now)
				if r.at.Before(now) || !fits(live, r.at, n, guardWindow) {
					t.Fatalf("seed %d op %d: turn at %s (asked at %s) does not fit", seed, op, r.at.Sub(simT0), now.Sub(simT0))
				}
				for x := now; x.Before(r.at); x = x.Add(step) {
					if fits(live, x, n, guardWindow) {
						t.Fatalf("seed %d op %d: turn at %s (asked at %s), but %s fits", seed, op, r.at.Sub(simT0), now.Sub(simT0), x.Sub(simT0))
					}
				}
				live = append(live, r.at)
				reserved = append(reserved, r)
			case len(reserved) > 0:
				i := rng.IntN(len(reserved))
				r := reserved[i]
				reserved = slices.Delete(reserved, i, i+1)
				r.cancel()
				if j := slices.IndexFunc(live, r.at.Equal); j >= 0 {
					live = slices.Delete(live, j, j+1)
				}
			}
			// The limiter drops the turns a window old when it is next asked
			// for one (not when one is cancelled).
			l.mu.Lock()
			last := l.last
			l.mu.Unlock()
			live = slices.DeleteFunc(live, func(u time.Time) bool { return !u.Add(guardWindow).After(last) })
			counted := slices.SortedFunc(slices.Values(live), time.Time.Compare)
			if got := turnsOf(l); !slices.EqualFunc(got, counted, time.Time.Equal) {
				t.Fatalf("seed %d op %d: the limiter counts %d turns, want %d", seed, op, len(got), len(counted))
			}
		}
	}
}
