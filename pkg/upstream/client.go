// Package upstream is the one HTTP layer the three sources share: a base URL,
// authentication, a per-call timeout, a response size cap, cancellation,
// classified errors in plain words, escaped paths, and the record of the calls
// made for Meta.ExecutedQueryString.
package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// Options configures a Client.
type Options struct {
	// Source names the upstream in messages: "OVHcloud", "OnApp CDN", "Pulse".
	Source string
	// BaseURL is the API's root; request paths are appended to it.
	BaseURL string
	// Timeout bounds one call.
	Timeout time.Duration
	// MaxResponseBytes caps one answer.
	MaxResponseBytes int64
	// Authorize adds credentials to each outgoing request (headers only).
	Authorize func(*http.Request) error
	// Explain fills e.Message (and e.Code, e.QueryID) for a non-2xx answer, in
	// the upstream's terms. When nil, or when it leaves Message empty, a
	// generic message is used.
	Explain func(e *Error, resp *Response)
	// Secrets are scrubbed from every message and log line, whatever happens.
	Secrets []string
	// HTTPClient overrides the SDK-built client (tests).
	HTTPClient *http.Client
	// HTTP is the data source's HTTP client options from Grafana
	// (backend.DataSourceInstanceSettings.HTTPClientOptions): the Secure
	// SOCKS proxy, proxy settings, the labels of the SDK's metrics. The
	// client takes what applies to every source from it (see sdkOptions);
	// nil: the SDK's defaults.
	HTTP *httpclient.Options
	// TLS is the source's own TLS settings (a CA, a client certificate,
	// skip-verify); nil: the system's CAs.
	TLS *httpclient.TLSOptions
	// TLSSection names where the source's TLS settings are in the config
	// editor ("CDN bandwidth"), for certificate messages.
	TLSSection string
	// Logger receives debug lines naming each call (never credentials).
	Logger log.Logger

	// Namespace separates cache entries and coalesced calls of different
	// data-source instances.
	Namespace string
	// Credential identifies the credential in use (e.g. application key and
	// consumer key). Only its SHA-256 fingerprint is kept: it keys the cache
	// and the process-wide rate guard.
	Credential string
	// CacheTTL keeps successful GET answers that long; 0 disables the cache.
	CacheTTL time.Duration
	// RequestsPerMinute, when > 0, guards the credential's call rate.
	RequestsPerMinute int
	// AlertingShare is the share of RequestsPerMinute reserved for alerting
	// requests (see WithAlerting): other calls may not use it.
	AlertingShare float64
	// Retry bounds retries of idempotent calls; nil means DefaultRetryPolicy.
	Retry *RetryPolicy
	// Shared, when set, is the Redis every Grafana replica's plugin process
	// shares (see SharedFor): a second cache level behind the process's
	// own, coalescing across processes (see sharedDo) and the rate guard's
	// limiters. nil: all of it stays in the process.
	Shared *Shared
}

// Client calls one upstream API.
type Client struct {
	opts    Options
	base    *url.URL
	http    *http.Client
	log     log.Logger
	credFP  string
	retry   RetryPolicy
	flights Flights[*Response]
	guard   *rateGuard // nil: no rate guard
	cache   *lru
}

// Response is a complete upstream answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// ContentType returns the answer's media type without parameters.
func (r *Response) ContentType() string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// New builds a client. The HTTP client comes from the plugin SDK, built
// from the data source's options (Options.HTTP: tracing, metrics, user
// agent, proxy settings, the Secure SOCKS proxy) and the source's TLS
// (Options.TLS), or from Options.HTTPClient; either way the client uses a
// guarded copy of it that follows no redirect, refuses credentials HTTP
// cannot carry, caps every answer (see guardedTransport) and says
// certificate failures in plain words (see explainTLS), for its own calls
// and for the libraries given HTTPClient. Close it with Close.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return nil, errors.New(Clean(fmt.Sprintf("%s: base URL %q is not an absolute URL", opts.Source, Quote(opts.BaseURL)), opts.Secrets))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = 64 << 20
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc, err = sdkClient(opts)
		if err != nil {
			return nil, errors.New(Clean(fmt.Sprintf(
				"%s: the HTTP client cannot be built (%s) — check the source's TLS settings and, with enableSecureSocksProxy on, the secure_socks_datasource_proxy section of Grafana's configuration",
				opts.Source, Quote(err.Error())), opts.Secrets))
		}
	}
	hc = guardClient(explainTLS(hc, opts), opts)
	lg := opts.Logger
	if lg == nil {
		lg = log.DefaultLogger
	}
	c := &Client{opts: opts, base: base, http: hc, log: lg.With("upstream", opts.Source), retry: DefaultRetryPolicy, cache: sharedCache,
		flights: Flights[*Response]{CancelAbandoned: true}}
	sum := sha256.Sum256([]byte(opts.Source + "\x00" + opts.BaseURL + "\x00" + opts.Credential))
	c.credFP = hex.EncodeToString(sum[:12])
	if opts.Retry != nil {
		c.retry = *opts.Retry
	}
	if c.retry.MaxAttempts < 1 {
		c.retry.MaxAttempts = 1
	}
	if opts.RequestsPerMinute > 0 {
		c.guard = guardFor(c.credFP, opts.RequestsPerMinute, opts.AlertingShare, opts.Shared)
	}
	return c, nil
}

// Source names the upstream.
func (c *Client) Source() string { return c.opts.Source }

// HTTPClient is the underlying client, for libraries that need one (go-ovh,
// x/oauth2): their calls are guarded as the client's own are — no redirect
// followed, no answer read past MaxResponseBytes.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// URL returns the full URL of an escaped path (see Path) and query.
func (c *Client) URL(path string, query url.Values) string {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query.Encode()
	return u.String()
}

// Call describes one upstream request.
type Call struct {
	Method string
	Path   string     // escaped, from Path
	Query  url.Values // may be nil
	Body   []byte     // sent as is; recorded with the call
	Header http.Header
	// Window, when set, is the dashboard time range the call's parameters
	// carry; see Window.
	Window *Window
}

// Window is the dashboard time range a call asks for, on APIs that take the
// range as parameters (Pulse's startDate and endDate, OnApp's start and end).
//
// A relative range ("last 24 hours") moves forward with every refresh, and
// so does the call's URL: every refresh of a dashboard would miss the cache.
// So a cacheable call with a Window is also answered by the live cached
// answer of the same call (same Key) made for a range of the same length
// that the new range follows by at most the cache TTL (and windowSlack).
// Such an answer is no staler than any cached one: it is served only while
// it lives, so it lacks at most the TTL's worth of the range's end. A range
// that moved backwards, changed length or moved further is fetched afresh.
type Window struct {
	From, To time.Time
	// Key identifies the call apart from its range: its path and its other
	// parameters (not the dates, nor a body repeating them).
	Key string
}

// Do sends the call and returns the complete answer when its status is 2xx,
// or an *Error otherwise. On the way it serves GET answers from the cache
// (unless the context asks to bypass it), coalesces identical calls in
// flight, waits for the credential's rate guard, and retries idempotent
// calls that failed transiently, never past the context's deadline.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	if call.Method == "" {
		call.Method = http.MethodGet
	}
	ctx = withQueryStart(ctx)
	target := c.URL(call.Path, call.Query)
	if rec := recorderFrom(ctx); rec != nil {
		line := call.Method + " " + target
		if len(call.Body) > 0 {
			line += " " + string(call.Body)
		}
		rec.add(c.scrub(line))
	}
	idempotent := call.Method == http.MethodGet || call.Method == http.MethodHead
	key := c.key(call, target)
	cacheable := idempotent && c.opts.CacheTTL > 0
	var win *windowRef
	if cacheable && call.Window != nil {
		win = &windowRef{key: c.windowKey(call), from: call.Window.From, to: call.Window.To, maxShift: c.opts.CacheTTL + windowSlack}
	}
	if cacheable && !bypassCache(ctx) {
		now := time.Now()
		resp, ok := c.cache.get(key, now)
		if !ok && win != nil {
			resp, ok = c.cache.getMoved(win, now)
		}
		if ok {
			metricCacheHits.WithLabelValues(c.opts.Source).Inc()
			return resp, nil
		}
	}
	resp, shared, err := c.flights.Do(ctx, key, func(ctx context.Context) (*Response, error) {
		if cacheable && c.opts.Shared != nil {
			return c.sharedDo(ctx, call, target, key, win)
		}
		resp, err := c.attempts(ctx, call, target, idempotent)
		if err == nil && cacheable {
			c.cache.put(key, resp, time.Now().Add(c.opts.CacheTTL), win)
		}
		return resp, err
	})
	if shared {
		metricCoalesced.WithLabelValues(c.opts.Source).Inc()
	}
	if err != nil && ctx.Err() != nil {
		return nil, c.queryEnded(ctx, ctx.Err())
	}
	return resp, err
}

// key identifies a call for the cache and for coalescing: instance,
// credential fingerprint, method, URL and body.
func (c *Client) key(call Call, target string) string {
	body := sha256.Sum256(call.Body)
	return c.opts.Namespace + "\x00" + c.credFP + "\x00" + call.Method + " " + target + "\x00" + hex.EncodeToString(body[:8])
}

// windowSlack is how much further than the cache TTL a moved range may be
// from the cached one. A dashboard fixes its range when it asks, and the
// answer starts its lifetime when it arrives: a refresh exactly one TTL
// later finds the answer alive (as a call with a fixed URL would) with a
// range moved by the TTL plus the time the first answer took.
const windowSlack = time.Second

// windowKey identifies a call with a Window apart from its range, for the
// cache (see Window): instance, credential, method, base URL and the key.
func (c *Client) windowKey(call Call) string {
	return c.opts.Namespace + "\x00" + c.credFP + "\x00" + call.Method + " " + c.base.String() + "\x00" + call.Window.Key
}

// attempts makes the call, retrying transient failures of idempotent calls.
func (c *Client) attempts(ctx context.Context, call Call, target string, idempotent bool) (*Response, error) {
	for n := 1; ; n++ {
		if err := c.waitTurn(ctx); err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, call, target)
		if err == nil || !idempotent || n >= c.retry.MaxAttempts {
			return resp, err
		}
		again, retryAfter := retryable(err)
		if !again || retryAfter > c.retry.MaxRetryAfter {
			return nil, err
		}
		wait := c.retry.backoff(n, retryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl.Add(-answerReserve(queryAllowance(ctx)))) < wait {
			return nil, err // the next try would land past the deadline (less the reserve to answer)
		}
		c.log.Debug("retrying upstream call", "url", c.clean(target), "attempt", n+1, "wait", wait)
		metricRetries.WithLabelValues(c.opts.Source).Inc()
		if err := sleep(ctx, wait); err != nil {
			return nil, c.queryEnded(ctx, err)
		}
	}
}

// waitTurn waits for the credential's rate guard, if any.
func (c *Client) waitTurn(ctx context.Context) error {
	if c.guard == nil {
		return nil
	}
	waited, err := c.guard.wait(ctx, c.opts.Source)
	switch {
	case err != nil:
		metricRateWaits.WithLabelValues(c.opts.Source, "refused").Inc()
		var ue *Error
		if errors.As(err, &ue) {
			return ue
		}
		return c.queryEnded(ctx, err)
	case waited > 0:
		metricRateWaits.WithLabelValues(c.opts.Source, "waited").Inc()
		c.log.Debug("rate guard made a call wait", "wait", waited)
	}
	return nil
}

// send makes one attempt. ctx is the query's context (through the flight);
// the attempt runs on a child bounded by the per-call timeout or by the
// query's deadline less a reserve to answer in (see answerReserve),
// whichever comes first, and messages say which of the two ended it.
func (c *Client) send(ctx context.Context, call Call, target string) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.queryEnded(ctx, err)
	}
	deadline, queryBound := c.callDeadline(ctx, time.Now())
	if queryBound && !time.Now().Before(deadline) {
		return nil, c.queryEnded(ctx, context.DeadlineExceeded)
	}
	callCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	var body io.Reader
	if len(call.Body) > 0 {
		body = bytes.NewReader(call.Body)
	}
	req, err := http.NewRequestWithContext(callCtx, call.Method, target, body)
	if err != nil {
		return nil, &Error{Source: c.opts.Source, Kind: KindNetwork, Err: err,
			Message: c.clean(fmt.Sprintf("%s: cannot build the request: %s", c.opts.Source, Quote(err.Error())))}
	}
	for k, v := range call.Header {
		req.Header[k] = v
	}
	if c.opts.Authorize != nil {
		if err := c.opts.Authorize(req); err != nil {
			return nil, c.authorizeError(ctx, callCtx, queryBound, err)
		}
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	metricCallSeconds.WithLabelValues(c.opts.Source).Observe(time.Since(start).Seconds())
	if err != nil {
		metricCalls.WithLabelValues(c.opts.Source, failureLabel(err)).Inc()
		return nil, c.transportError(ctx, callCtx, queryBound, err)
	}
	metricCalls.WithLabelValues(c.opts.Source, statusLabel(resp.StatusCode)).Inc()
	defer resp.Body.Close()
	// The body is capped by the transport (see cappedBody); the limit here
	// keeps the cap even for a transport that is not the guarded one.
	data, err := readAll(resp.Body, resp.ContentLength, c.opts.MaxResponseBytes)
	if err != nil {
		return nil, c.bodyError(ctx, callCtx, queryBound, err, len(data))
	}
	c.log.Debug("upstream call", "method", call.Method, "url", c.clean(target), "status", resp.StatusCode,
		"bytes", len(data), "duration", time.Since(start))
	if int64(len(data)) > c.opts.MaxResponseBytes {
		return nil, tooLargeError(c.opts.Source, resp.StatusCode, c.opts.MaxResponseBytes, c.opts.Secrets)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.httpError(out)
	}
	return out, nil
}

// failureLabel is the metrics code of a call that got no usable answer: the
// 3xx of a refused redirect, else 0 (no answer).
func failureLabel(err error) string {
	var ue *Error
	if errors.As(err, &ue) && ue.Kind == KindRedirect && ue.Status != 0 {
		return statusLabel(ue.Status)
	}
	return "0"
}

// readAll is io.ReadAll for an answer of at most limit bytes: it reads up
// to limit+1 bytes (one more tells the caller the answer was too large).
//
// Memory follows what arrived, never what the peer announced: the buffer
// starts small and at most doubles what arrived at each step, so an answer
// announcing 62 MiB and sending 34 bytes costs 512 bytes. The announced
// length (Content-Length) only bounds a step from above, so that an honest
// answer's last step is exactly its size; once that many bytes arrived, a
// one-byte read checks that the answer ends there before anything grows.
func readAll(r io.Reader, length, limit int64) ([]byte, error) {
	b := make([]byte, 0, nextSize(0, length, limit))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == nil && len(b) == cap(b) && int64(len(b)) == length && int64(len(b)) <= limit {
			var probe [1]byte
			if n, err = readSome(r, probe[:]); n > 0 {
				b = append(grow(b, nextSize(len(b), length, limit)), probe[0])
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return trim(b), err
		}
		if int64(len(b)) > limit {
			return b, nil // past the cap: the caller refuses the answer
		}
		if len(b) == cap(b) {
			b = grow(b, nextSize(len(b), length, limit))
		}
	}
}

// trim returns a large answer in a buffer of its size when growing left
// more than a quarter of it unused: the answer outlives its reading (the
// reader's input, then the cache), the buffer's spare room with it.
func trim(b []byte) []byte {
	if len(b) < 1<<20 || cap(b)-len(b) <= len(b)/4 {
		return b
	}
	return grow(b, len(b))
}

// readSome reads into p until a byte or an error arrives.
func readSome(r io.Reader, p []byte) (int, error) {
	for {
		if n, err := r.Read(p); n > 0 || err != nil {
			return n, err
		}
	}
}

// grow copies b into a buffer of capacity size.
func grow(b []byte, size int) []byte {
	grown := make([]byte, len(b), size)
	copy(grown, b)
	return grown
}

// readStep is the first buffer of readAll.
const readStep = 512

// nextSize is the capacity readAll grows a full buffer of have bytes to:
// twice have (readStep at first), no more than the announced length when
// the peer announced more than have, and never past limit+1.
func nextSize(have int, length, limit int64) int {
	size := max(2*int64(have), readStep)
	if length > int64(have) && length < size {
		size = length
	}
	return int(min(size, limit+1))
}

func (c *Client) httpError(resp *Response) *Error {
	e := &Error{Source: c.opts.Source, Kind: KindHTTP, Status: resp.Status,
		retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	if c.opts.Explain != nil {
		c.opts.Explain(e, resp)
	}
	if e.Message == "" {
		e.Message = GenericHTTPMessage(c.opts.Source, resp.Status)
	}
	e.Message = c.clean(e.Message)
	return e
}

// GenericHTTPMessage is the plain-words message for a status an upstream
// explained no better.
func GenericHTTPMessage(source string, status int) string {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Sprintf("%s: %s — check the credentials in the data source settings", source, text)
	case status == http.StatusNotFound:
		return fmt.Sprintf("%s: %s — check the URL in the data source settings and the names in the query", source, text)
	case status == http.StatusTooManyRequests:
		return fmt.Sprintf("%s: %s — the API is rate limiting this credential; lower the refresh rate or the number of panels", source, text)
	case status >= 500:
		return fmt.Sprintf("%s: %s — the service failed; try again later", source, text)
	}
	return fmt.Sprintf("%s: %s", source, text)
}

// authorizeError reports a failed Authorize hook: its own *Error (a token
// refused, the API clock unreadable), or the deadline that ended while it
// waited, or what went wrong.
func (c *Client) authorizeError(ctx, callCtx context.Context, queryBound bool, err error) error {
	var ue *Error
	if errors.As(err, &ue) {
		return ue
	}
	if ended := c.deadlineError(ctx, callCtx, queryBound, err); ended != nil {
		return ended
	}
	return &Error{Source: c.opts.Source, Kind: KindNetwork, Err: err,
		Message: c.clean(fmt.Sprintf("%s: cannot authenticate: %s", c.opts.Source, Quote(err.Error())))}
}

// transportError reports a call that got no complete answer. The guarded
// transport's own errors (a refused redirect, a credential HTTP cannot
// carry, an answer past the cap) keep their message: net/http wraps them in
// a *url.Error whose text would otherwise read "no answer from …". Then the
// query's deadline (or cancellation), then the call's own timeout, and
// anything else is the network.
func (c *Client) transportError(ctx, callCtx context.Context, queryBound bool, err error) error {
	var ue *Error
	if errors.As(err, &ue) {
		return ue
	}
	if ended := c.deadlineError(ctx, callCtx, queryBound, err); ended != nil {
		return ended
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return c.callTimedOut(err) // a transport timeout (dial, TLS handshake)
	}
	return &Error{Source: c.opts.Source, Kind: KindNetwork, Err: err, Message: c.clean(fmt.Sprintf(
		"%s: no answer from %s (%s) — check the URL in the data source settings and that Grafana can reach it",
		c.opts.Source, Quote(c.base.Host), Quote(rootCause(err))))}
}

// bodyError reports an answer that broke off after its headers: the
// transport's own errors and the deadlines as transportError says them,
// else an answer cut short (a connection closed early, often short of the
// length it announced), which is retried as a reset connection is.
func (c *Client) bodyError(ctx, callCtx context.Context, queryBound bool, err error, got int) error {
	e := c.transportError(ctx, callCtx, queryBound, err)
	var ue *Error
	if !errors.As(e, &ue) || ue.Kind != KindNetwork {
		return e
	}
	ue.Message = c.clean(fmt.Sprintf(
		"%s: the answer from %s broke off after %d bytes (%s) — try again; if it keeps happening, check the URL in the data source settings and any proxy between Grafana and %s",
		c.opts.Source, Quote(c.base.Host), got, Quote(rootCause(err)), c.opts.Source))
	return ue
}

// deadlineError tells which deadline ended an attempt, if one did: the
// query's (its context ended, or the call was cut short to leave the query
// time to answer) or the call's own timeout.
func (c *Client) deadlineError(ctx, callCtx context.Context, queryBound bool, err error) error {
	switch {
	case ctx.Err() != nil:
		return c.queryEnded(ctx, ctx.Err())
	case callCtx.Err() != nil && queryBound:
		return c.queryEnded(ctx, context.DeadlineExceeded)
	case callCtx.Err() != nil:
		return c.callTimedOut(err)
	}
	return nil
}

// callDeadline is when an attempt starting at now must end: after the
// per-call timeout, or earlier when the query's deadline less its reserve
// comes first (queryBound).
func (c *Client) callDeadline(ctx context.Context, now time.Time) (deadline time.Time, queryBound bool) {
	deadline = now.Add(c.opts.Timeout)
	dl, ok := ctx.Deadline()
	if !ok {
		return deadline, false
	}
	if last := dl.Add(-answerReserve(queryAllowance(ctx))); last.Before(deadline) {
		return last, true
	}
	return deadline, false
}

// answerReserve is the part of a query's time kept for answering: Grafana
// (through gRPC) drops an answer that arrives after the query's deadline, so
// a call still waiting then would turn a clear message into a bare
// "deadline exceeded". A twentieth of the query's time, at most 500 ms.
func answerReserve(allowance time.Duration) time.Duration {
	return min(allowance/20, 500*time.Millisecond)
}

// queryEnded reports the end of the query's own context: Grafana canceled
// it, or its deadline (Grafana's query timeout, the dashboard's, an alert
// rule's evaluation timeout) passed — which timeoutSeconds has no say in.
func (c *Client) queryEnded(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) {
		return &Error{Source: c.opts.Source, Kind: KindCanceled, Err: err,
			Message: c.clean(fmt.Sprintf("%s: the call was canceled", c.opts.Source))}
	}
	return &Error{Source: c.opts.Source, Kind: KindTimeout, Err: err, Message: c.clean(fmt.Sprintf(
		"%s: the query ran out of time after %s (Grafana's query timeout or the dashboard's) — narrow the query (a shorter time range, fewer series) or raise that timeout; timeoutSeconds, which bounds one call, did not end it",
		c.opts.Source, formatSeconds(queryAllowance(ctx))))}
}

// callTimedOut reports one call that outlived its own timeout
// (timeoutSeconds) while the query still had time.
func (c *Client) callTimedOut(err error) error {
	return &Error{Source: c.opts.Source, Kind: KindTimeout, Err: err, Message: c.clean(fmt.Sprintf(
		"%s did not answer within %s — the service is slow or unreachable; try again, or raise timeoutSeconds", c.opts.Source, c.opts.Timeout))}
}

// queryAllowance is how long the query of ctx had: from its start to its
// deadline (to now, when either is unknown).
func queryAllowance(ctx context.Context) time.Duration {
	start, ok := queryStart(ctx)
	if !ok {
		return 0
	}
	end := time.Now()
	if dl, ok := ctx.Deadline(); ok {
		end = dl
	}
	return max(end.Sub(start), 0)
}

// formatSeconds writes d as "2 s", "1.5 s" or "30 s".
func formatSeconds(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%d s", int64(d.Round(time.Second)/time.Second))
	}
	return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + " s"
}

// DecodeJSON decodes a JSON answer into v, with an error in plain words when
// the answer is not JSON (an HTML error page from a proxy, a truncated body).
func (c *Client) DecodeJSON(resp *Response, v any) error {
	if err := c.CheckJSON(resp); err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return c.DecodeError(resp, err)
	}
	return nil
}

// CheckJSON refuses an answer that says it is not JSON (an HTML login or
// error page from a proxy), for readers that decode bodies themselves.
func (c *Client) CheckJSON(resp *Response) error {
	if ct := resp.ContentType(); ct != "" && ct != "application/json" && !strings.HasSuffix(ct, "+json") {
		return c.DecodeError(resp, fmt.Errorf("content type %s", ct))
	}
	return nil
}

// DecodeError reports an answer that could not be read.
func (c *Client) DecodeError(resp *Response, err error) *Error {
	what := "an answer it could not read"
	if ct := resp.ContentType(); ct != "" && ct != "application/json" && ct != "application/xml" && ct != "text/xml" {
		what = "a " + ct + " page instead of API data"
	} else if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end") {
		what = "a truncated answer"
	}
	return &Error{Source: c.opts.Source, Kind: KindDecode, Status: resp.Status, Err: err, Message: c.clean(fmt.Sprintf(
		"%s sent %s (%s) — check that the URL points at the API itself, not a proxy or login page; if it does, try again", c.opts.Source, Quote(what), Quote(err.Error())))}
}

// scrub removes every configured secret from s (recorded calls, which are
// kept whole).
func (c *Client) scrub(s string) string { return Scrub(s, c.opts.Secrets) }

// clean makes a message or a logged URL fit to be shown: see Clean.
func (c *Client) clean(s string) string { return Clean(s, c.opts.Secrets) }

func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
