package upstream

import (
	"context"
	"strings"
	"sync"
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

// WithRecorder returns a context whose upstream calls are recorded in r.
func WithRecorder(ctx context.Context, r *Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
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
