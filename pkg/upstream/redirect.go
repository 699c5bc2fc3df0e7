package upstream

import (
	"fmt"
	"net/http"
	"net/url"
)

// No redirect is ever followed, by any call of any source, to any address —
// another host, another port, another scheme or the same origin:
//
//   - A redirected call would carry its credentials along. net/http strips
//     Authorization, Cookie and WWW-Authenticate only when the host name
//     changes — not across ports, nor from https to http on the same name —
//     and never strips other headers: OVHcloud's X-Ovh-Consumer (a secret)
//     and X-Ovh-Signature, and an OAuth2 token request's form with the
//     client secret, would go wherever the Location says.
//   - The OVHcloud signature covers the exact URL and a timestamp: a
//     re-sent signed request is invalid on any other URL anyway, and
//     re-signing would mean trusting the Location with a fresh credential.
//   - The three APIs answer on their documented base URL; a redirect means
//     the URL in the settings is not that address (http instead of https, a
//     moved host, a login page), which only the user can fix.
//
// go-retryablehttp follows net/http's policy (and only declines to retry
// "stopped after N redirects"); the SDK's client sets none. The plugin is
// stricter than both: a redirect is an error naming where the upstream
// wanted the call to go, and it is never retried.

// refuseRedirect is the CheckRedirect of every Client's HTTP client: it
// stops at the first redirect with the error of redirectError.
func refuseRedirect(source string, secrets []string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		from := req.URL
		if len(via) > 0 {
			from = via[0].URL
		}
		return redirectError(source, secrets, from, status, locationOrigin(req.URL))
	}
}

// unreadableLocation refuses a redirect whose Location is not a URL, which
// net/http fails on (as a transport error) before asking CheckRedirect. It
// returns nil for any other answer.
func unreadableLocation(source string, secrets []string, req *http.Request, resp *http.Response) *Error {
	if !isRedirect(resp.StatusCode) {
		return nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil // not followed by net/http: answered as the status it is
	}
	if _, err := req.URL.Parse(loc); err == nil {
		return nil // refused by refuseRedirect, which knows the whole chain
	}
	return redirectError(source, secrets, req.URL, resp.StatusCode, "an address that is not a URL ("+Quote(loc)+")")
}

// isRedirect reports the statuses net/http follows (with a Location).
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// locationOrigin is where a redirect pointed: the Location resolved against
// the request's URL, without user-info, query or fragment (which may carry
// credentials and say nothing about the address to configure).
func locationOrigin(u *url.URL) string {
	shown := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if shown.Path == "" {
		shown.Path = "/"
	}
	return Quote(shown.String())
}

// redirectError reports a refused redirect of a call to from's host.
func redirectError(source string, secrets []string, from *url.URL, status int, to string) *Error {
	return &Error{Source: source, Kind: KindRedirect, Status: status, Message: Clean(fmt.Sprintf(
		"%s: %s redirected the call to %s — set the URL in the data source settings to the address the API answers on",
		source, Quote(from.Host), to), secrets)}
}
