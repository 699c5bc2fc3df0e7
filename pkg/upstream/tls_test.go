package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/proxy"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// tlsServer starts an HTTPS test upstream with the certificate given and,
// when clientCAs is set, requiring a client certificate they signed.
func tlsServer(t *testing.T, cert testutil.Issued, clientCAs ...*testutil.CA) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(okJSON))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	if len(clientCAs) > 0 {
		pool := x509.NewCertPool()
		for _, ca := range clientCAs {
			pool.AddCert(ca.Cert)
		}
		ts.TLS.ClientAuth, ts.TLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
	}
	ts.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the refused handshakes are the point
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts
}

// tlsClient is a client of the SDK's HTTP client (no HTTPClient override),
// with the source's TLS settings given.
func tlsClient(t *testing.T, base string, own *httpclient.TLSOptions) *Client {
	t.Helper()
	return newClient(t, base, func(o *Options) {
		o.Source, o.TLSSection, o.TLS = "OnApp CDN", "CDN bandwidth", own
		o.Retry = &RetryPolicy{MaxAttempts: 1}
	})
}

// tlsFailure calls the client and returns its KindTLS error's message.
func tlsFailure(t *testing.T, c *Client) string {
	t.Helper()
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindTLS {
		t.Fatalf("want a TLS error, got %T %v", err, err)
	}
	return ue.Message
}

func TestTLSServerSignedByAnUnknownAuthority(t *testing.T) {
	ca := testutil.NewCA(t, "Company CA")
	ts := tlsServer(t, ca.Issue(t, []string{"127.0.0.1"}))

	want := "OnApp CDN: the server's certificate is signed by an unknown authority — set the CA certificate under CDN bandwidth → TLS"
	if got := tlsFailure(t, tlsClient(t, ts.URL, nil)); got != want {
		t.Fatalf("message:\n got %q\nwant %q", got, want)
	}
	if _, err := tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: ca.PEM}).Do(context.Background(), Call{Path: "/x"}); err != nil {
		t.Fatalf("with the CA certificate: %v", err)
	}
	if _, err := tlsClient(t, ts.URL, &httpclient.TLSOptions{InsecureSkipVerify: true}).Do(context.Background(), Call{Path: "/x"}); err != nil {
		t.Fatalf("with skip-verify: %v", err)
	}
	other := testutil.NewCA(t, "Other CA")
	if got := tlsFailure(t, tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: other.PEM})); got != want {
		t.Fatalf("with another CA:\n got %q\nwant %q", got, want)
	}
}

func TestTLSServerCertificateForAnotherHost(t *testing.T) {
	ca := testutil.NewCA(t, "Company CA")
	ts := tlsServer(t, ca.Issue(t, []string{"cdn.example.test"}))
	got := tlsFailure(t, tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: ca.PEM}))
	want := `OnApp CDN: the server's certificate is not valid for 127.0.0.1 (it names cdn.example.test) — use a host name the certificate names in the URL, or have the certificate reissued for 127.0.0.1`
	if got != want {
		t.Fatalf("message:\n got %q\nwant %q", got, want)
	}
}

func TestTLSServerCertificateExpired(t *testing.T) {
	ca := testutil.NewCA(t, "Company CA")
	ts := tlsServer(t, ca.Issue(t, []string{"127.0.0.1"}, func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	}))
	got := tlsFailure(t, tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: ca.PEM}))
	if !strings.HasPrefix(got, "OnApp CDN: the server's certificate has expired or is not valid yet (valid from ") ||
		!strings.HasSuffix(got, ") — renew the certificate on "+strings.TrimPrefix(ts.URL, "https://")+", or check the clock of the Grafana server") {
		t.Fatalf("message: %q", got)
	}
}

func TestTLSClientCertificateRequiredRefusedAccepted(t *testing.T) {
	serverCA, clientCA := testutil.NewCA(t, "Server CA"), testutil.NewCA(t, "Client CA")
	ts := tlsServer(t, serverCA.Issue(t, []string{"127.0.0.1"}), clientCA)

	got := tlsFailure(t, tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: serverCA.PEM}))
	want := "OnApp CDN: the server requires a client certificate — turn on client authentication and set the client certificate and key under CDN bandwidth → TLS"
	if got != want {
		t.Fatalf("without a client certificate:\n got %q\nwant %q", got, want)
	}

	stranger := testutil.NewCA(t, "Stranger CA").Issue(t, nil)
	got = tlsFailure(t, tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: serverCA.PEM,
		ClientCertificate: stranger.CertPEM, ClientKey: stranger.KeyPEM}))
	want = "OnApp CDN: the server requires a client certificate from a CA it accepts, and the one under CDN bandwidth → TLS is not from one, so none was sent — set the client certificate and key issued by the server's client CA"
	if got != want {
		t.Fatalf("with a certificate from a CA the server does not name:\n got %q\nwant %q", got, want)
	}

	expired := clientCA.Issue(t, nil, func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	})
	got = tlsFailure(t, tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: serverCA.PEM,
		ClientCertificate: expired.CertPEM, ClientKey: expired.KeyPEM}))
	if !strings.HasPrefix(got, "OnApp CDN: the server refused the client certificate (") ||
		!strings.HasSuffix(got, ") — check the client certificate and key under CDN bandwidth → TLS: the server must trust the CA that signed the certificate, and the certificate must be valid") {
		t.Fatalf("with an expired client certificate: %q", got)
	}
	for _, piece := range pieces(stranger.KeyPEM + stranger.CertPEM + expired.KeyPEM + expired.CertPEM) {
		if strings.Contains(got, piece) {
			t.Fatalf("the message holds a piece of the PEM %q: %q", piece, got)
		}
	}

	good := clientCA.Issue(t, nil)
	c := tlsClient(t, ts.URL, &httpclient.TLSOptions{CACertificate: serverCA.PEM, ClientCertificate: good.CertPEM, ClientKey: good.KeyPEM})
	if _, err := c.Do(context.Background(), Call{Path: "/x"}); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
}

func TestTLSToAPlainHTTPServer(t *testing.T) {
	ts := newServer(t, okJSON)
	host := strings.TrimPrefix(ts.URL, "http://")
	got := tlsFailure(t, tlsClient(t, "https://"+host, nil))
	want := "OnApp CDN: " + host + " does not speak TLS on that port — use http:// in the URL, or the server's HTTPS port"
	if got != want {
		t.Fatalf("message:\n got %q\nwant %q", got, want)
	}
}

func TestTLSErrorIsNotRetried(t *testing.T) {
	ca := testutil.NewCA(t, "Company CA")
	var handshakes int
	ts := httptest.NewUnstartedServer(http.HandlerFunc(okJSON))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, []string{"127.0.0.1"}).TLS}}
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes++
		}
	}
	ts.StartTLS()
	defer ts.Close()
	c := newClient(t, ts.URL) // three attempts allowed
	if _, err := c.Do(context.Background(), Call{Path: "/x"}); err == nil {
		t.Fatal("want an error")
	}
	ts.Close() // waits for the connections: handshakes is final
	if handshakes != 1 {
		t.Fatalf("connections: %d, want 1 (a certificate failure is not retried)", handshakes)
	}
}

// pieces are the 8-character pieces of the base64 lines of PEM text (the
// BEGIN and END lines are the format's, not the secret's).
func pieces(pemText string) []string {
	var out []string
	for _, line := range strings.Split(pemText, "\n") {
		if strings.HasPrefix(line, "-----") {
			continue
		}
		for i := 0; i+8 <= len(line); i++ {
			out = append(out, line[i:i+8])
		}
	}
	return out
}

func TestSDKOptionsKeepWhatAppliesToEveryHost(t *testing.T) {
	px := &proxy.Options{Enabled: true}
	from := &httpclient.Options{
		ProxyOptions:       px,
		Labels:             map[string]string{"datasource_uid": "abc"},
		BasicAuth:          &httpclient.BasicAuthOptions{User: "grafana", Password: "basic-secret"},
		Header:             http.Header{"X-Custom": {"custom-secret"}},
		ForwardHTTPHeaders: true,
		TLS:                &httpclient.TLSOptions{CACertificate: "generic", MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13},
		SigV4:              &httpclient.SigV4Config{SecretKey: "sigv4-secret"},
		CustomOptions:      map[string]any{"grafanaSecureData": map[string]string{"k": "v"}},
	}
	own := &httpclient.TLSOptions{CACertificate: "own CA", InsecureSkipVerify: true}
	got := sdkOptions(Options{HTTP: from, TLS: own})
	switch {
	case got.ProxyOptions != px:
		t.Error("the Secure SOCKS proxy options are lost")
	case got.Labels["datasource_uid"] != "abc":
		t.Error("the metrics labels are lost")
	case got.BasicAuth != nil || got.Header != nil || got.ForwardHTTPHeaders || got.SigV4 != nil || got.CustomOptions != nil:
		t.Errorf("options that would reach every host are kept: %+v", got)
	case got.TLS == nil || got.TLS.CACertificate != "own CA" || !got.TLS.InsecureSkipVerify ||
		got.TLS.MinVersion != tls.VersionTLS13 || got.TLS.MaxVersion != tls.VersionTLS13:
		t.Errorf("TLS: %+v, want the source's own with Grafana's forced versions", got.TLS)
	case got.Timeouts == nil || got.Timeouts.Timeout != 0 || got.Timeouts.DialTimeout == 0:
		t.Errorf("timeouts: %+v, want the SDK's defaults without a client timeout", got.Timeouts)
	}
	got.Labels["datasource_uid"] = "changed"
	if from.Labels["datasource_uid"] != "abc" {
		t.Error("the caller's labels changed")
	}
	if got := sdkOptions(Options{HTTP: from}); got.TLS == nil || got.TLS.CACertificate != "" || got.TLS.MinVersion != tls.VersionTLS13 {
		t.Errorf("without the source's TLS: %+v, want Grafana's forced versions alone", got.TLS)
	}
	if got := sdkOptions(Options{}); got.TLS != nil || got.ProxyOptions != nil {
		t.Errorf("without options: %+v", got)
	}
}

// TestCloseReleasesTheSDKTransportsConnections: the SDK's middlewares hide
// its transport's CloseIdleConnections; Close must still release them, so
// that a data source whose settings changed leaves no connection open.
func TestCloseReleasesTheSDKTransportsConnections(t *testing.T) {
	var opened atomic.Int64
	ts := httptest.NewUnstartedServer(http.HandlerFunc(okJSON))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	c := newClient(t, ts.URL, func(o *Options) { o.CacheTTL = 0 })
	for range 2 {
		if _, err := c.Do(context.Background(), Call{Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := opened.Load(); n != 1 {
		t.Fatalf("connections before Close: %d, want 1 (kept alive)", n)
	}
	c.Close()
	if _, err := c.Do(context.Background(), Call{Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if n := opened.Load(); n != 2 {
		t.Fatalf("connections after Close: %d, want 2 (the idle one was released)", n)
	}
}
