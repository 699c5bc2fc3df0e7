package models

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestLoadSettings(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{
		JSONData: []byte(`{"ovhApplicationKey":"ak","onappUrl":"https://cdn.example.com/","onappUser":"u","pulseUrl":"https://p.example.com",
			"timeoutSeconds":"12","cacheTTLSeconds":0,"maxPages":50,"ovhRequestsPerMinute":30}`),
		DecryptedSecureJSONData: map[string]string{"ovhApplicationSecret": "as", "ovhConsumerKey": "ck", "onappApiKey": "k", "pulseToken": "t"},
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case s.OVH.Endpoint != "ovh-eu" || s.OVH.AuthMethod != OVHAuthKeys || len(s.OVH.Missing()) != 0:
		t.Errorf("ovh %+v", s.OVH)
	case s.OnApp.API != OnAppAPILegacy || s.OnApp.TimeZone != "UTC" || s.OnApp.Format != "json" || len(s.OnApp.Missing()) != 0:
		t.Errorf("onapp %+v", s.OnApp)
	case s.Timeout != 12*time.Second || s.CacheTTL != -1 || s.MaxPages != 50 || s.OVHRequestsPerMinute != 30:
		t.Errorf("tuning %+v", s)
	case strings.Join(s.Secrets(), ",") != "as,ck,k,t":
		t.Errorf("secrets %v", s.Secrets())
	}
}

func TestLoadSettingsDefaultsAndOptionalSources(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if s.OVH.Configured() || s.OnApp.Configured() || s.Pulse.Configured() {
		t.Errorf("nothing was configured: %+v", s)
	}
	if s.Timeout != DefaultTimeout || s.MaxPages != DefaultMaxPages || s.OVHRequestsPerMinute != DefaultOVHRequestsPerMinute || s.CacheTTL != 0 {
		t.Errorf("defaults %+v", s)
	}
	o, _ := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(`{"ovhAuthMethod":"oauth2","ovhClientId":"id"}`)})
	if got := strings.Join(o.OVH.Missing(), ","); got != "ovhClientSecret" {
		t.Errorf("oauth2 missing %q", got)
	}
}

func TestLoadSettingsRejectsNonsense(t *testing.T) {
	for _, jd := range []string{
		`{"timeoutSeconds":0}`, `{"maxPages":-1}`, `{"ovhRequestsPerMinute":0}`, `{"pulseUrl":"ftp://x"}`,
		`{"ovhEndpoint":"https://x.example.com/1.0?debug=1"}`, `{"onappFormat":"yaml"}`, `{"onappTimeZone":"Nowhere/City"}`, `not json`,
	} {
		if _, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(jd)}); err == nil {
			t.Errorf("%s accepted", jd)
		}
	}
}

func TestLoadSettingsAlertingShare(t *testing.T) {
	for _, tc := range []struct {
		jd   string
		want float64
	}{{`{}`, DefaultOVHAlertingShare}, {`{"ovhAlertingShare":0}`, 0}, {`{"ovhAlertingShare":"0.25"}`, 0.25}, {`{"ovhAlertingShare":0.99}`, 0.99}, {`{"ovhAlertingShare":""}`, DefaultOVHAlertingShare}} {
		s, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(tc.jd)})
		if err != nil || s.OVHAlertingShare != tc.want {
			t.Errorf("%s: %v %v, want %v", tc.jd, s, err, tc.want)
		}
	}
	for _, jd := range []string{`{"ovhAlertingShare":1}`, `{"ovhAlertingShare":-0.1}`, `{"ovhAlertingShare":1.5}`, `{"ovhAlertingShare":"half"}`} {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(jd)})
		if err == nil || !strings.Contains(err.Error(), "ovhAlertingShare") && !strings.Contains(err.Error(), "not a number") {
			t.Errorf("%s: %v", jd, err)
		}
	}
}

// TestURLSettingErrorsHideCredentials proves that a URL setting refused for
// any reason is quoted without its user-info, query or fragment, bounded,
// and named by its key.
func TestURLSettingErrorsHideCredentials(t *testing.T) {
	for _, tc := range []struct{ key, url, shown string }{
		{"pulseUrl", "ftp://admin:pw-secret-1@pulse.example.com/api", `"ftp://[redacted]@pulse.example.com/api"`},
		{"onappUrl", "https://u:pw-secret-1@cdn.example.com:badport/", `"https://[redacted]@cdn.example.com:badport/"`},
		{"onappUrl", "https://u:pw-secret-1@%zz.example.com/", `"https://[redacted]@%zz.example.com/"`},
		{"ovhTokenUrl", "https://u:pw-secret-1@x y.example.com/token?client_secret=pw-secret-1", `"https://[redacted]@x y.example.com/token?[redacted]"`},
		{"ovhEndpoint", "gopher://user:pw-secret-1@host/1.0", `"gopher://[redacted]@host/1.0"`},
		{"pulseUrl", "pw-secret-1:x@/nowhere", `"[redacted]@/nowhere"`},
		{"pulseUrl", "mailto:pw-secret-1", ``},
	} {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(`{"` + tc.key + `":` + strconvQuote(tc.url) + `}`)})
		if err == nil {
			t.Errorf("%s accepted", tc.url)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "pw-secret-1") && tc.shown != "" || !strings.HasPrefix(msg, tc.key+" ") || !strings.Contains(msg, tc.shown) {
			t.Errorf("%s: %s", tc.url, msg)
		}
	}
	long := "https://u:pw@" + strings.Repeat("h", 1<<20) + ":x/"
	_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(`{"pulseUrl":"` + long + `"}`)})
	if err == nil || len(err.Error()) > 300 || strings.Contains(err.Error(), "u:pw") {
		t.Errorf("long URL: %.300v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.example.com/1.0":       `"https://api.example.com/1.0"`,
		"https://a:b@api.example.com/1.0":   `"https://[redacted]@api.example.com/1.0"`,
		"https://a@b@api.example.com/x@y":   `"https://[redacted]@api.example.com/x@y"`,
		"https://api.example.com/p?key=s#f": `"https://api.example.com/p?[redacted]"`,
		"api.example.com:443":               `"api.example.com:443"`,
		"u:p@host":                          `"[redacted]@host"`,
		"":                                  `""`,
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCredentialsThatCannotBeSent: a credential holding a line break or a
// control character is refused at load time, naming the setting and never
// its value; surrounding white space of a secret too (it is not trimmed).
func TestCredentialsThatCannotBeSent(t *testing.T) {
	const value = "s3cr3t-value-9f"
	cases := []struct {
		key, jd string
		secure  map[string]string
		want    string
	}{
		{"pulseToken", `{"pulseUrl":"https://p.example.com"}`, map[string]string{"pulseToken": value + "\n"}, "pulseToken ends with a line break or space, which is not part of it — paste it again without it"},
		{"pulseToken", `{"pulseUrl":"https://p.example.com"}`, map[string]string{"pulseToken": value + "\r\n"}, "pulseToken ends with a line break"},
		{"pulseToken", `{"pulseUrl":"https://p.example.com"}`, map[string]string{"pulseToken": " " + value}, "pulseToken begins with a space or line break"},
		{"pulseToken", `{"pulseUrl":"https://p.example.com"}`, map[string]string{"pulseToken": "\n\t "}, "pulseToken holds only white space"},
		{"pulseToken", `{"pulseUrl":"https://p.example.com"}`, map[string]string{"pulseToken": value + "\nX-Other: 1"}, "pulseToken holds a line break or control character, which cannot be sent in an HTTP header — paste it again"},
		{"ovhConsumerKey", `{}`, map[string]string{"ovhApplicationSecret": value, "ovhConsumerKey": "ck\x00" + value}, "ovhConsumerKey holds a line break or control character, which cannot be sent in an HTTP header"},
		{"ovhApplicationSecret", `{}`, map[string]string{"ovhApplicationSecret": value + "\n"}, "ovhApplicationSecret ends with a line break"},
		{"ovhApplicationKey", `{"ovhApplicationKey":"ak\u007f1"}`, nil, "ovhApplicationKey holds a line break or control character, which cannot be sent in an HTTP header"},
		{"ovhClientId", `{"ovhAuthMethod":"oauth2","ovhClientId":"id\u0001x"}`, nil, "ovhClientId holds a line break or control character, which no credential contains"},
		{"ovhClientSecret", `{"ovhAuthMethod":"oauth2","ovhClientId":"id"}`, map[string]string{"ovhClientSecret": "a\tb" + value}, "ovhClientSecret holds a line break or control character, which no credential contains"},
		{"onappApiKey", `{"onappUrl":"https://cdn.example.com","onappUser":"u"}`, map[string]string{"onappApiKey": value + "\n"}, "onappApiKey ends with a line break"},
		{"onappUser", `{"onappUrl":"https://cdn.example.com","onappUser":"u\nv"}`, nil, "onappUser holds a line break or control character"},
		{"onappUser", `{"onappUrl":"https://cdn.example.com","onappUser":"u:v"}`, nil, "onappUser holds a colon, which basic authentication cannot carry"},
	}
	for _, tc := range cases {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(tc.jd), DecryptedSecureJSONData: tc.secure})
		if err == nil {
			t.Errorf("%s %q accepted", tc.key, tc.secure)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, tc.want) || strings.Contains(msg, value) {
			t.Errorf("%s: %q, want %q", tc.key, msg, tc.want)
		}
	}
	// Non-secret fields are trimmed, as every jsonData field is; secrets
	// with inner spaces or non-ASCII stay accepted (they can be sent).
	s, err := LoadSettings(backend.DataSourceInstanceSettings{
		JSONData:                []byte(`{"ovhApplicationKey":" ak \n","onappUrl":"https://cdn.example.com","onappUser":" me@example.com\n"}`),
		DecryptedSecureJSONData: map[string]string{"ovhApplicationSecret": "a b", "ovhConsumerKey": "ck", "onappApiKey": "clé", "pulseToken": "t"},
	})
	if err != nil || s.OVH.ApplicationKey != "ak" || s.OnApp.User != "me@example.com" {
		t.Errorf("%+v %v", s, err)
	}
}

// Load fails only on what every source shares; each source's own problem is
// its Check's, and LoadSettings fails on any of them.
func TestLoadLeavesSourceProblemsToTheirSource(t *testing.T) {
	raw := backend.DataSourceInstanceSettings{
		JSONData:                []byte(`{"pulseUrl":"https://pulse.example.com","onappUrl":"ftp://admin:pw@cdn","onappUser":"u"}`),
		DecryptedSecureJSONData: map[string]string{"pulseToken": "tok\nen", "onappApiKey": "k"},
	}
	s, err := Load(raw)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := s.Pulse.Check(); err == nil || !strings.Contains(err.Error(), "pulseToken") || strings.Contains(err.Error(), "tok") {
		t.Errorf("Pulse.Check: %v", err)
	}
	if err := s.OnApp.Check(); err == nil || !strings.Contains(err.Error(), "onappUrl") || strings.Contains(err.Error(), "pw") {
		t.Errorf("OnApp.Check: %v", err)
	}
	if err := s.OVH.Check(); err != nil {
		t.Errorf("OVH.Check of an unconfigured source: %v", err)
	}
	if _, err := LoadSettings(raw); err == nil {
		t.Error("LoadSettings accepted a source's broken settings")
	}
}

// testPEMs makes a self-signed certificate and its key, in PEM.
func testPEMs(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

func loadJSON(t *testing.T, jd map[string]any, sec map[string]string) (*Settings, error) {
	t.Helper()
	raw, err := json.Marshal(jd)
	if err != nil {
		t.Fatal(err)
	}
	return Load(backend.DataSourceInstanceSettings{JSONData: raw, DecryptedSecureJSONData: sec})
}

func TestTLSSettingsPerSource(t *testing.T) {
	ca, _ := testPEMs(t)
	cert, key := testPEMs(t)
	s, err := loadJSON(t, map[string]any{
		"ovhEndpoint": "https://ovh.example.com/1.0", "ovhTlsSkipVerify": "true",
		"onappUrl": "https://cdn.example.com", "onappTlsAuth": true, "onappTlsAuthWithCACert": false,
		"pulseUrl": "https://pulse.example.com", "pulseTlsAuthWithCACert": true,
		"enableSecureSocksProxy": true,
	}, map[string]string{
		"onappTlsClientCert": cert, "onappTlsClientKey": key, "onappTlsCACert": "ignored: the switch is off",
		"pulseTlsCACert": ca, "secureSocksProxyPassword": "proxy-password-42",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, check := range []func() error{s.OVH.Check, s.OnApp.Check, s.Pulse.Check} {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
	if !s.SecureSocksProxy {
		t.Error("enableSecureSocksProxy is lost")
	}
	if o := s.OVH.TLS.Options(); o == nil || !o.InsecureSkipVerify || o.CACertificate != "" || o.ClientCertificate != "" {
		t.Errorf("ovh TLS %+v", o)
	}
	if o := s.OnApp.TLS.Options(); o == nil || o.InsecureSkipVerify || o.CACertificate != "" || o.ClientCertificate != cert || o.ClientKey != key {
		t.Errorf("onapp TLS %+v", o)
	}
	if o := s.Pulse.TLS.Options(); o == nil || o.InsecureSkipVerify || o.CACertificate != ca || o.ClientCertificate != "" {
		t.Errorf("pulse TLS %+v", o)
	}
	if o := (TLSSettings{Prefix: "pulse", CACert: ca}).Options(); o != nil {
		t.Errorf("with every switch off: %+v, want nil (the system's CAs)", o)
	}
	secrets := strings.Join(s.Secrets(), "\x00")
	for _, v := range []string{ca, cert, key, "proxy-password-42"} {
		if !strings.Contains(secrets, v) {
			t.Error("a PEM or the proxy password is missing from Secrets")
		}
	}
}

func TestTLSSettingsErrorsNameTheKeyNeverTheValue(t *testing.T) {
	cert, key := testPEMs(t)
	otherCert, _ := testPEMs(t)
	garbage := "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxsLCBqdXN0IHRleHQ=\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct {
		name   string
		jd     map[string]any
		sec    map[string]string
		key    string // the key the message must name
		fixMsg string // a piece of the message saying what to do
	}{
		{"CA switch without CA", map[string]any{"onappTlsAuthWithCACert": true}, nil, "onappTlsCACert", "paste the PEM of the CA certificate"},
		{"CA that is no PEM", map[string]any{"onappTlsAuthWithCACert": true}, map[string]string{"onappTlsCACert": "MIIB-not-pem-at-all-3141592653"}, "onappTlsCACert", "is not a PEM certificate"},
		{"CA that does not parse", map[string]any{"onappTlsAuthWithCACert": true}, map[string]string{"onappTlsCACert": garbage}, "onappTlsCACert", "certificate 1 does not parse"},
		{"CA that is a key", map[string]any{"onappTlsAuthWithCACert": true}, map[string]string{"onappTlsCACert": key}, "onappTlsCACert", "no certificate block found"},
		{"client auth without PEMs", map[string]any{"onappTlsAuth": true}, nil, "onappTlsClientCert", "onappTlsClientKey are empty"},
		{"client auth without key", map[string]any{"onappTlsAuth": true}, map[string]string{"onappTlsClientCert": cert}, "onappTlsClientKey", "is empty"},
		{"client auth without cert", map[string]any{"onappTlsAuth": true}, map[string]string{"onappTlsClientKey": key}, "onappTlsClientCert", "is empty"},
		{"client cert that is no PEM", map[string]any{"onappTlsAuth": true}, map[string]string{"onappTlsClientCert": "junk-value-2718281828", "onappTlsClientKey": key}, "onappTlsClientCert", "is not a PEM certificate"},
		{"client key that is no PEM", map[string]any{"onappTlsAuth": true}, map[string]string{"onappTlsClientCert": cert, "onappTlsClientKey": "junk-value-1618033988"}, "onappTlsClientKey", "is not a PEM private key"},
		{"key of another certificate", map[string]any{"onappTlsAuth": true}, map[string]string{"onappTlsClientCert": otherCert, "onappTlsClientKey": key}, "onappTlsClientKey", "do not make a pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.jd["onappUrl"] = "https://cdn.example.com"
			tc.jd["pulseUrl"] = "https://pulse.example.com"
			tc.jd["pulseTlsSkipVerify"] = true
			s, err := loadJSON(t, tc.jd, tc.sec)
			if err != nil {
				t.Fatalf("Load must leave a source's TLS problem to that source: %v", err)
			}
			if err := s.Pulse.Check(); err != nil {
				t.Fatalf("another source fails too: %v", err)
			}
			err = s.OnApp.Check()
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.key) || !strings.Contains(msg, tc.fixMsg) {
				t.Errorf("message %q, want it to name %s and say %q", msg, tc.key, tc.fixMsg)
			}
			for _, v := range tc.sec {
				for _, line := range strings.Split(v, "\n") {
					if strings.HasPrefix(line, "-----") {
						continue
					}
					for i := 0; i+8 <= len(line); i++ {
						if strings.Contains(msg, line[i:i+8]) {
							t.Fatalf("message %q quotes the value (%q)", msg, line[i:i+8])
						}
					}
				}
			}
			if _, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: mustJSON(t, tc.jd), DecryptedSecureJSONData: tc.sec}); err == nil {
				t.Error("LoadSettings accepted it")
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTLSSwitchesMustBeBooleans(t *testing.T) {
	for jd, want := range map[string]string{
		`{"enableSecureSocksProxy":"true"}`: "enableSecureSocksProxy must be true or false without quotes: Grafana reads only a JSON boolean there",
		`{"enableSecureSocksProxy":"on"}`:   "enableSecureSocksProxy must be true or false",
	} {
		_, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(jd)})
		if err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", jd, err, want)
		}
	}
	// A TLS switch that is no boolean fails its source alone.
	s, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{"onappTlsSkipVerify":"yes","pulseTlsAuth":1,"pulseTlsSkipVerify":{"x":1}}`)})
	if err != nil {
		t.Fatalf("Load must leave a source's TLS switch to that source: %v", err)
	}
	if err := s.OnApp.Check(); err == nil || err.Error() != "onappTlsSkipVerify must be true or false" {
		t.Errorf("onapp: %v", err)
	}
	if err := s.Pulse.Check(); err == nil || err.Error() != "pulseTlsSkipVerify must be true or false" {
		t.Errorf("pulse: %v", err)
	}
	if err := s.OVH.Check(); err != nil {
		t.Errorf("ovh: %v", err)
	}
	for jd, want := range map[string]bool{
		`{"enableSecureSocksProxy":true}`: true, `{"enableSecureSocksProxy":false}`: false, `{"enableSecureSocksProxy":null}`: false, `{}`: false,
	} {
		s, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(jd)})
		if err != nil || s.SecureSocksProxy != want {
			t.Errorf("%s: %v %v, want %v", jd, s.SecureSocksProxy, err, want)
		}
	}
	s, err = Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{"ovhTlsAuthWithCACert":"false","ovhTlsAuth":"","ovhTlsSkipVerify":null}`)})
	if err != nil || s.OVH.TLS.Options() != nil {
		t.Errorf("quoted false, empty and null switches: %v %+v", err, s)
	}
}

func TestLoadSharedCacheSettings(t *testing.T) {
	s, err := Load(backend.DataSourceInstanceSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Shared.Enabled() || s.Shared.Replicas != DefaultSharedCacheReplicas {
		t.Errorf("no shared cache by default: %+v", s.Shared)
	}
	s, err = Load(backend.DataSourceInstanceSettings{
		JSONData:                []byte(`{"sharedCacheUrl":" rediss://redis.example.com:6380/2 ","sharedCacheReplicas":"2"}`),
		DecryptedSecureJSONData: map[string]string{"sharedCachePassword": "redis-pw"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Shared.URL != "rediss://redis.example.com:6380/2" || s.Shared.Password != "redis-pw" || s.Shared.Replicas != 2 || !s.Shared.Enabled() {
		t.Errorf("shared %+v", s.Shared)
	}
	if !strings.Contains(strings.Join(s.Secrets(), ","), "redis-pw") {
		t.Errorf("the shared cache's password is no secret: %v", s.Secrets())
	}
}

func TestSharedCacheSettingsErrorsNameTheKeyNeverThePassword(t *testing.T) {
	for _, tc := range []struct{ jd, key string }{
		{`{"sharedCacheUrl":"http://redis:6379"}`, "sharedCacheUrl"},
		{`{"sharedCacheUrl":"redis://"}`, "sharedCacheUrl"},
		{`{"sharedCacheUrl":"redis://:hunter2secret@redis:6379/0"}`, "sharedCachePassword"},
		{`{"sharedCacheUrl":"redis://user:hunter2secret@redis:6379/zero"}`, "sharedCacheUrl"},
		{`{"sharedCacheUrl":"redis://redis:6379/db"}`, "sharedCacheUrl"},
		{`{"sharedCacheUrl":"redis ://user:hunter2secret@redis"}`, "sharedCacheUrl"},
		{`{"sharedCacheUrl":"redis://redis:6379/0","sharedCacheReplicas":0}`, "sharedCacheReplicas"},
		{`{"sharedCacheReplicas":"three"}`, "three"},
	} {
		_, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(tc.jd)})
		if err == nil {
			t.Errorf("%s accepted", tc.jd)
			continue
		}
		if !strings.Contains(err.Error(), tc.key) || strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("%s: %v", tc.jd, err)
		}
	}
	if _, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{"sharedCacheUrl":"redis://ops@redis:6379"}`)}); err != nil {
		t.Errorf("a Redis user name without password is refused: %v", err)
	}
}
