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
// to scrub (Secrets: OnApp's basic-auth pair included). The source adds its base URL, credential, authorization and
// error explanations.
func UpstreamOptions(s *models.Settings, deps Deps, sourceName string, defaultTTL time.Duration) upstream.Options {
	ttl := defaultTTL
	switch {
	case s.CacheTTL > 0:
		ttl = s.CacheTTL
	case s.CacheTTL < 0:
		ttl = 0
	}
	return upstream.Options{
		Source:           sourceName,
		Timeout:          s.Timeout,
		MaxResponseBytes: s.MaxResponseBytes,
		Secrets:          Secrets(s),
		Logger:           deps.Logger,
		Namespace:        deps.InstanceID,
		CacheTTL:         ttl,
	}
}
