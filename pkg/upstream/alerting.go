package upstream

import "context"

type alertingKey struct{}

// WithAlerting marks ctx as serving an alert rule's evaluation (Grafana's
// FromAlert header on the request). Sources fail such queries loudly instead
// of answering partial data, and the rate guard lets them use the share of
// the budget reserved for alerting.
func WithAlerting(ctx context.Context) context.Context {
	return context.WithValue(ctx, alertingKey{}, true)
}

// IsAlerting reports whether ctx serves an alert rule's evaluation.
func IsAlerting(ctx context.Context) bool {
	v, _ := ctx.Value(alertingKey{}).(bool)
	return v
}
