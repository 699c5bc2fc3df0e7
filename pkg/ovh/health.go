package ovh

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// credentialInfo is the part of GET /auth/currentCredential the health check
// reads.
type credentialInfo struct {
	Status     string `json:"status"`
	Expiration string `json:"expiration"`
	Rules      []rule `json:"rules"`
}

// rule is an access rule of a consumer key.
type rule struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// CheckHealth makes one cheap authenticated call, past the cache: the
// consumer key's own description, or for a service account the billing
// accounts it sees.
func (t *telephony) CheckHealth(ctx context.Context) (string, error) {
	ctx = upstream.WithoutCache(ctx)
	if t.oauth2 {
		var accounts []string
		if err := t.get(ctx, "/telephony", nil, &accounts); err != nil {
			return "", err
		}
		return plural(len(accounts), "billing account") + " visible", nil
	}
	var c credentialInfo
	if err := t.get(ctx, "/auth/currentCredential", nil, &c); err != nil {
		return "", err
	}
	return consumerKeyHealth(c)
}

// consumerKeyHealth checks that the consumer key is validated and may read
// the line statistics, and describes it (never the key itself).
func consumerKeyHealth(c credentialInfo) (string, error) {
	rules := make([]string, len(c.Rules))
	grants := false
	for i, r := range c.Rules {
		rules[i] = r.Method + " " + r.Path
		grants = grants || (r.Method == "GET" && (r.Path == "/*" || strings.HasPrefix(r.Path, "/telephony/")))
	}
	list := strings.Join(rules, ", ")
	if list == "" {
		list = "none"
	}
	switch {
	case c.Status != "validated":
		return "", fmt.Errorf("OVHcloud: the consumer key is %q, not validated — open the validation URL OVHcloud gave when it was created, or create a new one with access rule GET /telephony/*", c.Status)
	case !grants:
		return "", fmt.Errorf("OVHcloud: the consumer key is validated but not granted GET /telephony/* (its access rules: %s) — create one with access rule GET /telephony/* and set it as ovhConsumerKey", list)
	}
	expires := ""
	if at, err := time.Parse(time.RFC3339, c.Expiration); err == nil {
		expires = " (expires " + at.UTC().Format("2006-01-02") + ")"
	}
	return fmt.Sprintf("consumer key validated%s; access rules %s", expires, list), nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
