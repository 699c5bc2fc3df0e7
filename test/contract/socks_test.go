package contract

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/proxy"

	"github.com/opsdeck/servicestats/internal/sandbox"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// socksServer is a SOCKS5 proxy (RFC 1928: CONNECT, with no authentication
// or with a user name and password, RFC 1929) that counts the connections
// it carries, keeps the user names it was given, and dials its targets from
// 127.0.0.3, so that an upstream tells a proxied connection from a direct
// one by its address.
type socksServer struct {
	ln        net.Listener
	carried   atomic.Int64
	mu        sync.Mutex
	usernames map[string]int
}

// proxiedFrom is the address the proxy dials its targets from.
const proxiedFrom = "127.0.0.3"

func startSOCKS(t *testing.T) *socksServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socksServer{ln: ln, usernames: map[string]int{}}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.serve(c)
			}()
		}
	}()
	return s
}

func (s *socksServer) addr() string { return s.ln.Addr().String() }

func (s *socksServer) users() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.usernames {
		out[k] = v
	}
	return out
}

// serve carries one client connection.
func (s *socksServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	target, err := s.handshake(c)
	if err != nil {
		return
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(proxiedFrom)}, Timeout: 5 * time.Second}
	up, err := d.Dial("tcp", target)
	if err != nil {
		_, _ = c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	defer up.Close()
	bound := up.LocalAddr().(*net.TCPAddr)
	reply := append([]byte{5, 0, 0, 1}, bound.IP.To4()...)
	reply = binary.BigEndian.AppendUint16(reply, uint16(bound.Port))
	if _, err := c.Write(reply); err != nil {
		return
	}
	s.carried.Add(1)
	_ = c.SetDeadline(time.Time{})
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// handshake reads the greeting, the authentication and the CONNECT
// request, and returns the target address.
func (s *socksServer) handshake(c net.Conn) (string, error) {
	head := make([]byte, 2)
	if _, err := io.ReadFull(c, head); err != nil || head[0] != 5 {
		return "", errors.New("not SOCKS5")
	}
	methods := make([]byte, head[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return "", err
	}
	method := byte(0xff)
	for _, m := range methods {
		if m == 2 || (m == 0 && method == 0xff) {
			method = m
		}
	}
	if _, err := c.Write([]byte{5, method}); err != nil || method == 0xff {
		return "", errors.New("no acceptable method")
	}
	if method == 2 {
		user, err := readUserPass(c)
		if err != nil {
			return "", err
		}
		s.mu.Lock()
		s.usernames[user]++
		s.mu.Unlock()
		if _, err := c.Write([]byte{1, 0}); err != nil {
			return "", err
		}
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(c, req); err != nil || req[0] != 5 || req[1] != 1 {
		return "", errors.New("not a CONNECT")
	}
	var hostname string
	switch req[3] {
	case 1, 4:
		ip := make(net.IP, map[byte]int{1: 4, 4: 16}[req[3]])
		if _, err := io.ReadFull(c, ip); err != nil {
			return "", err
		}
		hostname = ip.String()
	case 3:
		n := make([]byte, 1)
		if _, err := io.ReadFull(c, n); err != nil {
			return "", err
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return "", err
		}
		hostname = string(name)
	default:
		return "", errors.New("unknown address type")
	}
	port := make([]byte, 2)
	if _, err := io.ReadFull(c, port); err != nil {
		return "", err
	}
	return net.JoinHostPort(hostname, strconv.Itoa(int(binary.BigEndian.Uint16(port)))), nil
}

// readUserPass reads an RFC 1929 request and returns the user name.
func readUserPass(c net.Conn) (string, error) {
	field := func() ([]byte, error) {
		n := make([]byte, 1)
		if _, err := io.ReadFull(c, n); err != nil {
			return nil, err
		}
		b := make([]byte, n[0])
		_, err := io.ReadFull(c, b)
		return b, err
	}
	ver := make([]byte, 1)
	if _, err := io.ReadFull(c, ver); err != nil || ver[0] != 1 {
		return "", errors.New("not RFC 1929")
	}
	user, err := field()
	if err != nil {
		return "", err
	}
	if _, err := field(); err != nil {
		return "", err
	}
	return string(user), nil
}

// peerRecorder serves the sandbox and keeps the address each call came
// from, by source: "127.0.0.3 /pulse".
type peerRecorder struct {
	mu    sync.Mutex
	peers map[string]int
}

func (p *peerRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		prefix := "/" + strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
		p.mu.Lock()
		p.peers[ip+" "+prefix]++
		p.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (p *peerRecorder) take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.peers
	p.peers = map[string]int{}
	return out
}

// TestSOCKSSecureSocksProxyCarriesEverySource launches the plugin with the
// Secure SOCKS proxy configured the way Grafana passes it (the SDK's
// GF_SECURE_SOCKS_DATASOURCE_PROXY_* settings, in the proxy's plain mode),
// then queries the three sources of a data source with
// enableSecureSocksProxy on: every call goes through the proxy (its count
// rises, the upstream sees the proxy's address, the proxy sees the data
// source's uid as user name). With enableSecureSocksProxy off, the calls go
// direct.
func TestSOCKSSecureSocksProxyCarriesEverySource(t *testing.T) {
	socks := startSOCKS(t)
	peers := &peerRecorder{peers: map[string]int{}}
	srv := httptest.NewServer(peers.wrap(sandbox.New(sandbox.Config{})))
	t.Cleanup(srv.Close)

	bin, err := BinaryPath()
	if err != nil {
		t.Fatal(err)
	}
	h, err := Launch(bin,
		proxy.PluginSecureSocksProxyEnabled+"=true",
		proxy.PluginSecureSocksProxyProxyAddress+"="+socks.addr(),
		proxy.PluginSecureSocksProxyAllowInsecure+"=true",
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)

	queries := []Query{tlsTelephonyQuery, tlsCDNQuery, tlsUsageQuery}
	now := time.Now()
	for i := range queries {
		queries[i].From, queries[i].To = now.Add(-2*time.Hour), now
	}
	ask := func(ds DataSource) {
		t.Helper()
		resp, err := h.QueryData(ctxT(t), ds, queries...)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range queries {
			if r := resp.Responses[q.RefID]; r.Error != nil || len(r.Frames) == 0 {
				t.Errorf("%s: %v (%d frames)", q.QueryType, r.Error, len(r.Frames))
			}
		}
		health, err := h.CheckHealth(ctxT(t), ds)
		if err != nil {
			t.Fatal(err)
		}
		if health.Message == "" || health.Status.String() != "OK" {
			t.Errorf("health %v: %s", health.Status, health.Message)
		}
	}

	proxied := sandboxDataSource("socks-on", srv.URL)
	proxied.JSONData["enableSecureSocksProxy"] = true
	ask(proxied)
	seen := peers.take()
	if n := socks.carried.Load(); n == 0 {
		t.Fatal("the proxy carried no connection")
	}
	var prefixes []string // the first segment of each source's path
	for _, p := range []string{sandbox.OVHPrefix, sandbox.OnAppPrefix, sandbox.PulsePrefix} {
		prefixes = append(prefixes, "/"+strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0])
	}
	for _, p := range prefixes {
		if seen[proxiedFrom+" "+p] == 0 {
			t.Errorf("no call of %s came through the proxy: %v", p, seen)
		}
	}
	if len(seen) != len(prefixes) {
		t.Errorf("the upstream saw calls from %v, want them all from the proxy (%s)", seen, proxiedFrom)
	}
	if users := socks.users(); len(users) != 1 || users["socks-on"] == 0 {
		t.Errorf("the proxy's user names: %v, want the data source's uid (the SDK's default)", users)
	}

	// TLS to the upstream runs inside the proxied connection.
	ca := testutil.NewCA(t, "Company CA")
	secure := only(sandboxDataSource("socks-tls", tlsSandbox(t, ca, nil)), "pulse")
	secure.JSONData["enableSecureSocksProxy"] = true
	secure.JSONData["pulseTlsAuthWithCACert"] = true
	secure.Secure["pulseTlsCACert"] = ca.PEM
	before := socks.carried.Load()
	q := tlsUsageQuery
	q.From, q.To = now.Add(-time.Hour), now
	if resp, err := h.QueryData(ctxT(t), secure, q); err != nil || resp.Responses[q.RefID].Error != nil {
		t.Fatalf("Pulse over TLS through the proxy: %v %v", err, resp.Responses[q.RefID].Error)
	}
	if socks.carried.Load() == before {
		t.Error("the TLS call did not go through the proxy")
	}

	before = socks.carried.Load()
	direct := sandboxDataSource("socks-off", srv.URL)
	direct.JSONData["enableSecureSocksProxy"] = false
	ask(direct)
	seen = peers.take()
	if n := socks.carried.Load(); n != before {
		t.Errorf("the proxy carried %d more connections with enableSecureSocksProxy off", n-before)
	}
	for _, p := range prefixes {
		if seen["127.0.0.1 "+p] == 0 || seen[proxiedFrom+" "+p] != 0 {
			t.Errorf("the upstream saw calls from %v, want every source's direct (127.0.0.1)", seen)
		}
	}
}

// TestSOCKSProxyOffInGrafanaLeavesCallsDirect: a data source asking for
// the proxy on a Grafana that does not enable the feature (the shared host
// has no proxy settings) calls its upstreams directly and works.
func TestSOCKSProxyOffInGrafanaLeavesCallsDirect(t *testing.T) {
	peers := &peerRecorder{peers: map[string]int{}}
	srv := httptest.NewServer(peers.wrap(sandbox.New(sandbox.Config{})))
	t.Cleanup(srv.Close)
	ds := sandboxDataSource("socks-grafana-off", srv.URL)
	ds.JSONData["enableSecureSocksProxy"] = true
	q := tlsUsageQuery
	q.From, q.To = time.Now().Add(-time.Hour), time.Now()
	resp, err := host.QueryData(ctxT(t), ds, q)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Responses[q.RefID]; r.Error != nil {
		t.Fatalf("query: %v", r.Error)
	}
	if seen := peers.take(); seen["127.0.0.1 "+sandbox.PulsePrefix] == 0 || len(seen) != 1 {
		t.Errorf("the upstream saw calls from %v, want them direct", seen)
	}
}
