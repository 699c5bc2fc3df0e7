package models

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseQueryErrorsNameTheField(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want string
		fn   func(json.RawMessage) error
	}{
		{"lines not a list", `{"billingAccount":"a","lines":42,"metrics":["rtpMos"]}`, `field "lines" should be a list`, telephony},
		{"no account", `{"lines":["x"],"metrics":["rtpMos"]}`, "billingAccount is required", telephony},
		{"no lines", `{"billingAccount":"a","lines":[" "],"metrics":["rtpMos"]}`, "give at least one line", telephony},
		{"bad metric", `{"billingAccount":"a","lines":["x"],"metrics":["mos"]}`, `unknown metric "mos"`, telephony},
		{"bad timeframe", `{"billingAccount":"a","lines":["x"],"metrics":["rtpMos"],"timeframe":"daily2"}`, `timeframe: unknown value "daily2"`, telephony},
		{"bad scale", `{"billingAccount":"a","lines":["x"],"metrics":["rtpMos"],"mosScale":"pct"}`, "mosScale", telephony},
		{"not json", `{"billingAccount":`, "malformed query", telephony},
		{"cdn type", `{"type":"TB"}`, `type: unknown value "TB"`, cdn},
		{"cdn group", `{"groupBy":"city"}`, `groupBy: unknown value "city"`, cdn},
		{"cdn resource", `{"resources":["abc"]}`, `"abc" is not a CDN reference`, cdn},
		{"cdn location", `{"locations":["Paris"]}`, `"Paris" is not a location id`, cdn},
		{"usage report", `{"report":"sessions"}`, `report: unknown value "sessions"`, usage},
		{"usage limit", `{"limit":9000}`, "limit: 9000 is outside 1–5000", usage},
		{"usage limit type", `{"limit":"ten"}`, `field "limit" should be a number`, usage},
		{"usage topN", `{"topN":-1}`, "topN", usage},
		{"usage split", `{"report":"latency","splitBy":"country"}`, "splitBy", usage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fn(json.RawMessage(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseQueryDefaultsAndCleaning(t *testing.T) {
	q, err := ParseQuery[TelephonyQuery](json.RawMessage(`{"billingAccount":" ab12345-ovh-1 ","lines":["b","a","b",""],"metrics":["rtpMos"],"datasource":{"uid":"x"},"intervalMs":1000}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.BillingAccount != "ab12345-ovh-1" || strings.Join(q.Lines, ",") != "b,a" || q.Timeframe != "auto" || q.MOSScale != MOSScaleRaw {
		t.Fatalf("%+v", q)
	}
	c, err := ParseQuery[CDNQuery](json.RawMessage(`{"type":"mbps","noCache":true}`))
	if err != nil || c.Type != CDNTypeMBPS || !c.BypassCache() {
		t.Fatalf("%+v %v", c, err)
	}
	u, err := ParseQuery[UsageQuery](nil)
	if err != nil || u.Report != UsageReportRequests || u.Limit != DefaultUsageLimit {
		t.Fatalf("%+v %v", u, err)
	}
}

func telephony(raw json.RawMessage) error { _, err := ParseQuery[TelephonyQuery](raw); return err }
func cdn(raw json.RawMessage) error       { _, err := ParseQuery[CDNQuery](raw); return err }
func usage(raw json.RawMessage) error     { _, err := ParseQuery[UsageQuery](raw); return err }

// FuzzParseQuery feeds arbitrary JSON to the three query decoders: they must
// answer a model or an error, never panic, and a model they accept must
// validate again unchanged.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		`{"refId":"A","queryType":"telephony","billingAccount":"ab12345-ovh-1","lines":["0033123456789","0033123456790"],"metrics":["rtpMos","maxJitter"],"timeframe":"auto","mosScale":"raw"}`,
		`{"refId":"B","queryType":"cdnBandwidth","type":"GB","groupBy":"location","resources":["977655738"],"locations":["532","331"]}`,
		`{"refId":"C","queryType":"usage","report":"requests","enterpriseId":"","limit":500}`,
		`{"report":"latency","splitBy":"route","topN":5,"noCache":true}`,
		`{"lines":null,"metrics":[1,2]}`, `[]`, `null`, `{"limit":1e400}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if q, err := ParseQuery[TelephonyQuery](raw); err == nil {
			if err := q.Validate(); err != nil {
				t.Fatalf("accepted telephony query fails validation again: %v", err)
			}
		}
		if q, err := ParseQuery[CDNQuery](raw); err == nil {
			if err := q.Validate(); err != nil {
				t.Fatalf("accepted CDN query fails validation again: %v", err)
			}
		}
		if q, err := ParseQuery[UsageQuery](raw); err == nil {
			if err := q.Validate(); err != nil {
				t.Fatalf("accepted usage query fails validation again: %v", err)
			}
		}
	})
}

func TestTelephonyAllAndMultiValueAccounts(t *testing.T) {
	cases := []struct {
		account, lines string
		accounts       []string
		wantLines      []string
		allAcc, allLn  bool
	}{
		{"ab1-ovh-1", `["l1"]`, []string{"ab1-ovh-1"}, []string{"l1"}, false, false},
		{"a,b", `["l1","l2"]`, []string{"a", "b"}, []string{"l1", "l2"}, false, false},
		{"{a,b,a}", `["{l1,l2}","l3"]`, []string{"a", "b"}, []string{"l1", "l2", "l3"}, false, false},
		{" * ", `["*"]`, []string{All}, []string{All}, true, true},
		{"a,*", `["l1","*"]`, []string{All}, []string{All}, true, true},
	}
	for _, tc := range cases {
		raw := `{"billingAccount":` + strconvQuote(tc.account) + `,"lines":` + tc.lines + `,"metrics":["rtpMos"]}`
		q, err := ParseQuery[TelephonyQuery](json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if strings.Join(q.BillingAccounts, "|") != strings.Join(tc.accounts, "|") || strings.Join(q.Lines, "|") != strings.Join(tc.wantLines, "|") {
			t.Errorf("%s: accounts %q lines %q", raw, q.BillingAccounts, q.Lines)
		}
		if q.AllAccounts() != tc.allAcc || q.AllLines() != tc.allLn {
			t.Errorf("%s: AllAccounts %v AllLines %v", raw, q.AllAccounts(), q.AllLines())
		}
	}
	if _, err := ParseQuery[TelephonyQuery](json.RawMessage(`{"billingAccount":"{,}","lines":["x"],"metrics":["rtpMos"]}`)); err == nil || !strings.Contains(err.Error(), "billingAccount is required") {
		t.Errorf("an empty multi-value account: %v", err)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestTemplateVariableLeftovers checks every string field and list entry of
// every query type: a variable Grafana could not expand is a 400 naming the
// field, before any other check can misname it.
func TestTemplateVariableLeftovers(t *testing.T) {
	cases := []struct {
		fn       func(json.RawMessage) error
		raw      string
		field    string
		variable string
	}{
		{telephony, `{"billingAccount":"$account","lines":["x"],"metrics":["rtpMos"]}`, "billingAccount", `"$account"`},
		{telephony, `{"billingAccount":"a","lines":["x","${line}"],"metrics":["rtpMos"]}`, "lines", `"${line}"`},
		{telephony, `{"billingAccount":"a","lines":["x"],"metrics":["[[metric]]"]}`, "metrics", `"[[metric]]"`},
		{telephony, `{"billingAccount":"a","lines":["x"],"metrics":["rtpMos"],"timeframe":"${tf:text}"}`, "timeframe", `"${tf:text}"`},
		{telephony, `{"billingAccount":"a","lines":["x"],"metrics":["rtpMos"],"mosScale":"$scale"}`, "mosScale", `"$scale"`},
		{cdn, `{"resources":["$resource"]}`, "resources", `"$resource"`},
		{cdn, `{"locations":["532","${location:csv}"]}`, "locations", `"${location:csv}"`},
		{cdn, `{"type":"$type"}`, "type", `"$type"`},
		{cdn, `{"groupBy":"[[group:raw]]"}`, "groupBy", `"[[group:raw]]"`},
		{usage, `{"enterpriseId":"$enterprise"}`, "enterpriseId", `"$enterprise"`},
		{usage, `{"enterpriseId":" ${enterprise.id} "}`, "enterpriseId", `"${enterprise.id}"`},
		{usage, `{"report":"$report"}`, "report", `"$report"`},
		{usage, `{"report":"latency","splitBy":"$split"}`, "splitBy", `"$split"`},
	}
	for _, tc := range cases {
		err := tc.fn(json.RawMessage(tc.raw))
		if err == nil {
			t.Errorf("%s accepted", tc.raw)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "invalid query: "+tc.field+": ") || !strings.Contains(msg, tc.variable+" is a template variable Grafana could not expand") ||
			!strings.Contains(msg, "define it on the dashboard") {
			t.Errorf("%s: %s", tc.raw, msg)
		}
	}
	// A variable inside a value is named with the value.
	err := usage(json.RawMessage(`{"enterpriseId":"ent-$suffix"}`))
	if err == nil || !strings.Contains(err.Error(), `enterpriseId: "ent-$suffix" holds the template variable "$suffix"`) {
		t.Errorf("embedded variable: %v", err)
	}
	// Values that only look like one stay accepted.
	for _, raw := range []string{`{"enterpriseId":"price $ 5"}`, `{"enterpriseId":"[[ ]]"}`, `{"enterpriseId":"a{b}"}`} {
		if err := usage(json.RawMessage(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
	// Outside a query model (a resource route's parameter).
	if err := CheckVariable("billingAccount", "[[account]]"); err == nil || err.Error() != `billingAccount: "[[account]]" is a template variable Grafana could not expand — define it on the dashboard (Dashboard settings → Variables) or put a value in its place` {
		t.Errorf("CheckVariable: %v", err)
	}
	if err := CheckVariable("billingAccount", "ab12345-ovh-1"); err != nil {
		t.Errorf("CheckVariable: %v", err)
	}
	// Grafana's own fields are not the model's: a leftover there is not ours to refuse.
	if err := usage(json.RawMessage(`{"report":"requests","datasource":{"uid":"$ds"},"legendFormat":"$x"}`)); err != nil {
		t.Errorf("unknown fields: %v", err)
	}
}

// TestErrorsQuoteValuesBounded proves that no message repeats a user's
// value whole: a 1 MB line name or account comes back as at most
// MaxQuotedValue characters, cut on a character boundary.
func TestErrorsQuoteValuesBounded(t *testing.T) {
	huge := strings.Repeat("é", 1<<19) // 1 MiB of two-byte characters
	cases := []struct {
		fn  func(json.RawMessage) error
		raw string
	}{
		{telephony, `{"billingAccount":"` + huge + `","lines":[" "],"metrics":["rtpMos"]}`},
		{telephony, `{"billingAccount":"a","lines":["x"],"metrics":["` + huge + `"]}`},
		{telephony, `{"billingAccount":"a","lines":["x"],"metrics":["rtpMos"],"timeframe":"` + huge + `"}`},
		{telephony, `{"billingAccount":"a","lines":["x$v` + huge + `"],"metrics":["rtpMos"]}`},
		{telephony, `{"billingAccount":"a","lines":["x"],"metrics":["rtpMos"],"mosScale":"` + huge + `"}`},
		{cdn, `{"resources":["` + huge + `"]}`},
		{cdn, `{"locations":["` + huge + `"]}`},
		{cdn, `{"type":"` + huge + `"}`},
		{cdn, `{"groupBy":"` + huge + `"}`},
		{usage, `{"report":"` + huge + `"}`},
		{usage, `{"report":"latency","splitBy":"` + huge + `"}`},
		{usage, `{"limit":1` + strings.Repeat("0", 1<<20) + `}`},
		{usage, `{"limit":"` + huge + `"}`},
	}
	for i, tc := range cases {
		err := tc.fn(json.RawMessage(tc.raw))
		if err == nil {
			t.Fatalf("case %d accepted", i)
		}
		msg := err.Error()
		if len(msg) > 600 || !utf8.ValidString(msg) {
			t.Errorf("case %d: %d bytes (valid UTF-8: %v): %.200s", i, len(msg), utf8.ValidString(msg), msg)
		}
	}
	if got := Quote(strings.Repeat("é", 100)); got != `"`+strings.Repeat("é", MaxQuotedValue)+`…"` {
		t.Errorf("Quote cut at %q", got)
	}
	if got := Quote("a\nb\xff"); got != `"a\nb\xff"` {
		t.Errorf("Quote escapes %q", got)
	}
}
