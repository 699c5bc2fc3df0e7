package testutil

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Request is one request an Upstream received, as it arrived.
type Request struct {
	Method     string
	Host       string      // the Host header
	RequestURI string      // path and query exactly as sent (escapes kept)
	Path       string      // the decoded path
	RawQuery   string      // the query as sent, without "?"
	Header     http.Header // a copy
	Body       string
}

// Query is the request's query, decoded.
func (r Request) Query() url.Values {
	v, _ := url.ParseQuery(r.RawQuery)
	return v
}

// String shows the request on one line, for failure messages.
func (r Request) String() string {
	return fmt.Sprintf("%s %s headers %v body %q", r.Method, r.RequestURI, r.Header, r.Body)
}

// Upstream is a fake upstream server for unit tests: it records every
// request (method, path, query, headers, body) and answers with its handler
// (404 when it has none). It is safe for concurrent requests; the handler
// gets the request with its body intact.
type Upstream struct {
	*httptest.Server

	mu      sync.Mutex
	handler http.Handler
	seen    []Request
}

// NewUpstream starts a fake upstream answering with handler (nil: 404); it
// stops when the test ends.
func NewUpstream(t testing.TB, handler http.Handler) *Upstream {
	t.Helper()
	u := &Upstream{handler: handler}
	u.Server = httptest.NewServer(u)
	t.Cleanup(u.Close)
	return u
}

// listenUpstream is NewUpstream on a listener of the caller's.
func listenUpstream(t testing.TB, ln net.Listener, handler http.Handler) *Upstream {
	t.Helper()
	u := &Upstream{handler: handler}
	u.Server = httptest.NewUnstartedServer(u)
	u.Listener.Close()
	u.Listener = ln
	u.Start()
	t.Cleanup(u.Close)
	return u
}

// ServeHTTP records the request, then answers it.
func (u *Upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	u.mu.Lock()
	u.seen = append(u.seen, Request{
		Method: r.Method, Host: r.Host, RequestURI: r.RequestURI, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: string(body),
	})
	h := u.handler
	u.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

// Requests lists the requests received so far, in order of arrival.
func (u *Upstream) Requests() []Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Request(nil), u.seen...)
}

// RequestsTo lists the requests received on path.
func (u *Upstream) RequestsTo(path string) []Request {
	var out []Request
	for _, r := range u.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}
