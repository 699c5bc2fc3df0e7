package pulse

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// resourceWindow is how far back the editor's and variables' lists look:
// the 90 days Pulse keeps (inferred; the sandbox keeps as much).
const resourceWindow = 90 * 24 * time.Hour

// CheckHealth asks for one row of the routes report over the last day: the
// cheapest call that proves the URL and the token.
func (s *Source) CheckHealth(ctx context.Context) (string, error) {
	now := s.now()
	f := filter{from: now.Add(-24 * time.Hour), to: now}
	q := f.params()
	q.Set("page", "1")
	q.Set("limit", "1")
	resp, err := s.reports.Do(upstream.WithoutCache(ctx), upstream.Call{Path: "/stats/routes", Query: q})
	if err != nil {
		return "", err
	}
	if _, _, err := decodeAggregates(s.reports, aggregateSpecs[models.UsageReportRoutes])(resp); err != nil {
		return "", err // read as a query reads it: an answer the report's queries could not use fails the check
	}
	return "token accepted", nil
}

// Resources serves, below /usage/:
//
//	GET enterprises                 enterprises of /stats/requests
//	GET devices[?enterpriseId=E]    devices of /stats/devices
//	GET routes[?enterpriseId=E]     routes of /stats/routes
//
// each over the last 90 days, as [{value, text, description}] sorted by text:
// value is the id (the route itself for routes), text the name.
func (s *Source) Resources() http.Handler {
	mux := http.NewServeMux()
	for name, report := range map[string]string{
		"enterprises": models.UsageReportRequests,
		"devices":     models.UsageReportDevices,
		"routes":      models.UsageReportRoutes,
	} {
		mux.HandleFunc("GET /"+name, s.listHandler(aggregateSpecs[report]))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		source.WriteError(w, http.StatusNotFound, fmt.Sprintf(
			"no usage resource %s %s: expected GET enterprises, devices or routes", upstream.Quote(r.Method), models.Quote(r.URL.Path)))
	})
	return mux
}

func (s *Source) listHandler(spec aggregateSpec) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		f := filter{enterpriseID: strings.TrimSpace(r.URL.Query().Get("enterpriseId")), from: now.Add(-resourceWindow), to: now}
		if err := models.CheckVariable("enterpriseId", f.enterpriseID); err != nil {
			source.WriteError(w, http.StatusBadRequest, err.Error())
			return
		}
		rows, _, _, err := s.readAggregate(r.Context(), spec, f, models.MaxUsageLimit, "list")
		if err != nil {
			source.WriteFailure(w, err)
			return
		}
		source.WriteJSON(w, http.StatusOK, options(spec, rows))
	}
}

// options turns aggregate rows into drop-down entries, one per id.
func options(spec aggregateSpec, rows []aggRow) []source.Option {
	rows, _ = rank(rows)
	out := make([]source.Option, 0, len(rows))
	for _, r := range rows {
		if r.id == "" {
			continue
		}
		o := source.Option{Value: r.id, Text: r.id}
		if r.name != "" {
			o.Text = r.name
		}
		o.Description = activity(r)
		if o.Text != r.id {
			o.Description = r.id + " · " + o.Description
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b source.Option) int {
		return strings.Compare(strings.ToLower(a.Text)+"\x00"+a.Value, strings.ToLower(b.Text)+"\x00"+b.Value)
	})
	return out
}

func activity(r aggRow) string {
	if !r.v.ok {
		return "active in the last 90 days"
	}
	return plural(int(r.v.v), "request") + " in the last 90 days"
}
