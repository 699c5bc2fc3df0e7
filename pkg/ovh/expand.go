package ovh

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// expansion is what a query reads: its billing accounts (billingAccount "*"
// and multi-value variables expanded) and their lines (lines ["*"]
// expanded), each (account, line) once.
type expansion struct {
	targets []target
	// notices tell what a dashboard should know: accounts that list no
	// line, accounts or lines that could not be found.
	notices []data.Notice
	// executed are the listing calls made (GET /telephony, GET …/line).
	executed string
	// expanded: the query did not write out one account and its lines.
	expanded bool
}

// expand lists the query's targets. One account with lines written out
// needs no call. Otherwise the accounts and their lines come from the
// cached lookups (accountNames, lineNames); lines written out for several
// accounts are read in the accounts that list them.
//
// An account or line that cannot be listed or found fails an alerting
// query (its rule must not read Normal for lines it never saw), and is a
// notice on a dashboard, unless nothing at all is left to show.
func (t *telephony) expand(ctx context.Context, m *models.TelephonyQuery) (expansion, error) {
	x := expansion{expanded: m.AllAccounts() || m.AllLines() || len(m.BillingAccounts) > 1}
	if !x.expanded {
		for _, l := range m.Lines {
			x.targets = append(x.targets, target{ba: m.BillingAccounts[0], line: l})
		}
		return x, nil
	}
	rec := &upstream.Recorder{}
	ctx = upstream.WithRecorder(ctx, rec)
	accounts := m.BillingAccounts
	if m.AllAccounts() {
		names, err := t.accountNames(ctx)
		if err != nil {
			return x, err
		}
		accounts = names
		if len(names) == 0 {
			x.notices = append(x.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
				"This credential sees no billing account: billingAccount %q has no line to show.", models.All)})
		}
	}
	listed := make([][]string, len(accounts))
	errs := make([]error, len(accounts))
	t.each(ctx, len(accounts), func(ctx context.Context, i int) {
		listed[i], errs[i] = t.lineNames(ctx, accounts[i])
	})
	if err := ctx.Err(); err != nil {
		return x, err
	}
	alerting := upstream.IsAlerting(ctx)
	var firstErr error
	found := map[string]bool{} // lines written out that some account lists
	seen := map[target]bool{}
	for i, ba := range accounts {
		if errs[i] != nil {
			err := inAccount(errs[i], ba)
			if alerting || len(accounts) == 1 {
				return x, err
			}
			if firstErr == nil {
				firstErr = err
			}
			x.notices = append(x.notices, data.Notice{Severity: data.NoticeSeverityError, Text: upstream.Clean(err.Error(), t.secrets)})
			continue
		}
		if len(listed[i]) == 0 {
			x.notices = append(x.notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
				"Billing account %s lists no lines: there is nothing to show for it.", upstream.Quote(ba))})
		}
		lines := listed[i]
		if !m.AllLines() {
			lines = listedOnly(m.Lines, listed[i])
		}
		for _, l := range lines {
			found[l] = true
			if tg := (target{ba: ba, line: l, listed: true}); !seen[tg] {
				seen[tg] = true
				x.targets = append(x.targets, tg)
			}
		}
	}
	if !m.AllLines() && firstErr == nil {
		if err := linesNowhere(m.Lines, found, accounts); err != nil {
			if alerting || len(x.targets) == 0 {
				return x, err
			}
			x.notices = append(x.notices, data.Notice{Severity: data.NoticeSeverityError, Text: err.Error()})
		}
	}
	if len(x.targets) == 0 && firstErr != nil {
		return x, firstErr
	}
	x.executed = rec.String()
	return x, nil
}

// listedOnly keeps the lines of want that the account lists, in want's
// order.
func listedOnly(want, listed []string) []string {
	in := make(map[string]bool, len(listed))
	for _, l := range listed {
		in[l] = true
	}
	var out []string
	for _, l := range want {
		if in[l] {
			out = append(out, l)
		}
	}
	return out
}

// linesNowhere names the lines written out in the query that none of its
// accounts lists.
func linesNowhere(want []string, found map[string]bool, accounts []string) error {
	var missing []string
	for _, l := range want {
		if !found[l] {
			missing = append(missing, upstream.Quote(l))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	what := "line " + missing[0]
	if len(missing) > 1 {
		what = "lines " + strings.Join(missing[:min(5, len(missing))], ", ")
		if len(missing) > 5 {
			what += fmt.Sprintf(" and %d more", len(missing)-5)
		}
	}
	return &upstream.Error{Source: sourceName, Kind: upstream.KindHTTP, Status: http.StatusNotFound, Message: upstream.Clean(fmt.Sprintf(
		"OVHcloud: none of the %s of this query lists %s — check the lines in the query; the editor lists the lines of each account",
		plural(len(accounts), "billing account"), what), nil)}
}

// inAccount names the billing account in the error of its lines' listing,
// unless the message already does.
func inAccount(err error, ba string) error {
	var e *upstream.Error
	q := upstream.Quote(ba)
	if !errors.As(err, &e) || strings.Contains(e.Message, q) {
		return err
	}
	c := *e
	c.Message = fmt.Sprintf("OVHcloud: listing the lines of billing account %s failed: %s", q, e.Message)
	return &c
}
