package models

import (
	"encoding/json"
	"strings"
	"testing"
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
