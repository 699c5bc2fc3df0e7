package source

import (
	"time"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Default cache lifetimes per source: OnApp's daily buckets change slowly;
// call quality and API usage are watched live.
const (
	DefaultTelephonyCacheTTL = 60 * time.Second
	DefaultCDNCacheTTL       = 5 * time.Minute
	DefaultUsageCacheTTL     = 30 * time.Second
)

// UpstreamOptions returns the options every source's upstream client starts
// from: timeout, size cap, cache lifetime (cacheTTLSeconds, or the source's
// default), the instance namespace, the logger and every configured secret
// to scrub (Secrets: OnApp's basic-auth pair included), and the data
// source's HTTP client options from Grafana (the Secure SOCKS proxy). The
// source adds its base URL, credential, authorization, error explanations
// and its TLS settings (WithTLS). With a shared cache (sharedCacheUrl:
// Grafana in high availability), the options carry the process's client of
// that Redis (see upstream.SharedFor).
func UpstreamOptions(s *models.Settings, deps Deps, sourceName string, defaultTTL time.Duration) upstream.Options {
	ttl := defaultTTL
	switch {
	case s.CacheTTL > 0:
		ttl = s.CacheTTL
	case s.CacheTTL < 0:
		ttl = 0
	}
	shared, err := upstream.SharedFor(s.Shared.URL, s.Shared.Password, s.Shared.Replicas)
	if err != nil && deps.Logger != nil {
		// Load checked the URL; this is a URL the Redis client reads otherwise.
		deps.Logger.Warn("shared cache not used: this replica keeps its cache and rate guard to itself", "error", upstream.Clean(err.Error(), Secrets(s)))
	}
	return upstream.Options{
		Shared:           shared,
		Source:           sourceName,
		Timeout:          s.Timeout,
		MaxResponseBytes: s.MaxResponseBytes,
		Secrets:          Secrets(s),
		Logger:           deps.Logger,
		Namespace:        deps.InstanceID,
		CacheTTL:         ttl,
		HTTP:             s.HTTPClient,
	}
}

// tlsSections name where each source's TLS settings are in the config
// editor, for certificate messages.
var tlsSections = map[string]string{
	models.TLSPrefixOVH:   "Telephony QoS",
	models.TLSPrefixOnApp: "CDN bandwidth",
	models.TLSPrefixPulse: "Usage",
}

// WithTLS sets the source's own TLS settings (<source>Tls…) on o.
func WithTLS(o *upstream.Options, t models.TLSSettings) {
	o.TLS = t.Options()
	o.TLSSection = tlsSections[t.Prefix]
}
