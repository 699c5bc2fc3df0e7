package onapp

// OnApp's failures in plain words: each message says what to change.

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// sourceName names OnApp in messages; the health check strips it again.
const sourceName = "OnApp CDN"

// explain is the upstream.Options.Explain hook: it writes the message of a
// non-2xx answer from its status and OnApp's own error text.
func explain(e *upstream.Error, resp *upstream.Response) {
	msgs := responseMessages(resp.Body)
	status := fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status))
	switch s := resp.Status; {
	case s == http.StatusUnauthorized:
		e.Message = fmt.Sprintf("%s: %s — OnApp refused the credentials: check the user e-mail and API key (onappUser, onappApiKey) in the data source settings%s", sourceName, status, quoted(msgs))
	case s == http.StatusForbidden:
		e.Message = fmt.Sprintf("%s: %s — this OnApp user lacks the CDN statistics permission: grant it to the user's role in OnApp, or check the user e-mail and API key%s", sourceName, status, quoted(msgs))
	case s == http.StatusNotFound:
		e.Message = fmt.Sprintf("%s: %s — check that onappUrl is the OnApp control panel's address%s", sourceName, status, quoted(msgs))
	case s == http.StatusUnprocessableEntity:
		detail := "no reason given"
		if len(msgs) > 0 {
			detail = strings.Join(msgs, "; ")
		}
		e.Message = fmt.Sprintf("%s rejected the query (%s): %s — correct the query's resources, locations or time range", sourceName, status, detail)
	case s >= 500:
		e.Message = fmt.Sprintf("%s: %s — OnApp failed to answer; try again later%s", sourceName, status, quoted(msgs))
	default:
		e.Message = upstream.GenericHTTPMessage(sourceName, resp.Status) + quoted(msgs)
	}
}

// notFoundOnRoute rewrites a 404 of the bandwidth call: the usual cause is
// the other API flavour, since OnApp 5.6 removed the legacy route and older
// versions lack the reports one.
func notFoundOnRoute(err error, api string) error {
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Kind != upstream.KindHTTP || ue.Status != http.StatusNotFound {
		return err
	}
	if api == models.OnAppAPIReports {
		ue.Message = sourceName + ": 404 Not Found — this OnApp has no /cdn/reports/bandwidth_statistics (it came with OnApp 5.6): set onappApi to legacy in the data source settings, or check onappUrl"
	} else {
		ue.Message = sourceName + ": 404 Not Found — this OnApp has no /cdn_resources/bandwidth (removed in OnApp 5.6): set onappApi to reports in the data source settings, or check onappUrl"
	}
	return ue
}

// responseMessages reads OnApp's error messages from a JSON or XML body,
// read into a tree as answers are (bounded the same way); none when the
// body is neither (an HTML error page).
func responseMessages(body []byte) []string {
	body = bytes.TrimSpace(body)
	m := &mapping{root: inValue}
	var err error
	switch {
	case len(body) == 0:
		return nil
	case body[0] == '{' || body[0] == '[':
		err = readJSONTree(body, m)
	case body[0] == '<':
		err = readXMLTree(body, m)
	}
	if err != nil || len(m.nodes) == 0 {
		return nil
	}
	return m.errorBody(0)
}

func quoted(msgs []string) string {
	if len(msgs) == 0 {
		return ""
	}
	return " (OnApp: " + strings.Join(msgs, "; ") + ")"
}
