package upstream

import "context"

type bypassKey struct{}

// WithoutCache returns a context whose calls skip the cache on the way in
// (fresh answers still refresh it): the query option "noCache".
func WithoutCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey{}, true)
}

func bypassCache(ctx context.Context) bool {
	v, _ := ctx.Value(bypassKey{}).(bool)
	return v
}
