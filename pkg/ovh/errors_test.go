package ovh

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Paths of the one line the error tests ask for.
const (
	pathAccount = "/telephony/ab12345-ovh-1"
	pathLine    = pathAccount + "/line/0033123456789"
	pathStats   = pathLine + "/statistics"
)

// canned is one fixed answer.
type canned struct {
	status int
	body   string
	header map[string]string
}

// answering serves canned answers by path (query ignored); other paths
// answer 200 {} so that only the named calls fail.
func answering(m map[string]canned) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := m[strings.TrimPrefix(r.URL.Path, "/1.0")]
		if !ok {
			reply(w, http.StatusOK, `{}`)
			return
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if strings.HasPrefix(a.body, "<") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(a.status)
			_, _ = w.Write([]byte(a.body))
			return
		}
		reply(w, a.status, a.body)
	}
}

func legacy(status int, code, msg string) canned {
	return canned{status: status, body: `{"errorCode":"` + code + `","httpCode":"` + http.StatusText(status) + `","message":"` + msg + `"}`}
}

var notFoundAnswer = canned{status: 404, body: `{"class":"Client::NotFound","message":"This service does not exist"}`}
var lineAnswer = canned{status: 200, body: `{"serviceName":"0033123456789","description":"Reception desk","serviceType":"line"}`}

// TestErrorMessages asks for one line's rtpMos while the API fails in each
// known way, and checks the query's error: its status, that it is the
// upstream's side, and the plain-words message with OVH's query id.
func TestErrorMessages(t *testing.T) {
	cases := []struct {
		name    string
		answers map[string]canned
		status  backend.Status
		want    []string
	}{
		{"INVALID_CREDENTIAL", map[string]canned{pathStats: legacy(403, "INVALID_CREDENTIAL", "This credential is not valid")},
			backend.StatusForbidden, []string{"rejected the consumer key (INVALID_CREDENTIAL: This credential is not valid)", "check ovhConsumerKey", "access rule GET /telephony/*"}},
		{"INVALID_KEY", map[string]canned{pathStats: legacy(403, "INVALID_KEY", "This application key is invalid")},
			backend.StatusForbidden, []string{"does not know the application key (INVALID_KEY", "check ovhApplicationKey"}},
		{"INVALID_SIGNATURE", map[string]canned{pathStats: legacy(400, "INVALID_SIGNATURE", "Invalid signature")},
			backend.StatusBadRequest, []string{"rejected the request signature (INVALID_SIGNATURE", "check ovhApplicationSecret"}},
		{"QUERY_TIME_OUT", map[string]canned{pathStats: legacy(400, "QUERY_TIME_OUT", "Query out of time")},
			backend.StatusBadRequest, []string{"(QUERY_TIME_OUT", "clock of the Grafana server", "NTP"}},
		{"401 must login", map[string]canned{pathStats: {status: 401, body: `{"class":"Client::Unauthorized","message":"You must login first"}`}},
			backend.StatusUnauthorized, []string{"401 Unauthorized: You must login first", "check the application key, application secret and consumer key"}},
		{"NOT_GRANTED_CALL", map[string]canned{pathStats: legacy(403, "NOT_GRANTED_CALL", "This call has not been granted")},
			backend.StatusForbidden, []string{"the consumer key is not granted GET /telephony/ab12345-ovh-1/line/0033123456789/statistics (NOT_GRANTED_CALL)", "create one with access rule GET /telephony/*"}},
		{"IAM denial", map[string]canned{pathStats: {status: 403, body: `{"class":"Client::Forbidden","message":"User not granted for this request","details":{"unauthorizedActionsByIAM":"voip:apiovh:line/statistics/get"}}`}},
			backend.StatusForbidden, []string{"IAM does not grant this service account the action voip:apiovh:line/statistics/get", "grant it in an IAM policy"}},
		{"IAM denial as a list", map[string]canned{pathStats: {status: 403, body: `{"class":"Client::Forbidden","message":"denied","details":{"unauthorizedActionsByIAM":["voip:apiovh:line/statistics/get","voip:apiovh:line/get"]}}`}},
			backend.StatusForbidden, []string{"the action voip:apiovh:line/statistics/get, voip:apiovh:line/get"}},
		{"unknown billing account", map[string]canned{pathStats: notFoundAnswer, pathLine: notFoundAnswer, pathAccount: notFoundAnswer},
			backend.StatusNotFound, []string{`does not know the billing account "ab12345-ovh-1"`, "check billingAccount"}},
		{"unknown line", map[string]canned{pathStats: notFoundAnswer, pathLine: notFoundAnswer},
			backend.StatusNotFound, []string{`billing account ab12345-ovh-1 has no line "0033123456789"`, "check the lines"}},
		{"retired route, 404", map[string]canned{pathStats: legacy(404, "NOT_FOUND", "Got an invalid (or empty) URL"), pathLine: lineAnswer},
			backend.StatusNotFound, []string{"this OVHcloud account no longer serves line statistics (OVH deprecated the route on 2022-03-17)", "404 Not Found", "line 0033123456789 although the line exists"}},
		{"retired route, 400", map[string]canned{pathStats: {status: 400, body: `{"class":"Client::BadRequest","message":"Invalid call"}`}, pathLine: lineAnswer},
			backend.StatusBadRequest, []string{"no longer serves line statistics", "400 Bad Request"}},
		{"404 while the line cannot be read", map[string]canned{pathStats: notFoundAnswer, pathLine: {status: 503, body: `{}`}},
			backend.StatusNotFound, []string{"found nothing there (404 Not Found: This service does not exist)", "check the billing account and the lines"}},
		{"429", map[string]canned{pathStats: {status: 429, body: `{"class":"Client::TooManyRequests","message":"Too many requests"}`, header: map[string]string{"Retry-After": "30"}}},
			backend.StatusTooManyRequests, []string{"rate limiting this credential", "wait 30 s", "lower the dashboard's refresh rate"}},
		{"500", map[string]canned{pathStats: {status: 500, body: `{"class":"Server::InternalServerError","message":"Internal server error"}`}},
			backend.StatusBadGateway, []string{"failed to answer (500 Internal Server Error: Internal server error)", "try again later"}},
		{"503", map[string]canned{pathStats: {status: 503, body: `{"class":"Server::ServiceUnavailable","message":"Maintenance"}`}},
			backend.StatusBadGateway, []string{"503 Service Unavailable: Maintenance", "try again later"}},
		{"502 from a proxy, not JSON", map[string]canned{pathStats: {status: 502, body: "<html><body>Bad gateway</body></html>"}},
			backend.StatusBadGateway, []string{"failed to answer (502 Bad Gateway)", "try again later"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil)
			f.set(func(f *fakeOVH) { f.handle = answering(tc.answers) })
			src := newTestSource(t, f)
			resp := src.HandleQuery(context.Background(), oneSeries())
			if resp.Error == nil {
				t.Fatalf("no error; frames %v", resp.Frames)
			}
			msg := resp.Error.Error()
			if resp.Status != tc.status || resp.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("status %d source %q, want %d downstream", resp.Status, resp.ErrorSource, tc.status)
			}
			want := tc.want
			if !strings.Contains(tc.name, "proxy") { // a proxy's page carries no query id
				want = append(want, "(OVH query id "+testQueryID+")")
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "<html") {
				t.Errorf("a proxy's page leaked into the message: %s", msg)
			}
		})
	}
}

// oneSeries asks for one line's rtpMos over the last hour.
func oneSeries() backend.DataQuery {
	return telephonyQuery(map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"rtpMos"}},
		testNow.Add(-time.Hour), testNow)
}

// The upstream error keeps OVH's code and query id for whoever handles it.
func TestErrorCarriesCodeAndQueryID(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{pathStats: legacy(403, "NOT_GRANTED_CALL", "This call has not been granted")})
	})
	src := newTestSource(t, f)
	call, err := statisticsCall("ab12345-ovh-1", "0033123456789", "rtpMos", "hourly")
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.fetchPoints(context.Background(), call, "rtpMos", "", plan{})
	var e *upstream.Error
	if !errors.As(err, &e) {
		t.Fatalf("%T %v, want *upstream.Error", err, err)
	}
	if e.Code != "NOT_GRANTED_CALL" || e.QueryID != testQueryID || e.Status != 403 || e.Kind != upstream.KindHTTP {
		t.Errorf("code %q query id %q status %d kind %v", e.Code, e.QueryID, e.Status, e.Kind)
	}
}

// A QUERY_TIME_OUT makes the next call measure the clock offset again.
func TestQueryTimeOutMeasuresTheClockAgain(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) {
		f.handle = answering(map[string]canned{pathStats: legacy(400, "QUERY_TIME_OUT", "Query out of time")})
	})
	src := newTestSource(t, f)
	src.HandleQuery(context.Background(), oneSeries())
	f.set(func(f *fakeOVH) { f.handle = answering(nil) })
	if resp := src.HandleQuery(context.Background(), oneSeries()); resp.Error != nil {
		t.Fatal(resp.Error)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timeCalls() != 2 {
		t.Errorf("GET /auth/time called %d times, want twice (once more after QUERY_TIME_OUT)", f.timeCalls())
	}
}

// A failing GET /auth/time is a plain-words upstream error, and is tried
// again on the next query.
func TestClockFailure(t *testing.T) {
	f := newFake(t, nil)
	f.set(func(f *fakeOVH) { f.handle, f.clockFails = answering(nil), true })
	src := newTestSource(t, f)
	resp := src.HandleQuery(context.Background(), oneSeries())
	if resp.Error == nil || !strings.Contains(resp.Error.Error(), "reading the API clock (GET /auth/time) failed with 500") ||
		!strings.Contains(resp.Error.Error(), "check ovhEndpoint") || resp.ErrorSource != backend.ErrorSourceDownstream {
		t.Fatalf("got %v (%s)", resp.Error, resp.ErrorSource)
	}
	f.set(func(f *fakeOVH) { f.clockFails = false })
	if resp := src.HandleQuery(context.Background(), oneSeries()); resp.Error != nil {
		t.Fatalf("after the clock came back: %v", resp.Error)
	}
}

// An endpoint nobody answers on fails the clock with a network message.
func TestClockUnreachable(t *testing.T) {
	s := testSettings()
	s.OVH.Endpoint = "http://127.0.0.1:1/1.0"
	src, err := newTelephony(s, testDeps(t), options{retry: &upstream.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Dispose()
	resp := src.HandleQuery(context.Background(), oneSeries())
	if resp.Error == nil || !strings.Contains(resp.Error.Error(), "reading the API clock (GET /auth/time) failed") ||
		!strings.Contains(resp.Error.Error(), "that Grafana can reach it") {
		t.Fatalf("got %v", resp.Error)
	}
}

// With OAuth2, a 401 names the client settings and drops the token.
func TestExplainOAuth2Unauthorized(t *testing.T) {
	reset := 0
	x := explainer{oauth2: true, reset: func() { reset++ }}
	e := &upstream.Error{Kind: upstream.KindHTTP, Status: 401}
	x.explain(e, &upstream.Response{Status: 401, Header: http.Header{"X-Ovh-Queryid": {"EU.q"}},
		Body: []byte(`{"class":"Client::Unauthorized","message":"Invalid token"}`)})
	if !strings.Contains(e.Message, "did not accept the OAuth2 token (401 Unauthorized: Invalid token)") ||
		!strings.Contains(e.Message, "check ovhClientId and ovhClientSecret") || !strings.HasSuffix(e.Message, "(OVH query id EU.q)") {
		t.Errorf("message %q", e.Message)
	}
	if reset != 1 || e.Code != "Client::Unauthorized" || e.QueryID != "EU.q" {
		t.Errorf("reset %d code %q query id %q", reset, e.Code, e.QueryID)
	}
}
