// Package testutil holds what the tests of several packages share.
package testutil

import (
	"net"
	"net/http"
	"net/url"
	"testing"
)

// OtherHost is a server standing for a host the plugin must never reach
// (the target of a redirect): an Upstream on an address of the test's
// choosing, whose Requests must stay empty.
type OtherHost = Upstream

// ListenOther serves answer on addr: "127.0.0.2:0" for another host on
// loopback, "127.0.0.1:0" for another port of the same address.
func ListenOther(t testing.TB, addr string, answer http.HandlerFunc) *OtherHost {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s (loopback addresses beyond 127.0.0.1 are needed): %v", addr, err)
	}
	return listenUpstream(t, ln, answer)
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
