package contract

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// TestSecretsNeverLeak plants distinctive secrets in every secure setting —
// the sandbox's valid ones (so the success paths run) and wrong ones (so the
// failure paths run) — then drives health checks, queries of every type and
// every resource route through the binary, and searches everything that came
// back, and everything the plugin logged, for them.
func TestSecretsNeverLeak(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	good := sandboxDataSource("secrets-good", base)
	bad := sandboxDataSource("secrets-bad", base)
	bad.Secure = map[string]string{
		"ovhApplicationSecret": "planted-ovh-application-secret-7f3a",
		"ovhConsumerKey":       "planted-ovh-consumer-key-91bc",
		"onappApiKey":          "planted-onapp-api-key-5d2e",
		"pulseToken":           "planted-pulse-token-c4a8",
	}
	oauth := sandboxDataSource("secrets-oauth", base)
	oauth.JSONData["ovhAuthMethod"] = "oauth2"
	oauth.JSONData["ovhClientId"] = sandbox.OVHClientID
	oauth.Secure["ovhClientSecret"] = "planted-ovh-client-secret-0e77"

	secrets := []string{sandbox.OVHAppSecret, sandbox.OVHConsumerKey, sandbox.OnAppAPIKey, sandbox.PulseToken, "planted-ovh-client-secret-0e77"}
	for _, v := range bad.Secure {
		secrets = append(secrets, v)
	}

	var seen strings.Builder
	record := func(v any) {
		b, _ := json.Marshal(v)
		seen.Write(b)
		seen.WriteByte('\n')
	}
	now := time.Now()
	queries := []Query{
		{RefID: "T", QueryType: "telephony", JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0000"}, "metrics": []string{"rtpMos"}}},
		{RefID: "C", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": "resource"}},
		{RefID: "L", QueryType: "usage", JSON: map[string]any{"report": "logs", "limit": 200}},
		{RefID: "R", QueryType: "usage", JSON: map[string]any{"report": "requests"}},
	}
	for i := range queries {
		queries[i].From, queries[i].To = now.Add(-2*time.Hour), now
	}
	routes := []string{"telephony/billing-accounts", "telephony/lines?billingAccount=ab12345-ovh-1", "telephony/metrics",
		"cdn/resources", "cdn/locations", "usage/enterprises", "usage/devices", "usage/routes"}

	for _, ds := range []DataSource{good, bad, oauth} {
		ctx := ctxT(t)
		h, err := host.CheckHealth(ctx, ds)
		if err != nil {
			t.Fatal(err)
		}
		record(h)
		resp, err := host.QueryData(ctx, ds, queries...)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Responses {
			if r.Error != nil {
				record(r.Error.Error())
			}
			for _, f := range r.Frames {
				record(f) // fields, labels, meta (ExecutedQueryString, notices)
			}
		}
		for _, route := range routes {
			res, err := host.CallResource(ctx, ds, "GET", route)
			if err != nil {
				t.Fatal(err)
			}
			seen.Write(res.Body)
		}
	}
	if !strings.Contains(seen.String(), "executedQueryString") {
		t.Fatal("no frame metadata was captured: the test would prove nothing")
	}
	everything := seen.String() + host.Logs()
	for _, s := range secrets {
		if strings.Contains(everything, s) {
			t.Errorf("secret %q appears in an answer or a log line", s)
		}
	}
}
