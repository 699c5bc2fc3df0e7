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
	metricSharedUp = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "servicestats", Name: "shared_cache_up",
		Help: "1 while the shared cache (Redis, sharedCacheUrl) answers, 0 while the plugin runs on its own cache and a local rate guard.",
	}, []string{"redis"})
	metricSharedErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "shared_cache_errors_total",
		Help: "Calls to the shared cache (Redis) that failed or timed out; each was answered without it.",
	}, []string{"redis"})
	metricSharedHits = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "shared_cache_hits_total",
		Help: "Upstream answers served from the shared cache (Redis), fetched by this or another replica.",
	}, []string{"source"})
	metricSharedWaits = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "servicestats", Name: "shared_coalesced_calls_total",
		Help: "Calls that waited for another replica's identical call, by outcome (answered: its answer came through the shared cache; own: it made the call itself).",
	}, []string{"source", "outcome"})
	metricCallSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "servicestats", Name: "upstream_call_duration_seconds",
		Help:    "Duration of upstream HTTP calls.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"source"})
)

func statusLabel(code int) string { return strconv.Itoa(code) }
