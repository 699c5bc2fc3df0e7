package ovh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ovh/go-ovh/ovh"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// endpoint is a resolved jsonData.ovhEndpoint: one of go-ovh's named
// endpoints, or a custom base URL (a proxy, the sandbox).
type endpoint struct {
	name    string // "ovh-eu", …; "" for a custom base URL
	baseURL string // without a trailing slash
}

// resolveEndpoint follows go-ovh's rule: a value containing "/" is a base URL,
// anything else must be a name of ovh.Endpoints. A base URL is normalised
// (lower-case scheme, canonical escapes) as the upstream client will write
// it, since the signature covers the URL exactly as sent.
func resolveEndpoint(v string) (endpoint, error) {
	if strings.Contains(v, "/") {
		shown := upstream.Quote(withoutUserInfo(v))
		u, err := url.Parse(strings.TrimRight(v, "/"))
		if err != nil || u.Host == "" {
			return endpoint{}, fmt.Errorf("ovhEndpoint %q is not an absolute URL such as https://eu.api.ovh.com/1.0", shown)
		}
		if u.User != nil {
			return endpoint{}, fmt.Errorf("ovhEndpoint %q holds a user name or password: remove it (OVHcloud authenticates with the application key and consumer key, or the OAuth2 client)", shown)
		}
		return endpoint{baseURL: u.String()}, nil
	}
	if u, ok := ovh.Endpoints[v]; ok {
		return endpoint{name: v, baseURL: u}, nil
	}
	names := make([]string, 0, len(ovh.Endpoints))
	for n := range ovh.Endpoints {
		names = append(names, n)
	}
	slices.Sort(names)
	return endpoint{}, fmt.Errorf("ovhEndpoint %q is neither one of %s nor a base URL such as https://eu.api.ovh.com/1.0",
		upstream.Quote(v), strings.Join(names, ", "))
}

// withoutUserInfo replaces whatever stands between a URL's "//" and the
// last "@" of its authority by "…", parsable or not, so that a message
// quoting a bad URL never repeats a user name or password written in it.
func withoutUserInfo(v string) string {
	_, rest, ok := strings.Cut(v, "//")
	if !ok {
		return v
	}
	start := len(v) - len(rest)
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return v
	}
	return v[:start] + "…@" + rest[at+1:]
}

// oauth2TokenURLs are the token endpoints of the regions that offer OAuth2
// service accounts (go-ovh keeps its own copy private).
var oauth2TokenURLs = map[string]string{
	"ovh-eu": "https://www.ovh.com/auth/oauth2/token",
	"ovh-ca": "https://ca.ovh.com/auth/oauth2/token",
	"ovh-us": "https://us.ovhcloud.com/auth/oauth2/token",
}

// tokenURL is where a service account gets its tokens: the region's official
// URL, or for a custom base URL ovhTokenUrl, else <base URL>/auth/oauth2/token.
func (e endpoint) tokenURL(override string) (string, error) {
	if e.name == "" {
		if override != "" {
			return override, nil
		}
		return e.baseURL + "/auth/oauth2/token", nil
	}
	if u, ok := oauth2TokenURLs[e.name]; ok {
		return u, nil
	}
	return "", fmt.Errorf("OAuth2 service accounts (ovhAuthMethod oauth2) exist only on ovh-eu, ovh-ca and ovh-us, not on %s: use an application key and consumer key (ovhAuthMethod keys)", e.name)
}

// authorizer adds OVHcloud credentials to an outgoing request.
type authorizer interface {
	authorize(req *http.Request) error
	// reset forgets what a rejection showed to be stale: the clock offset
	// of signed requests, the token of a service account.
	reset()
}

// keySigner signs requests with an application key, its secret and a
// consumer key, through go-ovh so that the signature is OVHcloud's own
// algorithm. go-ovh's NewRequest writes the shared http.Client's Timeout on
// every call, so the client is used under mu; its clock offset (GET
// /auth/time, once per client) is measured by one caller at a time.
type keySigner struct {
	endpoint string
	fresh    func() *ovh.Client

	mu     sync.Mutex
	client *ovh.Client
	synced bool // client's clock offset is known

	clock upstream.Flights[*ovh.Client] // concurrent first callers share one measure
}

// newKeySigner builds the go-ovh client as a literal: ovh.NewClient and its
// siblings would read OVH_* environment variables and ovh.conf files, letting
// the machine's configuration leak into a data source's.
func newKeySigner(s models.OVHSettings, ep endpoint, hc *http.Client, timeout time.Duration) *keySigner {
	fresh := func() *ovh.Client {
		own := *hc // go-ovh writes Timeout on its http.Client: give it its own
		c := &ovh.Client{
			AppKey:      s.ApplicationKey,
			AppSecret:   s.ApplicationSecret,
			ConsumerKey: s.ConsumerKey,
			Client:      &own,
			Timeout:     timeout,
		}
		_ = c.SetEndpoint(ep.baseURL) // only fails on a trailing slash, trimmed by resolveEndpoint
		return c
	}
	return &keySigner{endpoint: ep.baseURL, fresh: fresh, client: fresh()}
}

// signedHeaders are the headers go-ovh computes for a signed request.
var signedHeaders = []string{"X-Ovh-Application", "X-Ovh-Consumer", "X-Ovh-Timestamp", "X-Ovh-Signature"}

func (k *keySigner) authorize(req *http.Request) error {
	if req.Body != nil && req.Body != http.NoBody {
		return errors.New("signing a request with a body is not supported") // every call of this source is a GET
	}
	c, err := k.ready(req.Context())
	if err != nil {
		return err
	}
	// The signature covers the full URL: sign exactly what will be sent.
	rel, ok := strings.CutPrefix(req.URL.String(), k.endpoint)
	if !ok {
		return fmt.Errorf("request URL outside the OVHcloud endpoint %s", k.endpoint)
	}
	k.mu.Lock()
	signed, err := c.NewRequest(req.Method, rel, nil, true)
	k.mu.Unlock()
	if err != nil {
		return err
	}
	for _, h := range signedHeaders {
		req.Header.Set(h, signed.Header.Get(h))
	}
	return nil
}

// ready returns the go-ovh client once its clock offset is known, measuring
// it on first use. Concurrent first callers share one GET /auth/time, and
// each stops waiting when its own request is canceled.
func (k *keySigner) ready(ctx context.Context) (*ovh.Client, error) {
	k.mu.Lock()
	c, synced := k.client, k.synced
	k.mu.Unlock()
	if synced {
		return c, nil
	}
	measured, _, err := k.clock.Do(ctx, "clock", func(context.Context) (*ovh.Client, error) {
		if _, err := c.TimeDelta(); err != nil { // go-ovh's call, bounded by the client's timeout
			return nil, clockError(err)
		}
		k.mu.Lock()
		if k.client == c {
			k.synced = true
		}
		k.mu.Unlock()
		return c, nil
	})
	return measured, err
}

// reset makes the next call measure the clock offset again: go-ovh keeps it
// forever, and a server clock that jumped would otherwise make every call
// fail with QUERY_TIME_OUT until the data source is saved again.
func (k *keySigner) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.client, k.synced = k.fresh(), false
}

// clockError explains a failed GET /auth/time in plain words.
func clockError(err error) error {
	var apiErr *ovh.APIError
	var netErr net.Error
	var ue *upstream.Error
	switch {
	case errors.As(err, &ue):
		return ue // the upstream client's own words (a refused redirect, an answer past the size cap)
	case errors.As(err, &apiErr):
		return &upstream.Error{Source: sourceName, Kind: upstream.KindHTTP, Status: apiErr.Code, QueryID: apiErr.QueryID, Err: err,
			Message: withQueryID(fmt.Sprintf("OVHcloud: reading the API clock (GET /auth/time) failed with %d %s — check ovhEndpoint: it must be the API's base URL, such as https://eu.api.ovh.com/1.0",
				apiErr.Code, http.StatusText(apiErr.Code)), apiErr.QueryID)}
	case errors.As(err, &netErr) && netErr.Timeout():
		return &upstream.Error{Source: sourceName, Kind: upstream.KindTimeout, Err: err,
			Message: "OVHcloud: reading the API clock (GET /auth/time) timed out — the API is slow or unreachable; try again, or raise timeoutSeconds"}
	}
	return &upstream.Error{Source: sourceName, Kind: upstream.KindNetwork, Err: err, Message: fmt.Sprintf(
		"OVHcloud: reading the API clock (GET /auth/time) failed (%v) — check ovhEndpoint and that Grafana can reach it", err)}
}

// tokenSource authorises requests with an OAuth2 service account (client
// credentials, scope "all"). go-ovh keeps its own token source private, so
// the plugin runs the grant itself, over the upstream HTTP client and on the
// context of the request that needs the token.
type tokenSource struct {
	cfg     clientcredentials.Config
	hc      *http.Client
	timeout time.Duration

	mu    sync.Mutex
	token *oauth2.Token

	fetch upstream.Flights[string] // concurrent callers share one grant
}

func newTokenSource(s models.OVHSettings, ep endpoint, hc *http.Client, timeout time.Duration) (*tokenSource, error) {
	u, err := ep.tokenURL(s.TokenURL)
	if err != nil {
		return nil, err
	}
	return &tokenSource{
		cfg: clientcredentials.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, TokenURL: u, Scopes: []string{"all"}},
		hc:  hc, timeout: timeout,
	}, nil
}

func (ts *tokenSource) authorize(req *http.Request) error {
	tok, err := ts.current(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// current returns a valid access token, fetching one when there is none.
// Concurrent callers share one fetch; it runs on a context of its own (with
// the plugin's timeout) so that one caller giving up does not fail the others.
func (ts *tokenSource) current(ctx context.Context) (string, error) {
	ts.mu.Lock()
	tok := ts.token
	ts.mu.Unlock()
	if tok.Valid() {
		return tok.AccessToken, nil
	}
	access, _, err := ts.fetch.Do(ctx, "token", func(context.Context) (string, error) {
		// Not on the caller's context: a token is the data source's, not a query's.
		fctx, cancel := context.WithTimeout(context.WithValue(context.Background(), oauth2.HTTPClient, ts.hc), ts.timeout)
		defer cancel()
		tok, err := ts.cfg.Token(fctx)
		if err != nil {
			return "", tokenError(err)
		}
		ts.mu.Lock()
		ts.token = tok
		ts.mu.Unlock()
		return tok.AccessToken, nil
	})
	return access, err
}

// reset drops the token, so that a token OVHcloud rejected (revoked, or the
// service account's rights changed) is replaced on the next call.
func (ts *tokenSource) reset() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.token = nil
}

// tokenError explains a failed token request in plain words.
func tokenError(err error) error {
	var ue *upstream.Error
	if errors.As(err, &ue) {
		return ue // the upstream client's own words (a refused redirect, an answer past the size cap)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return &upstream.Error{Source: sourceName, Kind: upstream.KindTimeout, Err: err,
				Message: "OVHcloud: the OAuth2 token endpoint did not answer in time — try again, or raise timeoutSeconds"}
		}
		return &upstream.Error{Source: sourceName, Kind: upstream.KindNetwork, Err: err, Message: fmt.Sprintf(
			"OVHcloud: no OAuth2 token (%v) — check ovhEndpoint (and ovhTokenUrl for a custom base URL) and that Grafana can reach it", err)}
	}
	status, queryID := 0, ""
	if re.Response != nil {
		status, queryID = re.Response.StatusCode, re.Response.Header.Get(queryIDHeader)
	}
	e := &upstream.Error{Source: sourceName, Kind: upstream.KindHTTP, Status: status, Code: re.ErrorCode, QueryID: queryID, Err: err}
	switch {
	case re.ErrorCode == "invalid_client" || (re.ErrorCode == "" && status == http.StatusUnauthorized):
		e.Message = "OVHcloud rejected the OAuth2 client id or secret — check ovhClientId and ovhClientSecret in the data source settings; the service account may have been deleted or its secret renewed"
	case status >= 500:
		e.Message = fmt.Sprintf("OVHcloud: the OAuth2 token endpoint failed (%d %s) — try again later", status, http.StatusText(status))
	case re.ErrorCode != "":
		e.Message = fmt.Sprintf("OVHcloud refused an OAuth2 token (%s) — check the service account (ovhClientId) and that it may use scope \"all\"", re.ErrorCode)
	default:
		e.Message = fmt.Sprintf("OVHcloud: the OAuth2 token endpoint answered %d %s — check ovhEndpoint (and ovhTokenUrl for a custom base URL)", status, http.StatusText(status))
	}
	e.Message = withQueryID(e.Message, queryID)
	return e
}
