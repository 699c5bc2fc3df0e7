package ovh

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/models"
)

func TestResolveEndpoint(t *testing.T) {
	cases := []struct {
		in, base, name, err string
	}{
		{"ovh-eu", "https://eu.api.ovh.com/1.0", "ovh-eu", ""},
		{"ovh-ca", "https://ca.api.ovh.com/1.0", "ovh-ca", ""},
		{"ovh-us", "https://api.us.ovhcloud.com/1.0", "ovh-us", ""},
		{"kimsufi-eu", "https://eu.api.kimsufi.com/1.0", "kimsufi-eu", ""},
		{"kimsufi-ca", "https://ca.api.kimsufi.com/1.0", "kimsufi-ca", ""},
		{"soyoustart-eu", "https://eu.api.soyoustart.com/1.0", "soyoustart-eu", ""},
		{"soyoustart-ca", "https://ca.api.soyoustart.com/1.0", "soyoustart-ca", ""},
		{"http://127.0.0.1:8089/ovh/1.0", "http://127.0.0.1:8089/ovh/1.0", "", ""},
		{"https://proxy.example.com/ovh/1.0/", "https://proxy.example.com/ovh/1.0", "", ""},
		{"HTTP://127.0.0.1:8089/ovh/1.0", "http://127.0.0.1:8089/ovh/1.0", "", ""},
		{"ovh-fr", "", "", `ovhEndpoint "ovh-fr" is neither one of kimsufi-ca, kimsufi-eu, ovh-ca, ovh-eu, ovh-us, soyoustart-ca, soyoustart-eu nor a base URL`},
	}
	for _, tc := range cases {
		ep, err := resolveEndpoint(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
			}
		case err != nil || ep.baseURL != tc.base || ep.name != tc.name:
			t.Errorf("%s: %+v %v, want %s %q", tc.in, ep, err, tc.base, tc.name)
		}
	}
}

func TestTokenURL(t *testing.T) {
	cases := []struct {
		endpoint, override, want, err string
	}{
		{"ovh-eu", "", "https://www.ovh.com/auth/oauth2/token", ""},
		{"ovh-ca", "", "https://ca.ovh.com/auth/oauth2/token", ""},
		{"ovh-us", "", "https://us.ovhcloud.com/auth/oauth2/token", ""},
		{"http://127.0.0.1:8089/ovh/1.0", "", "http://127.0.0.1:8089/ovh/1.0/auth/oauth2/token", ""},
		{"http://127.0.0.1:8089/ovh/1.0", "https://auth.example.com/token", "https://auth.example.com/token", ""},
		{"kimsufi-eu", "", "", "exist only on ovh-eu, ovh-ca and ovh-us, not on kimsufi-eu"},
		{"soyoustart-ca", "", "", "not on soyoustart-ca: use an application key and consumer key"},
	}
	for _, tc := range cases {
		ep, err := resolveEndpoint(tc.endpoint)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ep.tokenURL(tc.override)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.endpoint, err, tc.err)
			}
		case err != nil || got != tc.want:
			t.Errorf("%s %s: %q %v, want %q", tc.endpoint, tc.override, got, err, tc.want)
		}
	}
}

// New refuses what cannot work, with the reason.
func TestNewRefuses(t *testing.T) {
	s := testSettings()
	oauth2Settings(s)
	s.OVH.Endpoint = "kimsufi-eu"
	if _, err := New(s, testDeps(t)); err == nil || !strings.Contains(err.Error(), "OAuth2 service accounts (ovhAuthMethod oauth2) exist only on ovh-eu, ovh-ca and ovh-us") {
		t.Errorf("OAuth2 on kimsufi-eu: %v", err)
	}
	s = testSettings()
	s.OVH.Endpoint = "eu"
	if _, err := New(s, testDeps(t)); err == nil || !strings.Contains(err.Error(), `ovhEndpoint "eu"`) {
		t.Errorf("unknown endpoint: %v", err)
	}
}

// go-ovh's constructors read OVH_* variables and ovh.conf files; the source
// must use the data source's settings and nothing else.
func TestEnvironmentAndConfigFilesAreIgnored(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = emptyStats })
	dir := t.TempDir()
	conf := "[default]\nendpoint=http://127.0.0.1:1/1.0\n\n[http://127.0.0.1:1/1.0]\napplication_key=conf-app-key\napplication_secret=conf-app-secret\nconsumer_key=conf-consumer-key\n" +
		"[ovh-eu]\napplication_key=conf-app-key\napplication_secret=conf-app-secret\nconsumer_key=conf-consumer-key\n"
	for _, name := range []string{"ovh.conf", ".ovh.conf"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	t.Setenv("HOME", dir)
	t.Setenv("OVH_ENDPOINT", "http://127.0.0.1:1/1.0")
	t.Setenv("OVH_APPLICATION_KEY", "env-app-key")
	t.Setenv("OVH_APPLICATION_SECRET", "env-app-secret")
	t.Setenv("OVH_CONSUMER_KEY", "env-consumer-key")
	t.Setenv("OVH_CLIENT_ID", "env-client-id")
	t.Setenv("OVH_CLIENT_SECRET", "env-client-secret")

	s := testSettings()
	s.OVH.Endpoint = f.srv.URL + "/1.0"
	src, err := New(s, testDeps(t)) // the production constructor
	if err != nil {
		t.Fatal(err)
	}
	defer src.Dispose()
	resp := src.HandleQuery(context.Background(), oneSeries())
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	calls := f.statsCalls()
	if len(calls) != 1 {
		t.Fatalf("%d statistics calls reached the configured endpoint, want 1", len(calls))
	}
	h := calls[0].Header
	if h.Get("X-Ovh-Application") != testAppKey || h.Get("X-Ovh-Consumer") != testConsumerKey {
		t.Errorf("signed as %q/%q, want the settings' keys", h.Get("X-Ovh-Application"), h.Get("X-Ovh-Consumer"))
	}
	// The fake verified the signature with the settings' secret.
}

// A service account gets one token (client credentials, scope "all") and
// sends it as a Bearer token; no signature, no clock.
func TestOAuth2Flow(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = emptyStats })
	src := newTestSource(t, f, oauth2Settings)
	for range 2 {
		if resp := src.HandleQuery(context.Background(), oneSeries()); resp.Error != nil {
			t.Fatal(resp.Error)
		}
	}
	calls := f.statsCalls()
	if len(calls) != 2 {
		t.Fatalf("%d statistics calls", len(calls))
	}
	for _, c := range calls {
		if c.Header.Get("Authorization") != "Bearer tok-1" || c.Header.Get("X-Ovh-Signature") != "" || c.Header.Get("X-Ovh-Application") != "" {
			t.Errorf("headers %v", c.Header)
		}
	}
	if len(f.tokenCalls()) != 1 || f.tokenCalls()[0] != "/1.0/auth/oauth2/token" {
		t.Errorf("token requests %v, want one at /1.0/auth/oauth2/token", f.tokenCalls())
	}
	if f.timeCalls() != 0 {
		t.Errorf("GET /auth/time called %d times with OAuth2", f.timeCalls())
	}
}

// ovhTokenUrl overrides the token URL of a custom base URL.
func TestOAuth2TokenURLOverride(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = emptyStats })
	src := newTestSource(t, f, oauth2Settings, func(s *models.Settings) { s.OVH.TokenURL = "http://ovh.test/custom/token" })
	if resp := src.HandleQuery(context.Background(), oneSeries()); resp.Error != nil {
		t.Fatal(resp.Error)
	}
	if len(f.tokenCalls()) != 1 || f.tokenCalls()[0] != "/custom/token" {
		t.Errorf("token requests %v, want one at /custom/token", f.tokenCalls())
	}
}

// A token OVHcloud stops accepting fails that call, and the next call gets a
// new token.
func TestOAuth2RejectedTokenIsReplaced(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle = emptyStats })
	src := newTestSource(t, f, oauth2Settings)
	if resp := src.HandleQuery(context.Background(), oneSeries()); resp.Error != nil {
		t.Fatal(resp.Error)
	}
	f.set(func(f *fakeOVH) { f.token = "revoked" })
	resp := src.HandleQuery(context.Background(), oneSeries())
	if resp.Error == nil || resp.Status != backend.StatusUnauthorized || !strings.Contains(resp.Error.Error(), "check ovhClientId and ovhClientSecret") {
		t.Fatalf("status %d error %v", resp.Status, resp.Error)
	}
	if resp := src.HandleQuery(context.Background(), oneSeries()); resp.Error != nil {
		t.Fatalf("after a new token: %v", resp.Error)
	}
	if len(f.tokenCalls()) != 2 {
		t.Errorf("%d token requests, want 2", len(f.tokenCalls()))
	}
}

// A wrong client id or secret is named as such, without the secret.
func TestOAuth2InvalidClient(t *testing.T) {
	f := newFake(t, nil)
	src := newTestSource(t, f, oauth2Settings, func(s *models.Settings) { s.OVH.ClientSecret = "wrong-secret-value" })
	resp := src.HandleQuery(context.Background(), oneSeries())
	msg := ""
	if resp.Error != nil {
		msg = resp.Error.Error()
	}
	if resp.Status != backend.StatusUnauthorized || !strings.Contains(msg, "OVHcloud rejected the OAuth2 client id or secret") ||
		!strings.Contains(msg, "(OVH query id "+testQueryID+")") || strings.Contains(msg, "wrong-secret-value") {
		t.Errorf("status %d message %q", resp.Status, msg)
	}
	if n := len(f.statsCalls()); n != 0 {
		t.Errorf("%d statistics calls without a token", n)
	}
}

// Token endpoint failures other than a bad client, in plain words.
func TestTokenErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"invalid_client", 400, `{"error":"invalid_client"}`, "rejected the OAuth2 client id or secret"},
		{"401 without a code", 401, `nope`, "rejected the OAuth2 client id or secret"},
		{"invalid_scope", 400, `{"error":"invalid_scope"}`, `refused an OAuth2 token (invalid_scope)`},
		{"5xx", 503, `{}`, "token endpoint failed (503 Service Unavailable) — try again later"},
		{"404", 404, `not here`, "token endpoint answered 404 Not Found — check ovhEndpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reply(w, tc.status, tc.body) }))
			ts := &tokenSource{hc: srv.Client(), timeout: 2 * time.Second}
			ts.cfg.TokenURL = srv.URL + "/token"
			ts.cfg.ClientID, ts.cfg.ClientSecret = "id", "secret"
			_, err := ts.current(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
