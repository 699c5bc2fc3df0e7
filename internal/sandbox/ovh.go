package sandbox

// The OVHcloud API, as far as the plugin uses it: the clock, signed requests
// (application key + consumer key) and OAuth2 service accounts, the current
// credential, and the telephony listings and line statistics. The facts come
// from docs/upstream-apis.md §1; where OVHcloud documents nothing the choices
// are those of docs/architecture.md.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Authentication parameters.
const (
	// ovhMaxSkew is how far X-Ovh-Timestamp may be from the sandbox clock.
	ovhMaxSkew = 300 * time.Second
	// ovhTokenLifetime is the advertised lifetime of OAuth2 tokens (the
	// sandbox does not expire them).
	ovhTokenLifetime = 3600
	// ovhOAuth2Consumer is the consumer name of every OAuth2 call in the
	// statistics and the rate limit.
	ovhOAuth2Consumer = "oauth2"
	// ovhStatisticsAction is the IAM action the statistics call needs.
	ovhStatisticsAction = "voip:apiovh:line/statistics/get"
	// ovhApplicationID is the id of the sandbox application key.
	ovhApplicationID = 4242
)

// ovhRule is an access rule of a consumer key. A path ending in "*" matches
// every path that starts with what precedes the star.
type ovhRule struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

func (r ovhRule) allows(method, path string) bool {
	if r.Method != method {
		return false
	}
	if prefix, ok := strings.CutSuffix(r.Path, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return r.Path == path
}

// ovhConsumerKeys are the consumer keys the sandbox knows, with their rules.
var ovhConsumerKeys = map[string]struct {
	id      int
	expired bool
	rules   []ovhRule
}{
	OVHConsumerKey: {id: 100001, rules: []ovhRule{
		{"GET", "/telephony"}, {"GET", "/telephony/*"}, {"GET", "/auth/currentCredential"},
	}},
	OVHConsumerKeyLimited: {id: 100002, rules: []ovhRule{
		{"GET", "/telephony"}, {"GET", "/auth/currentCredential"},
	}},
	OVHConsumerKeyExpired: {id: 100003, expired: true, rules: []ovhRule{
		{"GET", "/telephony"}, {"GET", "/telephony/*"},
	}},
}

// ovhClients are the OAuth2 service accounts the sandbox knows, each with
// the IAM actions its policy does not grant.
var ovhClients = map[string]struct {
	id     int
	denied []string
}{
	OVHClientID:      {id: 200001},
	OVHClientIDNoIAM: {id: 200002, denied: []string{ovhStatisticsAction}},
}

// ovhToken derives the access token of an OAuth2 client. Deriving rather than
// drawing it keeps the sandbox stateless: a token stays valid across restarts.
func ovhToken(clientID string) string {
	sum := sha256.Sum256([]byte("sandbox-oauth2|" + clientID))
	return "sbx-" + hex.EncodeToString(sum[:20])
}

// ovhTokenClients maps each valid token back to its client.
var ovhTokenClients = func() map[string]string {
	m := map[string]string{}
	for id := range ovhClients {
		m[ovhToken(id)] = id
	}
	return m
}()

// ovhError is OVHcloud's current error body.
type ovhError struct {
	Class   string            `json:"class"`
	Message string            `json:"message"`
	Details map[string]string `json:"details,omitempty"`
}

// ovhLegacyError is OVHcloud's older error body; httpCode is a string.
type ovhLegacyError struct {
	ErrorCode string `json:"errorCode"`
	HTTPCode  string `json:"httpCode"`
	Message   string `json:"message"`
}

func ovhLegacy(status int, code, message string) ovhLegacyError {
	return ovhLegacyError{ErrorCode: code, HTTPCode: fmt.Sprintf("%d %s", status, http.StatusText(status)), Message: message}
}

// ovhClassError builds a current-style error whose class follows the status:
// "Client::NotFound" for 404, "Server::ServiceUnavailable" for 503.
func ovhClassError(status int, message string) ovhError {
	side := "Client::"
	if status >= 500 {
		side = "Server::"
	}
	name := strings.NewReplacer(" ", "", "-", "", "'", "").Replace(http.StatusText(status))
	if name == "" {
		name = "Error"
	}
	return ovhError{Class: side + name, Message: message}
}

// ovhQueryIDHeader is the header naming a request for OVHcloud's support.
// It is set under this exact spelling, as OVHcloud sends it, rather than
// Go's canonical "X-Ovh-Queryid" (header names are case-insensitive anyway).
const ovhQueryIDHeader = "X-Ovh-QueryID"

// setOVHQueryID gives the answer a query id, unless it has one.
func setOVHQueryID(h http.Header) {
	if _, ok := h[ovhQueryIDHeader]; !ok {
		h[ovhQueryIDHeader] = []string{newOVHQueryID()}
	}
}

// writeOVHError answers an error with a query id. The OVH handler sets the
// id on every answer; a fault answering in the API's stead gets one here.
func writeOVHError(w http.ResponseWriter, status int, body any) {
	setOVHQueryID(w.Header())
	writeJSON(w, status, body)
}

// newOVHQueryID makes a request id in OVHcloud's style, e.g.
// "EU.ext-1.6743a1f2.9c1e5b7d0a3f4e21".
func newOVHQueryID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "EU.ext-1." + hex.EncodeToString(b[:4]) + "." + hex.EncodeToString(b[4:])
}

// ovhConsumer names the consumer of a call for the statistics and the rate
// limit: "oauth2" for a Bearer token, else the consumer key, else "".
func ovhConsumer(r *http.Request) string {
	if ovhBearerToken(r) != "" {
		return ovhOAuth2Consumer
	}
	return r.Header.Get("X-Ovh-Consumer")
}

// ovhBearerToken returns the token of an "Authorization: Bearer" header.
func ovhBearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// ovhAPI serves the OVH API below OVHPrefix.
type ovhAPI struct {
	cfg     Config
	limiter *rateLimiter // nil: no limit
}

// newOVH serves the OVH API below its mount prefix.
func newOVH(cfg Config) http.Handler {
	o := &ovhAPI{cfg: cfg}
	if cfg.OVHRequestsPerMinute > 0 {
		o.limiter = newRateLimiter(cfg.OVHRequestsPerMinute, cfg.wall)
	}
	return o
}

// ovhCaller is an authenticated caller: a consumer key or an OAuth2 client.
type ovhCaller struct {
	consumerKey string // signed requests
	clientID    string // OAuth2
}

// ovhOp is what a path asks for.
type ovhOp int

const (
	ovhOpUnknown     ovhOp = iota
	ovhOpTime              // GET /auth/time
	ovhOpOAuth2Token       // POST /auth/oauth2/token
	ovhOpCredential        // GET /auth/currentCredential
	ovhOpAccounts          // GET /telephony
	ovhOpAccountInfo       // GET /telephony/{ba}
	ovhOpLines             // GET /telephony/{ba}/line
	ovhOpLineInfo          // GET /telephony/{ba}/line/{sn}
	ovhOpStatistics        // GET /telephony/{ba}/line/{sn}/statistics
)

// ovhRoute is a parsed path.
type ovhRoute struct {
	op            ovhOp
	account, line string // decoded path parameters
}

// parseOVHRoute recognises a path below the prefix. It splits the path as
// sent, then decodes each segment, so "%2F" stays inside its segment; such a
// segment names no account or line, so it simply matches nothing.
func parseOVHRoute(escapedPath string) ovhRoute {
	raw := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	seg := make([]string, len(raw))
	for i, s := range raw {
		d, err := url.PathUnescape(s)
		if err != nil {
			return ovhRoute{op: ovhOpUnknown}
		}
		seg[i] = d
	}
	switch {
	case len(seg) == 2 && seg[0] == "auth" && seg[1] == "time":
		return ovhRoute{op: ovhOpTime}
	case len(seg) == 3 && seg[0] == "auth" && seg[1] == "oauth2" && seg[2] == "token":
		return ovhRoute{op: ovhOpOAuth2Token}
	case len(seg) == 2 && seg[0] == "auth" && seg[1] == "currentCredential":
		return ovhRoute{op: ovhOpCredential}
	case seg[0] != "telephony":
		return ovhRoute{op: ovhOpUnknown}
	case len(seg) == 1:
		return ovhRoute{op: ovhOpAccounts}
	case len(seg) == 2:
		return ovhRoute{op: ovhOpAccountInfo, account: seg[1]}
	case len(seg) == 3 && seg[2] == "line":
		return ovhRoute{op: ovhOpLines, account: seg[1]}
	case len(seg) == 4 && seg[2] == "line":
		return ovhRoute{op: ovhOpLineInfo, account: seg[1], line: seg[3]}
	case len(seg) == 5 && seg[2] == "line" && seg[4] == "statistics":
		return ovhRoute{op: ovhOpStatistics, account: seg[1], line: seg[3]}
	}
	return ovhRoute{op: ovhOpUnknown}
}

// ServeHTTP serves the two public endpoints (clock, OAuth2 token), then
// checks in turn authentication, rate limit and authorisation before it
// serves the route.
func (o *ovhAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setOVHQueryID(w.Header())
	route := parseOVHRoute(r.URL.EscapedPath())

	switch route.op {
	case ovhOpTime:
		if r.Method != http.MethodGet {
			o.methodNotAllowed(w)
			return
		}
		w.Header().Set("Content-Type", contentTypeJSON)
		_, _ = fmt.Fprintf(w, "%d", o.cfg.now().Unix())
		return
	case ovhOpOAuth2Token:
		o.serveToken(w, r)
		return
	}

	caller, ok := o.authenticate(w, r)
	if !ok {
		return
	}
	if !o.admit(w, r) {
		return
	}
	if !o.authorize(w, r, caller, route) {
		return
	}
	if route.op == ovhOpUnknown {
		writeOVHError(w, http.StatusNotFound, ovhClassError(http.StatusNotFound, "Got an invalid (or empty) URL"))
		return
	}
	if r.Method != http.MethodGet {
		o.methodNotAllowed(w)
		return
	}
	o.serveRoute(w, r, caller, route)
}

func (o *ovhAPI) methodNotAllowed(w http.ResponseWriter) {
	writeOVHError(w, http.StatusMethodNotAllowed, ovhClassError(http.StatusMethodNotAllowed, "Method not allowed"))
}

// authenticate identifies the caller by Bearer token or by signature, or
// answers the error OVHcloud would. A signed request is checked in this
// order: application key, timestamp, signature, then consumer key (a
// consistent signature made with an unknown key is INVALID_CREDENTIAL).
func (o *ovhAPI) authenticate(w http.ResponseWriter, r *http.Request) (ovhCaller, bool) {
	if token := ovhBearerToken(r); token != "" {
		client, ok := ovhTokenClients[token]
		if !ok {
			writeOVHError(w, http.StatusUnauthorized, ovhError{Class: "Client::Unauthorized", Message: "Invalid token"})
			return ovhCaller{}, false
		}
		return ovhCaller{clientID: client}, true
	}

	appKey := r.Header.Get("X-Ovh-Application")
	consumerKey := r.Header.Get("X-Ovh-Consumer")
	signature := r.Header.Get("X-Ovh-Signature")
	timestamp := r.Header.Get("X-Ovh-Timestamp")
	if appKey == "" {
		o.mustLogin(w)
		return ovhCaller{}, false
	}
	if appKey != OVHAppKey {
		writeOVHError(w, http.StatusForbidden, ovhLegacy(http.StatusForbidden, "INVALID_KEY", "This application key is invalid"))
		return ovhCaller{}, false
	}
	if consumerKey == "" || signature == "" || timestamp == "" {
		o.mustLogin(w)
		return ovhCaller{}, false
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || math.Abs(float64(ts-o.cfg.now().Unix())) > ovhMaxSkew.Seconds() {
		writeOVHError(w, http.StatusBadRequest, ovhLegacy(http.StatusBadRequest, "QUERY_TIME_OUT", "Query out of time"))
		return ovhCaller{}, false
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeOVHError(w, http.StatusBadRequest, ovhClassError(http.StatusBadRequest, "Could not read the request body"))
		return ovhCaller{}, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body)) // for whatever reads it next
	want := ovhSignature(OVHAppSecret, consumerKey, r.Method, ovhFullURL(r), string(body), timestamp)
	if subtle.ConstantTimeCompare([]byte(signature), []byte(want)) != 1 {
		writeOVHError(w, http.StatusBadRequest, ovhLegacy(http.StatusBadRequest, "INVALID_SIGNATURE", "Invalid signature"))
		return ovhCaller{}, false
	}

	ck, ok := ovhConsumerKeys[consumerKey]
	switch {
	case !ok:
		writeOVHError(w, http.StatusForbidden, ovhLegacy(http.StatusForbidden, "INVALID_CREDENTIAL", "This credential does not exist"))
		return ovhCaller{}, false
	case ck.expired:
		writeOVHError(w, http.StatusForbidden, ovhLegacy(http.StatusForbidden, "INVALID_CREDENTIAL", "This credential is not valid"))
		return ovhCaller{}, false
	}
	return ovhCaller{consumerKey: consumerKey}, true
}

func (o *ovhAPI) mustLogin(w http.ResponseWriter) {
	writeOVHError(w, http.StatusUnauthorized, ovhError{Class: "Client::Unauthorized", Message: "You must login first"})
}

// ovhFullURL is the URL the client called, as it signed it: scheme, Host
// header, and the request URI as sent (with the mount prefix and the query).
func ovhFullURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
		scheme = strings.TrimSpace(strings.Split(proto, ",")[0])
	}
	return scheme + "://" + r.Host + r.RequestURI
}

// ovhSignature computes OVHcloud's request signature:
// "$1$" + hex(SHA1(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TIMESTAMP)).
func ovhSignature(appSecret, consumerKey, method, fullURL, body, timestamp string) string {
	sum := sha1.Sum([]byte(strings.Join([]string{appSecret, consumerKey, method, fullURL, body, timestamp}, "+")))
	return "$1$" + hex.EncodeToString(sum[:])
}

// admit applies Config.OVHRequestsPerMinute.
func (o *ovhAPI) admit(w http.ResponseWriter, r *http.Request) bool {
	if o.limiter == nil {
		return true
	}
	ok, wait := o.limiter.allow(ovhConsumer(r))
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	writeOVHError(w, http.StatusTooManyRequests, ovhError{Class: "Client::TooManyRequests", Message: "Too many requests"})
	return false
}

// authorize checks the consumer key's access rules, or the OAuth2 client's
// IAM policy.
func (o *ovhAPI) authorize(w http.ResponseWriter, r *http.Request, c ovhCaller, route ovhRoute) bool {
	if c.consumerKey != "" {
		for _, rule := range ovhConsumerKeys[c.consumerKey].rules {
			if rule.allows(r.Method, r.URL.Path) {
				return true
			}
		}
		writeOVHError(w, http.StatusForbidden, ovhLegacy(http.StatusForbidden, "NOT_GRANTED_CALL", "This call has not been granted"))
		return false
	}
	if route.op == ovhOpStatistics {
		for _, denied := range ovhClients[c.clientID].denied {
			if denied == ovhStatisticsAction {
				writeOVHError(w, http.StatusForbidden, ovhError{
					Class:   "Client::Forbidden",
					Message: "User not granted for this request",
					Details: map[string]string{"unauthorizedActionsByIAM": ovhStatisticsAction},
				})
				return false
			}
		}
	}
	return true
}

// serveToken is the OAuth2 token endpoint (client credentials grant). The
// client authenticates with HTTP basic auth or with form fields.
func (o *ovhAPI) serveToken(w http.ResponseWriter, r *http.Request) {
	oauthError := func(status int, code string) {
		writeOVHError(w, status, map[string]string{"error": code})
	}
	if r.Method != http.MethodPost {
		oauthError(http.StatusMethodNotAllowed, "invalid_request")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: both are form-encoded before basic auth.
		id, secret = ovhFormUnescape(id), ovhFormUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if _, known := ovhClients[id]; !known || subtle.ConstantTimeCompare([]byte(secret), []byte(OVHClientSecret)) != 1 {
		oauthError(http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	if scope := r.PostForm.Get("scope"); scope != "" && scope != "all" {
		oauthError(http.StatusBadRequest, "invalid_scope")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": ovhToken(id),
		"token_type":   "Bearer",
		"expires_in":   ovhTokenLifetime,
		"scope":        "all",
	})
}

// ovhFormUnescape undoes form encoding, keeping the input if it is not encoded.
func ovhFormUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// serveRoute answers an authenticated and authorised GET.
func (o *ovhAPI) serveRoute(w http.ResponseWriter, r *http.Request, c ovhCaller, route ovhRoute) {
	if route.op == ovhOpCredential {
		o.serveCredential(w, c)
		return
	}
	if route.op == ovhOpAccounts {
		names := make([]string, 0, len(ovhAccounts))
		for _, a := range ovhAccounts {
			names = append(names, a.BillingAccount)
		}
		writeJSON(w, http.StatusOK, names)
		return
	}

	notFound := func() {
		writeOVHError(w, http.StatusNotFound, ovhError{Class: "Client::NotFound", Message: "This service does not exist"})
	}
	account, ok := ovhAccount(route.account)
	if !ok {
		notFound()
		return
	}
	switch route.op {
	case ovhOpAccountInfo:
		writeJSON(w, http.StatusOK, map[string]any{
			"billingAccount":          account.BillingAccount,
			"description":             account.Description,
			"status":                  "enabled",
			"trusted":                 false,
			"hiddenExternalNumber":    false,
			"overrideDisplayedNumber": false,
		})
		return
	case ovhOpLines:
		names := make([]string, 0, len(account.Lines))
		for _, l := range account.Lines {
			names = append(names, l.ServiceName)
		}
		writeJSON(w, http.StatusOK, names)
		return
	}

	// The statistics route of a retired account is gone altogether: OVHcloud
	// answers as for a URL it does not know.
	if route.op == ovhOpStatistics && account.StatisticsRetired {
		writeOVHError(w, http.StatusNotFound, ovhLegacy(http.StatusNotFound, "NOT_FOUND", "Got an invalid (or empty) URL"))
		return
	}
	line, ok := account.line(route.line)
	if !ok {
		notFound()
		return
	}
	if route.op == ovhOpLineInfo {
		writeJSON(w, http.StatusOK, map[string]any{
			"serviceName":       line.ServiceName,
			"description":       line.Description,
			"serviceType":       "line",
			"simultaneousLines": 2,
			"offers":            []string{"voip.main.offer.fr.sip"},
			"infrastructure":    "sip",
		})
		return
	}
	o.serveStatistics(w, r, line)
}

// serveStatistics answers GET /telephony/{ba}/line/{sn}/statistics.
func (o *ovhAPI) serveStatistics(w http.ResponseWriter, r *http.Request, line OVHLine) {
	q := r.URL.Query()
	timeframe, metric := q.Get("timeframe"), q.Get("type")
	invalid := func(param string) {
		writeOVHError(w, http.StatusBadRequest, ovhError{Class: "Client::BadRequest", Message: "Invalid value for parameter " + param})
	}
	if _, ok := ovhTimeframes[timeframe]; !ok {
		invalid("timeframe")
		return
	}
	if _, ok := ovhMetricUnits[metric]; !ok {
		invalid("type")
		return
	}
	stats, err := OVHLineStatistics(line.ServiceName, timeframe, metric, o.cfg.now())
	if err != nil { // cannot happen: both parameters were checked
		writeOVHError(w, http.StatusInternalServerError, ovhClassError(http.StatusInternalServerError, err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, stats)
}

// serveCredential answers GET /auth/currentCredential. For an OAuth2 client
// it describes the client's token, with a rule per IAM grant.
func (o *ovhAPI) serveCredential(w http.ResponseWriter, c ovhCaller) {
	now := o.cfg.now().UTC()
	cred := map[string]any{
		"applicationId": ovhApplicationID,
		"status":        "validated",
		"creation":      now.Add(-30 * 24 * time.Hour).Truncate(time.Hour).Format(time.RFC3339),
		"expiration":    now.Add(335 * 24 * time.Hour).Truncate(time.Hour).Format(time.RFC3339),
		"lastUse":       now.Format(time.RFC3339),
		"ovhSupport":    false,
		"allowedIPs":    nil,
	}
	if c.consumerKey != "" {
		ck := ovhConsumerKeys[c.consumerKey]
		cred["credentialId"] = ck.id
		cred["rules"] = ck.rules
	} else {
		cred["credentialId"] = ovhClients[c.clientID].id
		cred["rules"] = []ovhRule{{"GET", "/*"}}
		cred["expiration"] = now.Add(ovhTokenLifetime * time.Second).Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, cred)
}
