package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Kind classifies an upstream failure.
type Kind int

// The kinds of upstream failure.
const (
	KindHTTP       Kind = iota // the upstream answered a non-2xx status
	KindNetwork                // no answer: DNS, refused, reset, TLS…
	KindTimeout                // the per-call timeout or the query's deadline passed (the message says which)
	KindCanceled               // Grafana canceled the query
	KindTooLarge               // the answer exceeded the size cap
	KindDecode                 // the answer could not be read (malformed, truncated, wrong type)
	KindRateGuard              // the plugin's own rate guard refused to wait any longer
	KindRedirect               // the upstream redirected the call (Status: the 3xx); redirects are never followed
	KindCredential             // a credential cannot be sent as it is (a header value with a line break)
	KindTLS                    // the TLS handshake failed over a certificate: the server's, or the client's it asked for
)

// Error is an upstream failure, with a message in plain words that says what
// to do. Messages never hold secrets: the client builds them from statuses,
// the upstream's own error text and URLs without credentials, and scrubs the
// configured secrets from them all the same.
type Error struct {
	Source  string // "OVHcloud", "OnApp CDN", "Pulse"
	Kind    Kind
	Status  int    // upstream HTTP status for KindHTTP
	Code    string // upstream error code or class when it gives one (INVALID_CREDENTIAL, …)
	QueryID string // upstream request id (OVH's X-Ovh-QueryID)
	Message string
	Err     error

	retryAfter time.Duration // the upstream's Retry-After, for retries
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// DataStatus maps the failure to the status of a Grafana data response.
func (e *Error) DataStatus() backend.Status {
	switch e.Kind {
	case KindTimeout:
		return backend.StatusTimeout
	case KindCanceled:
		return backend.Status(499)
	case KindRateGuard:
		return backend.StatusTooManyRequests
	case KindHTTP:
		switch e.Status {
		case http.StatusUnauthorized:
			return backend.StatusUnauthorized
		case http.StatusForbidden:
			return backend.StatusForbidden
		case http.StatusNotFound:
			return backend.StatusNotFound
		case http.StatusTooManyRequests:
			return backend.StatusTooManyRequests
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			return backend.StatusBadRequest
		}
	}
	return backend.StatusBadGateway
}

// ErrorResponse turns any error met while answering a query into a per-query
// data response. Upstream failures and bad queries are the user's or the
// upstream's side (downstream); anything else is a plugin error.
func ErrorResponse(err error) backend.DataResponse {
	var ue *Error
	if errors.As(err, &ue) {
		return backend.ErrDataResponseWithSource(ue.DataStatus(), backend.ErrorSourceDownstream, ue.Message)
	}
	var be *BadQueryError
	if errors.As(err, &be) {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, be.Error())
	}
	if errors.Is(err, context.Canceled) {
		return backend.ErrDataResponseWithSource(backend.Status(499), backend.ErrorSourceDownstream, "the query was canceled")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return backend.ErrDataResponseWithSource(backend.StatusTimeout, backend.ErrorSourceDownstream, "the query ran out of time")
	}
	return backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin, err.Error())
}

// RetryAfter is how long the upstream asked to wait before trying again.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

// BadQueryError is a query the user must correct; it answers 400.
type BadQueryError struct{ Err error }

func (e *BadQueryError) Error() string { return e.Err.Error() }
func (e *BadQueryError) Unwrap() error { return e.Err }

// BadQuery wraps err as a query the user must correct.
func BadQuery(err error) error { return &BadQueryError{Err: err} }

// BadQueryf formats a query the user must correct.
func BadQueryf(format string, a ...any) error { return &BadQueryError{Err: fmt.Errorf(format, a...)} }
