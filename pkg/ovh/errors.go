package ovh

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// queryIDHeader names a request for OVHcloud's support.
const queryIDHeader = "X-Ovh-QueryID"

// statisticsAction is the IAM action the statistics call needs.
const statisticsAction = "voip:apiovh:line/statistics/get"

// errorBody reads both of OVHcloud's error bodies: the current
// {"class","message","details"} and the older {"errorCode","httpCode","message"}.
type errorBody struct {
	Class     string         `json:"class"`
	ErrorCode string         `json:"errorCode"`
	Message   string         `json:"message"`
	Details   map[string]any `json:"details"`
}

// code is the error code, or else the class.
func (b errorBody) code() string {
	if b.ErrorCode != "" {
		return b.ErrorCode
	}
	return b.Class
}

// deniedActions lists the IAM actions the caller lacks, given as one string
// (possibly comma-separated) or as a list.
func (b errorBody) deniedActions() []string {
	var out []string
	add := func(s string) {
		for _, a := range strings.Split(s, ",") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	switch v := b.Details["unauthorizedActionsByIAM"].(type) {
	case string:
		add(v)
	case []any:
		for _, a := range v {
			if s, ok := a.(string); ok {
				add(s)
			}
		}
	}
	return out
}

// explainer is the upstream client's Explain hook: it reads OVHcloud's error
// body and says in plain words what the user should do.
type explainer struct {
	oauth2 bool
	// reset is called when the answer shows the authorizer's state to be
	// stale (QUERY_TIME_OUT: the clock offset; 401 with OAuth2: the token).
	reset func()
}

func (x explainer) explain(e *upstream.Error, resp *upstream.Response) {
	var b errorBody
	_ = json.Unmarshal(resp.Body, &b) // not JSON (a proxy's page): the status alone explains
	e.Code = b.code()
	e.QueryID = resp.Header.Get(queryIDHeader)
	if x.reset != nil && (b.ErrorCode == "QUERY_TIME_OUT" || (x.oauth2 && e.Status == http.StatusUnauthorized)) {
		x.reset()
	}
	e.Message = withQueryID(x.message(e.Status, b, resp.Header.Get("Retry-After")), e.QueryID)
}

// message picks the plain-words message of an error answer.
func (x explainer) message(status int, b errorBody, retryAfter string) string {
	what := describe(status, b)
	switch {
	case b.ErrorCode == "INVALID_CREDENTIAL":
		return fmt.Sprintf("OVHcloud rejected the consumer key (%s): it is unknown, expired or revoked — check ovhConsumerKey, or create a new consumer key for this application key with access rule GET /telephony/*", what)
	case b.ErrorCode == "INVALID_KEY":
		return fmt.Sprintf("OVHcloud does not know the application key (%s) — check ovhApplicationKey, and that the application was created on the same OVHcloud region as ovhEndpoint", what)
	case b.ErrorCode == "INVALID_SIGNATURE":
		return fmt.Sprintf("OVHcloud rejected the request signature (%s) — check ovhApplicationSecret: it must be the secret of the application key ovhApplicationKey", what)
	case b.ErrorCode == "QUERY_TIME_OUT":
		return fmt.Sprintf("OVHcloud rejected the request time (%s): the clock of the Grafana server is too far from OVHcloud's — synchronise it (NTP); the plugin measures the offset again on the next call", what)
	case b.ErrorCode == "NOT_GRANTED_CALL":
		return fmt.Sprintf("OVHcloud: the consumer key is not granted GET /telephony/… (%s): create one with access rule GET /telephony/* and set it as ovhConsumerKey", what)
	case len(b.deniedActions()) > 0:
		return iamMessage(b.deniedActions(), what)
	case status == http.StatusUnauthorized && x.oauth2:
		return fmt.Sprintf("OVHcloud did not accept the OAuth2 token (%s) — check ovhClientId and ovhClientSecret; the service account may have been deleted", what)
	case status == http.StatusUnauthorized:
		return fmt.Sprintf("OVHcloud did not accept the authentication (%s) — check the application key, application secret and consumer key in the data source settings", what)
	case status == http.StatusForbidden:
		return fmt.Sprintf("OVHcloud refused the call (%s) — check that the credential may read /telephony", what)
	case status == http.StatusNotFound:
		return fmt.Sprintf("OVHcloud found nothing there (%s) — check the billing account and the lines in the query", what)
	case status == http.StatusTooManyRequests:
		wait := ""
		if retryAfter != "" {
			wait = fmt.Sprintf(" (it asks to wait %s s)", retryAfter)
		}
		return fmt.Sprintf("OVHcloud is rate limiting this credential (%s)%s — lower the dashboard's refresh rate or the number of lines and metrics per panel; OVHcloud asks for about 60 calls a minute (ovhRequestsPerMinute)", what, wait)
	case status >= 500:
		return fmt.Sprintf("OVHcloud failed to answer (%s) — the API is having trouble; try again later", what)
	}
	return fmt.Sprintf("OVHcloud answered %s", what)
}

// iamMessage names the IAM actions a service account lacks.
func iamMessage(actions []string, what string) string {
	return fmt.Sprintf("OVHcloud IAM does not grant this service account the action %s (%s) — grant it in an IAM policy for the service account (OVHcloud Control Panel → Identity and Access Management → Policies)",
		strings.Join(actions, ", "), what)
}

// describe is the short form of an error answer: "INVALID_KEY: This
// application key is invalid", or "404 Not Found: …" when there is no code.
func describe(status int, b errorBody) string {
	head := b.code()
	if head == "" || strings.Contains(head, "::") {
		head = fmt.Sprintf("%d %s", status, http.StatusText(status))
	}
	if msg := strings.TrimSpace(b.Message); msg != "" {
		return head + ": " + msg
	}
	return head
}

// withQueryID appends OVHcloud's request id, which its support asks for.
func withQueryID(msg, queryID string) string {
	if queryID == "" {
		return msg
	}
	return fmt.Sprintf("%s (OVH query id %s)", msg, queryID)
}

// rephrase returns a copy of e with a new message: upstream errors may be
// shared between coalesced callers, so they are never modified in place.
func rephrase(e *upstream.Error, msg string) *upstream.Error {
	c := *e
	c.Message = withQueryID(msg, e.QueryID)
	return &c
}

// forCall names the call in a NOT_GRANTED_CALL message, so that the user
// knows which access rule is missing.
func forCall(err error, path string) error {
	var e *upstream.Error
	if !errors.As(err, &e) || e.Code != "NOT_GRANTED_CALL" {
		return err
	}
	p, uerr := url.PathUnescape(path)
	if uerr != nil {
		p = path
	}
	return rephrase(e, fmt.Sprintf("OVHcloud: the consumer key is not granted GET %s (NOT_GRANTED_CALL): create one with access rule GET /telephony/* and set it as ovhConsumerKey", p))
}

// notFound returns err when it is OVHcloud answering 404, else nil.
func notFound(err error) *upstream.Error {
	var e *upstream.Error
	if errors.As(err, &e) && e.Kind == upstream.KindHTTP && e.Status == http.StatusNotFound {
		return e
	}
	return nil
}

// authCodes are the error codes of a rejected credential or signature,
// which OVHcloud may send with 400: they never mean a missing route.
var authCodes = map[string]bool{
	"INVALID_CREDENTIAL": true, "INVALID_KEY": true, "INVALID_SIGNATURE": true,
	"QUERY_TIME_OUT": true, "NOT_GRANTED_CALL": true,
}

// routeMissing returns the error of a statistics call answered 404, or 400
// for another reason than the credential: an unknown account or line, or the
// retired route.
func routeMissing(err error) *upstream.Error {
	var e *upstream.Error
	if !errors.As(err, &e) || e.Kind != upstream.KindHTTP {
		return nil
	}
	if e.Status == http.StatusNotFound || (e.Status == http.StatusBadRequest && !authCodes[e.Code]) {
		return e
	}
	return nil
}

// retiredRoute says that the account no longer serves line statistics.
func retiredRoute(e *upstream.Error, ba, line string) error {
	return rephrase(e, fmt.Sprintf(
		"OVHcloud: this OVHcloud account no longer serves line statistics (OVH deprecated the route on 2022-03-17): billing account %s answers %d %s for the statistics of line %s although the line exists — no setting can bring them back; remove the line from the query, or ask OVHcloud support",
		upstream.Quote(ba), e.Status, http.StatusText(e.Status), upstream.Quote(line)))
}

// unknownAccount names a billing account OVHcloud does not know.
func unknownAccount(e *upstream.Error, ba string) error {
	return rephrase(e, fmt.Sprintf(
		"OVHcloud does not know the billing account %q (or this credential cannot see it) — check billingAccount in the query; the editor's drop-down lists the accounts this credential sees", upstream.Quote(ba)))
}

// unknownLine names a line the billing account does not have.
func unknownLine(e *upstream.Error, ba, line string) error {
	return rephrase(e, fmt.Sprintf(
		"OVHcloud: billing account %s has no line %q — check the lines in the query; the editor lists the lines of the account", upstream.Quote(ba), upstream.Quote(line)))
}
