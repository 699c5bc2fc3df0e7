package sandbox

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ovhTestNow is the sandbox clock of the OVH tests: deliberately not on a
// multiple of any statistics step.
var ovhTestNow = time.Date(2024, 11, 24, 10, 7, 30, 0, time.UTC)

// newOVHTestServer starts a sandbox whose clock is ovhTestNow unless cfg
// says otherwise.
func newOVHTestServer(t *testing.T, cfg Config) (*httptest.Server, *Sandbox) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return ovhTestNow }
	}
	sb := New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv, sb
}

// ovhAuth says how a test call authenticates.
type ovhAuth struct {
	appKey, appSecret, consumerKey string

	skew     int64   // seconds added to the sandbox clock in X-Ovh-Timestamp
	signURL  string  // sign this URL instead of the one called
	signBody *string // sign this body instead of the one sent
	proto    string  // X-Forwarded-Proto to send; the URL is signed with it

	token string // Authorization: Bearer instead of a signature
}

// signedBy authenticates with the sandbox application and the consumer key.
func signedBy(consumerKey string) ovhAuth {
	return ovhAuth{appKey: OVHAppKey, appSecret: OVHAppSecret, consumerKey: consumerKey}
}

// ovhTestSignature is the signature as OVHcloud documents it, written here
// independently of the sandbox's own code.
func ovhTestSignature(secret, consumerKey, method, fullURL, body string, timestamp int64) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s+%s+%s+%s+%s+%d", secret, consumerKey, method, fullURL, body, timestamp)
	return "$1$" + hex.EncodeToString(h.Sum(nil))
}

// ovhCall calls the OVH API at path (below the prefix, with its query).
func ovhCall(t *testing.T, srv *httptest.Server, method, path, body string, auth ovhAuth) (*http.Response, []byte) {
	t.Helper()
	target := srv.URL + OVHPrefix + path
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case auth.token != "":
		req.Header.Set("Authorization", "Bearer "+auth.token)
	case auth.appKey != "":
		ts := ovhTestNow.Unix() + auth.skew
		signURL := target
		if auth.proto != "" {
			signURL = auth.proto + strings.TrimPrefix(target, "http")
			req.Header.Set("X-Forwarded-Proto", auth.proto)
		}
		if auth.signURL != "" {
			signURL = auth.signURL
		}
		signBody := body
		if auth.signBody != nil {
			signBody = *auth.signBody
		}
		req.Header.Set("X-Ovh-Application", auth.appKey)
		if auth.consumerKey != "" {
			req.Header.Set("X-Ovh-Consumer", auth.consumerKey)
			req.Header.Set("X-Ovh-Timestamp", strconv.FormatInt(ts, 10))
			req.Header.Set("X-Ovh-Signature", ovhTestSignature(auth.appSecret, auth.consumerKey, method, signURL, signBody, ts))
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

// decodeAnyJSON decodes a body into generic values (numbers as float64).
func decodeAnyJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return v
}

// checkOVHError checks an error answer: status, JSON body, query id.
func checkOVHError(t *testing.T, resp *http.Response, body []byte, status int, want map[string]any) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	if id := resp.Header.Get("X-Ovh-QueryID"); !strings.HasPrefix(id, "EU.ext-1.") {
		t.Errorf("X-Ovh-QueryID %q, want EU.ext-1.…", id)
	}
	if got := decodeAnyJSON(t, body); !reflect.DeepEqual(got, any(want)) {
		t.Errorf("body %s, want %v", body, want)
	}
}

// The legacy error bodies of the signed-request checks.
var (
	errInvalidKey       = map[string]any{"errorCode": "INVALID_KEY", "httpCode": "403 Forbidden", "message": "This application key is invalid"}
	errInvalidSignature = map[string]any{"errorCode": "INVALID_SIGNATURE", "httpCode": "400 Bad Request", "message": "Invalid signature"}
	errQueryTimeOut     = map[string]any{"errorCode": "QUERY_TIME_OUT", "httpCode": "400 Bad Request", "message": "Query out of time"}
	errNoCredential     = map[string]any{"errorCode": "INVALID_CREDENTIAL", "httpCode": "403 Forbidden", "message": "This credential does not exist"}
	errBadCredential    = map[string]any{"errorCode": "INVALID_CREDENTIAL", "httpCode": "403 Forbidden", "message": "This credential is not valid"}
	errNotGranted       = map[string]any{"errorCode": "NOT_GRANTED_CALL", "httpCode": "403 Forbidden", "message": "This call has not been granted"}
	errMustLogin        = map[string]any{"class": "Client::Unauthorized", "message": "You must login first"}
)

const ovhStatsPath = "/telephony/ab12345-ovh-1/line/0033123456789/statistics?timeframe=daily&type=rtpMos"

func TestOVHAuthTime(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{})
	resp, body := ovhCall(t, srv, "GET", "/auth/time", "", ovhAuth{})
	if resp.StatusCode != http.StatusOK || string(body) != strconv.FormatInt(ovhTestNow.Unix(), 10) {
		t.Fatalf("GET /auth/time: %d %q, want 200 %d", resp.StatusCode, body, ovhTestNow.Unix())
	}
}

func TestOVHSignedRequests(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{})
	wrongSecret := signedBy(OVHConsumerKey)
	wrongSecret.appSecret = "not-the-secret"
	unknownApp := signedBy(OVHConsumerKey)
	unknownApp.appKey = "someone-else"
	withSkew := func(s int64) ovhAuth { a := signedBy(OVHConsumerKey); a.skew = s; return a }
	viaProxy := signedBy(OVHConsumerKey)
	viaProxy.proto = "https"
	proxyIgnored := signedBy(OVHConsumerKey) // signs http:// but the proxy says https
	proxyIgnored.signURL = srv.URL + OVHPrefix + "/telephony"
	proxyIgnored.proto = "https"
	otherQuery := signedBy(OVHConsumerKey)
	otherQuery.signURL = srv.URL + OVHPrefix + strings.Replace(ovhStatsPath, "daily", "weekly", 1)
	emptyBody := ""
	bodyNotSigned := signedBy(OVHConsumerKey)
	bodyNotSigned.signBody = &emptyBody

	tests := []struct {
		name       string
		method     string
		path, body string
		auth       ovhAuth
		status     int
		wantErr    map[string]any // nil: a success
	}{
		{"valid", "GET", "/telephony", "", signedBy(OVHConsumerKey), 200, nil},
		{"valid statistics", "GET", ovhStatsPath, "", signedBy(OVHConsumerKey), 200, nil},
		{"timestamp 299 s late", "GET", "/telephony", "", withSkew(-299), 200, nil},
		{"timestamp 299 s early", "GET", "/telephony", "", withSkew(299), 200, nil},
		{"behind an https proxy", "GET", "/telephony", "", viaProxy, 200, nil},
		{"limited key, granted path", "GET", "/telephony", "", signedBy(OVHConsumerKeyLimited), 200, nil},
		{"limited key, current credential", "GET", "/auth/currentCredential", "", signedBy(OVHConsumerKeyLimited), 200, nil},

		{"no headers", "GET", "/telephony", "", ovhAuth{}, 401, errMustLogin},
		{"application key only", "GET", "/telephony", "", ovhAuth{appKey: OVHAppKey}, 401, errMustLogin},
		{"unknown application key", "GET", "/telephony", "", unknownApp, 403, errInvalidKey},
		{"wrong secret", "GET", "/telephony", "", wrongSecret, 400, errInvalidSignature},
		{"signed another query", "GET", ovhStatsPath, "", otherQuery, 400, errInvalidSignature},
		{"signed http behind https", "GET", "/telephony", "", proxyIgnored, 400, errInvalidSignature},
		{"body not signed", "POST", "/telephony", `{"a":1}`, bodyNotSigned, 400, errInvalidSignature},
		{"timestamp 301 s late", "GET", "/telephony", "", withSkew(-301), 400, errQueryTimeOut},
		{"timestamp 301 s early", "GET", "/telephony", "", withSkew(301), 400, errQueryTimeOut},
		{"unknown consumer key", "GET", "/telephony", "", signedBy("nobody"), 403, errNoCredential},
		{"expired consumer key", "GET", "/telephony", "", signedBy(OVHConsumerKeyExpired), 403, errBadCredential},
		{"limited key, line listing", "GET", "/telephony/ab12345-ovh-1/line", "", signedBy(OVHConsumerKeyLimited), 403, errNotGranted},
		{"limited key, statistics", "GET", ovhStatsPath, "", signedBy(OVHConsumerKeyLimited), 403, errNotGranted},
		{"path outside the rules", "GET", "/me", "", signedBy(OVHConsumerKey), 403, errNotGranted},
		// The signature with a body is accepted; only the rules refuse POST.
		{"signed POST with a body", "POST", "/telephony", `{"a":1}`, signedBy(OVHConsumerKey), 403, errNotGranted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ovhCall(t, srv, tt.method, tt.path, tt.body, tt.auth)
			if tt.wantErr == nil {
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d (body %s)", resp.StatusCode, tt.status, body)
				}
				decodeAnyJSON(t, body)
				return
			}
			checkOVHError(t, resp, body, tt.status, tt.wantErr)
		})
	}
}

// ovhTestToken gets an OAuth2 token with form fields.
func ovhTestToken(t *testing.T, srv *httptest.Server, clientID string) string {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+OVHPrefix+"/auth/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {OVHClientSecret}, "scope": {"all"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || tok.Scope != "all" {
		t.Fatalf("token answer %+v", tok)
	}
	return tok.AccessToken
}

func TestOVHOAuth2(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{})
	token := ovhTestToken(t, srv, OVHClientID)
	noIAM := ovhTestToken(t, srv, OVHClientIDNoIAM)
	if token == noIAM {
		t.Fatal("both clients got the same token")
	}

	t.Run("token endpoint", func(t *testing.T) {
		tests := []struct {
			name       string
			method     string
			form       url.Values
			basic      []string // id, secret
			status     int
			wantError  string
			wantAnswer bool
		}{
			{"basic auth", "POST", url.Values{"grant_type": {"client_credentials"}, "scope": {"all"}}, []string{OVHClientID, OVHClientSecret}, 200, "", true},
			{"no scope", "POST", url.Values{"grant_type": {"client_credentials"}, "client_id": {OVHClientID}, "client_secret": {OVHClientSecret}}, nil, 200, "", true},
			{"wrong secret", "POST", url.Values{"grant_type": {"client_credentials"}, "client_id": {OVHClientID}, "client_secret": {"nope"}}, nil, 401, "invalid_client", false},
			{"wrong secret, basic", "POST", url.Values{"grant_type": {"client_credentials"}}, []string{OVHClientID, "nope"}, 401, "invalid_client", false},
			{"unknown client", "POST", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {OVHClientSecret}}, nil, 401, "invalid_client", false},
			{"other grant", "POST", url.Values{"grant_type": {"password"}, "client_id": {OVHClientID}, "client_secret": {OVHClientSecret}}, nil, 400, "unsupported_grant_type", false},
			{"other scope", "POST", url.Values{"grant_type": {"client_credentials"}, "client_id": {OVHClientID}, "client_secret": {OVHClientSecret}, "scope": {"read"}}, nil, 400, "invalid_scope", false},
			{"GET", "GET", nil, nil, 405, "invalid_request", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, srv.URL+OVHPrefix+"/auth/oauth2/token", strings.NewReader(tt.form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tt.basic != nil {
					req.SetBasicAuth(tt.basic[0], tt.basic[1])
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
				}
				got := decodeAnyJSON(t, body).(map[string]any)
				if tt.wantAnswer && got["access_token"] != token {
					t.Errorf("token %v, want the client's token %s", got["access_token"], token)
				}
				if !tt.wantAnswer && got["error"] != tt.wantError {
					t.Errorf("error %v, want %s", got["error"], tt.wantError)
				}
			})
		}
	})

	t.Run("bearer calls", func(t *testing.T) {
		tests := []struct {
			name    string
			token   string
			path    string
			status  int
			wantErr map[string]any
		}{
			{"listing", token, "/telephony", 200, nil},
			{"statistics", token, ovhStatsPath, 200, nil},
			{"current credential", token, "/auth/currentCredential", 200, nil},
			{"no IAM, listing", noIAM, "/telephony/ab12345-ovh-1/line", 200, nil},
			{"unknown token", "sbx-forged", "/telephony", 401, map[string]any{"class": "Client::Unauthorized", "message": "Invalid token"}},
			{"no IAM, statistics", noIAM, ovhStatsPath, 403, map[string]any{
				"class": "Client::Forbidden", "message": "User not granted for this request",
				"details": map[string]any{"unauthorizedActionsByIAM": "voip:apiovh:line/statistics/get"},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := ovhCall(t, srv, "GET", tt.path, "", ovhAuth{token: tt.token})
				if tt.wantErr != nil {
					checkOVHError(t, resp, body, tt.status, tt.wantErr)
				} else if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
				}
			})
		}
	})
}

func TestOVHCurrentCredential(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{})
	resp, body := ovhCall(t, srv, "GET", "/auth/currentCredential", "", signedBy(OVHConsumerKey))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d (%s)", resp.StatusCode, body)
	}
	var cred struct {
		CredentialID  *int    `json:"credentialId"`
		ApplicationID *int    `json:"applicationId"`
		Status        string  `json:"status"`
		Rules         []any   `json:"rules"`
		Creation      string  `json:"creation"`
		Expiration    string  `json:"expiration"`
		LastUse       *string `json:"lastUse"`
	}
	if err := json.Unmarshal(body, &cred); err != nil {
		t.Fatal(err)
	}
	wantRules := []any{
		map[string]any{"method": "GET", "path": "/telephony"},
		map[string]any{"method": "GET", "path": "/telephony/*"},
		map[string]any{"method": "GET", "path": "/auth/currentCredential"},
	}
	if cred.CredentialID == nil || cred.ApplicationID == nil || cred.Status != "validated" || cred.LastUse == nil ||
		!reflect.DeepEqual(cred.Rules, wantRules) {
		t.Errorf("credential %s", body)
	}
	for _, ts := range []string{cred.Creation, cred.Expiration, *cred.LastUse} {
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("date %q: %v", ts, err)
		}
	}
}

func TestOVHListings(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{})
	auth := signedBy(OVHConsumerKey)

	// The answers follow the exported data set.
	var accounts []any
	for _, a := range OVHAccounts() {
		accounts = append(accounts, a.BillingAccount)
	}
	if want := []any{"ab12345-ovh-1", "cd67890-ovh-1", "zz99999-ovh-1"}; !reflect.DeepEqual(accounts, want) {
		t.Fatalf("OVHAccounts() lists %v, want %v", accounts, want)
	}
	serviceNotFound := map[string]any{"class": "Client::NotFound", "message": "This service does not exist"}

	tests := []struct {
		name    string
		path    string
		status  int
		want    any // the whole body, or a subset of an object's fields
		wantErr map[string]any
	}{
		{"accounts", "/telephony", 200, accounts, nil},
		{"account", "/telephony/ab12345-ovh-1", 200,
			map[string]any{"billingAccount": "ab12345-ovh-1", "description": "Head office", "status": "enabled"}, nil},
		{"lines", "/telephony/ab12345-ovh-1/line", 200, []any{"0033123456789", "0033123456790", "0033123456791"}, nil},
		{"lines of the retired account", "/telephony/zz99999-ovh-1/line", 200, []any{"0033555000111"}, nil},
		{"line", "/telephony/ab12345-ovh-1/line/0033123456791", 200,
			map[string]any{"serviceName": "0033123456791", "description": "Sales floor", "serviceType": "line", "simultaneousLines": 2.0}, nil},
		{"line without description", "/telephony/cd67890-ovh-1/line/0033987654322", 200,
			map[string]any{"serviceName": "0033987654322", "description": "", "serviceType": "line"}, nil},
		{"line of the retired account", "/telephony/zz99999-ovh-1/line/0033555000111", 200,
			map[string]any{"serviceName": "0033555000111", "description": "Legacy handset"}, nil},

		{"retired statistics", "/telephony/zz99999-ovh-1/line/0033555000111/statistics?timeframe=daily&type=rtpMos", 404, nil,
			map[string]any{"errorCode": "NOT_FOUND", "httpCode": "404 Not Found", "message": "Got an invalid (or empty) URL"}},
		{"unknown account", "/telephony/xx00000-ovh-1", 404, nil, serviceNotFound},
		{"unknown account's lines", "/telephony/xx00000-ovh-1/line", 404, nil, serviceNotFound},
		{"unknown line", "/telephony/ab12345-ovh-1/line/0033000000000", 404, nil, serviceNotFound},
		{"line of another account", "/telephony/cd67890-ovh-1/line/0033123456789/statistics?timeframe=daily&type=rtpMos", 404, nil, serviceNotFound},
		{"encoded slash in the account", "/telephony/ab12345-ovh-1%2Fline", 404, nil, serviceNotFound},
		{"encoded slash in the line", "/telephony/ab12345-ovh-1/line/0033123456789%2Fstatistics?timeframe=daily&type=rtpMos", 404, nil, serviceNotFound},
		{"unknown route", "/telephony/ab12345-ovh-1/portability", 404, nil,
			map[string]any{"class": "Client::NotFound", "message": "Got an invalid (or empty) URL"}},
		{"no timeframe", "/telephony/ab12345-ovh-1/line/0033123456789/statistics?type=rtpMos", 400, nil,
			map[string]any{"class": "Client::BadRequest", "message": "Invalid value for parameter timeframe"}},
		{"bad timeframe", "/telephony/ab12345-ovh-1/line/0033123456789/statistics?timeframe=minutely&type=rtpMos", 400, nil,
			map[string]any{"class": "Client::BadRequest", "message": "Invalid value for parameter timeframe"}},
		{"no type", "/telephony/ab12345-ovh-1/line/0033123456789/statistics?timeframe=daily", 400, nil,
			map[string]any{"class": "Client::BadRequest", "message": "Invalid value for parameter type"}},
		{"bad type", "/telephony/ab12345-ovh-1/line/0033123456789/statistics?timeframe=daily&type=mos", 400, nil,
			map[string]any{"class": "Client::BadRequest", "message": "Invalid value for parameter type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ovhCall(t, srv, "GET", tt.path, "", auth)
			if tt.wantErr != nil {
				checkOVHError(t, resp, body, tt.status, tt.wantErr)
				return
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			got := decodeAnyJSON(t, body)
			if want, ok := tt.want.(map[string]any); ok {
				obj, _ := got.(map[string]any)
				for k, v := range want {
					if !reflect.DeepEqual(obj[k], v) {
						t.Errorf("%s = %#v, want %#v (body %s)", k, obj[k], v, body)
					}
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body %s, want %v", body, tt.want)
			}
		})
	}
}

// ovhTestStatistics fetches and decodes a statistics answer.
func ovhTestStatistics(t *testing.T, srv *httptest.Server, account, line, timeframe, metric string) (OVHStatistics, []byte) {
	t.Helper()
	path := fmt.Sprintf("/telephony/%s/line/%s/statistics?timeframe=%s&type=%s", account, line, timeframe, metric)
	resp, body := ovhCall(t, srv, "GET", path, "", signedBy(OVHConsumerKey))
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d (%s)", path, resp.StatusCode, body)
	}
	var st OVHStatistics
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st, body
}

func TestOVHStatisticsShape(t *testing.T) {
	srv, _ := newOVHTestServer(t, Config{})
	now := ovhTestNow.Unix()
	timeframes := []struct {
		name         string
		window, step int64 // seconds
	}{
		{"hourly", 3600, 60},
		{"daily", 86400, 300},
		{"weekly", 7 * 86400, 1800},
		{"monthly", 31 * 86400, 7200},
		{"yearly", 366 * 86400, 86400},
	}
	units := map[string]string{"maxDelay": "s", "maxJitter": "s", "rtpMos": "", "sumRtpLost": ""}
	for _, tf := range timeframes {
		for metric, unit := range units {
			t.Run(tf.name+"/"+metric, func(t *testing.T) {
				st, body := ovhTestStatistics(t, srv, "ab12345-ovh-1", "0033123456790", tf.name, metric)
				if st.Unit != unit {
					t.Errorf("unit %q, want %q", st.Unit, unit)
				}
				v := st.Values
				if len(v) < 2 {
					t.Fatalf("%d points", len(v))
				}
				first, last := v[0].Timestamp, v[len(v)-1].Timestamp
				if !(first <= now-tf.window && now-tf.window < first+tf.step) {
					t.Errorf("first point %d does not start the window at %d (step %d)", first, now-tf.window, tf.step)
				}
				if !(last <= now && now < last+tf.step) {
					t.Errorf("last point %d is not the last step before now %d", last, now)
				}
				for i, p := range v {
					if p.Timestamp%tf.step != 0 {
						t.Fatalf("point %d at %d is not aligned on %d", i, p.Timestamp, tf.step)
					}
					if i > 0 && p.Timestamp-v[i-1].Timestamp != tf.step {
						t.Fatalf("points %d and %d are %d s apart, want %d", i-1, i, p.Timestamp-v[i-1].Timestamp, tf.step)
					}
				}
				// Every point has exactly the two documented keys, value a number or null.
				var raw struct{ Values []map[string]any }
				_ = json.Unmarshal(body, &raw)
				for _, p := range raw.Values {
					_, isNum := p["value"].(float64)
					if len(p) != 2 || !(isNum || p["value"] == nil) {
						t.Fatalf("point %v", p)
					}
				}
			})
		}
	}
}

func TestOVHStatisticsDeterministic(t *testing.T) {
	srv1, _ := newOVHTestServer(t, Config{})
	srv2, _ := newOVHTestServer(t, Config{})
	_, a := ovhTestStatistics(t, srv1, "ab12345-ovh-1", "0033123456789", "weekly", "maxJitter")
	_, b := ovhTestStatistics(t, srv1, "ab12345-ovh-1", "0033123456789", "weekly", "maxJitter")
	_, c := ovhTestStatistics(t, srv2, "ab12345-ovh-1", "0033123456789", "weekly", "maxJitter")
	if string(a) != string(b) || string(a) != string(c) {
		t.Fatal("the same call gave different answers")
	}

	// A value depends on the line, the metric and the timestamp only: the
	// points two timeframes share are equal.
	hourly, _ := ovhTestStatistics(t, srv1, "ab12345-ovh-1", "0033123456789", "hourly", "maxJitter")
	daily, _ := ovhTestStatistics(t, srv1, "ab12345-ovh-1", "0033123456789", "daily", "maxJitter")
	byTime := map[int64]*float64{}
	for _, p := range hourly.Values {
		byTime[p.Timestamp] = p.Value
	}
	shared := 0
	for _, p := range daily.Values {
		if h, ok := byTime[p.Timestamp]; ok {
			shared++
			if (h == nil) != (p.Value == nil) || (h != nil && *h != *p.Value) {
				t.Errorf("at %d: hourly %v, daily %v", p.Timestamp, h, p.Value)
			}
		}
	}
	if shared < 10 {
		t.Fatalf("only %d shared points", shared)
	}
	// And another line is another series.
	_, d := ovhTestStatistics(t, srv1, "ab12345-ovh-1", "0033123456790", "weekly", "maxJitter")
	if string(a) == string(d) {
		t.Fatal("two lines have the same series")
	}
}

// TestOVHStatisticsValues checks the value ranges and the alerting property
// over many sandbox times, straight from OVHLineStatistics.
func TestOVHStatisticsValues(t *testing.T) {
	ranges := map[string][2]float64{
		"rtpMos": {2000, 4400}, "maxJitter": {0.001, 0.05}, "maxDelay": {0.02, 0.4}, "sumRtpLost": {0, 400},
	}
	var points, nulls, dips int
	lost := map[bool][]float64{} // sumRtpLost by degraded
	for k := range 30 {
		now := ovhTestNow.Add(time.Duration(k) * 7919 * time.Minute) // spread over the months and the hours
		for _, a := range OVHAccounts() {
			for _, l := range a.Lines {
				degraded := l.ServiceName == OVHDegradedLine
				for metric, rng := range ranges {
					for _, tf := range []string{"daily", "weekly"} {
						st, err := OVHLineStatistics(l.ServiceName, tf, metric, now)
						if err != nil {
							t.Fatal(err)
						}
						n := len(st.Values)
						for i, p := range st.Values {
							points++
							age := now.Unix() - p.Timestamp
							if p.Value == nil {
								nulls++
								if metric == "rtpMos" && (i >= n-10 || age < 7200) {
									t.Fatalf("%s %s %s: null rtpMos at %d, among the last points", l.ServiceName, tf, now, p.Timestamp)
								}
								continue
							}
							v := *p.Value
							if v < rng[0] || v > rng[1] {
								t.Fatalf("%s %s = %v at %d, outside %v", l.ServiceName, metric, v, p.Timestamp, rng)
							}
							switch {
							case metric == "rtpMos" && degraded && (v < 2600 || v > 3300):
								t.Fatalf("degraded rtpMos %v at %d, want 2600..3300", v, p.Timestamp)
							case metric == "rtpMos" && !degraded && age < 7200 && v < 3700:
								t.Fatalf("%s rtpMos %v at %d, in the last two hours before %s", l.ServiceName, v, p.Timestamp, now)
							case metric == "rtpMos" && !degraded && v < 3000:
								dips++
							case metric == "sumRtpLost" && tf == "daily":
								lost[degraded] = append(lost[degraded], v)
							}
						}
					}
				}
			}
		}
	}
	if rate := float64(nulls) / float64(points); rate < 0.02 || rate > 0.04 {
		t.Errorf("%.2f%% nulls, want about 3%%", 100*rate)
	}
	if dips == 0 {
		t.Error("healthy lines never dip below 3000")
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	if d, h := mean(lost[true]), mean(lost[false]); d < 3*h {
		t.Errorf("mean sumRtpLost %.1f on the degraded line, %.1f elsewhere", d, h)
	}
}

func TestOVHStatisticsErrors(t *testing.T) {
	if _, err := OVHLineStatistics("0033123456789", "minutely", "rtpMos", ovhTestNow); err == nil {
		t.Error("unknown timeframe accepted")
	}
	if _, err := OVHLineStatistics("0033123456789", "daily", "mos", ovhTestNow); err == nil {
		t.Error("unknown type accepted")
	}
	if w, s, ok := OVHTimeframeWindow("monthly"); !ok || w != 31*24*time.Hour || s != 2*time.Hour {
		t.Errorf("OVHTimeframeWindow(monthly) = %v, %v, %v", w, s, ok)
	}
}

func TestOVHAccountsIsACopy(t *testing.T) {
	a := OVHAccounts()
	a[0].Lines[0].Description = "changed"
	a[0].Description = "changed"
	if b := OVHAccounts(); b[0].Lines[0].Description != "Reception desk" || b[0].Description != "Head office" {
		t.Fatal("OVHAccounts shares its data")
	}
}

// testWallClock is a settable real clock for the sliding windows.
type testWallClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testWallClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testWallClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestOVHRateLimit(t *testing.T) {
	clock := &testWallClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv, _ := newOVHTestServer(t, Config{OVHRequestsPerMinute: 3, wallNow: clock.Now})
	tooMany := map[string]any{"class": "Client::TooManyRequests", "message": "Too many requests"}
	call := func(auth ovhAuth) (*http.Response, []byte) {
		return ovhCall(t, srv, "GET", "/telephony", "", auth)
	}

	for i := range 3 {
		if resp, body := call(signedBy(OVHConsumerKey)); resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i+1, resp.StatusCode, body)
		}
		clock.Advance(10 * time.Second)
	}
	resp, body := call(signedBy(OVHConsumerKey))
	checkOVHError(t, resp, body, 429, tooMany)
	if ra := resp.Header.Get("Retry-After"); ra != "30" { // the first call leaves the window in 30 s
		t.Errorf("Retry-After %q, want 30", ra)
	}
	// Another consumer key has its own window, OAuth2 too.
	if resp, _ := call(signedBy(OVHConsumerKeyLimited)); resp.StatusCode != 200 {
		t.Errorf("another consumer key: %d", resp.StatusCode)
	}
	token := ovhTestToken(t, srv, OVHClientID) // the token endpoint is not limited
	if resp, _ := call(ovhAuth{token: token}); resp.StatusCode != 200 {
		t.Errorf("oauth2: %d", resp.StatusCode)
	}
	// Refused calls do not count: once the first call has left the window,
	// one more is admitted.
	clock.Advance(29 * time.Second)
	if resp, _ := call(signedBy(OVHConsumerKey)); resp.StatusCode != 429 {
		t.Errorf("at 59 s: %d, want 429", resp.StatusCode)
	}
	clock.Advance(1 * time.Second)
	if resp, body := call(signedBy(OVHConsumerKey)); resp.StatusCode != 200 {
		t.Errorf("at 60 s: %d %s, want 200", resp.StatusCode, body)
	}
	if resp, _ := call(signedBy(OVHConsumerKey)); resp.StatusCode != 429 {
		t.Errorf("at 60 s, again: %d, want 429", resp.StatusCode)
	}
}

func TestOVHRouteParsing(t *testing.T) {
	tests := []struct {
		path string
		want ovhRoute
	}{
		{"/auth/time", ovhRoute{op: ovhOpTime}},
		{"/telephony", ovhRoute{op: ovhOpAccounts}},
		{"/telephony/a%2Db", ovhRoute{op: ovhOpAccountInfo, account: "a-b"}},
		{"/telephony/a%2Fb/line", ovhRoute{op: ovhOpLines, account: "a/b"}},
		{"/telephony/a/line/l/statistics", ovhRoute{op: ovhOpStatistics, account: "a", line: "l"}},
		{"/telephony/a/line/l/statistics/x", ovhRoute{op: ovhOpUnknown}},
		{"/telephony/%zz", ovhRoute{op: ovhOpUnknown}},
		{"/", ovhRoute{op: ovhOpUnknown}},
	}
	for _, tt := range tests {
		if got := parseOVHRoute(tt.path); got != tt.want {
			t.Errorf("parseOVHRoute(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}

func TestOVHDrawUniform(t *testing.T) {
	// Sanity of the hash: uniform enough that its mean is about one half.
	sum := 0.0
	for ts := range int64(20000) {
		sum += ovhDraw("0033123456789", "rtpMos", ts*60, "noise")
	}
	if m := sum / 20000; math.Abs(m-0.5) > 0.01 {
		t.Errorf("mean draw %.3f", m)
	}
}
