package ovh

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
)

// resourceAnswers is a small account tree.
var resourceAnswers = map[string]canned{
	"/telephony":                                  {status: 200, body: `["cd67890-ovh-1","ab12345-ovh-1","zz99999-ovh-1"]`},
	"/telephony/ab12345-ovh-1":                    {status: 200, body: `{"billingAccount":"ab12345-ovh-1","description":"Head office","status":"enabled"}`},
	"/telephony/cd67890-ovh-1":                    {status: 200, body: `{"billingAccount":"cd67890-ovh-1","description":"Warehouse","status":"enabled"}`},
	"/telephony/zz99999-ovh-1":                    {status: 500, body: `{}`},
	"/telephony/ab12345-ovh-1/line":               {status: 200, body: `["0033123456790","0033123456789","0033123456791"]`},
	"/telephony/ab12345-ovh-1/line/0033123456789": {status: 200, body: `{"serviceName":"0033123456789","description":"Reception desk","serviceType":"line"}`},
	"/telephony/ab12345-ovh-1/line/0033123456790": {status: 200, body: `{"serviceName":"0033123456790","description":"","serviceType":"alias"}`},
	"/telephony/ab12345-ovh-1/line/0033123456791": notFoundAnswer,
	"/telephony/nope/line":                        notFoundAnswer,
	"/telephony/denied/line":                      legacy(403, "NOT_GRANTED_CALL", "This call has not been granted"),
}

func TestResources(t *testing.T) {
	cases := []struct {
		name, method, path string
		status             int
		options            []source.Option // want these, or
		errText            string          // a {"message"} containing this
	}{
		{"billing accounts", "GET", "/billing-accounts", 200, []source.Option{
			{Value: "ab12345-ovh-1", Text: "ab12345-ovh-1 — Head office"},
			{Value: "cd67890-ovh-1", Text: "cd67890-ovh-1 — Warehouse"},
			{Value: "zz99999-ovh-1", Text: "zz99999-ovh-1"}, // its description failed: the bare name
		}, ""},
		{"lines", "GET", "/lines?billingAccount=ab12345-ovh-1", 200, []source.Option{
			{Value: "0033123456790", Text: "0033123456790", Description: "alias"},
			{Value: "0033123456791", Text: "0033123456791"},
			{Value: "0033123456789", Text: "Reception desk", Description: "line"},
		}, ""},
		{"metrics", "GET", "/metrics", 200, metricMeanings, ""},
		{"lines without an account", "GET", "/lines", 400, nil, "billingAccount is required"},
		{"lines of an unknown account", "GET", "/lines?billingAccount=nope", 404, nil, `does not know the billing account "nope"`},
		{"lines not granted", "GET", "/lines?billingAccount=denied", 403, nil, "not granted GET /telephony/denied/line (NOT_GRANTED_CALL)"},
		{"unknown route", "GET", "/accounts", 404, nil, "unknown telephony resource /accounts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil)
			f.set(func(f *fakeOVH) { f.handle = answering(resourceAnswers) })
			src := newTestSource(t, f)
			rec := httptest.NewRecorder()
			src.Resources().ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.errText != "" {
				var e struct{ Message string }
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || !strings.Contains(e.Message, tc.errText) {
					t.Errorf("body %s, want an error containing %q", rec.Body, tc.errText)
				}
				return
			}
			var got []source.Option
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.options) {
				t.Errorf("got %+v\nwant %+v", got, tc.options)
			}
		})
	}
}

// Every metric of the query model is offered, with its meaning.
func TestMetricsResourceCoversTheModel(t *testing.T) {
	if len(metricMeanings) != len(models.TelephonyMetrics) {
		t.Fatalf("%d metrics offered, the model has %d", len(metricMeanings), len(models.TelephonyMetrics))
	}
	for i, m := range models.TelephonyMetrics {
		if metricMeanings[i].Value != m || metricMeanings[i].Description == "" {
			t.Errorf("metric %d: %+v, want %s with a meaning", i, metricMeanings[i], m)
		}
	}
}

// Only GET is served.
func TestResourcesRefuseOtherMethods(t *testing.T) {
	f := newFake(t, nil)
	src := newTestSource(t, f)
	rec := httptest.NewRecorder()
	src.Resources().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/billing-accounts", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d", rec.Code)
	}
}
