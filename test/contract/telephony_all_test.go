package contract

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// accountLines lists "account/line" of the sandbox's accounts that still
// serve statistics (all of them with retired true), in the API's order.
func accountLines(retired bool, accounts ...string) []string {
	var out []string
	for _, a := range sandbox.OVHAccounts() {
		if (a.StatisticsRetired && !retired) || (len(accounts) > 0 && !slices.Contains(accounts, a.BillingAccount)) {
			continue
		}
		for _, l := range a.Lines {
			out = append(out, a.BillingAccount+"/"+l.ServiceName)
		}
	}
	return out
}

// telSeries lists "account/line" of frames, checking that each label set is
// unique.
func telSeries(t *testing.T, frames data.Frames) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, f := range frames {
		l := labelsOf(t, f)
		if seen[l.String()] {
			t.Errorf("labels %v twice", l)
		}
		seen[l.String()] = true
		out = append(out, l["billingAccount"]+"/"+l["line"])
	}
	return out
}

func telNotices(f *data.Frame) string {
	var texts []string
	for _, n := range f.Meta.Notices {
		texts = append(texts, n.Severity.String()+": "+n.Text)
	}
	return strings.Join(texts, " | ")
}

// lines ["*"] answers every line of the sandbox account, with the cost
// notice and the listing in the first frame's executed calls.
func TestTelephonyAllLinesOfTheAccount(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	r := askTelephony(t, sandboxDataSource("tel-all-lines", base), telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	want := accountLines(false, telAccount)
	if got := telSeries(t, r.Frames); !slices.Equal(got, want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for _, f := range r.Frames {
		if f.Rows() == 0 {
			t.Errorf("%v: no points", labelsOf(t, f))
		}
	}
	first := r.Frames[0]
	if n := telNotices(first); n != "info: 3 statistics calls for 3 lines × 1 metric (0 answered from the cache)." {
		t.Errorf("notices %q", n)
	}
	if !strings.Contains(first.Meta.ExecutedQueryString, "/telephony/"+telAccount+"/line\n") {
		t.Errorf("executed %q", first.Meta.ExecutedQueryString)
	}
	// Asked again within the cache's lifetime, every call is answered from it.
	again := askTelephony(t, sandboxDataSource("tel-all-lines", base), telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if again.Error != nil || len(again.Frames) == 0 {
		t.Fatalf("again: %v", again.Error)
	}
	if n := telNotices(again.Frames[0]); n != "info: 3 statistics calls for 3 lines × 1 metric (3 answered from the cache)." {
		t.Errorf("again: notices %q", n)
	}
}

// billingAccount "*" answers every line of every account, the retired
// account left out with a warning; "{a,b}" (Grafana's multi-value format)
// and "a,b" the lines of the accounts named.
func TestTelephonyAllAccountsAndMultiValue(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("tel-all-accounts", base)
	ds.JSONData["ovhRequestsPerMinute"] = 6000 // these queries are not about the guard
	r := askTelephony(t, ds, telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": "*", "lines": []string{"*"}, "metrics": []string{"rtpMos"}}))
	if r.Error != nil {
		t.Fatal(r.Error)
	}
	if got, want := telSeries(t, r.Frames), accountLines(false); !slices.Equal(got, want) {
		t.Errorf("series %v, want %v", got, want)
	}
	if n := telNotices(r.Frames[0]); !strings.Contains(n, "warning: Billing account "+sandbox.OVHRetiredAccount+" no longer serves line statistics") ||
		!strings.Contains(n, "info: 6 statistics calls for 6 lines of 3 billing accounts × 1 metric") {
		t.Errorf("notices %q", n)
	}

	two := []string{telAccount, "cd67890-ovh-1"}
	for _, ba := range []string{"{" + strings.Join(two, ",") + "}", strings.Join(two, ",")} {
		r := askTelephony(t, ds, telephonyQuery("A", time.Hour, map[string]any{
			"billingAccount": ba, "lines": []string{"*"}, "metrics": []string{"rtpMos", "maxJitter"}}))
		if r.Error != nil {
			t.Fatalf("%s: %v", ba, r.Error)
		}
		var want []string
		for _, s := range accountLines(false, two...) {
			want = append(want, s, s) // two metrics
		}
		if got := telSeries(t, r.Frames); !slices.Equal(got, want) {
			t.Errorf("%s: series %v, want %v", ba, got, want)
		}
	}
}

// The editor's lines route takes "*" and several accounts. Descriptions
// take only the rate guard's spare turns: the guard is raised here so that
// every one has one.
func TestTelephonyAllLinesResource(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("tel-all-resource", base)
	ds.JSONData["ovhRequestsPerMinute"] = 6000
	for _, q := range []string{"*", "%7Bab12345-ovh-1,cd67890-ovh-1%7D"} {
		res, err := host.CallResource(ctxT(t), ds, "GET", "telephony/lines?billingAccount="+q)
		if err != nil {
			t.Fatal(err)
		}
		var opts []struct{ Value, Text, Description string }
		if res.Status != 200 || json.Unmarshal(res.Body, &opts) != nil {
			t.Fatalf("%s: %d %s", q, res.Status, res.Body)
		}
		want := len(accountLines(true))
		if q != "*" {
			want = len(accountLines(true, telAccount, "cd67890-ovh-1"))
		}
		if len(opts) != want {
			t.Errorf("%s: %d lines, want %d: %s", q, len(opts), want, res.Body)
		}
		if !strings.Contains(string(res.Body), `"text":"Reception desk","description":"line · ab12345-ovh-1"`) {
			t.Errorf("%s: %s", q, res.Body)
		}
	}
}

// A query needing more statistics calls than the guard can start before
// its deadline fails at once with the numbers, and makes none.
func TestTelephonyAllOverTheBudgetFailsAtOnce(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("tel-all-budget", base)
	ds.JSONData["ovhRequestsPerMinute"] = 12
	ds.JSONData["ovhAlertingShare"] = 0.5
	r := askTelephony(t, ds, telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{"*"}, "metrics": []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"}}))
	if r.Error == nil || r.Status != backend.StatusTooManyRequests {
		t.Fatalf("status %d error %v", r.Status, r.Error)
	}
	for _, want := range []string{"this query needs 12 statistics calls", "6 calls per minute for dashboards", "ovhRequestsPerMinute 12, ovhAlertingShare 0.5"} {
		if !strings.Contains(r.Error.Error(), want) {
			t.Errorf("%q lacks %q", r.Error, want)
		}
	}
	for path, n := range sb.Stats().Paths {
		if strings.HasSuffix(path, "/statistics") && n > 0 {
			t.Errorf("%d calls of %s", n, path)
		}
	}
}
