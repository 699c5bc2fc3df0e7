package ovh

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// metricMeanings describe the four metrics, after the source document.
var metricMeanings = []source.Option{
	{Value: "maxDelay", Text: "maxDelay", Description: "Largest delay between two SIP packets, in seconds"},
	{Value: "maxJitter", Text: "maxJitter", Description: "Largest jitter during the call, in seconds"},
	{Value: "rtpMos", Text: "rtpMos", Description: "MOS of the RTP packets, 0–5000 (higher is better; MOS × 1000)"},
	{Value: "sumRtpLost", Text: "sumRtpLost", Description: "Number of lost RTP packets"},
}

// routes serves the resource routes below /telephony/.
func (t *telephony) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /billing-accounts", t.serveBillingAccounts)
	mux.HandleFunc("GET /lines", t.serveLines)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		source.WriteJSON(w, http.StatusOK, metricMeanings)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		source.WriteError(w, http.StatusNotFound, "unknown telephony resource "+upstream.Quote(r.URL.Path)+": expected GET billing-accounts, lines?billingAccount=… or metrics")
	})
	return mux
}

// serveBillingAccounts lists the billing accounts with their descriptions
// ("ab12345-ovh-1 — Head office"). A description that cannot be read, or
// finds no spare turn of the rate guard, leaves the account's bare name.
func (t *telephony) serveBillingAccounts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var names []string
	if err := t.get(ctx, "/telephony", nil, &names); err != nil {
		t.fail(w, err)
		return
	}
	opts := make([]source.Option, len(names))
	t.each(upstream.OnlySpare(ctx), len(names), func(ctx context.Context, i int) {
		opts[i] = source.Option{Value: names[i], Text: names[i]}
		if ai, err := t.accountInfo(ctx, names[i]); err == nil && strings.TrimSpace(ai.Description) != "" {
			opts[i].Text = names[i] + " — " + strings.TrimSpace(ai.Description)
		}
	})
	t.answer(ctx, w, opts)
}

// serveLines lists the lines of ?billingAccount=: value the service name,
// text its description (or the name), description its service type. The
// account may also be "*" (every account) or several ("a,b" or "{a,b}", a
// multi-value variable): the lines of each, the account then named in each
// description. Descriptions only take the rate guard's spare turns, so the
// editor never delays a panel's statistics; a line without one shows its
// name.
func (t *telephony) serveLines(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := models.TelephonyQuery{BillingAccount: r.URL.Query().Get("billingAccount"), Lines: []string{models.All}, Metrics: models.TelephonyMetrics}
	err := models.CheckVariable("billingAccount", q.BillingAccount)
	if err == nil {
		err = q.Validate() // "billingAccount is required (…)"
	}
	if err != nil {
		t.fail(w, upstream.BadQuery(err))
		return
	}
	x, err := t.expand(ctx, &q)
	if err != nil {
		t.fail(w, err)
		return
	}
	several := len(q.BillingAccounts) > 1 || q.AllAccounts()
	opts := make([]source.Option, len(x.targets))
	t.each(upstream.OnlySpare(ctx), len(x.targets), func(ctx context.Context, i int) {
		tg := x.targets[i]
		opts[i] = source.Option{Value: tg.line, Text: tg.line}
		if li, err := t.lineInfo(ctx, tg.ba, tg.line); err == nil {
			if d := strings.TrimSpace(li.Description); d != "" {
				opts[i].Text = d
			}
			opts[i].Description = li.ServiceType
		}
		if several {
			opts[i].Description = strings.TrimPrefix(opts[i].Description+" · "+tg.ba, " · ")
		}
	})
	t.answer(ctx, w, opts)
}

// each runs fn for 0..n-1, concurrently within fanOut.
func (t *telephony) each(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	var g errgroup.Group
	g.SetLimit(fanOut)
	for i := range n {
		g.Go(func() error { fn(ctx, i); return nil })
	}
	_ = g.Wait()
}

// answer writes the options sorted by text, unless the caller has gone.
func (t *telephony) answer(ctx context.Context, w http.ResponseWriter, opts []source.Option) {
	if err := ctx.Err(); err != nil {
		t.fail(w, err)
		return
	}
	slices.SortStableFunc(opts, func(a, b source.Option) int { return cmp.Compare(a.Text, b.Text) })
	source.WriteJSON(w, http.StatusOK, opts)
}

// fail answers a failed resource call, scrubbed of any secret.
func (t *telephony) fail(w http.ResponseWriter, err error) {
	var ue *upstream.Error
	if errors.As(err, &ue) {
		c := *ue
		c.Message = upstream.Scrub(c.Message, t.secrets)
		err = &c
	}
	source.WriteFailure(w, err)
}
