// Package models holds the plugin's public contract: the data-source settings
// and the query models. src/types.ts mirrors this package by hand; change both
// together (and the CHANGELOG), since users write these names into
// provisioning files, dashboards and alert rules.
package models

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // onappTimeZone names must resolve in a static binary with no zoneinfo

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// OVH authentication methods (jsonData.ovhAuthMethod).
const (
	OVHAuthKeys   = "keys"
	OVHAuthOAuth2 = "oauth2"
)

// OnApp API flavours (jsonData.onappApi).
const (
	OnAppAPILegacy  = "legacy"  // GET /cdn_resources/bandwidth.json (OnApp ≤ 5.5)
	OnAppAPIReports = "reports" // GET /cdn/reports/bandwidth_statistics (OnApp ≥ 5.6)
)

// Defaults of the tuning settings.
const (
	DefaultTimeout              = 30 * time.Second
	DefaultMaxPages             = 200
	DefaultOVHRequestsPerMinute = 60
	// DefaultMaxResponseBytes caps one upstream answer (a year of Pulse logs
	// at the largest page size stays far below it).
	DefaultMaxResponseBytes = 64 << 20
	// DefaultOVHAlertingShare is the share of ovhRequestsPerMinute kept for
	// alert rule evaluations: dashboards cannot use it.
	DefaultOVHAlertingShare = 0.5
)

// Settings is a data source's configuration: jsonData and the decrypted
// secureJsonData together. Each source is optional.
type Settings struct {
	OVH   OVHSettings
	OnApp OnAppSettings
	Pulse PulseSettings

	// Timeout bounds one upstream call (jsonData.timeoutSeconds).
	Timeout time.Duration
	// CacheTTL overrides every source's default cache lifetime when > 0
	// (jsonData.cacheTTLSeconds); a negative value turns the cache off.
	CacheTTL time.Duration
	// MaxPages caps the pages read for one paginated Pulse report.
	MaxPages int
	// OVHRequestsPerMinute is the rate guard per OVH credential.
	OVHRequestsPerMinute int
	// OVHAlertingShare is the share (0 ≤ x < 1) of OVHRequestsPerMinute
	// reserved for alerting requests (jsonData.ovhAlertingShare).
	OVHAlertingShare float64
	// MaxResponseBytes caps one upstream answer (jsonData.maxResponseBytes).
	MaxResponseBytes int64
	// SecureSocksProxy is jsonData.enableSecureSocksProxy: every source's
	// calls go through Grafana's Secure SOCKS proxy when Grafana enables it.
	// The SDK reads the key itself (into HTTPClient's ProxyOptions); it is
	// mirrored here for the contract.
	SecureSocksProxy bool
	// SecureSocksProxyPassword is the SDK's secureJsonData key
	// secureSocksProxyPassword, kept only to be scrubbed.
	SecureSocksProxyPassword string
	// HTTPClient is the instance settings' HTTP client options
	// (backend.DataSourceInstanceSettings.HTTPClientOptions): the Secure
	// SOCKS proxy and the labels of the SDK's metrics. Load leaves it nil;
	// the data source fills it in, since the options depend on the
	// request's Grafana configuration.
	HTTPClient *httpclient.Options
	// Shared is the cache, coalescing and OVH rate guard shared by Grafana's
	// replicas through Redis (sharedCacheUrl…); see SharedSettings.
	Shared SharedSettings
}

// OVHSettings configures the Telephony QoS source.
type OVHSettings struct {
	// Endpoint is one of the go-ovh endpoint names or a full base URL.
	Endpoint       string
	AuthMethod     string
	ApplicationKey string
	ClientID       string
	// TokenURL is the OAuth2 token URL for a custom base URL.
	TokenURL string
	// TLS applies to the API and token hosts (ovhTls…).
	TLS TLSSettings

	ApplicationSecret string
	ConsumerKey       string
	ClientSecret      string
}

// OnAppSettings configures the CDN bandwidth source.
type OnAppSettings struct {
	URL      string
	User     string
	API      string
	TimeZone string
	// Format is the answer format asked for: "json" (default) or "xml".
	Format string
	APIKey string
	// TLS is onappTls….
	TLS TLSSettings
}

// PulseSettings configures the Usage source.
type PulseSettings struct {
	URL   string
	Token string
	// TLS is pulseTls….
	TLS TLSSettings
}

// jsonData is the wire form of the non-secret settings. Numbers are accepted
// as JSON numbers or numeric strings, since hand-written provisioning files
// often quote them.
type jsonData struct {
	OVHEndpoint          string     `json:"ovhEndpoint"`
	OVHAuthMethod        string     `json:"ovhAuthMethod"`
	OVHApplicationKey    string     `json:"ovhApplicationKey"`
	OVHClientID          string     `json:"ovhClientId"`
	OVHTokenURL          string     `json:"ovhTokenUrl"`
	OnAppURL             string     `json:"onappUrl"`
	OnAppUser            string     `json:"onappUser"`
	OnAppAPI             string     `json:"onappApi"`
	OnAppTimeZone        string     `json:"onappTimeZone"`
	OnAppFormat          string     `json:"onappFormat"`
	PulseURL             string     `json:"pulseUrl"`
	TimeoutSeconds       flexNumber `json:"timeoutSeconds"`
	CacheTTLSeconds      flexNumber `json:"cacheTTLSeconds"`
	MaxPages             flexNumber `json:"maxPages"`
	OVHRequestsPerMinute flexNumber `json:"ovhRequestsPerMinute"`
	OVHAlertingShare     flexNumber `json:"ovhAlertingShare"`
	MaxResponseBytes     flexNumber `json:"maxResponseBytes"`
	SharedCacheURL       string     `json:"sharedCacheUrl"`
	SharedCacheReplicas  flexNumber `json:"sharedCacheReplicas"`
}

// Load reads a data source's settings and checks those every source shares.
// It fails only when the data source as a whole cannot work; each source's
// own problems (a malformed URL, a credential that cannot be sent) are
// reported by its Check method, so that they fail that source's queries and
// health line alone. Errors name the setting key and never contain a secret
// value.
func Load(s backend.DataSourceInstanceSettings) (*Settings, error) {
	var jd jsonData
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &jd); err != nil {
			return nil, fmt.Errorf("invalid data source settings (jsonData): %w", err)
		}
	}
	flags, err := switches(s.JSONData)
	if err != nil {
		return nil, err
	}
	sec := s.DecryptedSecureJSONData
	out := &Settings{
		OVH: OVHSettings{
			Endpoint:          strings.TrimSpace(jd.OVHEndpoint),
			AuthMethod:        strings.TrimSpace(jd.OVHAuthMethod),
			ApplicationKey:    strings.TrimSpace(jd.OVHApplicationKey),
			ClientID:          strings.TrimSpace(jd.OVHClientID),
			TokenURL:          strings.TrimSpace(jd.OVHTokenURL),
			ApplicationSecret: sec["ovhApplicationSecret"],
			ConsumerKey:       sec["ovhConsumerKey"],
			ClientSecret:      sec["ovhClientSecret"],
			TLS:               loadTLS(TLSPrefixOVH, flags, sec),
		},
		OnApp: OnAppSettings{
			URL:      strings.TrimSpace(jd.OnAppURL),
			User:     strings.TrimSpace(jd.OnAppUser),
			API:      strings.TrimSpace(jd.OnAppAPI),
			TimeZone: strings.TrimSpace(jd.OnAppTimeZone),
			Format:   strings.ToLower(strings.TrimSpace(jd.OnAppFormat)),
			APIKey:   sec["onappApiKey"],
			TLS:      loadTLS(TLSPrefixOnApp, flags, sec),
		},
		Pulse: PulseSettings{
			URL:   strings.TrimSpace(jd.PulseURL),
			Token: sec["pulseToken"],
			TLS:   loadTLS(TLSPrefixPulse, flags, sec),
		},
		Timeout:              seconds(jd.TimeoutSeconds, DefaultTimeout),
		MaxPages:             jd.MaxPages.intOr(DefaultMaxPages),
		OVHRequestsPerMinute: jd.OVHRequestsPerMinute.intOr(DefaultOVHRequestsPerMinute),
		MaxResponseBytes:     int64(jd.MaxResponseBytes.intOr(DefaultMaxResponseBytes)),
		OVHAlertingShare:     DefaultOVHAlertingShare,
		SecureSocksProxy:     flags[EnableSecureSocksProxyKey].v,
		// The SDK sends it to the Secure SOCKS proxy; kept here for scrubbing.
		SecureSocksProxyPassword: sec["secureSocksProxyPassword"],
		Shared: SharedSettings{
			URL:      strings.TrimSpace(jd.SharedCacheURL),
			Password: sec["sharedCachePassword"],
			Replicas: jd.SharedCacheReplicas.intOr(DefaultSharedCacheReplicas),
		},
	}
	if jd.OVHAlertingShare.set {
		out.OVHAlertingShare = jd.OVHAlertingShare.v
	}
	if jd.CacheTTLSeconds.set {
		out.CacheTTL = time.Duration(jd.CacheTTLSeconds.v * float64(time.Second))
		if jd.CacheTTLSeconds.v == 0 {
			out.CacheTTL = -1 // an explicit 0 turns the cache off
		}
	}
	if out.OVH.AuthMethod == "" {
		out.OVH.AuthMethod = OVHAuthKeys
	}
	if out.OVH.Endpoint == "" && out.OVH.anyCredential() {
		out.OVH.Endpoint = "ovh-eu"
	}
	if out.OnApp.API == "" {
		out.OnApp.API = OnAppAPILegacy
	}
	if out.OnApp.Format == "" {
		out.OnApp.Format = "json"
	}
	if out.OnApp.TimeZone == "" {
		out.OnApp.TimeZone = "UTC"
	}
	if err := out.validate(); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadSettings is Load, failing also on the first problem of any source's
// own settings (see the Check methods): for callers that need every source
// right.
func LoadSettings(s backend.DataSourceInstanceSettings) (*Settings, error) {
	out, err := Load(s)
	if err != nil {
		return nil, err
	}
	for _, check := range []func() error{out.OVH.Check, out.OnApp.Check, out.Pulse.Check} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// validate checks the settings every source shares; a problem there fails
// the whole data source.
func (s *Settings) validate() error {
	switch {
	case s.Timeout <= 0:
		return fmt.Errorf("timeoutSeconds must be positive")
	case s.MaxPages <= 0:
		return fmt.Errorf("maxPages must be positive")
	case s.OVHRequestsPerMinute <= 0:
		return fmt.Errorf("ovhRequestsPerMinute must be positive")
	case s.MaxResponseBytes <= 0:
		return fmt.Errorf("maxResponseBytes must be positive")
	case !(s.OVHAlertingShare >= 0 && s.OVHAlertingShare < 1):
		return fmt.Errorf("ovhAlertingShare must be a share from 0 (no reservation) to below 1, such as 0.5")
	}
	return s.Shared.check()
}

// Check reports the first problem of the OVH settings: an unknown auth
// method, a credential that cannot be sent, a malformed URL. It concerns
// the Telephony QoS source alone.
func (o OVHSettings) Check() error {
	if o.AuthMethod != OVHAuthKeys && o.AuthMethod != OVHAuthOAuth2 {
		return fmt.Errorf("ovhAuthMethod must be %q or %q, not %s", OVHAuthKeys, OVHAuthOAuth2, Quote(o.AuthMethod))
	}
	if err := checkCredentials(o.credentials()); err != nil {
		return err
	}
	if o.Endpoint != "" && strings.Contains(o.Endpoint, "/") {
		if err := checkBaseURL("ovhEndpoint", o.Endpoint); err != nil {
			return err
		}
	}
	if o.TokenURL != "" {
		if err := checkBaseURL("ovhTokenUrl", o.TokenURL); err != nil {
			return err
		}
	}
	return o.TLS.Check()
}

// Check reports the first problem of the OnApp settings; it concerns the
// CDN bandwidth source alone.
func (o OnAppSettings) Check() error {
	if err := checkCredentials(o.credentials()); err != nil {
		return err
	}
	if strings.Contains(o.User, ":") {
		return fmt.Errorf("onappUser holds a colon, which basic authentication cannot carry in a user name — use the OnApp account's login or e-mail")
	}
	if o.URL != "" {
		if err := checkBaseURL("onappUrl", o.URL); err != nil {
			return err
		}
	}
	if o.API != OnAppAPILegacy && o.API != OnAppAPIReports {
		return fmt.Errorf("onappApi must be %q or %q, not %s", OnAppAPILegacy, OnAppAPIReports, Quote(o.API))
	}
	if o.Format != "json" && o.Format != "xml" {
		return fmt.Errorf("onappFormat must be \"json\" or \"xml\", not %s", Quote(o.Format))
	}
	if _, err := time.LoadLocation(o.TimeZone); err != nil {
		return fmt.Errorf("onappTimeZone %s is not an IANA time zone name (e.g. UTC, Europe/Paris)", Quote(o.TimeZone))
	}
	return o.TLS.Check()
}

// Check reports the first problem of the Pulse settings; it concerns the
// Usage source alone.
func (p PulseSettings) Check() error {
	if err := checkCredentials(p.credentials()); err != nil {
		return err
	}
	if p.URL != "" {
		if err := checkBaseURL("pulseUrl", p.URL); err != nil {
			return err
		}
	}
	return p.TLS.Check()
}

// Configured reports whether any OVH setting was given.
func (o OVHSettings) Configured() bool { return o.Endpoint != "" || o.anyCredential() }

func (o OVHSettings) anyCredential() bool {
	return o.ApplicationKey != "" || o.ApplicationSecret != "" || o.ConsumerKey != "" ||
		o.ClientID != "" || o.ClientSecret != ""
}

// Missing lists the settings keys a configured OVH source still lacks.
func (o OVHSettings) Missing() []string {
	var m []string
	if o.AuthMethod == OVHAuthOAuth2 {
		m = appendIfEmpty(m, o.ClientID, "ovhClientId")
		m = appendIfEmpty(m, o.ClientSecret, "ovhClientSecret")
		return m
	}
	m = appendIfEmpty(m, o.ApplicationKey, "ovhApplicationKey")
	m = appendIfEmpty(m, o.ApplicationSecret, "ovhApplicationSecret")
	m = appendIfEmpty(m, o.ConsumerKey, "ovhConsumerKey")
	return m
}

// Configured reports whether any OnApp setting was given.
func (o OnAppSettings) Configured() bool { return o.URL != "" || o.User != "" || o.APIKey != "" }

// Missing lists the settings keys a configured OnApp source still lacks.
func (o OnAppSettings) Missing() []string {
	var m []string
	m = appendIfEmpty(m, o.URL, "onappUrl")
	m = appendIfEmpty(m, o.User, "onappUser")
	m = appendIfEmpty(m, o.APIKey, "onappApiKey")
	return m
}

// Configured reports whether any Pulse setting was given.
func (p PulseSettings) Configured() bool { return p.URL != "" || p.Token != "" }

// Missing lists the settings keys a configured Pulse source still lacks.
func (p PulseSettings) Missing() []string {
	var m []string
	m = appendIfEmpty(m, p.URL, "pulseUrl")
	m = appendIfEmpty(m, p.Token, "pulseToken")
	return m
}

// Secrets returns every secret value of the settings, for log and error
// scrubbing and for the tests that prove none leaks: the credentials, every
// TLS PEM given (CA certificates included: they are secureJsonData), the
// Secure SOCKS proxy's password and the shared cache's.
func (s *Settings) Secrets() []string {
	var out []string
	all := []string{s.OVH.ApplicationSecret, s.OVH.ConsumerKey, s.OVH.ClientSecret, s.OnApp.APIKey, s.Pulse.Token, s.SecureSocksProxyPassword, s.Shared.Password}
	for _, t := range []TLSSettings{s.OVH.TLS, s.OnApp.TLS, s.Pulse.TLS} {
		all = append(all, t.secrets()...)
	}
	for _, v := range all {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func appendIfEmpty(list []string, v, key string) []string {
	if v == "" {
		return append(list, key)
	}
	return list
}

// checkBaseURL checks a source's URL setting. The value is quoted without
// its user-info, query and fragment (RedactURL): a URL refused here may
// still carry a password.
func checkBaseURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http(s) URL such as https://api.example.com, not %s", key, RedactURL(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry credentials; use the secret fields", key)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s must not have a query string or fragment", key)
	}
	return nil
}

func seconds(n flexNumber, def time.Duration) time.Duration {
	if !n.set {
		return def
	}
	return time.Duration(n.v * float64(time.Second))
}

// flexNumber accepts a JSON number, a numeric string, an empty string or null.
type flexNumber struct {
	v   float64
	set bool
}

func (n *flexNumber) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return nil
	}
	s = strings.Trim(s, `"`)
	var f float64
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return fmt.Errorf("%s is not a number", upstream.Shorten(string(b), MaxQuotedValue))
	}
	n.v, n.set = f, true
	return nil
}

func (n flexNumber) intOr(def int) int {
	if !n.set {
		return def
	}
	return int(n.v)
}
