package contract

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// askAlerting sends one query as an alert rule's evaluation.
func askAlerting(t *testing.T, ctx context.Context, ds DataSource, q Query) backend.DataResponse {
	t.Helper()
	resp, err := host.QueryDataWithHeaders(ctx, ds, AlertHeaders, q)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Responses[q.RefID]
}

// One failing line: an alert rule's query answers an error naming the
// line, the metric and the cause; the same query from a dashboard answers
// the good series beside an error notice.
func TestAlertingOneFailingLineFailsTheQuery(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	sb.AddFault(sandbox.Fault{API: sandbox.APIOVH, Path: "/line/" + telLine2 + "/statistics", Kind: sandbox.FaultStatus, Status: 500})
	model := map[string]any{"billingAccount": telAccount, "lines": []string{"*"}, "metrics": []string{"rtpMos"}}

	a := askAlerting(t, ctxT(t), sandboxDataSource("alert-fail", base), telephonyQuery("A", time.Hour, model))
	if a.Error == nil || len(a.Frames) != 0 {
		t.Fatalf("alerting: error %v, %d frames; want an error", a.Error, len(a.Frames))
	}
	for _, want := range []string{"1 of 3 series of this alert query could not be read", "line " + telLine2 + " of billing account " + telAccount + ", rtpMos", "500 Internal Server Error"} {
		if !strings.Contains(a.Error.Error(), want) {
			t.Errorf("alerting error %q lacks %q", a.Error, want)
		}
	}
	if a.Status != backend.StatusBadGateway {
		t.Errorf("alerting status %d, want 502", a.Status)
	}

	d := askTelephony(t, sandboxDataSource("alert-fail-dash", base), telephonyQuery("A", time.Hour, model))
	if d.Error != nil || len(d.Frames) != 3 {
		t.Fatalf("dashboard: error %v, %d frames", d.Error, len(d.Frames))
	}
	for _, f := range d.Frames {
		bad := labelsOf(t, f)["line"] == telLine2
		errs := 0
		for _, n := range f.Meta.Notices {
			if n.Severity == data.NoticeSeverityError {
				errs++
			}
		}
		if bad != (errs == 1) || bad != (f.Rows() == 0) {
			t.Errorf("%v: %d rows, notices %+v", labelsOf(t, f), f.Rows(), f.Meta.Notices)
		}
	}
}

// An alert rule over every line of every account is answered (the retired
// account left out), without fetching a description (the retired account's
// listing already says its line exists).
func TestAlertingAllLinesAnswered(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	a := askAlerting(t, ctxT(t), sandboxDataSource("alert-all", base), telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": "*", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if a.Error != nil {
		t.Fatal(a.Error)
	}
	if got, want := telSeries(t, a.Frames), accountLines(false); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("series %v, want %v", got, want)
	}
	for path, n := range sb.Stats().Paths {
		if strings.Contains(path, "/line/") && !strings.HasSuffix(path, "/statistics") && n > 0 {
			t.Errorf("an alerting query fetched the description %s", path)
		}
	}
}

// The reservation through the binary: with dashboards saturating their
// part of a low ovhRequestsPerMinute (their next turn past any deadline),
// alert rules are still answered; without a reservation they are refused.
func TestAlertingReservationSurvivesSaturatedDashboards(t *testing.T) {
	for _, share := range []float64{0.5, 0} {
		t.Run(fmt.Sprintf("share %g", share), func(t *testing.T) {
			_, base := startSandbox(t, sandbox.Config{})
			ds := sandboxDataSource(fmt.Sprintf("alert-reserve-%g", share), base)
			ds.JSONData["ovhRequestsPerMinute"] = 12
			ds.JSONData["ovhAlertingShare"] = share
			ds.JSONData["cacheTTLSeconds"] = 0
			var lines []string
			for _, l := range accountLines(false) {
				lines = append(lines, l[strings.Index(l, "/")+1:])
			}
			query := func(i int) Query {
				line := lines[i%len(lines)]
				ba := telAccount
				if !strings.HasPrefix(line, "00331234") {
					ba = "cd67890-ovh-1"
				}
				metric := []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"}[i/len(lines)%4]
				return telephonyQuery("A", time.Hour, map[string]any{"billingAccount": ba, "lines": []string{line}, "metrics": []string{metric}})
			}
			// Dashboards take every turn they can until the guard refuses them.
			i, refused := 0, false
			for ; i < 20 && !refused; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				resp, err := host.QueryData(ctx, ds, query(i))
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				r := resp.Responses["A"]
				switch {
				case r.Error == nil:
				case strings.Contains(r.Error.Error(), "rate guard (12 calls per minute for this credential"):
					refused = true
				default:
					t.Fatalf("dashboard query %d: %v", i, r.Error)
				}
			}
			if !refused {
				t.Fatal("the dashboards never saturated the guard")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			a := askAlerting(t, ctx, ds, query(i))
			if share > 0 && (a.Error != nil || len(a.Frames) != 1 || a.Frames[0].Rows() == 0) {
				t.Errorf("alerting behind saturated dashboards: %v", a.Error)
			}
			if share == 0 && (a.Error == nil || a.Status != backend.StatusTooManyRequests) {
				t.Errorf("with ovhAlertingShare 0 the alert got a turn the dashboards had spent: %v", a.Error)
			}
		})
	}
}
