package source

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Handle answers one query in the same steps for every query type: decode and
// validate the model (a 400 naming the field when that fails), fetch and
// frame with run, then stamp every frame with the upstream calls made
// (Meta.ExecutedQueryString) and make every string they hold valid UTF-8
// (CleanFrames). Any error becomes this query's error response; a panic
// becomes a plugin error instead of killing the process. Every message —
// error, notice, executed query, panic log line — is cleaned of the secrets
// WithSecrets put in ctx, and bounded.
func Handle[T any, PT interface {
	*T
	models.Validator
}](ctx context.Context, q backend.DataQuery, run func(ctx context.Context, model *T) (data.Frames, error)) (resp backend.DataResponse) {
	secrets := SecretsFrom(ctx)
	defer func() {
		if r := recover(); r != nil {
			log.DefaultLogger.Error("panic while answering a query", "refId", upstream.Clean(q.RefID, secrets),
				"panic", upstream.Clean(fmt.Sprint(r), secrets), "stack", string(debug.Stack()))
			resp = backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin,
				"internal error while answering this query; see the Grafana server log")
		}
	}()
	model, err := models.ParseQuery[T, PT](q.JSON)
	if err != nil {
		return CleanResponse(upstream.ErrorResponse(upstream.BadQuery(err)), secrets)
	}
	rec := &upstream.Recorder{}
	ctx = upstream.WithRecorder(ctx, rec)
	if b, ok := any(model).(interface{ BypassCache() bool }); ok && b.BypassCache() {
		ctx = upstream.WithoutCache(ctx)
	}
	frames, err := run(ctx, model)
	if err != nil {
		return CleanResponse(upstream.ErrorResponse(err), secrets)
	}
	// A nil frame would fail the whole gRPC answer, every query with it.
	frames = slices.DeleteFunc(frames, func(f *data.Frame) bool { return f == nil })
	executed := rec.String()
	for _, f := range frames {
		if f.Meta == nil {
			f.Meta = &data.FrameMeta{}
		}
		if f.Meta.ExecutedQueryString == "" {
			f.Meta.ExecutedQueryString = executed
		}
	}
	CleanFrames(frames, secrets)
	return backend.DataResponse{Frames: frames}
}
