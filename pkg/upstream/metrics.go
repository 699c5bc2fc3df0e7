package upstream

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Plugin metrics, exposed to Grafana through the SDK (plugin.json has
// "metrics": true; Grafana serves them at /api/plugins/<id>/metrics).
var (
	metricCalls = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "upstream_calls_total",
		Help: "Upstream HTTP calls made, by source and status code (0: no answer).",
	}, []string{"source", "code"})
	metricCacheHits = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "cache_hits_total",
		Help: "Upstream answers served from the plugin's cache.",
	}, []string{"source"})
	metricCoalesced = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "coalesced_calls_total",
		Help: "Calls that shared the answer of an identical call in flight.",
	}, []string{"source"})
	metricRetries = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "retries_total",
		Help: "Upstream calls retried after 429, 502, 503, 504 or a reset connection.",
	}, []string{"source"})
	metricRateWaits = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "rate_guard_waits_total",
		Help: "Calls the rate guard made wait for their turn, by outcome (waited, refused).",
	}, []string{"source", "outcome"})
	metricCallSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "servicestats", Name: "upstream_call_duration_seconds",
		Help:    "Duration of upstream HTTP calls.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"source"})
)

func statusLabel(code int) string { return strconv.Itoa(code) }
