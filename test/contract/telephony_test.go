package contract

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

const (
	telAccount = "ab12345-ovh-1"
	telLine1   = "0033123456789" // "Reception desk"
	telLine2   = "0033123456790" // "Support hotline"
)

// telephonyQuery is one telephony query over the last d.
func telephonyQuery(refID string, d time.Duration, model map[string]any) Query {
	now := time.Now()
	return Query{RefID: refID, QueryType: "telephony", JSON: model, From: now.Add(-d), To: now}
}

// askTelephony sends one query to a fresh sandbox through the binary.
func askTelephony(t *testing.T, ds DataSource, q Query) backend.DataResponse {
	t.Helper()
	resp, err := host.QueryData(ctxT(t), ds, q)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Responses[q.RefID]
}

// labelsOf returns the value field's labels of a frame.
func labelsOf(t *testing.T, f *data.Frame) data.Labels {
	t.Helper()
	if len(f.Fields) != 2 || f.Fields[0].Name != "time" || f.Fields[1].Name != "value" {
		t.Fatalf("frame fields %v, want time and value", f.Fields)
	}
	return f.Fields[1].Labels
}

// lastValue is the latest non-null value of a frame.
func lastValue(f *data.Frame) (float64, bool) {
	v := f.Fields[1]
	for i := v.Len() - 1; i >= 0; i-- {
		if p, ok := v.ConcreteAt(i); ok {
			return p.(float64), true
		}
	}
	return 0, false
}

func TestTelephonyTwoLinesTwoMetrics(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	r := askTelephony(t, sandboxDataSource("tel-2x2", base), telephonyQuery("A", 6*time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1, telLine2}, "metrics": []string{"rtpMos", "maxJitter"}}))
	if r.Error != nil || len(r.Frames) != 4 {
		t.Fatalf("error %v, %d frames; want 4 frames", r.Error, len(r.Frames))
	}
	want := []struct{ line, metric, unit, display string }{
		{telLine1, "rtpMos", "none", "Reception desk rtpMos"},
		{telLine1, "maxJitter", "s", "Reception desk maxJitter"},
		{telLine2, "rtpMos", "none", "Support hotline rtpMos"},
		{telLine2, "maxJitter", "s", "Support hotline maxJitter"},
	}
	for i, w := range want {
		f := r.Frames[i]
		got := labelsOf(t, f)
		exact := data.Labels{"billingAccount": telAccount, "line": w.line, "metric": w.metric}
		if got.String() != exact.String() {
			t.Errorf("frame %d labels %v, want %v", i, got, exact)
		}
		if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesMulti || f.Meta.TypeVersion != (data.FrameTypeVersion{0, 1}) {
			t.Errorf("frame %d meta %+v", i, f.Meta)
			continue
		}
		if !strings.Contains(f.Meta.ExecutedQueryString, "/telephony/"+telAccount+"/line/"+w.line+"/statistics?timeframe=daily&type="+w.metric) {
			t.Errorf("frame %d executed %q", i, f.Meta.ExecutedQueryString)
		}
		if cfg := f.Fields[1].Config; cfg == nil || cfg.Unit != w.unit || cfg.DisplayNameFromDS != w.display {
			t.Errorf("frame %d config %+v, want unit %s and name %q", i, cfg, w.unit, w.display)
		}
		if f.Rows() < 60 { // 6 hours of 5-minute points
			t.Errorf("frame %d has %d points", i, f.Rows())
		}
	}
}

func TestTelephonyBadLineBesideGoodSeries(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	r := askTelephony(t, sandboxDataSource("tel-badline", base), telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1, "0000000000"}, "metrics": []string{"rtpMos"}}))
	if r.Error != nil || len(r.Frames) != 2 {
		t.Fatalf("error %v, %d frames; want 2 frames and no error", r.Error, len(r.Frames))
	}
	if r.Frames[0].Rows() == 0 || len(r.Frames[0].Meta.Notices) != 0 {
		t.Errorf("good series: %d rows, notices %v", r.Frames[0].Rows(), r.Frames[0].Meta.Notices)
	}
	bad := r.Frames[1]
	if l := labelsOf(t, bad); l["line"] != "0000000000" || l["metric"] != "rtpMos" || l["billingAccount"] != telAccount {
		t.Errorf("bad series labels %v", l)
	}
	if bad.Rows() != 0 || len(bad.Meta.Notices) != 1 || bad.Meta.Notices[0].Severity != data.NoticeSeverityError ||
		!strings.Contains(bad.Meta.Notices[0].Text, `has no line "0000000000"`) || !strings.Contains(bad.Meta.Notices[0].Text, "OVH query id") {
		t.Errorf("bad series: %d rows, notices %+v", bad.Rows(), bad.Meta.Notices)
	}
}

// The source document's own example: maxJitter, timeframe monthly, one line,
// over the last month.
func TestTelephonySeedExample(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	r := askTelephony(t, sandboxDataSource("tel-seed", base), telephonyQuery("A", 30*24*time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"maxJitter"}, "timeframe": "monthly"}))
	if r.Error != nil || len(r.Frames) != 1 {
		t.Fatalf("error %v, %d frames", r.Error, len(r.Frames))
	}
	f := r.Frames[0]
	if !strings.HasSuffix(f.Meta.ExecutedQueryString, "statistics?timeframe=monthly&type=maxJitter") {
		t.Errorf("executed %q", f.Meta.ExecutedQueryString)
	}
	if f.Rows() < 300 { // 30 days of 2-hour points
		t.Fatalf("%d points", f.Rows())
	}
	nulls := 0
	for i := range f.Rows() {
		p, ok := f.Fields[1].ConcreteAt(i)
		if !ok {
			nulls++
			continue
		}
		if v := p.(float64); v < 0.001 || v > 0.05 {
			t.Errorf("jitter %v s out of the sandbox's range", v)
		}
	}
	if nulls == 0 {
		t.Error("the sandbox's null points were dropped: they must stay as gaps")
	}
}

// rtpMos over the last 6 hours for every line of an account: one label set
// per line, as an alert rule needs, and only the degraded line below 3600.
func TestTelephonyRtpMosAlertShape(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	var lines []string
	for _, a := range sandbox.OVHAccounts() {
		if a.BillingAccount == telAccount {
			for _, l := range a.Lines {
				lines = append(lines, l.ServiceName)
			}
		}
	}
	r := askTelephony(t, sandboxDataSource("tel-alert", base), telephonyQuery("A", 6*time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": lines, "metrics": []string{"rtpMos"}}))
	if r.Error != nil || len(r.Frames) != 3 {
		t.Fatalf("error %v, %d frames; want 3", r.Error, len(r.Frames))
	}
	seen := map[string]bool{}
	for i, f := range r.Frames {
		l := labelsOf(t, f)
		if seen[l.String()] || l["line"] != lines[i] {
			t.Errorf("frame %d labels %v: not unique per line, or out of order", i, l)
		}
		seen[l.String()] = true
		v, ok := lastValue(f)
		if !ok {
			t.Fatalf("line %s has no value", l["line"])
		}
		if below := v < 3600; below != (l["line"] == sandbox.OVHDegradedLine) {
			t.Errorf("line %s latest rtpMos %v (degraded line is %s)", l["line"], v, sandbox.OVHDegradedLine)
		}
	}
}

// An OAuth2 service account answers queries and the health check.
func TestTelephonyOAuth2(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := oauth2DataSource("tel-oauth2", base, sandbox.OVHClientID)
	r := askTelephony(t, ds, telephonyQuery("A", time.Hour, map[string]any{
		"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"rtpMos", "sumRtpLost"}}))
	if r.Error != nil || len(r.Frames) != 2 || r.Frames[0].Rows() == 0 {
		t.Fatalf("error %v, %d frames", r.Error, len(r.Frames))
	}
	res, err := host.CheckHealth(ctxT(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("Telephony QoS (OVHcloud): OK — %d billing accounts visible", len(sandbox.OVHAccounts())); !strings.Contains(res.Message, want) {
		t.Errorf("health %q lacks %q", res.Message, want)
	}
}

func oauth2DataSource(uid, base, clientID string) DataSource {
	ds := sandboxDataSource(uid, base)
	ds.JSONData["ovhAuthMethod"] = "oauth2"
	ds.JSONData["ovhClientId"] = clientID
	ds.Secure["ovhClientSecret"] = sandbox.OVHClientSecret
	return ds
}

// Each way the credential can fall short, with the message the user sees.
func TestTelephonyCredentialErrors(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	limited := sandboxDataSource("tel-limited", base)
	limited.Secure["ovhConsumerKey"] = sandbox.OVHConsumerKeyLimited
	expired := sandboxDataSource("tel-expired", base)
	expired.Secure["ovhConsumerKey"] = sandbox.OVHConsumerKeyExpired
	cases := []struct {
		name   string
		ds     DataSource
		status backend.Status
		want   []string
	}{
		{"limited consumer key", limited, backend.StatusForbidden, []string{
			"not granted GET /telephony/" + telAccount + "/line/" + telLine1 + "/statistics (NOT_GRANTED_CALL)", "access rule GET /telephony/*"}},
		{"expired consumer key", expired, backend.StatusForbidden, []string{"INVALID_CREDENTIAL", "ovhConsumerKey"}},
		{"service account without the IAM action", oauth2DataSource("tel-noiam", base, sandbox.OVHClientIDNoIAM), backend.StatusForbidden, []string{
			"IAM does not grant this service account the action voip:apiovh:line/statistics/get", "grant it"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := askTelephony(t, tc.ds, telephonyQuery("A", time.Hour, map[string]any{
				"billingAccount": telAccount, "lines": []string{telLine1}, "metrics": []string{"rtpMos"}}))
			if r.Error == nil || r.Status != tc.status || r.ErrorSource != backend.ErrorSourceDownstream {
				t.Fatalf("status %d source %q error %v", r.Status, r.ErrorSource, r.Error)
			}
			for _, w := range append(tc.want, "(OVH query id EU.ext-1.") {
				if !strings.Contains(r.Error.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, r.Error)
				}
			}
		})
	}
	// The limited key passes authentication but cannot read statistics:
	// the health check says so.
	res, err := host.CheckHealth(ctxT(t), limited)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "Telephony QoS (OVHcloud): the consumer key is validated but not granted GET /telephony/*") {
		t.Errorf("health of the limited key: %v %q", res.Status, res.Message)
	}
}

// The account whose statistics route is retired says so plainly.
func TestTelephonyRetiredStatistics(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	var line string
	for _, a := range sandbox.OVHAccounts() {
		if a.BillingAccount == sandbox.OVHRetiredAccount {
			line = a.Lines[0].ServiceName
		}
	}
	r := askTelephony(t, sandboxDataSource("tel-retired", base), telephonyQuery("A", 24*time.Hour, map[string]any{
		"billingAccount": sandbox.OVHRetiredAccount, "lines": []string{line}, "metrics": []string{"rtpMos"}}))
	if r.Error == nil || !strings.Contains(r.Error.Error(), "this OVHcloud account no longer serves line statistics (OVH deprecated the route on 2022-03-17)") {
		t.Fatalf("error %v", r.Error)
	}
}

func TestTelephonyHealthWithKeys(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	res, err := host.CheckHealth(ctxT(t), sandboxDataSource("tel-health", base))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Message, "Telephony QoS (OVHcloud): OK — consumer key validated") || !strings.Contains(res.Message, "GET /telephony/*") {
		t.Errorf("health %q", res.Message)
	}
}

type option struct {
	Value, Text, Description string
}

func TestTelephonyResources(t *testing.T) {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("tel-resources", base)
	get := func(route string) (int, []option, string) {
		res, err := host.CallResource(ctxT(t), ds, "GET", route)
		if err != nil {
			t.Fatal(err)
		}
		var opts []option
		_ = json.Unmarshal(res.Body, &opts)
		return res.Status, opts, string(res.Body)
	}

	status, accounts, body := get("telephony/billing-accounts")
	wantAccounts := []option{
		{Value: "ab12345-ovh-1", Text: "ab12345-ovh-1 — Head office"},
		{Value: "cd67890-ovh-1", Text: "cd67890-ovh-1 — Warehouse"},
		{Value: "zz99999-ovh-1", Text: "zz99999-ovh-1 — Legacy PBX"},
	}
	if status != 200 || fmt.Sprint(accounts) != fmt.Sprint(wantAccounts) {
		t.Errorf("billing-accounts %d %s", status, body)
	}

	status, lines, body := get("telephony/lines?billingAccount=" + telAccount)
	wantLines := []option{
		{Value: telLine1, Text: "Reception desk", Description: "line"},
		{Value: sandbox.OVHDegradedLine, Text: "Sales floor", Description: "line"},
		{Value: telLine2, Text: "Support hotline", Description: "line"},
	}
	if status != 200 || fmt.Sprint(lines) != fmt.Sprint(wantLines) {
		t.Errorf("lines %d %s", status, body)
	}

	status, metrics, body := get("telephony/metrics")
	if status != 200 || len(metrics) != 4 || metrics[2].Value != "rtpMos" || !strings.Contains(metrics[2].Description, "0–5000") {
		t.Errorf("metrics %d %s", status, body)
	}

	if status, _, body := get("telephony/lines"); status != 400 || !strings.Contains(body, "billingAccount is required") {
		t.Errorf("lines without an account: %d %s", status, body)
	}
	if status, _, body := get("telephony/lines?billingAccount=xx00000-ovh-9"); status != 404 || !strings.Contains(body, `does not know the billing account \"xx00000-ovh-9\"`) {
		t.Errorf("lines of an unknown account: %d %s", status, body)
	}
}
