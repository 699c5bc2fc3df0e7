package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// onAppMaxBody caps a bandwidth request's body.
const onAppMaxBody = 1 << 20

// onAppDefaultRange is the range used when start is absent. Inferred: the
// OnApp documentation does not say what the server does without dates.
const onAppDefaultRange = 30 * 24 * time.Hour

// onAppRawParams are the bandwidth parameters as sent, before validation,
// whichever transport carried them. Empty strings mean absent.
type onAppRawParams struct {
	start, end, typ, groupBy string
	resources, locations     []string
}

// readOnAppParams reads the bandwidth parameters of r. Like a Rails server,
// it takes them from the body when there is one (JSON, XML, or a form),
// else from the query string:
//
//	{"bandwidth":{"start":"…","resources":[977655738],…}}
//	<bandwidth><start>…</start><resources type="array"><resource>977655738</resource></resources>…</bandwidth>
//	bandwidth[start]=…&bandwidth[resources][]=977655738&…
//
// An error means the body could not be parsed (a 400 upstream).
func readOnAppParams(w http.ResponseWriter, r *http.Request) (onAppRawParams, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, onAppMaxBody))
		if err != nil {
			return onAppRawParams{}, err
		}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return onAppParamsFromValues(r.URL.Query()), nil
	}

	// The first byte decides between JSON and XML: curl -d sends a form
	// content type whatever the body is, and Rails copes with it.
	switch body[0] {
	case '{':
		return onAppParamsFromJSON(body)
	case '<':
		return onAppParamsFromXML(body)
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "application/x-www-form-urlencoded" {
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return onAppRawParams{}, err
		}
		return onAppParamsFromValues(values), nil
	}
	return onAppRawParams{}, errors.New("unrecognised body")
}

// onAppParamsFromValues reads Rails-style nested keys: bandwidth[start] and
// bandwidth[resources][] (a lone bandwidth[resources] counts as one value).
func onAppParamsFromValues(v url.Values) onAppRawParams {
	list := func(name string) []string {
		return append(slices.Clone(v["bandwidth["+name+"][]"]), v["bandwidth["+name+"]"]...)
	}
	return onAppRawParams{
		start:     v.Get("bandwidth[start]"),
		end:       v.Get("bandwidth[end]"),
		typ:       v.Get("bandwidth[type]"),
		groupBy:   v.Get("bandwidth[group_by]"),
		resources: list("resources"),
		locations: list("locations"),
	}
}

// onAppScalar is a JSON scalar read as text: a string's contents, or a
// number's (or any other value's) literal. Validation decides whether the
// text makes sense, so a wrong type gives a 422, as upstream, not a 400.
type onAppScalar string

func (s *onAppScalar) UnmarshalJSON(b []byte) error {
	var str string
	switch {
	case string(b) == "null":
		*s = ""
	case json.Unmarshal(b, &str) == nil:
		*s = onAppScalar(str)
	default:
		*s = onAppScalar(b)
	}
	return nil
}

// onAppList is a JSON array of scalars; a lone scalar counts as a list of one.
type onAppList []string

func (l *onAppList) UnmarshalJSON(b []byte) error {
	var items []onAppScalar
	if err := json.Unmarshal(b, &items); err != nil {
		var one onAppScalar
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		items = []onAppScalar{one}
	}
	*l = (*l)[:0]
	for _, it := range items {
		if it != "" {
			*l = append(*l, string(it))
		}
	}
	return nil
}

// onAppParamsFromJSON reads the documented JSON request body. A body
// without the "bandwidth" root carries no parameters, as for Rails.
func onAppParamsFromJSON(body []byte) (onAppRawParams, error) {
	var doc struct {
		Bandwidth struct {
			Start     onAppScalar `json:"start"`
			End       onAppScalar `json:"end"`
			Type      onAppScalar `json:"type"`
			GroupBy   onAppScalar `json:"group_by"`
			Resources onAppList   `json:"resources"`
			Locations onAppList   `json:"locations"`
		} `json:"bandwidth"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return onAppRawParams{}, err
	}
	b := doc.Bandwidth
	return onAppRawParams{
		start:     string(b.Start),
		end:       string(b.End),
		typ:       string(b.Type),
		groupBy:   string(b.GroupBy),
		resources: b.Resources,
		locations: b.Locations,
	}, nil
}

// onAppParamsFromXML reads the documented XML request body:
//
//	<bandwidth><type>GB</type><group_by>location</group_by><start>…</start><end>…</end>
//	<locations type="array"><location>532</location>…</locations>
//	<resources type = "array"><resource>977655738</resource>…</resources></bandwidth>
//
// Unlike the answers, the request is well-formed XML, so encoding/xml reads it.
func onAppParamsFromXML(body []byte) (onAppRawParams, error) {
	var doc struct {
		XMLName   xml.Name
		Start     string   `xml:"start"`
		End       string   `xml:"end"`
		Type      string   `xml:"type"`
		GroupBy   string   `xml:"group_by"`
		Resources []string `xml:"resources>resource"`
		Locations []string `xml:"locations>location"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return onAppRawParams{}, err
	}
	if doc.XMLName.Local != "bandwidth" {
		return onAppRawParams{}, nil
	}
	trim := func(list []string) []string {
		out := make([]string, 0, len(list))
		for _, s := range list {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return onAppRawParams{
		start:     strings.TrimSpace(doc.Start),
		end:       strings.TrimSpace(doc.End),
		typ:       strings.TrimSpace(doc.Type),
		groupBy:   strings.TrimSpace(doc.GroupBy),
		resources: trim(doc.Resources),
		locations: trim(doc.Locations),
	}, nil
}

// onAppQuery is a validated bandwidth request.
type onAppQuery struct {
	start, end time.Time // in the server's zone
	resources  []int     // cdn_reference filter in catalogue order; all when none was given
	locations  []int     // location filter in catalogue order; all when none was given
	mbps       bool      // type MBPS (rates) rather than GB (volumes)
	groupBy    string    // "", "resource" or "location"
}

// onAppFieldErrors are validation errors by parameter, answered as
// {"errors":{"start":["is invalid"]}} with status 422.
type onAppFieldErrors map[string][]string

func (e onAppFieldErrors) add(field, msg string) {
	if !slices.Contains(e[field], msg) {
		e[field] = append(e[field], msg)
	}
}

// Date forms accepted without an offset, read in the server's time zone.
// The documentation describes "YYYY-MM-DD+hh:mm:ss" and its examples use
// "2014-11-25T18:25"; the others are what a Rails server also parses.
var onAppDateLayouts = []string{
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02+15:04:05",
	"2006-01-02 15:04",
	"2006-01-02+15:04",
	"2006-01-02",
}

// parseOnAppDate reads a date: RFC 3339 with its offset, or one of
// onAppDateLayouts in the server's time zone.
func parseOnAppDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(onAppZone), true
	}
	for _, layout := range onAppDateLayouts {
		if t, err := time.ParseInLocation(layout, s, onAppZone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// validate checks the parameters and fills in the defaults: end = now,
// start = end − 30 days, type GB, no grouping, every resource and location.
func (p onAppRawParams) validate(now time.Time) (onAppQuery, onAppFieldErrors) {
	errs := onAppFieldErrors{}
	q := onAppQuery{end: now.In(onAppZone)}

	if p.end != "" {
		if t, ok := parseOnAppDate(strings.TrimSpace(p.end)); ok {
			q.end = t
		} else {
			errs.add("end", "is invalid")
		}
	}
	q.start = q.end.Add(-onAppDefaultRange)
	if p.start != "" {
		if t, ok := parseOnAppDate(strings.TrimSpace(p.start)); ok {
			q.start = t
		} else {
			errs.add("start", "is invalid")
		}
	}
	if errs["start"] == nil && errs["end"] == nil && q.start.After(q.end) {
		errs.add("start", "must be before end")
	}

	switch strings.ToUpper(strings.TrimSpace(p.typ)) {
	case "", "GB":
	case "MBPS":
		q.mbps = true
	default:
		errs.add("type", "is invalid")
	}

	switch g := strings.ToLower(strings.TrimSpace(p.groupBy)); g {
	case "", "resource", "location":
		q.groupBy = g
	default:
		errs.add("group_by", "is invalid")
	}

	q.resources = onAppFilter(p.resources, "resources", errs, func(ref int) bool {
		_, _, ok := onAppResourceByRef(ref)
		return ok
	}, onAppResourceRefs())
	q.locations = onAppFilter(p.locations, "locations", errs, func(id int) bool {
		_, ok := onAppLocationByID(id)
		return ok
	}, onAppLocationIDs())

	if len(errs) > 0 {
		return onAppQuery{}, errs
	}
	return q, nil
}

// onAppFilter validates a list of identifiers against the catalogue (all,
// in catalogue order) and returns the selected ones in catalogue order;
// an empty list selects everything.
func onAppFilter(raw []string, field string, errs onAppFieldErrors, known func(int) bool, all []int) []int {
	if len(raw) == 0 {
		return all
	}
	wanted := map[int]bool{}
	for _, s := range raw {
		s = strings.TrimSpace(s)
		id, err := strconv.Atoi(s)
		switch {
		case err != nil:
			errs.add(field, "is invalid")
		case !known(id):
			errs.add(field, fmt.Sprintf("%d not found", id))
		default:
			wanted[id] = true
		}
	}
	var out []int
	for _, id := range all {
		if wanted[id] {
			out = append(out, id)
		}
	}
	return out
}

func onAppResourceRefs() []int {
	out := make([]int, len(onAppResources))
	for i, r := range onAppResources {
		out[i] = r.Reference
	}
	return out
}

func onAppLocationIDs() []int {
	out := make([]int, len(onAppLocations))
	for i, l := range onAppLocations {
		out[i] = l.ID
	}
	return out
}
