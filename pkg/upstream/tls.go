package upstream

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// sdkOptions are the SDK client options of one source: the data source's
// options from Grafana (Options.HTTP) for what applies to every host — the
// proxy settings and the Secure SOCKS proxy, the labels of the SDK's
// metrics, the TLS versions Grafana forces — with the source's own TLS and
// the plugin's timeouts. Left out, since they would reach all three hosts
// when each source authenticates itself to its own: Grafana's basic auth,
// custom headers, forwarded headers (a user's OAuth token) and SigV4, and
// the generic tlsCACert/tlsClientCert settings (TLS is per source).
func sdkOptions(opts Options) httpclient.Options {
	var ho httpclient.Options
	if opts.HTTP != nil {
		ho.ProxyOptions = opts.HTTP.ProxyOptions
		ho.Labels = maps.Clone(opts.HTTP.Labels)
		if forced := opts.HTTP.TLS; forced != nil && (forced.MinVersion != 0 || forced.MaxVersion != 0) {
			ho.TLS = &httpclient.TLSOptions{MinVersion: forced.MinVersion, MaxVersion: forced.MaxVersion}
		}
	}
	if opts.TLS != nil {
		own := *opts.TLS
		if ho.TLS != nil {
			own.MinVersion, own.MaxVersion = ho.TLS.MinVersion, ho.TLS.MaxVersion
		}
		ho.TLS = &own
	}
	to := httpclient.DefaultTimeoutOptions
	to.Timeout = 0 // each call carries its own deadline
	ho.Timeouts = &to
	return ho
}

// sdkClient builds the SDK's HTTP client of a source (see sdkOptions).
// The SDK wraps its transport in middlewares that cannot release idle
// connections, so the transport itself is kept for that (see
// idleCloser).
func sdkClient(opts Options) (*http.Client, error) {
	ho := sdkOptions(opts)
	var base *http.Transport
	ho.ConfigureTransport = func(_ httpclient.Options, t *http.Transport) { base = t }
	hc, err := httpclient.New(ho)
	if err != nil {
		return nil, err
	}
	own := *hc
	own.Transport = &idleCloser{RoundTripper: hc.Transport, base: base}
	return &own, nil
}

// idleCloser is the SDK's middleware chain with the transport under it,
// whose idle connections it releases.
type idleCloser struct {
	http.RoundTripper
	base *http.Transport // nil: nothing to release
}

// CloseIdleConnections releases the SDK transport's idle connections.
func (t *idleCloser) CloseIdleConnections() {
	if t.base != nil {
		t.base.CloseIdleConnections()
	}
}

// explainTLS returns a copy of hc (the caller's is left as it is) whose
// transport turns a certificate failure into an *Error saying what to
// change, for the client's own calls and for the libraries given its HTTP
// client (go-ovh's clock, x/oauth2's token), which keep such an error.
func explainTLS(hc *http.Client, opts Options) *http.Client {
	own := *hc
	next := own.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	own.Transport = &tlsExplainer{next: next, opts: opts}
	return &own
}

// tlsExplainer is the RoundTripper of explainTLS.
type tlsExplainer struct {
	next http.RoundTripper
	opts Options
}

// RoundTrip forwards req, explaining a certificate failure, or a Secure
// SOCKS proxy that did not connect. A call its deadline ended keeps the
// client's own words for that (see Client.transportError).
func (t *tlsExplainer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil || req.Context().Err() != nil {
		return resp, err
	}
	if msg := certificateMessage(t.opts, req.URL.Host, err); msg != "" {
		return nil, &Error{Source: t.opts.Source, Kind: KindTLS, Err: err, Message: Clean(msg, t.opts.Secrets)}
	}
	if msg := proxyMessage(t.opts, req.URL.Host, err); msg != "" {
		return nil, &Error{Source: t.opts.Source, Kind: KindNetwork, Err: err, Message: Clean(msg, t.opts.Secrets)}
	}
	return resp, err
}

// proxyMessage says in plain words that the Secure SOCKS proxy did not
// connect the call (the proxy is unreachable, refused the data source's
// credentials, or could not reach the host), or returns "" for any other
// error. A timeout keeps the client's timeout message.
func proxyMessage(opts Options, host string, err error) string {
	var op *net.OpError
	if !errors.As(err, &op) || !strings.HasPrefix(op.Op, "socks ") || op.Timeout() {
		return ""
	}
	cause := err.Error()
	if op.Err != nil {
		cause = op.Err.Error()
	}
	return fmt.Sprintf("%s: the Secure SOCKS proxy did not connect Grafana to %s (%s) — check that the private data source connect agent runs and can reach %s, or turn the Secure SOCKS proxy off (enableSecureSocksProxy)",
		opts.Source, Quote(host), Quote(cause), Quote(host))
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *tlsExplainer) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// certificateMessage says a TLS failure over a certificate in plain words,
// or returns "" for any other error.
func certificateMessage(opts Options, host string, err error) string {
	src, where := opts.Source, tlsWhere(opts)
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("%s: the server's certificate is signed by an unknown authority — set the CA certificate under %s", src, where)
	case errors.As(err, &hostname):
		return fmt.Sprintf("%s: the server's certificate is not valid for %s (it names %s) — use a host name the certificate names in the URL, or have the certificate reissued for %s",
			src, Quote(hostname.Host), Quote(certificateNames(hostname.Certificate)), Quote(hostname.Host))
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("%s: the server's certificate has expired or is not valid yet (%s) — renew the certificate on %s, or check the clock of the Grafana server",
			src, Quote(validity(invalid.Cert)), Quote(host))
	case errors.As(err, &invalid):
		return fmt.Sprintf("%s: the server's certificate is not valid (%s) — fix the certificate on %s, or set the CA certificate under %s",
			src, Quote(invalid.Error()), Quote(host), where)
	case (remoteAlert(err, "certificate required") || remoteAlert(err, "bad certificate")) && !sentClientCert(opts):
		return fmt.Sprintf("%s: the server requires a client certificate — turn on client authentication and set the client certificate and key under %s", src, where)
	case remoteAlert(err, "certificate required"):
		// A client sends its certificate only when it is from a CA the
		// server names as one it accepts: this one was not.
		return fmt.Sprintf("%s: the server requires a client certificate from a CA it accepts, and the one under %s is not from one, so none was sent — set the client certificate and key issued by the server's client CA",
			src, where)
	case refusedClientCert(err):
		return fmt.Sprintf("%s: the server refused the client certificate (%s) — check the client certificate and key under %s: the server must trust the CA that signed the certificate, and the certificate must be valid",
			src, Quote(alertText(err)), where)
	case errors.As(err, &record) && record.Conn != nil:
		return fmt.Sprintf("%s: %s does not speak TLS on that port — use http:// in the URL, or the server's HTTPS port", src, Quote(host))
	}
	return ""
}

// tlsWhere names the place of the source's TLS settings: "CDN bandwidth →
// TLS" in the config editor.
func tlsWhere(opts Options) string {
	if opts.TLSSection == "" {
		return "TLS in the data source settings"
	}
	return opts.TLSSection + " → TLS"
}

// sentClientCert reports whether the source presents a client certificate.
func sentClientCert(opts Options) bool {
	return opts.TLS != nil && opts.TLS.ClientCertificate != "" && opts.TLS.ClientKey != ""
}

// remoteAlert reports whether err is the TLS alert the peer sent with the
// given description ("remote error: tls: bad certificate"). crypto/tls
// keeps the type of a received alert private, so its text is what tells.
func remoteAlert(err error, description string) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) && alert.Error() == "tls: "+description {
		return true
	}
	return strings.Contains(err.Error(), "remote error: tls: "+description)
}

// clientCertAlerts are the TLS alerts a server sends when it refuses the
// client certificate it was sent (crypto/tls's descriptions).
var clientCertAlerts = []string{"bad certificate", "unknown certificate authority", "expired certificate",
	"revoked certificate", "unknown certificate", "unsupported certificate", "access denied"}

// refusedClientCert reports whether err is one of clientCertAlerts.
func refusedClientCert(err error) bool {
	for _, a := range clientCertAlerts {
		if remoteAlert(err, a) {
			return true
		}
	}
	return false
}

// alertText is the alert's description in err ("bad certificate").
func alertText(err error) string {
	text := err.Error()
	if i := strings.Index(text, "tls: "); i >= 0 {
		return text[i+len("tls: "):]
	}
	return text
}

// certificateNames lists the host names a certificate is valid for.
func certificateNames(c *x509.Certificate) string {
	if c == nil {
		return "no host name"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	if len(names) == 0 {
		return "no host name"
	}
	return strings.Join(names, ", ")
}

// validity says a certificate's validity period.
func validity(c *x509.Certificate) string {
	if c == nil {
		return "validity unknown"
	}
	return fmt.Sprintf("valid from %s to %s", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
}
