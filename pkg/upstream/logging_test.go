package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// captureLogger keeps every line logged through it.
type captureLogger struct {
	mu    *sync.Mutex
	lines *[]string
	with  []any
}

func newCaptureLogger() captureLogger {
	return captureLogger{mu: &sync.Mutex{}, lines: &[]string{}}
}

func (l captureLogger) add(level, msg string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*l.lines = append(*l.lines, fmt.Sprint(level, " ", msg, " ", l.with, " ", args))
}

func (l captureLogger) Debug(msg string, args ...any) { l.add("debug", msg, args) }
func (l captureLogger) Info(msg string, args ...any)  { l.add("info", msg, args) }
func (l captureLogger) Warn(msg string, args ...any)  { l.add("warn", msg, args) }
func (l captureLogger) Error(msg string, args ...any) { l.add("error", msg, args) }
func (l captureLogger) With(args ...any) log.Logger {
	l.with = append(append([]any(nil), l.with...), args...)
	return l
}
func (l captureLogger) Level() log.Level                       { return log.Debug }
func (l captureLogger) FromContext(context.Context) log.Logger { return l }

func (l captureLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(*l.lines, "\n")
}

// TestLogLinesHoldOnlyScrubbedURLs: the debug lines of a call and of its
// retries name the URL with the secret redacted.
func TestLogLinesHoldOnlyScrubbedURLs(t *testing.T) {
	first := true
	var mu sync.Mutex
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		again := first
		first = false
		mu.Unlock()
		if again {
			w.WriteHeader(503)
			return
		}
		okJSON(w, r)
	})
	lg := newCaptureLogger()
	c := newClient(t, s.URL, func(o *Options) { o.Logger = lg })
	if _, err := c.Do(context.Background(), Call{Path: "/stats", Query: url.Values{"token": {"secret-value-123"}}}); err != nil {
		t.Fatal(err)
	}
	logged := lg.all()
	if !strings.Contains(logged, "retrying upstream call") || !strings.Contains(logged, "token=[redacted]") {
		t.Fatalf("log lines:\n%s", logged)
	}
	if strings.Contains(logged, "secret-value-123") {
		t.Fatalf("a secret was logged:\n%s", logged)
	}
}
