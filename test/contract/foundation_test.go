package contract

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestBinaryRefusesToRunByHand(t *testing.T) {
	bin, err := BinaryPath()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err == nil {
		t.Fatalf("running the plugin by hand should fail, printed %q", out)
	}
	if !strings.Contains(string(out), "This binary is a plugin") {
		t.Fatalf("expected go-plugin's refusal, got %q", out)
	}
}

func TestHealthWithNothingConfiguredIsAnError(t *testing.T) {
	res, err := host.CheckHealth(ctxT(t), DataSource{UID: "empty", JSONData: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "No source is configured") {
		t.Fatalf("got %v %q", res.Status, res.Message)
	}
}

func TestHealthReportsEverySourceOK(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	res, err := host.CheckHealth(ctxT(t), sandboxDataSource("health-ok", base))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk {
		t.Fatalf("status %v, message:\n%s", res.Status, res.Message)
	}
	for _, name := range []string{"Telephony QoS (OVHcloud): OK", "CDN bandwidth (OnApp): OK", "Usage (Pulse): OK"} {
		if !strings.Contains(res.Message, name) {
			t.Errorf("health message lacks %q:\n%s", name, res.Message)
		}
	}
	var details struct {
		Sources []struct {
			Source string `json:"source"`
			OK     bool   `json:"ok"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(res.JSONDetails, &details); err != nil || len(details.Sources) != 3 {
		t.Fatalf("details %s: %v", res.JSONDetails, err)
	}
}

func TestHealthNamesTheFailingSourceAndWhy(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	cases := []struct {
		name, secret, value string
		want                []string
	}{
		{"ovh", "ovhApplicationSecret", "wrong-secret", []string{"Telephony QoS (OVHcloud)", "signature"}},
		{"ovh consumer key", "ovhConsumerKey", "unknown-consumer-key", []string{"Telephony QoS (OVHcloud)", "INVALID_CREDENTIAL"}},
		{"onapp", "onappApiKey", "wrong-key", []string{"CDN bandwidth (OnApp)", "401", "e-mail and API key"}},
		{"pulse", "pulseToken", "wrong-token", []string{"Usage (Pulse)", "401", "token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := sandboxDataSource("health-bad-"+tc.name, base)
			ds.Secure[tc.secret] = tc.value
			res, err := host.CheckHealth(ctxT(t), ds)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != backend.HealthStatusError {
				t.Fatalf("want an error, got OK:\n%s", res.Message)
			}
			var failing string
			for _, line := range strings.Split(res.Message, "\n") {
				if strings.HasPrefix(line, tc.want[0]) {
					failing = line
				} else if !strings.Contains(line, ": OK") {
					t.Errorf("another source failed too: %q", line)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(failing, w) {
					t.Errorf("failing line %q lacks %q", failing, w)
				}
			}
		})
	}
}

func TestBadQueriesFailAloneAndSiblingsAnswer(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("per-query", base)
	to := time.Now()
	from := to.Add(-6 * time.Hour)
	resp, err := host.QueryData(ctxT(t), ds,
		Query{RefID: "A", QueryType: "telephony", JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": 42}, From: from, To: to},
		Query{RefID: "B", QueryType: "nonsense", JSON: map[string]any{}, From: from, To: to},
		Query{RefID: "C", QueryType: "usage", JSON: map[string]any{"report": "requests"}, From: from, To: to},
		Query{RefID: "D", QueryType: "", JSON: map[string]any{}, From: from, To: to},
	)
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{"A": `field "lines" should be a list`, "B": `unknown queryType "nonsense"`, "D": "has no queryType"} {
		r := resp.Responses[ref]
		if r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), want) {
			t.Errorf("%s: status %d error %v, want 400 with %q", ref, r.Status, r.Error, want)
		}
		if r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: error source %q, want downstream", ref, r.ErrorSource)
		}
	}
	c := resp.Responses["C"]
	if c.Error != nil || len(c.Frames) == 0 {
		t.Fatalf("sibling query C should answer: %v", c.Error)
	}
}

func TestQueryForAnUnconfiguredSourceNamesTheSettings(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := DataSource{UID: "pulse-only", JSONData: map[string]any{"pulseUrl": base + sandbox.PulsePrefix},
		Secure: map[string]string{"pulseToken": sandbox.PulseToken}}
	now := time.Now()
	resp, err := host.QueryData(ctxT(t), ds,
		Query{RefID: "A", QueryType: "telephony", JSON: map[string]any{"billingAccount": "x", "lines": []string{"y"}, "metrics": []string{"rtpMos"}}, From: now.Add(-time.Hour), To: now},
		Query{RefID: "B", QueryType: "cdnBandwidth", JSON: map[string]any{}, From: now.Add(-time.Hour), To: now},
	)
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{"A": "ovhApplicationKey", "B": "onappUrl"} {
		r := resp.Responses[ref]
		if r.Status != backend.StatusBadRequest || r.Error == nil || !strings.Contains(r.Error.Error(), "not configured") || !strings.Contains(r.Error.Error(), want) {
			t.Errorf("%s: %d %v", ref, r.Status, r.Error)
		}
	}
	res, err := host.CallResource(ctxT(t), ds, "GET", "telephony/billing-accounts")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 400 || !strings.Contains(string(res.Body), "not configured") {
		t.Errorf("resource of an unconfigured source: %d %s", res.Status, res.Body)
	}
}
