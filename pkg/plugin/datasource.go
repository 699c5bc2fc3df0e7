// Package plugin is the data-source instance Grafana talks to: it builds one
// source per configured upstream, dispatches queries by query type, checks
// health and serves the resource routes of the editors and variables.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// maxConcurrentQueries bounds the queries of one request answered at once;
// each source bounds its own upstream fan-out below that.
const maxConcurrentQueries = 8

// Datasource is one configured Service Stats data source.
type Datasource struct {
	slots     []*slot
	queries   *datasource.QueryTypeMux
	resources backend.CallResourceHandler
	secrets   []string
	release   func() // of the secrets registered for upstream.Quote
	logger    log.Logger
}

// slot is one source of the data source: built, not configured, or broken.
type slot struct {
	spec       sourceSpec
	configured bool          // any of the source's settings is given
	src        source.Source // nil when not configured or not buildable
	reason     string        // why src is nil, in plain words
}

// NewDatasource builds an instance from its settings. Settings that cannot
// be read, or that every source shares, fail the instance (Grafana shows the
// error on every request); a source whose own settings are incomplete or
// wrong only fails that source.
//
// Every source's HTTP client is built from the instance settings' HTTP
// client options (HTTPClientOptions: the Secure SOCKS proxy Grafana
// configures, the labels of the SDK's metrics), read with ctx, whose
// Grafana configuration says how to reach the proxy.
func NewDatasource(ctx context.Context, settings backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	return buildDatasource(settings, sourceSpecs, func() (*httpclient.Options, error) {
		o, err := upstream.HTTPClientOptions(ctx, settings)
		return &o, err
	})
}

// newDatasource builds an instance whose clients take the SDK's default
// HTTP client options.
func newDatasource(settings backend.DataSourceInstanceSettings, specs []sourceSpec) (*Datasource, error) {
	return buildDatasource(settings, specs, nil)
}

// buildDatasource builds an instance; httpOptions, when not nil, reads the
// instance settings' HTTP client options once the settings are known to be
// readable.
func buildDatasource(settings backend.DataSourceInstanceSettings, specs []sourceSpec, httpOptions func() (*httpclient.Options, error)) (*Datasource, error) {
	cfg, err := models.Load(settings)
	if err != nil {
		return nil, err
	}
	if httpOptions != nil {
		if cfg.HTTPClient, err = httpOptions(); err != nil {
			return nil, errors.New(upstream.Clean(err.Error(), cfg.Secrets()))
		}
	}
	logger := log.DefaultLogger.With("datasource", settings.UID)
	deps := source.Deps{Logger: logger, InstanceID: fmt.Sprintf("%d/%s/%d", settings.ID, settings.UID, settings.Updated.UnixNano())}
	d := &Datasource{secrets: source.Secrets(cfg), logger: logger}
	// Upstream text is quoted (and cut) inside the sources, before any
	// message reaches Clean: Quote scrubs these secrets first.
	d.release = upstream.RegisterSecrets(d.secrets)
	for _, spec := range specs {
		d.slots = append(d.slots, spec.build(cfg, deps))
	}
	d.queries = datasource.NewQueryTypeMux()
	resources := http.NewServeMux()
	for _, s := range d.slots {
		d.queries.HandleFunc(s.spec.queryType, d.answer(s))
		resources.Handle("/"+s.spec.resourcePrefix+"/", http.StripPrefix("/"+s.spec.resourcePrefix, s.resourceHandler()))
	}
	d.queries.HandleFunc("", d.unknownQueryType)
	d.resources = httpadapter.New(source.CleanResources(resources, d.secrets))
	return d, nil
}

// Dispose releases every source's connections when the settings change.
func (d *Datasource) Dispose() {
	d.release()
	for _, s := range d.slots {
		if s.src != nil {
			s.src.Dispose()
		}
	}
}

// QueryData answers a request's queries, each on its own: one query's
// failure never fails its siblings. Every answer leaves through
// source.CleanResponse, whatever produced it: its error message, notices
// and executed query scrubbed of the secrets, valid UTF-8 and bounded (the
// error's status and source kept), so that no answer can fail the gRPC
// answer of the whole request.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp, err := d.queries.QueryData(source.WithSecrets(ctx, d.secrets), req)
	if err != nil {
		return nil, err
	}
	for refID, r := range resp.Responses {
		resp.Responses[refID] = source.CleanResponse(r, d.secrets)
	}
	return resp, nil
}

// answer returns the query-type handler of one source: every query of the
// request is answered concurrently, within a bound.
func (d *Datasource) answer(s *slot) backend.QueryDataHandlerFunc {
	return func(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
		if fromAlert(req) {
			ctx = upstream.WithAlerting(ctx)
		}
		out := backend.NewQueryDataResponse()
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, maxConcurrentQueries)
		for _, q := range req.Queries {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				r := d.answerOne(ctx, s, q)
				mu.Lock()
				out.Responses[q.RefID] = r
				mu.Unlock()
			}()
		}
		wg.Wait()
		return out, nil
	}
}

// answerOne answers one query of a source. A panic the source did not
// recover from fails this query only: in a goroutine of ours it would kill
// the plugin process.
func (d *Datasource) answerOne(ctx context.Context, s *slot, q backend.DataQuery) (r backend.DataResponse) {
	defer func() {
		if p := recover(); p != nil {
			d.logger.Error("panic while answering a query", "refId", upstream.Clean(q.RefID, d.secrets),
				"panic", upstream.Clean(fmt.Sprint(p), d.secrets), "stack", string(debug.Stack()))
			r = backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin,
				"internal error while answering this query; see the Grafana server log")
		}
	}()
	if s.src == nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, s.reason)
	}
	return s.src.HandleQuery(ctx, q)
}

// fromAlert reports whether Grafana's alerting engine sent the request (its
// FromAlert header).
func fromAlert(req *backend.QueryDataRequest) bool {
	v := strings.TrimSpace(req.Headers[backend.FromAlertHeaderName])
	return v != "" && !strings.EqualFold(v, "false")
}

func (d *Datasource) unknownQueryType(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	out := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		msg := fmt.Sprintf("unknown queryType %s: expected one of %s", models.Quote(q.QueryType), strings.Join(models.QueryTypes, ", "))
		if q.QueryType == "" {
			msg = "the query has no queryType: expected one of " + strings.Join(models.QueryTypes, ", ")
		}
		out.Responses[q.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, msg)
	}
	return out, nil
}

// CallResource serves the editors' and variables' resource routes.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return d.resources.CallResource(ctx, req, sender)
}

func (s *slot) resourceHandler() http.Handler {
	if s.src == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			source.WriteError(w, http.StatusBadRequest, s.reason)
		})
	}
	return s.src.Resources()
}

// ID is the plugin id, as in src/plugin.json.
const ID = "opsdeck-servicestats-datasource"
