package ovh

import (
	"context"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"golang.org/x/sync/errgroup"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// fanOut bounds the upstream calls of one query in flight at once. A panel of
// up to 4 lines × 4 metrics (16 series) is fetched in one round trip rather
// than one wave after another; the credential's call rate is the rate
// guard's business, not this bound's.
const fanOut = 16

// series is one (line, metric) pair of a query: one upstream call, one frame.
type series struct {
	line   int // index in the query's lines
	metric string
}

// fetched is one series' answer.
type fetched struct {
	stats    statistics
	err      error
	executed string // the upstream calls made for it
}

// described is one line's lookup: its details, or why there are none.
type described struct {
	info lineInfo
	err  error
}

// query answers a validated telephony query over the time range tr.
func (t *telephony) query(ctx context.Context, m *models.TelephonyQuery, tr backend.TimeRange) (data.Frames, error) {
	if tr.To.Before(tr.From) {
		return nil, upstream.BadQueryf("the time range ends (%s) before it starts (%s)", stamp(tr.To), stamp(tr.From))
	}
	p := planTimeframe(m.Timeframe, tr.From, tr.To, t.now())
	all := seriesOf(m)
	results, lines := t.fetch(ctx, m, all, p.timeframe)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t.diagnose(ctx, m, all, results, lines)
	return t.frames(m, all, results, lines, p)
}

// seriesOf lists the query's series: lines in query order, then metrics.
func seriesOf(m *models.TelephonyQuery) []series {
	out := make([]series, 0, len(m.Lines)*len(m.Metrics))
	for i := range m.Lines {
		for _, metric := range m.Metrics {
			out = append(out, series{line: i, metric: metric})
		}
	}
	return out
}

// fetch reads every series and every line's details, concurrently within
// fanOut. Each goroutine writes its own slot, so results keep the query's
// order whatever order the answers come in.
func (t *telephony) fetch(ctx context.Context, m *models.TelephonyQuery, all []series, timeframe string) ([]fetched, []described) {
	results := make([]fetched, len(all))
	lines := make([]described, len(m.Lines))
	var g errgroup.Group
	g.SetLimit(fanOut)
	quiet := unrecorded(ctx)
	for i, line := range m.Lines {
		g.Go(func() error {
			info, err := t.lineInfo(quiet, m.BillingAccount, line)
			lines[i] = described{info: info, err: err}
			return nil
		})
	}
	for i, s := range all {
		g.Go(func() error {
			rec := &upstream.Recorder{}
			st, err := t.statistics(upstream.WithRecorder(ctx, rec), m.BillingAccount, m.Lines[s.line], s.metric, timeframe)
			results[i] = fetched{stats: st, err: err, executed: rec.String()}
			return nil
		})
	}
	_ = g.Wait() // failures travel in results and lines: one series never stops another
	return results, lines
}

// unrecorded keeps the lookups that only label series (descriptions, the
// diagnosis of a missing route) out of Meta.ExecutedQueryString: a nil
// recorder records nothing.
func unrecorded(ctx context.Context) context.Context { return upstream.WithRecorder(ctx, nil) }

// diagnose explains the statistics calls answered 404 or 400. The line's own
// lookup tells most of it: a line that exists means the account no longer
// serves the deprecated statistics route; a missing line is either missing
// from the account or the account is unknown, which one more call decides.
func (t *telephony) diagnose(ctx context.Context, m *models.TelephonyQuery, all []series, results []fetched, lines []described) {
	var accountErr error
	checked := false
	for i, s := range all {
		e := routeMissing(results[i].err)
		if e == nil {
			continue
		}
		line := lines[s.line]
		switch {
		case line.err == nil:
			results[i].err = retiredRoute(e, m.BillingAccount, m.Lines[s.line])
		case notFound(line.err) != nil:
			if !checked {
				_, accountErr = t.accountInfo(unrecorded(ctx), m.BillingAccount)
				checked = true
			}
			if notFound(accountErr) != nil {
				results[i].err = unknownAccount(e, m.BillingAccount)
			} else if accountErr == nil {
				results[i].err = unknownLine(e, m.BillingAccount, m.Lines[s.line])
			}
		}
	}
}

// frames builds one frame per series, in order. A failed series becomes an
// empty frame with the same labels and an error notice, beside the good
// ones; when every series failed the query fails with the first error, so
// that an alert rule sees an error rather than "no data".
func (t *telephony) frames(m *models.TelephonyQuery, all []series, results []fetched, lines []described, p plan) (data.Frames, error) {
	frames := make(data.Frames, 0, len(all))
	var firstErr error
	failed := 0
	for i, s := range all {
		spec := frameSpec{
			billingAccount: m.BillingAccount,
			line:           m.Lines[s.line],
			metric:         s.metric,
			name:           displayName(m.Lines[s.line], lines[s.line]),
			mosScale:       m.MOSScale,
			executed:       results[i].executed,
		}
		if err := results[i].err; err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			frames = append(frames, errorFrame(spec, upstream.Scrub(err.Error(), t.secrets)))
			continue
		}
		frames = append(frames, seriesFrame(spec, results[i].stats, p))
	}
	if failed == len(all) {
		return nil, firstErr
	}
	return frames, nil
}

// displayName is the line's description when it has one, else its name.
func displayName(line string, d described) string {
	if desc := strings.TrimSpace(d.info.Description); d.err == nil && desc != "" {
		return desc
	}
	return line
}
