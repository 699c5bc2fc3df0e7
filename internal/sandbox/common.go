package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"
)

// writeJSON writes v as a JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Content types the sandbox answers with.
const (
	contentTypeJSON = "application/json; charset=utf-8"
	contentTypeXML  = "application/xml; charset=utf-8"
	contentTypeHTML = "text/html; charset=utf-8"
)

// isXMLPath reports whether the path asks for XML (OnApp's ".xml" routes).
func isXMLPath(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ".xml")
}

// sleep waits for d, or less if ctx is done first. It reports whether the
// whole delay elapsed (false: the client has gone away).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection ends the exchange without answering. With reset, the TCP
// connection is closed with SO_LINGER 0, so the client sees a connection
// reset rather than an orderly end of stream.
//
// When the connection cannot be hijacked (HTTP/2, or a ResponseWriter that
// hides the Hijacker), the handler is aborted with http.ErrAbortHandler, which
// net/http turns into a reset stream without logging.
func dropConnection(w http.ResponseWriter, reset bool) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// bufferedResponse is an http.ResponseWriter that keeps the whole answer in
// memory, so that a fault can alter it before it reaches the client.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: make(http.Header)}
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}
