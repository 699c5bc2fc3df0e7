package pulse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// explain turns a non-2xx Pulse answer into a message that says what to do.
// Pulse's own words, when it sends any, are quoted: for a 400 they name the
// filter it refused.
func explain(e *upstream.Error, resp *upstream.Response) {
	status := fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status))
	if said := apiMessage(resp); said != "" {
		status += ": " + said
	}
	switch s := resp.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.Message = fmt.Sprintf("Pulse refused the token (%s) — check the Pulse token (pulseToken) in the data source settings", status)
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		e.Message = fmt.Sprintf("Pulse refused the query's filters (%s) — check the enterprise id, the time range and the page size (limit)", status)
	case s == http.StatusNotFound:
		e.Message = fmt.Sprintf("Pulse: %s — check the Pulse URL (pulseUrl) in the data source settings: it should be the API root that serves /stats", status)
	case s == http.StatusTooManyRequests:
		wait := ""
		if d := retryAfter(resp.Header.Get("Retry-After"), time.Now()); d > 0 {
			wait = "; it asks to wait " + d.String()
		}
		e.Message = fmt.Sprintf("Pulse is rate limiting this token (%s%s) — lower the refresh rate or the number of panels, or narrow the time range so that fewer pages are read", status, wait)
	case s >= 500:
		e.Message = fmt.Sprintf("Pulse failed (%s) — the service has a problem on its side; try again later", status)
	}
}

// apiMessage returns the reason Pulse gave: {"message"}, {"error"} or
// {"errors": [...]}, or a short plain-text body; "" when none.
func apiMessage(resp *upstream.Response) string {
	var body struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Errors  json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(resp.Body, &body) != nil {
		if resp.ContentType() == "text/plain" && utf8.Valid(resp.Body) {
			return upstream.Quote(strings.TrimSpace(string(resp.Body)))
		}
		return ""
	}
	for _, raw := range []json.RawMessage{body.Message, body.Errors, body.Error} {
		if text := texts(raw); text != "" && text != http.StatusText(resp.Status) {
			return upstream.Quote(text)
		}
	}
	return ""
}

// texts reads a message that is a string, a list of strings, or an object of
// field → message(s), joined with "; ".
func texts(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, r := range list {
			if t := texts(r); t != "" {
				out = append(out, t)
			}
		}
		return strings.Join(out, "; ")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) == nil {
		var out []string
		for k, r := range fields {
			if t := texts(r); t != "" {
				out = append(out, k+": "+t)
			}
		}
		slices.Sort(out)
		return strings.Join(out, "; ")
	}
	return ""
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}
