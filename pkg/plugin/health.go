package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

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
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
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
	details, _ := json.Marshal(map[string]any{"sources": results, "docs": docsURL})
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
