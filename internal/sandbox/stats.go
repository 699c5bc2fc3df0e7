package sandbox

import (
	"net/http"
	"sync"
	"time"
)

// rateWindow is the length of the sliding window of the OVH rate statistics
// and of Config.OVHRequestsPerMinute.
const rateWindow = time.Minute

// Stats is a snapshot of the calls the sandbox has served since it started or
// since the last reset. Its JSON form is what GET /_sandbox/stats answers:
//
//	{"calls": {"ovh": 12, "onapp": 0, "pulse": 3},
//	 "paths": {"ovh GET /telephony": 1, "pulse GET /stats": 3, ...},
//	 "ovhMaxPerMinute": {"sandbox-consumer-key": 11, "oauth2": 1}}
//
// Every call that reaches an API is counted, including calls that fail
// authentication and calls a fault rule answers.
type Stats struct {
	// Calls counts the calls per API ("ovh", "onapp", "pulse"); all three
	// keys are always present.
	Calls map[string]int `json:"calls"`
	// Paths counts the calls per "<api> <METHOD> <path below the prefix>",
	// the path as sent (still percent-encoded), without the query.
	Paths map[string]int `json:"paths"`
	// OVHMaxPerMinute is, per OVH consumer key (header X-Ovh-Consumer, or
	// "oauth2" for Bearer tokens), the highest number of calls seen in any
	// sliding 60-second window of real time. Calls without credentials
	// (GET /auth/time, the token endpoint) are not in it.
	OVHMaxPerMinute map[string]int `json:"ovhMaxPerMinute"`
}

// statsRecorder accumulates Stats. One mutex guards everything: the work under
// it is a few map updates, cheap next to an HTTP exchange.
type statsRecorder struct {
	now func() time.Time // the real clock, see Config.wall

	mu      sync.Mutex
	calls   map[string]int
	paths   map[string]int
	windows map[string]*slidingWindow // OVH calls of the last minute, per consumer
	maxima  map[string]int            // OVHMaxPerMinute
}

func newStatsRecorder(now func() time.Time) *statsRecorder {
	s := &statsRecorder{now: now}
	s.reset()
	return s
}

// reset sets every counter back to zero.
func (s *statsRecorder) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{APIOVH: 0, APIOnApp: 0, APIPulse: 0}
	s.paths = map[string]int{}
	s.windows = map[string]*slidingWindow{}
	s.maxima = map[string]int{}
}

// record counts one call to api.
func (s *statsRecorder) record(api string, r *http.Request) {
	consumer := ""
	if api == APIOVH {
		consumer = ovhConsumer(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[api]++
	s.paths[api+" "+r.Method+" "+r.URL.EscapedPath()]++
	if consumer == "" {
		return
	}
	win := s.windows[consumer]
	if win == nil {
		win = &slidingWindow{}
		s.windows[consumer] = win
	}
	// The time is read under the lock, so a window's times are in order.
	if n := win.add(s.now()); n > s.maxima[consumer] {
		s.maxima[consumer] = n
	}
}

// snapshot copies the counters.
func (s *statsRecorder) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Calls:           make(map[string]int, len(s.calls)),
		Paths:           make(map[string]int, len(s.paths)),
		OVHMaxPerMinute: make(map[string]int, len(s.maxima)),
	}
	for k, v := range s.calls {
		st.Calls[k] = v
	}
	for k, v := range s.paths {
		st.Paths[k] = v
	}
	for k, v := range s.maxima {
		st.OVHMaxPerMinute[k] = v
	}
	return st
}

// slidingWindow holds the times of the events of the last rateWindow, oldest
// first. Its length after add is the number of events in the window that ends
// with the new one; the highest such number over all events is the highest
// number in any window, since a busiest window can always be slid until it
// ends on one of its events.
//
// It is not safe for concurrent use; its owner locks.
type slidingWindow struct {
	times []time.Time
}

// prune forgets the events that are rateWindow or more before now: a window
// holds the events in (now-rateWindow, now].
func (w *slidingWindow) prune(now time.Time) {
	cut := now.Add(-rateWindow)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
}

// count prunes and returns the number of events in the window ending now.
func (w *slidingWindow) count(now time.Time) int {
	w.prune(now)
	return len(w.times)
}

// add records an event at now and returns the number of events in the window
// ending now, this one included.
func (w *slidingWindow) add(now time.Time) int {
	w.prune(now)
	w.times = append(w.times, now)
	return len(w.times)
}

// retryAfter is how long, from now, until the oldest event leaves the window.
func (w *slidingWindow) retryAfter(now time.Time) time.Duration {
	if len(w.times) == 0 {
		return 0
	}
	return w.times[0].Add(rateWindow).Sub(now)
}

// rateLimiter admits at most limit calls per key in any sliding window of
// rateWindow. Refused calls do not count.
type rateLimiter struct {
	limit int
	now   func() time.Time

	mu      sync.Mutex
	windows map[string]*slidingWindow
}

func newRateLimiter(limit int, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, now: now, windows: map[string]*slidingWindow{}}
}

// allow admits a call for key, or says how long to wait before the next one
// would be admitted.
func (l *rateLimiter) allow(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	win := l.windows[key]
	if win == nil {
		win = &slidingWindow{}
		l.windows[key] = win
	}
	if win.count(now) >= l.limit {
		return false, win.retryAfter(now)
	}
	win.add(now)
	return true, 0
}
