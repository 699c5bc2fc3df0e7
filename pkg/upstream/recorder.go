package upstream

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Recorder collects the upstream calls made for one query, for the frames'
// Meta.ExecutedQueryString. It records methods and URLs (and request bodies
// where the API takes its parameters there), never headers, so never
// credentials.
type Recorder struct {
	mu    sync.Mutex
	calls []string
}

type recorderKey struct{}

// WithRecorder returns a context whose upstream calls are recorded in r (nil:
// not recorded). A query's calls are recorded from its start, so the query
// is also taken to begin now, unless ctx knows an earlier start: messages
// about the query's deadline say how long the query had.
func WithRecorder(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(withQueryStart(ctx), recorderKey{}, r)
}

type startKey struct{}

// withQueryStart marks the query of ctx as beginning now, unless it began
// earlier.
func withQueryStart(ctx context.Context) context.Context {
	if _, ok := queryStart(ctx); ok {
		return ctx
	}
	return context.WithValue(ctx, startKey{}, time.Now())
}

// queryStart is when the query of ctx began, if known.
func queryStart(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(startKey{}).(time.Time)
	return t, ok
}

func recorderFrom(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

func (r *Recorder) add(call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

// Calls returns the recorded calls in the order they were made.
func (r *Recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// String returns the recorded calls, one per line.
func (r *Recorder) String() string { return strings.Join(r.Calls(), "\n") }
