package source

import (
	"context"
	"errors"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// NotImplemented is the placeholder of a source whose package has not landed
// yet: every query gets a per-query 501.
func NotImplemented(name string) Source { return notImplemented(name) }

type notImplemented string

func (n notImplemented) HandleQuery(context.Context, backend.DataQuery) backend.DataResponse {
	return backend.ErrDataResponseWithSource(backend.StatusNotImplemented, backend.ErrorSourcePlugin, string(n)+" is not implemented yet")
}

func (n notImplemented) CheckHealth(context.Context) (string, error) {
	return "", errors.New("not implemented yet")
}

func (n notImplemented) Resources() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, http.StatusNotImplemented, string(n)+" is not implemented yet")
	})
}

func (n notImplemented) Dispose() {}
