// Package testutil holds what the tests of several packages share.
package testutil

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// OtherHost is a server standing for a host the plugin must never reach
// (the target of a redirect): it records every request it gets — method,
// URL, headers and body — and answers with answer.
type OtherHost struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

// ListenOther serves answer on addr: "127.0.0.2:0" for another host on
// loopback, "127.0.0.1:0" for another port of the same address.
func ListenOther(t testing.TB, addr string, answer http.HandlerFunc) *OtherHost {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s (loopback addresses beyond 127.0.0.1 are needed): %v", addr, err)
	}
	o := &OtherHost{}
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.seen = append(o.seen, fmt.Sprintf("%s %s headers %v body %q", r.Method, r.URL, r.Header, body))
		o.mu.Unlock()
		answer(w, r)
	}))
	o.Listener.Close()
	o.Listener = ln
	o.Start()
	t.Cleanup(o.Close)
	return o
}

// Requests lists the requests received so far.
func (o *OtherHost) Requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// HostOf is the host:port of a URL.
func HostOf(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
