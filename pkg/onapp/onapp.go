// Package onapp is the CDN bandwidth source: OnApp's CDN bandwidth
// statistics (docs/upstream-apis.md §2), from either API flavour, with the
// CDN resources and edge locations for the editor and variables.
package onapp

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Listing routes of the OnApp API.
const (
	resourcesPath  = "/cdn_resources.json"
	edgeGroupsPath = "/edge_groups.json"
)

// Source answers cdnBandwidth queries from one OnApp control panel.
type Source struct {
	client    *upstream.Client
	api       string // models.OnAppAPILegacy or models.OnAppAPIReports
	format    string // "json" or "xml": the answer format asked for
	loc       *time.Location
	now       func() time.Time
	log       log.Logger
	resources *cache[catalog]
	locations *cache[catalog]
}

var _ source.Source = (*Source)(nil)

// New builds the CDN bandwidth source from complete settings.
func New(s *models.Settings, deps source.Deps) (source.Source, error) {
	return newSource(s, deps, nil)
}

// newSource is New with an HTTP client of the tests' choosing (nil: the
// SDK's).
func newSource(s *models.Settings, deps source.Deps, hc *http.Client) (*Source, error) {
	loc, err := time.LoadLocation(s.OnApp.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("onappTimeZone %s is not an IANA time zone name", models.Quote(s.OnApp.TimeZone))
	}
	if deps.Logger == nil {
		deps.Logger = log.DefaultLogger
	}
	user, key := s.OnApp.User, s.OnApp.APIKey
	opts := source.UpstreamOptions(s, deps, sourceName, source.DefaultCDNCacheTTL)
	opts.BaseURL = s.OnApp.URL
	source.WithTLS(&opts, s.OnApp.TLS)
	opts.Credential = user + "\x00" + key
	if pair := upstream.BasicAuthSecret(user, key); pair != "" {
		opts.Secrets = append(opts.Secrets, pair) // the Authorization header's base64 holds the pair, not the key alone
	}
	opts.Authorize = func(r *http.Request) error {
		r.SetBasicAuth(user, key) // login: the account's e-mail; password: its API key
		return nil
	}
	opts.Explain = explain
	opts.HTTPClient = hc
	client, err := upstream.New(opts)
	if err != nil {
		return nil, err
	}
	src := &Source{client: client, api: s.OnApp.API, format: s.OnApp.Format, loc: loc, now: time.Now, log: deps.Logger}
	ttl := defaultCatalogTTL
	if s.CacheTTL != 0 {
		ttl = s.CacheTTL // negative: no caching
	}
	src.resources = &cache[catalog]{ttl: ttl, now: src.clock, fetch: src.fetchResources}
	src.locations = &cache[catalog]{ttl: ttl, now: src.clock, fetch: src.fetchLocations}
	return src, nil
}

// clock reads s.now at each call, so that tests may replace s.now after
// the caches are built.
func (s *Source) clock() time.Time { return s.now() }

// HandleQuery answers one cdnBandwidth query.
func (s *Source) HandleQuery(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	return source.Handle(ctx, q, func(ctx context.Context, m *models.CDNQuery) (data.Frames, error) {
		return s.query(ctx, m, q.TimeRange)
	})
}

// query fetches the statistics and, when grouped, the names of the groups
// at the same time.
func (s *Source) query(ctx context.Context, q *models.CDNQuery, tr backend.TimeRange) (data.Frames, error) {
	w, err := planWindow(tr, q.Type, s.now(), s.loc)
	if err != nil {
		return nil, err
	}
	if w.none {
		return data.Frames{emptyFrame(w.notices)}, nil
	}
	names := s.startNames(ctx, q.GroupBy)
	a, err := s.fetchBandwidth(ctx, q, w, tr)
	if err != nil {
		return nil, err
	}
	// The answer says how it is grouped; names only fit the list asked for.
	spec := frameSpec{dim: cmp.Or(a.dim, q.GroupBy), unit: unitOf(q.Type), step: w.step, notices: w.notices, name: names()}
	if spec.dim != q.GroupBy {
		spec.name = noNames
	}
	if len(a.samples) == 0 {
		spec.notices = append(spec.notices, emptyNotice(q))
	}
	return buildFrames(a, spec), nil
}

// emptyNotice says that OnApp answered a list of stats with no figures in
// it, so that "no data" reads as OnApp's answer rather than a failure. (An
// answer that is not a list of stats at all is an error: statEntries.)
func emptyNotice(q *models.CDNQuery) data.Notice {
	text := "OnApp answered no bandwidth figures for this range: no traffic was recorded"
	if len(q.Resources) > 0 || len(q.Locations) > 0 {
		text += " for the resources and locations asked for (check that they exist in OnApp)"
	}
	return data.Notice{Severity: data.NoticeSeverityInfo, Text: text}
}

// startNames starts loading the names of the groups of dim and returns a
// function that waits for them. Names only make series readable: a failure
// leaves the ids in place of names.
func (s *Source) startNames(ctx context.Context, dim string) func() namer {
	list := map[string]*cache[catalog]{models.CDNGroupByResource: s.resources, models.CDNGroupByLocation: s.locations}[dim]
	if list == nil {
		return func() namer { return noNames }
	}
	done := make(chan catalog, 1)
	go func() {
		c, err := list.get(ctx)
		if err != nil {
			s.log.Debug("OnApp names unavailable; series keep their ids", "list", dim, "error", err.Error())
		}
		done <- c
	}()
	return func() namer {
		c := <-done
		return c.name
	}
}

// fetchBandwidth makes the bandwidth call and reads its answer. The call
// carries the dashboard's range tr, so that a refresh of a relative range
// can reuse a cached answer (upstream.Window).
func (s *Source) fetchBandwidth(ctx context.Context, q *models.CDNQuery, w window, tr backend.TimeRange) (answer, error) {
	call, err := bandwidthCall(q, w, s.api, s.format)
	if err != nil {
		return answer{}, err
	}
	call.Window = &upstream.Window{From: tr.From, To: tr.To, Key: windowKey(call)}
	resp, err := s.client.Do(ctx, call)
	if err != nil {
		return answer{}, notFoundOnRoute(err, s.api)
	}
	a, err := s.readAnswer(resp)
	if err != nil {
		return answer{}, s.client.DecodeError(resp, err)
	}
	return a, nil
}

// CheckHealth lists the CDN resources: one cheap authenticated call.
func (s *Source) CheckHealth(ctx context.Context) (string, error) {
	c, err := s.fetchResources(ctx)
	if err != nil {
		return "", err
	}
	s.resources.put(c)
	if n := len(c.options); n != 1 {
		return fmt.Sprintf("%d CDN resources visible", n), nil
	}
	return "1 CDN resource visible", nil
}

// Resources serves GET resources and GET locations (mounted below /cdn/).
func (s *Source) Resources() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /resources", s.listHandler(s.resources))
	mux.Handle("GET /locations", s.listHandler(s.locations))
	return mux
}

func (s *Source) listHandler(list *cache[catalog]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := list.get(r.Context())
		if err != nil {
			source.WriteFailure(w, err)
			return
		}
		opts := c.options
		if opts == nil {
			opts = []source.Option{}
		}
		source.WriteJSON(w, http.StatusOK, opts)
	})
}

// Dispose releases the client's connections.
func (s *Source) Dispose() { s.client.Close() }

func (s *Source) fetchResources(ctx context.Context) (catalog, error) {
	return s.fetchList(ctx, resourcesPath, readResources)
}

func (s *Source) fetchLocations(ctx context.Context) (catalog, error) {
	return s.fetchList(ctx, edgeGroupsPath, readLocations)
}

// fetchList reads a listing afresh: its lifetime is the catalog cache's, so
// the upstream layer's answer cache is bypassed rather than stacked on it.
func (s *Source) fetchList(ctx context.Context, path string, read func(any) (catalog, error)) (catalog, error) {
	resp, err := s.client.Do(upstream.WithoutCache(ctx), upstream.Call{Path: path, Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return catalog{}, err
	}
	body, err := payload(resp)
	if err != nil {
		return catalog{}, s.client.DecodeError(resp, err)
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return catalog{}, s.client.DecodeError(resp, err)
	}
	c, err := read(doc)
	if err != nil {
		return catalog{}, s.client.DecodeError(resp, err)
	}
	return c, nil
}
