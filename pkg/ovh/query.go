package ovh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// fanOut bounds the upstream calls of one query in flight at once. A panel of
// up to 4 lines × 4 metrics (16 series) is fetched in one round trip rather
// than one wave after another; the credential's call rate is the rate
// guard's business, not this bound's.
const fanOut = 16

// target is one line of one billing account.
type target struct {
	ba, line string
	// listed: the account's own listing named the line, so it exists.
	listed bool
}

// series is one (line, metric) pair of a query: one upstream call, one frame.
type series struct {
	target int // index in the query's targets
	metric string
}

// fetched is one series' answer: its points, read straight into its
// frame's vectors, or why there are none.
type fetched struct {
	points   *seriesPoints
	err      error
	executed string // the upstream calls made for it
	// retired: the account no longer serves line statistics at all.
	retired bool
}

// described is one line's lookup: its details, or why there are none.
type described struct {
	info lineInfo
	err  error
}

// errNotLooked is the lookup of a line whose description was not fetched:
// an alerting request reads descriptions from the cache only, a dashboard
// only with budget to spare.
var errNotLooked = errors.New("line description not looked up")

// answer is everything a query's frames are built from.
type answer struct {
	m        *models.TelephonyQuery
	x        expansion
	all      []series
	results  []fetched
	lines    []described // per target
	plan     plan
	uncached int  // statistics calls not answered from the cache
	alerting bool // the request evaluates an alert rule
}

// query answers a validated telephony query over the time range tr.
func (t *telephony) query(ctx context.Context, m *models.TelephonyQuery, tr backend.TimeRange) (data.Frames, error) {
	if tr.To.Before(tr.From) {
		return nil, upstream.BadQueryf("the time range ends (%s) before it starts (%s)", stamp(tr.To), stamp(tr.From))
	}
	a := &answer{m: m, plan: planTimeframe(m.Timeframe, tr.From, tr.To, t.now()), alerting: upstream.IsAlerting(ctx)}
	var err error
	if a.x, err = t.expand(ctx, m); err != nil {
		return nil, err
	}
	a.all = seriesOf(a.x.targets, m.Metrics)
	if len(a.all) == 0 {
		return nothingToShow(a.x), nil
	}
	calls := statisticsCalls(a.x.targets, a.all, a.plan.timeframe)
	a.uncached = t.api.Uncached(ctx, validCalls(calls))
	if err := t.affordable(ctx, a.uncached); err != nil {
		return nil, err
	}
	a.results = t.fetch(ctx, a, calls)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.lines = t.describe(ctx, a.x.targets)
	t.diagnose(ctx, a)
	return t.frames(a)
}

// seriesOf lists the query's series: targets in order, then metrics.
func seriesOf(targets []target, metrics []string) []series {
	out := make([]series, 0, len(targets)*len(metrics))
	for i := range targets {
		for _, metric := range metrics {
			out = append(out, series{target: i, metric: metric})
		}
	}
	return out
}

// statsCall is the statistics call of one series, or why it cannot be made.
type statsCall struct {
	call upstream.Call
	err  error
}

// statisticsCalls builds the call of each series.
func statisticsCalls(targets []target, all []series, timeframe string) []statsCall {
	out := make([]statsCall, len(all))
	for i, s := range all {
		tg := targets[s.target]
		out[i].call, out[i].err = statisticsCall(tg.ba, tg.line, s.metric, timeframe)
	}
	return out
}

// validCalls are the calls that can be made.
func validCalls(calls []statsCall) []upstream.Call {
	out := make([]upstream.Call, 0, len(calls))
	for _, c := range calls {
		if c.err == nil {
			out = append(out, c.call)
		}
	}
	return out
}

// statisticsCall is GET /telephony/{ba}/line/{line}/statistics.
func statisticsCall(ba, line, metric, timeframe string) (upstream.Call, error) {
	p, err := upstream.Path("telephony", ba, "line", line, "statistics")
	if err != nil {
		return upstream.Call{}, upstream.BadQueryf("line %q of billing account %q: %v", upstream.Quote(line), upstream.Quote(ba), err)
	}
	return upstream.Call{Method: http.MethodGet, Path: p, Query: url.Values{"timeframe": {timeframe}, "type": {metric}}}, nil
}

// affordable refuses at once, with the numbers, a query that needs more
// statistics calls than the rate guard can start before the query's
// deadline even with no other call competing: waiting could only end in
// the deadline, and the user has to change the query or the settings.
//
// A query that fits an idle budget but meets a busy one is not refused
// here: each call then waits its turn, and the series whose turn would come
// after the deadline fail alone (a notice on a dashboard, an error for an
// alert rule), beside the series that could be read.
func (t *telephony) affordable(ctx context.Context, needed int) error {
	b, ok := t.api.Budget(ctx)
	if !ok || needed <= b.Calls {
		return nil
	}
	who := "dashboards"
	if b.Alerting {
		who = "alert rules"
	}
	within := fmt.Sprintf("before the query's deadline (in %s)", roundDuration(b.Horizon))
	if !b.Deadline {
		within = fmt.Sprintf("within one call's timeout (%s, timeoutSeconds)", roundDuration(b.Horizon))
	}
	return &upstream.Error{Source: sourceName, Kind: upstream.KindRateGuard, Message: fmt.Sprintf(
		"OVHcloud: this query needs %d statistics calls, but the plugin's rate guard can start at most %d %s: it allows %d calls per minute for %s on this credential (ovhRequestsPerMinute %d, ovhAlertingShare %g) — split the query into queries of fewer lines or metrics, lengthen the refresh interval, or raise ovhRequestsPerMinute if OVHcloud allows it",
		needed, b.Calls, within, b.PerMinute, who, b.Total, b.Share)}
}

// fetch reads every series of a, concurrently within fanOut. Each
// goroutine writes its own slot, so results keep the query's order whatever
// order the answers come in. Failures travel in the results: one series
// never stops another.
func (t *telephony) fetch(ctx context.Context, a *answer, calls []statsCall) []fetched {
	results := make([]fetched, len(calls))
	t.each(ctx, len(calls), func(ctx context.Context, i int) {
		if calls[i].err != nil {
			results[i].err = calls[i].err
			return
		}
		rec := &upstream.Recorder{}
		pts, err := t.fetchPoints(upstream.WithRecorder(ctx, rec), calls[i].call, a.all[i].metric, a.m.MOSScale, a.plan)
		results[i] = fetched{points: pts, err: err, executed: rec.String()}
	})
	return results
}

// fetchPoints makes one statistics call and reads its answer straight into
// the points of its frame (readPoints).
func (t *telephony) fetchPoints(ctx context.Context, call upstream.Call, metric, mosScale string, p plan) (*seriesPoints, error) {
	resp, err := t.api.Do(ctx, call)
	if err != nil {
		return nil, forCall(err, call.Path)
	}
	return t.readPoints(resp, metric, mosScale, p)
}

// readPoints reads a statistics answer into the points of its frame, in
// one pass through a reused buffer of samples (decode.go): no copy of the
// points outlives the reading but the frame's own vectors.
func (t *telephony) readPoints(resp *upstream.Response, metric, mosScale string, p plan) (*seriesPoints, error) {
	if err := t.api.CheckJSON(resp); err != nil {
		return nil, err
	}
	buf := sampleBufs.Get().(*[]sample)
	defer sampleBufs.Put(buf)
	unit, samples, err := decodeSamples(resp.Body, *buf)
	if *buf = samples; err != nil {
		return nil, t.api.DecodeError(resp, err)
	}
	return pointsOf(samples, metric, unit, scaleOf(metric, mosScale), p), nil
}

// describe reads the targets' descriptions, which only name the series:
// after the statistics, never at their expense. An alerting request takes
// them from the lookup cache alone; a dashboard also fetches those the rate
// guard has a turn to spare for (upstream.OnlySpare). A line left without
// one is named by its service name.
func (t *telephony) describe(ctx context.Context, targets []target) []described {
	out := make([]described, len(targets))
	if upstream.IsAlerting(ctx) {
		for i, tg := range targets {
			out[i].err = errNotLooked
			if info, ok := t.lines.peek(lineKey(tg.ba, tg.line)); ok {
				out[i] = described{info: info}
			}
		}
		return out
	}
	spare := upstream.OnlySpare(unrecorded(ctx))
	t.each(spare, len(targets), func(ctx context.Context, i int) {
		info, err := t.lineInfo(ctx, targets[i].ba, targets[i].line)
		out[i] = described{info: info, err: err}
	})
	return out
}

// unrecorded keeps the lookups that only label series (descriptions, the
// diagnosis of a missing route) out of Meta.ExecutedQueryString: a nil
// recorder records nothing.
func unrecorded(ctx context.Context) context.Context { return upstream.WithRecorder(ctx, nil) }

// diagnose explains the statistics calls answered 404 or 400. A line that
// exists (its account lists it, or its own lookup, made now if describe did
// not, finds it) means the account no longer serves the deprecated
// statistics route; a missing line is either missing from the account or
// the account is unknown, which one more call decides.
func (t *telephony) diagnose(ctx context.Context, a *answer) {
	ctx = unrecorded(ctx)
	accounts := map[string]error{} // account lookups made, by account
	for i, s := range a.all {
		e := routeMissing(a.results[i].err)
		if e == nil {
			continue
		}
		tg := a.x.targets[s.target]
		line := &a.lines[s.target]
		if !tg.listed && line.err != nil && notFound(line.err) == nil {
			info, err := t.lineInfo(ctx, tg.ba, tg.line)
			*line = described{info: info, err: err}
		}
		switch {
		case tg.listed || line.err == nil:
			a.results[i].err = retiredRoute(e, tg.ba, tg.line)
			a.results[i].retired = e.Status == http.StatusNotFound // a 400 may mean something else: it stays an error
		case notFound(line.err) != nil:
			accountErr, checked := accounts[tg.ba]
			if !checked {
				_, accountErr = t.accountInfo(ctx, tg.ba)
				accounts[tg.ba] = accountErr
			}
			if notFound(accountErr) != nil {
				a.results[i].err = unknownAccount(e, tg.ba)
			} else if accountErr == nil {
				a.results[i].err = unknownLine(e, tg.ba, tg.line)
			}
		}
	}
}

// frames builds one frame per series, in order. A failed series becomes an
// empty frame with the same labels and an error notice, beside the good
// ones. The query fails instead when every series failed, and for an alert
// rule when any did: a partial answer would reduce the missing series to
// NaN and read Normal, while the rule's error state is the truth.
func (t *telephony) frames(a *answer) (data.Frames, error) {
	frames := make(data.Frames, 0, len(a.all))
	var failed []int
	var retired []string // accounts left out of billingAccount "*"
	for i, s := range a.all {
		tg := a.x.targets[s.target]
		res := a.results[i]
		if res.retired && a.m.AllAccounts() {
			if len(retired) == 0 || retired[len(retired)-1] != tg.ba {
				retired = append(retired, tg.ba)
			}
			continue
		}
		spec := frameSpec{
			billingAccount: tg.ba,
			line:           tg.line,
			metric:         s.metric,
			name:           displayName(tg.line, a.lines[s.target]),
			mosScale:       a.m.MOSScale,
			executed:       res.executed,
		}
		if res.err != nil {
			failed = append(failed, i)
			frames = append(frames, errorFrame(spec, upstream.Clean(res.err.Error(), t.secrets)))
			continue
		}
		frames = append(frames, pointsFrame(spec, res.points, a.plan))
	}
	switch {
	case len(failed) > 0 && len(failed) == len(frames) && !a.alerting:
		return nil, a.results[failed[0]].err
	case len(failed) > 0 && a.alerting:
		return nil, t.alertFailure(a, failed)
	}
	notices := a.x.notices
	for _, ba := range retired {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"Billing account %s no longer serves line statistics (OVHcloud deprecated the route on 2022-03-17): it is left out of billingAccount %q.", upstream.Quote(ba), models.All)})
	}
	if a.x.expanded {
		notices = append(notices, costNotice(a))
	}
	if len(frames) == 0 {
		return nothingToShow(expansion{notices: notices, executed: a.x.executed}), nil
	}
	first := frames[0]
	first.Meta.Notices = append(notices, first.Meta.Notices...)
	first.Meta.ExecutedQueryString = joinLines(a.x.executed, first.Meta.ExecutedQueryString)
	return frames, nil
}

// alertFailure is the error of an alerting query some series of which
// could not be read: it names them (the first few), their metric and their
// cause, with the status of the first cause.
func (t *telephony) alertFailure(a *answer, failed []int) error {
	const named = 3
	parts := make([]string, 0, named)
	for _, i := range failed[:min(named, len(failed))] {
		s := a.all[i]
		tg := a.x.targets[s.target]
		parts = append(parts, fmt.Sprintf("line %s of billing account %s, %s: %s",
			upstream.Quote(tg.line), upstream.Quote(tg.ba), s.metric, upstream.Shorten(a.results[i].err.Error(), 300)))
	}
	if more := len(failed) - named; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	msg := upstream.Clean(fmt.Sprintf("OVHcloud: %d of %d series of this alert query could not be read, so the rule cannot be evaluated: %s",
		len(failed), len(a.all), strings.Join(parts, "; ")), t.secrets)
	cause := a.results[failed[0]].err
	var ue *upstream.Error
	if errors.As(cause, &ue) {
		c := *ue
		c.Message = msg
		return &c
	}
	var bq *upstream.BadQueryError
	if errors.As(cause, &bq) {
		return upstream.BadQuery(errors.New(msg))
	}
	return &upstream.Error{Source: sourceName, Kind: upstream.KindNetwork, Message: msg, Err: cause}
}

// costNotice says what a query over expanded lines or accounts cost:
// "12 statistics calls for 3 lines × 4 metrics (2 answered from the cache)".
func costNotice(a *answer) data.Notice {
	accounts := map[string]bool{}
	for _, tg := range a.x.targets {
		accounts[tg.ba] = true
	}
	lines := plural(len(a.x.targets), "line")
	if len(accounts) > 1 {
		lines += " of " + plural(len(accounts), "billing account")
	}
	return data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(
		"%s for %s × %s (%d answered from the cache).",
		plural(len(a.all), "statistics call"), lines, plural(len(a.m.Metrics), "metric"), len(a.all)-a.uncached)}
}

// nothingToShow is the answer of a query whose accounts list no line: one
// empty frame carrying the notices (an alert rule reads it as no data).
func nothingToShow(x expansion) data.Frames {
	f := data.NewFrame("")
	f.Meta = &data.FrameMeta{Notices: x.notices, ExecutedQueryString: x.executed}
	return data.Frames{f}
}

// roundDuration rounds d for a message: to the second from 10 s on, else
// to the tenth of a second.
func roundDuration(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

// displayName is the line's description when it has one, else its name.
func displayName(line string, d described) string {
	if desc := strings.TrimSpace(d.info.Description); d.err == nil && desc != "" {
		return desc
	}
	return line
}
