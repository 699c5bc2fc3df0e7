package onapp

// The bandwidth request. OnApp documents its parameters as a JSON body on a
// GET; Rails also reads them from the query string, and some proxies drop
// GET bodies. The plugin always sends both (docs/architecture.md), so a
// proxy that drops the body changes nothing.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// bandwidthParams is the documented request, in the documented key order:
// {"bandwidth":{"start":…,"end":…,"resources":[…],"locations":[…],"type":…,"group_by":…}}.
// Empty filters are left out: OnApp then reports every resource or location.
type bandwidthParams struct {
	Start     string        `json:"start"`
	End       string        `json:"end"`
	Resources []json.Number `json:"resources,omitempty"`
	Locations []json.Number `json:"locations,omitempty"`
	Type      string        `json:"type"`
	GroupBy   string        `json:"group_by,omitempty"`
}

// bandwidthPath is the route of the API flavour, with the answer format:
// Rails picks the format from the path's suffix. The reports route is
// documented without a suffix, which gives JSON.
func bandwidthPath(api, format string) string {
	if api == models.OnAppAPIReports {
		if format == "xml" {
			return "/cdn/reports/bandwidth_statistics.xml"
		}
		return "/cdn/reports/bandwidth_statistics"
	}
	return "/cdn_resources/bandwidth." + format
}

// bandwidthCall builds the request: the JSON body and the same parameters
// as Rails nested keys (bandwidth[start]=…&bandwidth[resources][]=…).
func bandwidthCall(q *models.CDNQuery, w window, api, format string) (upstream.Call, error) {
	p := bandwidthParams{
		Start:     w.start.Format(dateLayout),
		End:       w.end.Format(dateLayout),
		Resources: numbers(q.Resources),
		Locations: numbers(q.Locations),
		Type:      q.Type,
		GroupBy:   q.GroupBy,
	}
	body, err := json.Marshal(map[string]bandwidthParams{"bandwidth": p})
	if err != nil {
		return upstream.Call{}, fmt.Errorf("encoding the OnApp request: %w", err)
	}
	query := url.Values{}
	query.Set("bandwidth[start]", p.Start)
	query.Set("bandwidth[end]", p.End)
	for _, r := range p.Resources {
		query.Add("bandwidth[resources][]", r.String())
	}
	for _, l := range p.Locations {
		query.Add("bandwidth[locations][]", l.String())
	}
	query.Set("bandwidth[type]", p.Type)
	if p.GroupBy != "" {
		query.Set("bandwidth[group_by]", p.GroupBy)
	}
	accept := "application/json"
	if format == "xml" {
		accept = "application/xml"
	}
	return upstream.Call{
		Method: http.MethodGet,
		Path:   bandwidthPath(api, format),
		Query:  query,
		Body:   body,
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {accept}},
	}, nil
}

// windowKey identifies a bandwidth call apart from its dates: its path and
// its parameters but start and end (the body repeats the parameters).
func windowKey(call upstream.Call) string {
	rest := url.Values{}
	for k, v := range call.Query {
		if k != "bandwidth[start]" && k != "bandwidth[end]" {
			rest[k] = v
		}
	}
	return call.Path + "?" + rest.Encode()
}

// numbers turns validated digit strings into JSON numbers, without leading
// zeros (which JSON forbids).
func numbers(ids []string) []json.Number {
	out := make([]json.Number, 0, len(ids))
	for _, id := range ids {
		n := strings.TrimLeft(id, "0")
		if n == "" {
			n = "0"
		}
		out = append(out, json.Number(n))
	}
	return out
}

// readAnswer reads a bandwidth answer by what it is, not by what was asked:
// a proxy or an OnApp version may answer JSON to an .xml route or the
// reverse.
func (s *Source) readAnswer(resp *upstream.Response) (answer, error) {
	body, err := payload(resp)
	if err != nil {
		return answer{}, err
	}
	if body[0] == '<' {
		return readXML(body, s.loc)
	}
	return readJSON(body, s.loc)
}

// maxExcerptSource bounds the bytes of an answer copied to be quoted in a
// message: far more than upstream.Quote keeps, so that it still sees whole
// any secret the start of the answer holds, and far less than an answer
// may be.
const maxExcerptSource = 64 << 10

// payload is an answer's body, checked to be JSON or XML at first sight.
func payload(resp *upstream.Response) ([]byte, error) {
	if ct := resp.ContentType(); ct == "text/html" || ct == "application/xhtml+xml" {
		return nil, fmt.Errorf("content type %s", ct)
	}
	body := bytes.TrimSpace(bytes.TrimPrefix(resp.Body, []byte("\xef\xbb\xbf"))) // a UTF-8 byte order mark
	if len(body) == 0 {
		return nil, errors.New("empty answer")
	}
	switch body[0] {
	case '<', '{', '[':
		return body, nil
	}
	return nil, fmt.Errorf("neither JSON nor XML: %q", upstream.Quote(string(body[:min(len(body), maxExcerptSource)])))
}
