package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

const docsURL = "https://github.com/opsdeck/servicestats#troubleshooting"

// sourceHealth is one source's line in the health check's details.
type sourceHealth struct {
	Source     string `json:"source"`
	Configured bool   `json:"configured"`
	OK         bool   `json:"ok"`
	Message    string `json:"message"`
}

// CheckHealth makes one cheap authenticated call per configured source, all
// at once, and reports each in plain words. It is OK only when every
// configured source answered, and an error when none is configured.
//
// With a shared cache (sharedCacheUrl) one more line says whether Redis
// answers; Redis unreachable never fails the check, since the plugin keeps
// answering without it (see sharedHealth).
func (d *Datasource) CheckHealth(ctx context.Context, req *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	results := make([]sourceHealth, len(d.slots))
	var wg sync.WaitGroup
	for i, s := range d.slots {
		results[i] = sourceHealth{Source: s.spec.name, Configured: s.configured}
		switch {
		case s.src != nil:
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					if p := recover(); p != nil { // in our goroutine a panic would kill the plugin
						d.logger.Error("panic while checking a source", "source", s.spec.name,
							"panic", upstream.Clean(fmt.Sprint(p), d.secrets), "stack", string(debug.Stack()))
						results[i].OK = false
						results[i].Message = s.spec.name + ": internal error while checking this source; see the Grafana server log"
					}
				}()
				detail, err := s.src.CheckHealth(ctx)
				if err != nil {
					results[i].Message = s.spec.name + ": " + trimSourcePrefix(err.Error())
					return
				}
				results[i].OK = true
				results[i].Message = s.spec.name + ": OK"
				if detail != "" {
					results[i].Message += " — " + detail
				}
			}()
		case results[i].Configured:
			results[i].Message = s.reason
		default:
			results[i].Message = s.spec.name + ": not configured"
		}
	}
	wg.Wait()

	var lines []string
	configured, failed := 0, 0
	for i := range results {
		results[i].Message = upstream.Clean(results[i].Message, d.secrets)
		if results[i].Configured {
			configured++
			lines = append(lines, results[i].Message)
			if !results[i].OK {
				failed++
			}
		}
	}
	detail := map[string]any{"sources": results, "docs": docsURL}
	if shared, ok := sharedHealth(ctx, req); ok {
		shared.Message = upstream.Clean(shared.Message, d.secrets)
		detail["sharedCache"] = shared
		if configured > 0 {
			lines = append(lines, shared.Message)
		}
	}
	details, _ := json.Marshal(detail)
	res := &backend.CheckHealthResult{JSONDetails: details}
	switch {
	case configured == 0:
		res.Status = backend.HealthStatusError
		res.Message = "No source is configured: fill in at least one of Telephony QoS (OVHcloud), CDN bandwidth (OnApp) or Usage (Pulse)"
	case failed > 0:
		res.Status = backend.HealthStatusError
		res.Message = joinBounded(lines, d.secrets)
	default:
		res.Status = backend.HealthStatusOk
		res.Message = joinBounded(lines, d.secrets)
	}
	return res, nil
}

// sharedHealth checks the shared cache of the data source, if it has one:
// a ping to Redis, and the line saying how it went. false: no shared cache.
func sharedHealth(ctx context.Context, req *backend.CheckHealthRequest) (sharedCacheHealth, bool) {
	if req == nil || req.PluginContext.DataSourceInstanceSettings == nil {
		return sharedCacheHealth{}, false
	}
	cfg, err := models.Load(*req.PluginContext.DataSourceInstanceSettings)
	if err != nil || !cfg.Shared.Enabled() {
		return sharedCacheHealth{}, false
	}
	sh, err := upstream.SharedFor(cfg.Shared.URL, cfg.Shared.Password, cfg.Shared.Replicas)
	if err != nil || sh == nil {
		return sharedCacheHealth{Message: "shared cache unreachable: " + errText(err)}, true
	}
	if err := sh.Status(ctx, true); err != nil {
		return sharedCacheHealth{Message: err.Error()}, true
	}
	return sharedCacheHealth{OK: true, Message: fmt.Sprintf(
		"Shared cache: OK — Redis at %s holds the cache and the OVHcloud rate guard of the %d replicas (sharedCacheReplicas)",
		upstream.Quote(sh.Where()), sh.Replicas())}, true
}

// sharedCacheHealth is the shared cache's part of the health details.
type sharedCacheHealth struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

func errText(err error) string {
	if err == nil {
		return "no client"
	}
	return err.Error()
}

// joinBounded joins the health lines, one per source, into a message of at
// most upstream.MaxMessage bytes: each line gets an equal share, so a long
// line never pushes another source's line out. The details keep each line
// whole (each bounded on its own).
func joinBounded(lines []string, secrets []string) string {
	if len(lines) == 0 {
		return ""
	}
	share := (upstream.MaxMessage - (len(lines) - 1)) / len(lines)
	cut := make([]string, len(lines))
	for i, l := range lines {
		cut[i] = upstream.CleanN(l, secrets, share)
	}
	return strings.Join(cut, "\n")
}

// trimSourcePrefix drops a leading "OVHcloud: " from an upstream message,
// since the health line already names the source.
func trimSourcePrefix(msg string) string {
	for _, p := range []string{"OVHcloud: ", "OnApp CDN: ", "Pulse: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
