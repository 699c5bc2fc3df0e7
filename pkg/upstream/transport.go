package upstream

import (
	"fmt"
	"io"
	"net/http"

	"golang.org/x/net/http/httpguts"
)

// guardedTransport is the RoundTripper every request of a Client's HTTP
// client goes through: the client's own calls and those of the libraries
// given that client (go-ovh's GET /auth/time, x/oauth2's token POST). It
// wraps the SDK's transport (tracing, metrics, proxy) and adds what no
// caller may forget:
//
//   - a header value an HTTP header cannot carry (a credential holding a
//     line break) is refused before anything is sent, with a message naming
//     the header, never its value;
//   - every answer's body fails with the too-large error past the size cap,
//     whoever reads it and however it reads it;
//   - a redirect whose Location is not a URL is refused like any other
//     redirect (net/http would fail on it before asking CheckRedirect).
type guardedTransport struct {
	next    http.RoundTripper
	source  string
	limit   int64
	secrets []string
}

// guardClient returns a copy of hc (the caller's client is left as it was)
// whose transport is guarded and which follows no redirect.
func guardClient(hc *http.Client, opts Options) *http.Client {
	own := *hc
	next := own.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	own.Transport = &guardedTransport{next: next, source: opts.Source, limit: opts.MaxResponseBytes, secrets: opts.Secrets}
	own.CheckRedirect = refuseRedirect(opts.Source, opts.Secrets)
	return &own
}

// RoundTrip sends req through the wrapped transport, guarded as described on
// guardedTransport.
func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if name := badHeaderValue(req.Header); name != "" {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on errors
		}
		return nil, t.credentialError(name)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if e := unreadableLocation(t.source, t.secrets, req, resp); e != nil {
		resp.Body.Close()
		return nil, e
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.limit, source: t.source, status: resp.StatusCode, limit: t.limit, secrets: t.secrets}
	return resp, nil
}

// CloseIdleConnections forwards to the wrapped transport, so that
// Client.Close still releases the connections.
func (t *guardedTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// badHeaderValue names the first header whose value HTTP cannot carry (a
// control character other than tab: CR, LF, NUL…), or returns "".
func badHeaderValue(h http.Header) string {
	for name, values := range h {
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return name
			}
		}
	}
	return ""
}

// credentialError reports a header value that cannot be sent. Every header
// the plugin sets from the settings carries a credential (Authorization,
// X-Ovh-Application, X-Ovh-Consumer), so the message sends the user there.
func (t *guardedTransport) credentialError(name string) *Error {
	return &Error{Source: t.source, Kind: KindCredential, Message: Clean(fmt.Sprintf(
		"%s: the credential sent in the %s header holds a character an HTTP header cannot carry (a line break or control character): enter it again in the data source settings",
		t.source, Quote(name)), t.secrets)}
}

// cappedBody is an answer's body that fails with the too-large error once
// more than limit bytes arrived: no reader, the plugin's or a library's, can
// be made to hold more of one answer than the cap.
type cappedBody struct {
	rc      io.ReadCloser
	left    int64 // bytes still allowed
	err     error // sticky: the too-large error once met
	source  string
	status  int
	limit   int64
	secrets []string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte past the cap is enough to know
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), 0
		b.err = tooLargeError(b.source, b.status, b.limit, b.secrets)
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// tooLargeError is the one message of an answer past the size cap, whether
// the plugin or a library (go-ovh, x/oauth2) was reading it.
func tooLargeError(source string, status int, limit int64, secrets []string) *Error {
	return &Error{Source: source, Kind: KindTooLarge, Status: status, Message: Clean(fmt.Sprintf(
		"%s answered more than %s, the plugin's limit for one answer: narrow the query (a shorter time range, fewer series) or raise maxResponseBytes",
		source, formatBytes(limit)), secrets)}
}
