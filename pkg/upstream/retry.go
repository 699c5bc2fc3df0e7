package upstream

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// RetryPolicy bounds the retries of idempotent calls.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it, with full jitter.
	BaseDelay time.Duration
	// MaxDelay caps one backoff (not a Retry-After the upstream asks for).
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After honoured; an upstream asking
	// for a longer pause gets no retry (the user sees its answer instead).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy: three tries, 250 ms then 500 ms (jittered).
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 3, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second, MaxRetryAfter: 20 * time.Second}

// retryable reports whether a failed attempt may be tried again, and how long
// the upstream asked to wait (Retry-After) if it did. Only these are retried:
// 429, 502, 503, 504 and connections reset or closed before an answer.
func retryable(err error) (bool, time.Duration) {
	var ue *Error
	if !errors.As(err, &ue) {
		return false, 0
	}
	switch ue.Kind {
	case KindHTTP:
		switch ue.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true, ue.retryAfter
		}
	case KindNetwork:
		return isConnectionReset(ue.Err), 0
	}
	return false, 0
}

func isConnectionReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE)
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is the wait before retry n (1-based): the upstream's Retry-After
// when given, else exponential with full jitter.
func (p RetryPolicy) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := p.BaseDelay << (n - 1)
	if d > p.MaxDelay || d <= 0 {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
