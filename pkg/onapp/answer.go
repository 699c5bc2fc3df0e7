package onapp

// Reading bandwidth answers. OnApp documents the XML answer only; the JSON
// one follows OnApp's list conventions but varies (docs/upstream-apis.md §2),
// so both formats are first turned into one generic tree (maps, lists,
// strings, json.Number) and a single tolerant walker reads that:
//
//	[{"stat": {"date": "…", "cached": 2.039, "non_cached": "0.226"}}]        legacy JSON
//	{"stats": [{"stat": {…}}]}  {"stats": {"stat": [{…}]}}  [{…bare…}]         other roots
//	{"stat": {"date": "…", "resources": [{"resource": {"977655738": {…}}}]}}    grouped
//	{"stat": {"date": "…", "locations": {"location": {"532": {…}, "331": {…}}}}}
//	<stats type="array"><stat><date>…</date><resources type="array"><resource><977655738>…

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Traffic kinds: the two figures of every point, and the traffic label.
const (
	trafficCached    = "cached"
	trafficNonCached = "non_cached"
)

var trafficKinds = []string{trafficCached, trafficNonCached}

// sample is one figure of an answer, in 24 bytes: an answer holds millions
// of them, and at this size they take less memory than the answer's own
// bytes (jsonBytesPerFigure, xmlBytesPerFigure).
type sample struct {
	at      int64   // Unix nanoseconds: the frames' time, UTC (offsets are applied when reading)
	value   float64 // the figure
	group   uint32  // 1 + the group's index in answer.groups; 0 when not grouped
	traffic uint8   // the index of the traffic kind in trafficKinds
}

// answer is a bandwidth answer, read.
type answer struct {
	dim     string // "resource" or "location" when the stats are grouped
	samples []sample
	groups  []string          // the group ids (cdn_reference or location id), one copy of each
	ids     map[string]uint32 // a group id's sample.group
}

// groupOf returns the id of a sample's group, or "" when not grouped.
func (a *answer) groupOf(s sample) string {
	if s.group == 0 {
		return ""
	}
	return a.groups[s.group-1]
}

// groupIndex returns the sample.group of a group id, adding it to the
// table the first time.
func (a *answer) groupIndex(id string) uint32 {
	if i, ok := a.ids[id]; ok {
		return i
	}
	return a.newGroup(id)
}

// newGroup adds a group id that is not in the table yet.
func (a *answer) newGroup(id string) uint32 {
	if a.ids == nil {
		a.ids = map[string]uint32{}
	}
	a.groups = append(a.groups, id)
	i := uint32(len(a.groups))
	a.ids[id] = i
	return i
}

// readJSON reads a JSON bandwidth answer: in one pass when it has a
// documented form (stream.go), else through the generic tree.
func readJSON(body []byte, loc *time.Location) (answer, error) {
	if a, ok := readJSONFast(body, loc); ok {
		return a, nil
	}
	return readJSONTree(body, loc)
}

// readJSONTree reads a JSON bandwidth answer of any form the reader
// tolerates, through the generic tree: one stat at a time when the answer
// is a list of stats (readJSONStats), else the whole document's.
func readJSONTree(body []byte, loc *time.Location) (answer, error) {
	if a, err, ok := readJSONStats(body, loc); ok {
		return a, err
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return answer{}, err
	}
	return readStats(doc, loc)
}

// readXML reads an XML bandwidth answer, numeric element names included: in
// one pass when it has the documented form (stream.go), else through the
// generic tree.
func readXML(body []byte, loc *time.Location) (answer, error) {
	if a, ok := readXMLFast(body, loc); ok {
		return a, nil
	}
	return readXMLTree(body, loc)
}

// readXMLTree reads an XML bandwidth answer of any form the reader
// tolerates, through the generic tree: one stat at a time when the answer
// is a list of stats (readXMLStats), else the whole document's.
func readXMLTree(body []byte, loc *time.Location) (answer, error) {
	if a, err, ok := readXMLStats(body, loc); ok {
		return a, err
	}
	root, err := parseXML(body)
	if err != nil {
		return answer{}, err
	}
	return readStats(root.tree(), loc)
}

// errWhole stops readJSONStats at an answer of another form.
var errWhole = errors.New("not a list of stats")

// readJSONStats reads [stat, …] or {"stats": [stat, …]} one stat at a
// time, each decoded into the generic tree of that stat alone, into what
// readStats reads from the tree of the whole document: the same samples and
// the same error (the stats' first; the shared reader accepts exactly the
// documents encoding/json accepts, up to the same depth). ok is false for
// any other form, and for an answer that is not valid JSON, whose error
// encoding/json words.
func readJSONStats(body []byte, loc *time.Location) (a answer, err error, ok bool) {
	r := jsonread.New(body)
	var statErr error
	n := 0
	stat := func() {
		raw := r.Skip()
		if r.Err() != nil {
			return
		}
		if n++; statErr != nil {
			return
		}
		v, err := decodeJSON(raw)
		if err == nil {
			err = a.addStat(v, loc)
		}
		if err != nil {
			statErr = fmt.Errorf("stat %d: %w", n, err)
		}
	}
	a.samples = make([]sample, 0, len(body)/jsonBytesPerFigure)
	switch r.Peek() {
	case '[':
		r.Array(stat)
	case '{':
		keys := 0
		r.Object(func(key []byte) {
			if keys++; keys > 1 || string(key) != "stats" || r.Peek() != '[' {
				r.Stop(errWhole)
				return
			}
			r.Array(stat)
		})
		if keys != 1 {
			return answer{}, nil, false
		}
	default:
		return answer{}, nil, false
	}
	if !r.AtEnd() {
		return answer{}, nil, false
	}
	if statErr != nil {
		return answer{}, statErr, true
	}
	return a, nil, true
}

// readXMLStats reads <stats …><stat>…</stat><stat>…</stat>…</stats> one
// stat at a time, each through the generic tree of that stat alone, into
// what readStats reads from the tree of the whole document: the same
// samples, and the same error (the document's own first, then the first
// stat's). ok is false for any other form (another root, another element
// among the stats, nil="true", a single stat not typed as a list, whose
// tree reads differently), which the whole tree then reads.
func readXMLStats(body []byte, loc *time.Location) (a answer, err error, ok bool) {
	var statErr error
	n := 0
	a.samples = make([]sample, 0, len(body)/xmlBytesPerFigure)
	p := &xmlParser{src: body, child: func(root, el *xmlElement) bool {
		if root.name != "stats" || root.isNil || el.name != "stat" {
			return false
		}
		n++
		if statErr == nil {
			if err := a.addStat(el.tree(), loc); err != nil {
				statErr = fmt.Errorf("stat %d: %w", n, err)
			}
		}
		return true
	}}
	root, err := p.parse()
	switch {
	case errors.Is(err, errStopped):
		return answer{}, nil, false
	case err != nil:
		return answer{}, err, true
	case n == 0 || n == 1 && root.typ != "array":
		return answer{}, nil, false
	case statErr != nil:
		return answer{}, statErr, true
	}
	return a, nil, true
}

// decodeJSON decodes one JSON value into the generic tree, keeping numbers
// as written (json.Number) so that large ids stay exact.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil { // depth-limited: nothing here recurses past jsonread.MaxDepth
		return nil, jsonread.Plain(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("JSON answer has data after its end")
	}
	return doc, nil
}

// readStats walks the generic tree of an answer.
func readStats(doc any, loc *time.Location) (answer, error) {
	entries, err := statEntries(doc, 0)
	if err != nil {
		return answer{}, err
	}
	var a answer
	for i, e := range entries {
		if err := a.addStat(e, loc); err != nil {
			return answer{}, fmt.Errorf("stat %d: %w", i+1, err)
		}
	}
	return a, nil
}

// statEntries finds the list of stats below the answer's root. A list, empty
// or not, and the XML empty element (<stats/>) are answers; anything else
// (null, {}, {"stats": {}}, an object without stats) is an error naming what
// was found, never an empty answer: an alert rule must see a broken
// upstream as an error, not as "no data".
func statEntries(v any, depth int) ([]any, error) {
	switch t := v.(type) {
	case nil:
		return nil, errors.New("expected a list of stats, found null")
	case []any:
		return t, nil
	case string:
		if strings.TrimSpace(t) == "" {
			return nil, nil // <stats/>
		}
		return nil, fmt.Errorf("expected a list of stats, found the text %q", upstream.Quote(t))
	case map[string]any:
		if _, ok := t["date"]; ok {
			return []any{t}, nil // one bare stat
		}
		if inner, ok := t["stats"]; ok && depth < 2 {
			entries, err := statEntries(inner, depth+1)
			if err != nil {
				return nil, fmt.Errorf("stats: %w", err)
			}
			return entries, nil
		}
		if inner, ok := t["stat"]; ok { // {"stat": […]} or one {"stat": {…}}
			if list, ok := inner.([]any); ok {
				return list, nil
			}
			return []any{inner}, nil
		}
		if msgs := errorMessages(t); len(msgs) > 0 {
			return nil, fmt.Errorf("OnApp answered errors instead of stats: %s", strings.Join(msgs, "; "))
		}
		if len(t) == 0 {
			return nil, errors.New("expected a list of stats, found an empty object {}")
		}
		return nil, fmt.Errorf("expected stats, found an object with the keys %s", quoteKeys(sortedKeys(t, 5)))
	}
	return nil, fmt.Errorf("expected a list of stats, found %s", kindOf(v))
}

// groupFields maps the containers of grouped stats to their dimension.
var groupFields = []struct{ field, dim string }{
	{"resources", "resource"}, {"resource", "resource"},
	{"locations", "location"}, {"location", "location"},
}

// addStat reads one stat: its date and either its two figures or its groups.
func (a *answer) addStat(entry any, loc *time.Location) error {
	if w, ok := entry.(map[string]any); ok && len(w) == 1 {
		if inner, ok := w["stat"]; ok {
			entry = inner
		}
	}
	m, ok := entry.(map[string]any)
	if !ok {
		return fmt.Errorf("expected an object, found %s", kindOf(entry))
	}
	rawDate, ok := m["date"]
	if !ok {
		return errors.New("no date")
	}
	at, err := parseDate(rawDate, loc)
	if err != nil {
		return err
	}
	if err := a.addFigures(m, at, ""); err != nil {
		return err
	}
	for _, g := range groupFields {
		v, ok := m[g.field]
		if !ok {
			continue
		}
		if a.dim != "" && a.dim != g.dim {
			return fmt.Errorf("stats grouped both by %s and by %s", a.dim, g.dim)
		}
		a.dim = g.dim
		if err := a.addGroups(v, g.dim, at); err != nil {
			return fmt.Errorf("%s: %w", g.field, err)
		}
	}
	return nil
}

// addFigures adds the cached and non_cached figures of m, those present.
func (a *answer) addFigures(m map[string]any, at time.Time, group string) error {
	for k, traffic := range trafficKinds {
		raw, ok := m[traffic]
		if !ok {
			continue
		}
		v, ok, err := number(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", traffic, err)
		}
		if ok {
			s := sample{at: at.UnixNano(), traffic: uint8(k), value: v}
			if group != "" {
				s.group = a.groupIndex(group)
			}
			a.samples = append(a.samples, s)
		}
	}
	return nil
}

// addGroups reads a stat's groups: a list of entries, or one entry.
func (a *answer) addGroups(v any, dim string, at time.Time) error {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		if strings.TrimSpace(t) == "" {
			return nil
		}
	case []any:
		for _, item := range t {
			if err := a.addGroup(item, dim, at); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		return a.addGroup(t, dim, at)
	}
	return fmt.Errorf("expected a list of groups, found %s", kindOf(v))
}

// addGroup reads one group entry. Entries are keyed by id, wrapped or not
// ({"resource": {"977655738": {…}}}, {"977655738": {…}, "389478438": {…}}),
// or carry their id beside the figures ({"id": 977655738, "cached": …}).
func (a *answer) addGroup(item any, dim string, at time.Time) error {
	m, ok := unwrap(item, dim).(map[string]any)
	if !ok {
		if s, isText := item.(string); isText && strings.TrimSpace(s) == "" {
			return nil
		}
		return fmt.Errorf("expected a %s object, found %s", dim, kindOf(item))
	}
	if hasFigures(m) {
		id, err := groupID(m, dim)
		if err != nil {
			return err
		}
		return a.addFigures(m, at, id)
	}
	for _, key := range sortedKeys(m, len(m)) {
		if !isDigits(key) {
			continue // a field OnApp may add; only ids name groups
		}
		inner, ok := m[key].(map[string]any)
		if !ok {
			return fmt.Errorf("%s %s: expected an object, found %s", dim, upstream.Quote(key), kindOf(m[key]))
		}
		if err := a.addFigures(inner, at, key); err != nil {
			return fmt.Errorf("%s %s: %w", dim, upstream.Quote(key), err)
		}
	}
	return nil
}

// groupID reads the id of a group entry that carries it as a field.
func groupID(m map[string]any, dim string) (string, error) {
	for _, field := range []string{"id", dim + "_id", "cdn_reference"} {
		switch v := m[field].(type) {
		case json.Number:
			if isDigits(v.String()) {
				return v.String(), nil
			}
		case string:
			if s := strings.TrimSpace(v); isDigits(s) {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("a %s entry has figures but no numeric id", dim)
}

func hasFigures(m map[string]any) bool {
	_, c := m[trafficCached]
	_, n := m[trafficNonCached]
	return c || n
}

// unwrap returns the object inside {"<name>": {…}}, OnApp's way of wrapping
// list items, or v itself.
func unwrap(v any, name string) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if inner, ok := m[name].(map[string]any); ok {
			return inner
		}
	}
	return v
}

// number reads a figure: a JSON number or a numeric string. ok is false for
// null and empty strings (no figure); non-finite numbers are errors.
func number(v any) (f float64, ok bool, err error) {
	var s string
	switch t := v.(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
		if s == "" {
			return 0, false, nil
		}
	default:
		return 0, false, fmt.Errorf("expected a number, found %s", kindOf(v))
	}
	f, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%q is not a number", upstream.Quote(s))
	}
	return f, true, nil
}

// Date forms: with an offset (as documented: 2014-11-25T18:25:00+02:00), or
// without one, read in the OnApp time zone.
var (
	offsetLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05-07:00", "2006-01-02 15:04:05 -07:00"}
	localLayouts  = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}
)

// parseDate reads a stat's date; epoch numbers are seconds, or milliseconds
// when above 10^11.
func parseDate(v any, loc *time.Location) (time.Time, error) {
	switch t := v.(type) {
	case json.Number:
		n, err := t.Int64()
		if err != nil {
			return time.Time{}, fmt.Errorf("date %s is not a time", upstream.Quote(t.String()))
		}
		at := time.Unix(n, 0)
		if n > 1e11 {
			at = time.UnixMilli(n)
		}
		return inFrame(at, t.String())
	case string:
		s := strings.TrimSpace(t)
		for _, layout := range offsetLayouts {
			if at, err := time.Parse(layout, s); err == nil {
				return inFrame(at, s)
			}
		}
		for _, layout := range localLayouts {
			if at, err := time.ParseInLocation(layout, s, loc); err == nil {
				return inFrame(at, s)
			}
		}
		return time.Time{}, fmt.Errorf("date %q is not a time OnApp writes (such as 2014-11-25T18:25:00+02:00)", upstream.Quote(s))
	}
	return time.Time{}, fmt.Errorf("date: expected a time, found %s", kindOf(v))
}

// inFrame returns at, or an error when a frame's time field cannot hold it
// (before 1677 or after 2262): such a date is not a bandwidth sample's.
func inFrame(at time.Time, raw string) (time.Time, error) {
	if !models.InFrameRange(at) {
		return time.Time{}, fmt.Errorf("date %q lies outside the years Grafana can show (%d to %d)",
			upstream.Quote(raw), models.MinFrameTime.Year(), models.MaxFrameTime.Year())
	}
	return at, nil
}

// quoteKeys writes an object's keys for a message, each one quoted and
// bounded (sortedKeys' "…" as is).
func quoteKeys(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "…"
		if i < len(keys)-1 || k != "…" {
			out[i] = strconv.Quote(upstream.Quote(upstream.Shorten(k, 40)))
		}
	}
	return strings.Join(out, ", ")
}

// errorMessages reads OnApp's error bodies from the generic tree:
// {"errors": {"start": ["is invalid"]}}, {"errors": ["Access denied"]},
// {"error": "…"}, or in XML <errors><error>…</error></errors>. Field errors
// are written as Rails writes full messages: "start is invalid".
func errorMessages(doc any) []string {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for _, key := range []string{"errors", "error"} {
		out = appendMessages(out, "", m[key], 0)
	}
	return out
}

// maxMessages bounds the messages passed on from one error body.
const maxMessages = 10

func appendMessages(out []string, field string, v any, depth int) []string {
	if len(out) >= maxMessages || depth > 3 {
		return out
	}
	switch t := v.(type) {
	case string, json.Number:
		s := strings.TrimSpace(fmt.Sprint(t))
		if s == "" {
			return out
		}
		if field != "" && field != "error" && field != "errors" && field != "base" {
			s = field + " " + s
		}
		return append(out, upstream.Quote(s))
	case []any:
		for _, item := range t {
			out = appendMessages(out, field, item, depth+1)
		}
	case map[string]any:
		for _, k := range sortedKeys(t, len(t)) {
			out = appendMessages(out, k, t[k], depth+1)
		}
	}
	return out
}

// sortedKeys returns up to n keys of m in order.
func sortedKeys(m map[string]any, n int) []string {
	keys := slices.Sorted(maps.Keys(m))
	if len(keys) > n {
		keys = append(keys[:n], "…")
	}
	return keys
}

func kindOf(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the text %q", upstream.Quote(t))
	case json.Number:
		return "the number " + upstream.Quote(t.String())
	case bool:
		return strconv.FormatBool(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
