package models

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Defaults of the high-availability settings.
const (
	// DefaultSharedCacheReplicas is how many Grafana replicas share one
	// Redis (jsonData.sharedCacheReplicas): while Redis cannot be reached,
	// each plugin process guards OVHcloud at ovhRequestsPerMinute ÷ this.
	DefaultSharedCacheReplicas = 3
)

// SharedSettings configure the state every Grafana replica's plugin
// process shares through Redis (Grafana in high availability): the answer
// cache, the coalescing of identical calls and the OVH rate guard. URL ""
// keeps all of it in the process, as without replicas.
type SharedSettings struct {
	// URL is jsonData.sharedCacheUrl: redis://host:6379/0, rediss:// for TLS.
	URL string
	// Password is secureJsonData.sharedCachePassword.
	Password string
	// Replicas is jsonData.sharedCacheReplicas, the replicas sharing Redis.
	Replicas int
}

// Enabled reports whether a shared cache is configured.
func (s SharedSettings) Enabled() bool { return s.URL != "" }

// check refuses a shared cache URL Redis cannot be reached at; the value is
// quoted without its user-info (RedactURL), since a refused URL may still
// carry a password.
func (s SharedSettings) check() error {
	if s.Replicas < 1 {
		return fmt.Errorf("sharedCacheReplicas must be a whole number of Grafana replicas, 1 or more, such as %d", DefaultSharedCacheReplicas)
	}
	if s.URL == "" {
		return nil
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Hostname() == "" {
		return fmt.Errorf("sharedCacheUrl must be a Redis URL such as redis://redis:6379/0 (rediss:// for TLS), not %s", RedactURL(s.URL))
	}
	if _, set := u.User.Password(); set {
		return fmt.Errorf("sharedCacheUrl must not carry a password; put it in sharedCachePassword")
	}
	if u.Port() != "" {
		if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("sharedCacheUrl has no valid port (%s)", RedactURL(s.URL))
		}
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return fmt.Errorf("sharedCacheUrl must end with a database number such as /0, not %s", RedactURL(s.URL))
		}
	}
	if u.Fragment != "" {
		return fmt.Errorf("sharedCacheUrl must not have a fragment")
	}
	return nil
}
