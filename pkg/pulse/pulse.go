// Package pulse is the Usage source: Pulse usage statistics (the logs, four
// aggregate reports, and series the plugin derives from the logs).
//
// Pulse takes a Bearer token and the filters enterpriseId, startDate,
// endDate, page and limit on every endpoint (docs/upstream-apis.md §3). The
// logs have no total: pages are read until one is shorter than the limit,
// up to the maxPages setting.
package pulse

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Source answers "usage" queries from Pulse.
type Source struct {
	// reports reads the aggregates, for queries, resources and health.
	reports *upstream.Client
	// logs reads the log pages. Its answers are never cached: they are
	// large, read once per query, and a cache of them would hold a big
	// query's raw bytes beside its decoded rows.
	logs     *upstream.Client
	maxPages int
	inFlight int              // pages fetched at once; 0: pagesInFlight
	now      func() time.Time // the clock of health and resource ranges
}

var _ source.Source = (*Source)(nil)

// New builds the Usage source.
func New(s *models.Settings, deps source.Deps) (source.Source, error) {
	return newSource(s, deps)
}

func newSource(s *models.Settings, deps source.Deps) (*Source, error) {
	// Aggregate answers are small and asked by every panel and alert
	// evaluation of a dashboard: cached for source.DefaultUsageCacheTTL
	// unless cacheTTLSeconds says otherwise.
	opts := source.UpstreamOptions(s, deps, "Pulse", source.DefaultUsageCacheTTL)
	opts.BaseURL = s.Pulse.URL
	source.WithTLS(&opts, s.Pulse.TLS)
	opts.Credential = s.Pulse.Token
	opts.Authorize = bearer(s.Pulse.Token)
	opts.Explain = explain
	reports, err := upstream.New(opts)
	if err != nil {
		return nil, err
	}
	opts.CacheTTL = 0
	logs, err := upstream.New(opts)
	if err != nil {
		return nil, err
	}
	return &Source{reports: reports, logs: logs, maxPages: s.MaxPages, now: time.Now}, nil
}

func bearer(token string) func(*http.Request) error {
	return func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// Dispose releases the connections.
func (s *Source) Dispose() {
	s.reports.Close()
	s.logs.Close()
}

// HandleQuery answers one usage query.
func (s *Source) HandleQuery(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	return source.Handle(ctx, q, func(ctx context.Context, m *models.UsageQuery) (data.Frames, error) {
		if m.NoCache {
			ctx = upstream.WithoutCache(ctx)
		}
		return s.run(ctx, m, q.TimeRange, q.Interval)
	})
}

// filter is what every Pulse call of a query is filtered by.
type filter struct {
	enterpriseID string
	from, to     time.Time
}

// params are the filters as Pulse reads them. Dates are sent in UTC with
// milliseconds and Z (2026-11-23T08:00:00.000Z): ISO 8601 as the document
// asks, with no "+" that a careless server would read as a space.
func (f filter) params() url.Values {
	v := url.Values{
		"startDate": {formatDate(f.from)},
		"endDate":   {formatDate(f.to)},
	}
	if f.enterpriseID != "" {
		v.Set("enterpriseId", f.enterpriseID)
	}
	return v
}

func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Source) run(ctx context.Context, m *models.UsageQuery, tr backend.TimeRange, interval time.Duration) (data.Frames, error) {
	if !tr.From.Before(tr.To) {
		return nil, upstream.BadQueryf("the time range is empty (from %s to %s): pick a range that ends after it starts",
			formatDate(tr.From), formatDate(tr.To))
	}
	tr, err := models.ClampRange(tr) // no arithmetic below can overflow
	if err != nil {
		return nil, upstream.BadQuery(err)
	}
	f := filter{enterpriseID: m.EnterpriseID, from: tr.From, to: tr.To}
	switch m.Report {
	case models.UsageReportLogs:
		return s.logsReport(ctx, m, f)
	case models.UsageReportRequestRate, models.UsageReportLatency:
		return s.seriesReport(ctx, m, f, interval)
	}
	return s.aggregateReport(ctx, m, f)
}

// readLogs reads every log page of the filter into columns.
func (s *Source) readLogs(ctx context.Context, m *models.UsageQuery, f filter, partial string) (*logColumns, *pageRequest, pageSummary, error) {
	req := &pageRequest{client: s.logs, path: "/stats", params: f.params(), limit: m.Limit,
		maxPages: s.maxPages, inFlight: s.inFlight, what: "the logs", partial: partial, from: f.from, to: f.to}
	cols := newLogColumns()
	sum, err := readPages(ctx, req, decodeLogs(s.logs, m.Limit), cols.addBlock)
	return cols, req, sum, err
}

func (s *Source) logsReport(ctx context.Context, m *models.UsageQuery, f filter) (data.Frames, error) {
	cols, req, sum, err := s.readLogs(ctx, m, f, "table")
	if err != nil {
		return nil, err
	}
	frame := logsFrame(cols)
	frame.Meta.Notices = notices(cutNotice(sum), cols.skippedNotice())
	frame.Meta.ExecutedQueryString = executed(req, sum)
	return data.Frames{frame}, nil
}

func (s *Source) seriesReport(ctx context.Context, m *models.UsageQuery, f filter, interval time.Duration) (data.Frames, error) {
	cols, req, sum, err := s.readLogs(ctx, m, f, "series")
	if err != nil {
		return nil, err
	}
	span := spanSeconds(f.from, f.to)
	step := chooseStep(span, interval)
	b := tally(cols, newGrid(f.from, f.to, step), m.SplitBy)
	if sum.cut {
		b.cut(cols)
	}
	var frames data.Frames
	if m.Report == models.UsageReportLatency {
		frames = latencyFrames(cols, b, m.SplitBy, f.enterpriseID)
	} else {
		frames = rateFrames(b, m.SplitBy, f.enterpriseID)
	}
	if len(frames) == 0 { // split, and no rows: the data plane's empty answer
		frames = data.Frames{data.NewFrame("")}
		frames[0].Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
	}
	frames[0].Meta.Notices = notices(cutNotice(sum), cols.skippedNotice(), stepNotice(span, interval, step), droppedNotice(b, m.SplitBy))
	text := executed(req, sum)
	for _, fr := range frames {
		fr.Meta.ExecutedQueryString = text
	}
	return frames, nil
}

func (s *Source) aggregateReport(ctx context.Context, m *models.UsageQuery, f filter) (data.Frames, error) {
	spec := aggregateSpecs[m.Report]
	ranked := newRanking(m.TopN)
	req, sum, err := s.readAggregateInto(ctx, spec, f, m.Limit, "table", ranked.add)
	if err != nil {
		return nil, err
	}
	frame := ranked.frame(m.Report, spec)
	if n := cutNotice(sum); n != nil {
		frame.Meta.Notices = append(frame.Meta.Notices, *n)
	}
	frame.Meta.ExecutedQueryString = executed(req, sum)
	return data.Frames{frame}, nil
}

// readAggregate reads every page of an aggregate report (one in practice).
func (s *Source) readAggregate(ctx context.Context, spec aggregateSpec, f filter, limit int, partial string) ([]aggRow, *pageRequest, pageSummary, error) {
	var rows []aggRow
	req, sum, err := s.readAggregateInto(ctx, spec, f, limit, partial, func(r aggRow) { rows = append(rows, r) })
	return rows, req, sum, err
}

// readAggregateInto reads every page of an aggregate report, handing each
// row to add in the answer's order.
func (s *Source) readAggregateInto(ctx context.Context, spec aggregateSpec, f filter, limit int, partial string, add func(aggRow)) (*pageRequest, pageSummary, error) {
	req := &pageRequest{client: s.reports, path: spec.path, params: f.params(), limit: limit,
		maxPages: s.maxPages, inFlight: s.inFlight, what: "the " + strings.TrimPrefix(spec.path, "/stats/") + " report", partial: partial,
		from: f.from, to: f.to}
	sum, err := readPages(ctx, req, decodeAggregates(s.reports, spec), func(_ int, page []aggRow) {
		for _, r := range page {
			add(r)
		}
	})
	return req, sum, err
}

// cutNotice says that maxPages stopped the read, when it did.
func cutNotice(sum pageSummary) *data.Notice {
	if !sum.cut {
		return nil
	}
	return &data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
		"the answer was cut after %s (%s); narrow the range or raise maxPages", plural(sum.pages, "page"), plural(sum.rows, "row"))}
}

func notices(list ...*data.Notice) []data.Notice {
	var out []data.Notice
	for _, n := range list {
		if n != nil {
			out = append(out, *n)
		}
	}
	return out
}

// executed describes the calls that made the answer, for
// Meta.ExecutedQueryString: every page's URL when there are at most three,
// else the first and the last with the count between. Pages fetched ahead
// past the last one are not listed: they added nothing.
func executed(r *pageRequest, sum pageSummary) string {
	line := func(page int) string {
		c := r.call(page)
		return "GET " + r.client.URL(c.Path, c.Query)
	}
	var lines []string
	if sum.pages <= 3 {
		for p := 1; p <= sum.pages; p++ {
			lines = append(lines, line(p))
		}
	} else {
		lines = []string{line(1), fmt.Sprintf("… pages 2 to %d alike …", sum.pages-1), line(sum.pages)}
	}
	end := "the last page was shorter than the limit"
	if sum.cut {
		end = "stopped at maxPages"
	}
	lines = append(lines, fmt.Sprintf("%s of %d rows at most, %s read; %s", plural(sum.pages, "page"), r.limit, plural(sum.rows, "row"), end))
	return strings.Join(lines, "\n")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
