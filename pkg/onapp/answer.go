package onapp

// Reading bandwidth answers. OnApp documents the XML answer only; the JSON
// one follows OnApp's list conventions but varies (docs/upstream-apis.md §2).
// Every tolerated form is read here, once for both formats:
//
//	[{"stat": {"date": "…", "cached": 2.039, "non_cached": "0.226"}}]        legacy JSON
//	{"stats": [{"stat": {…}}]}  {"stats": {"stat": [{…}]}}  [{…bare…}]         other roots
//	{"stat": {"date": "…", "resources": [{"resource": {"977655738": {…}}}]}}    grouped
//	{"stat": {"date": "…", "locations": {"location": {"532": {…}, "331": {…}}}}}
//	<stats type="array"><stat><date>…</date><resources type="array"><resource><977655738>…
//
// XML reads as the JSON Rails would write for it (xml.go). An answer holds
// up to millions of figures, a stat a date, two figures and its groups: the
// format's reader (stream.go, xml.go) streams the list of stats, reads each
// stat into a small tree (node) and hands it to the walk below, which maps
// it to samples; the tree is then dropped. Where stats are expected (the
// answer, and its "stats" twice at most: {"stats": {"stats": […]}}) an
// object holds them in "stats" or "stat" (one stat, or a list of them);
// without either, it is one stat when it has a date.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"iter"
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

// kind is the kind of a value.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kText
	kList
	kObject
	kRead // a stat where stats are expected, mapped already
)

// node is a value of the tree, in pre-order: its children follow it, up to
// end. Texts and keys are the answer's bytes, or new memory when decoded.
type node struct {
	k     kind
	lv    level
	holds bool // where stats are expected: a member held stats ("stats", "stat")
	end   int32
	key   []byte // the member's key, in an object
	text  []byte // a scalar's text: a string's value, a number's token, true, false
}

// The tree's bounds: no answer decides how much memory or stack a reading
// takes. A stat's deepest value is a group's figure, six levels in, and a
// stat lies four levels in at most ({"stats": {"stats": {"stat": […]}}});
// the values deeper than maxTreeDepth are skipped, their container kept.
const (
	maxTreeDepth  = 12
	maxTreeValues = 1 << 20
)

var errTooBig = fmt.Errorf("a stat of more than %d values: not an answer OnApp sends", maxTreeValues)

// level is what a value is for the mapping, from where it lies.
type level uint8

const (
	inValue    level = iota // a value of a stat, or any other: kept in the tree
	atStats0                // where stats are expected: the answer,
	atStats1                // its "stats",
	atStats2                // and theirs
	atStatList              // the list of a "stat" member
	isStat                  // one stat (or {"stat": {…}}): mapped, then dropped
	isKey                   // a member where stats are expected that neither a stat nor an error body reads: its value is skipped
)

// readKeys are the members read where stats are expected besides "stats"
// and "stat": those of a bare stat, and OnApp's errors.
var readKeys = map[string]bool{"date": true, trafficCached: true, trafficNonCached: true, "resources": true, "resource": true,
	"locations": true, "location": true, "errors": true, "error": true}

// mapping builds the tree of an answer as its reader hands the values on
// (open, close), and maps each stat as soon as it is read.
type mapping struct {
	loc   *time.Location
	root  level // of the document's value: atStats0 for an answer
	nodes []node
	over  error // errTooBig, which stops the reader
	a     answer
	at    int64 // the date of the stat being mapped
	err   error // the first stat's error: later stats are not mapped
	n     int   // the stats read
	want  int   // the samples to make room for after the first stat
}

// open begins a value of parent (-1 for the document's): its key when a
// member, and whether it is a list tell its level. Its children follow,
// then close.
func (m *mapping) open(parent int, key []byte, member, list bool) int {
	lv := m.root
	if parent >= 0 {
		switch p := m.nodes[parent].lv; {
		case p < atStats0 || p > atStatList:
			lv = inValue
		case !member:
			lv = isStat
		case string(key) == "stat" && list:
			lv = atStatList
		case string(key) == "stat":
			lv = isStat
		case string(key) == "stats" && p < atStats2:
			lv = p + 1
		case readKeys[string(key)]:
			lv = inValue
		default:
			lv = isKey
		}
	}
	if len(m.nodes) == maxTreeValues {
		m.over = errTooBig
	}
	m.nodes = append(m.nodes, node{key: key, lv: lv})
	return len(m.nodes) - 1
}

// close ends value i. A stat is mapped and dropped, and so is an object
// where stats are expected that is one stat.
func (m *mapping) close(i, parent int, k kind, text []byte) {
	n := &m.nodes[i]
	n.k, n.text, n.end = k, text, int32(len(m.nodes))
	if n.lv > atStats0 && n.lv <= isStat && parent >= 0 {
		m.nodes[parent].holds = true
	}
	switch {
	case n.lv == isStat:
		m.stat(i)
		m.nodes = m.nodes[:i]
	case n.lv >= atStats0 && n.lv <= atStats2 && k == kObject && !n.holds && m.last(i, "date") >= 0:
		m.stat(i)
		m.nodes = m.nodes[:i+1]
		n.k, n.end = kRead, int32(i+1)
	}
}

// kids are the children of node i, in order.
func (m *mapping) kids(i int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for c := i + 1; c < int(m.nodes[i].end); c = int(m.nodes[c].end) {
			if !yield(c) {
				return
			}
		}
	}
}

// last is the last child of i with key (the one that counts), or -1.
func (m *mapping) last(i int, key string) int {
	found := -1
	for c := range m.kids(i) {
		if string(m.nodes[c].key) == key {
			found = c
		}
	}
	return found
}

// blank reports an empty text (<cached/>, "").
func (n *node) blank() bool { return n.k == kText && len(bytes.TrimSpace(n.text)) == 0 }

// what names the value for a message.
func (n *node) what() string { return kindText(n.k, n.text) }

// result is the answer, once read: structure errors (no list of stats)
// first, then the first stat's.
func (m *mapping) result() (answer, error) {
	err := m.stats(0)
	if err == nil && m.err == nil {
		return m.a, nil
	}
	return answer{}, cmp.Or(err, m.err)
}

// stats checks a value where stats are expected, its stats read. A list,
// empty or not, and the XML empty element (<stats/>) are answers; anything
// else (null, {}, {"stats": {}}, an object without stats) is an error
// naming what was found, never an empty answer: an alert rule must see a
// broken upstream as an error, not as "no data".
func (m *mapping) stats(i int) error {
	switch n := &m.nodes[i]; {
	case n.k == kList || n.k == kRead || n.blank():
		return nil
	case n.k == kObject && n.holds:
		for c := range m.kids(i) {
			if lv := m.nodes[c].lv; lv == atStats1 || lv == atStats2 {
				if err := m.stats(c); err != nil {
					return fmt.Errorf("stats: %w", err)
				}
			}
		}
		return nil
	case n.k == kObject:
		return m.notStats(i)
	default:
		return fmt.Errorf("expected a list of stats, found %s", n.what())
	}
}

// notStats words an object where stats were expected: OnApp's errors, or
// its least keys.
func (m *mapping) notStats(i int) error {
	if msgs := m.errorBody(i); len(msgs) > 0 {
		return fmt.Errorf("OnApp answered errors instead of stats: %s", strings.Join(msgs, "; "))
	}
	var keys []string
	for c := range m.kids(i) {
		keys = append(keys, string(m.nodes[c].key))
	}
	if len(keys) == 0 {
		return errors.New("expected a list of stats, found an empty object {}")
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for j, key := range keys[:min(len(keys), 5)] {
		keys[j] = strconv.Quote(upstream.Quote(upstream.Shorten(key, 40)))
	}
	if len(keys) > 5 {
		keys = append(keys[:5], "…")
	}
	return fmt.Errorf("expected stats, found an object with the keys %s", strings.Join(keys, ", "))
}

// stat maps one stat, numbered in the order read: {"stat": {…}} (only
// "stat" members: the last counts) as the stat inside, any other value as
// a stat.
func (m *mapping) stat(i int) {
	if m.n++; m.err != nil {
		return
	}
	inner := i
	for c := range m.kids(i) {
		if inner = c; string(m.nodes[c].key) != "stat" {
			inner = i
			break
		}
	}
	if err := m.statValue(inner); err != nil {
		m.err = fmt.Errorf("stat %d: %w", m.n, err)
	} else if m.n == 1 && m.want > len(m.a.samples) {
		m.a.samples = slices.Grow(m.a.samples, m.want-len(m.a.samples))
	}
}

// groupFields maps the containers of grouped stats to their dimension.
var groupFields = map[string]string{"resources": "resource", "resource": "resource", "locations": "location", "location": "location"}

// statValue maps a stat. Errors come in the order of precedence: no date,
// the date, cached, non_cached, then the groups; the stat's own figures
// come before its groups'.
func (m *mapping) statValue(i int) error {
	if n := &m.nodes[i]; n.k != kObject {
		return fmt.Errorf("expected an object, found %s", n.what())
	}
	date := m.last(i, "date")
	if date < 0 {
		return errors.New("no date")
	}
	at, err := parseDate(m.nodes[date].k, m.nodes[date].text, m.loc)
	if err != nil {
		return err
	}
	m.at = at.UnixNano()
	if err := m.figures(i, 0); err != nil {
		return err
	}
	for c := range m.kids(i) {
		key := m.nodes[c].key
		switch dim := groupFields[string(key)]; {
		case dim == "":
		case m.a.dim != "" && m.a.dim != dim:
			return fmt.Errorf("stats grouped both by %s and by %s", m.a.dim, dim)
		default:
			m.a.dim = dim
			if err := m.groups(c, dim); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return nil
}

// groups reads a stat's groups: a list of entries, or one entry.
func (m *mapping) groups(i int, dim string) error {
	switch n := &m.nodes[i]; {
	case n.k == kObject:
		return m.group(i, dim, true)
	case n.k == kList:
		for c := range m.kids(i) {
			if err := m.group(c, dim, true); err != nil {
				return err
			}
		}
	case n.k != kNull && !n.blank():
		return fmt.Errorf("expected a list of groups, found %s", n.what())
	}
	return nil
}

// group reads one group entry. Entries are keyed by id, wrapped or not
// ({"resource": {"977655738": {…}}}, {"977655738": {…}, "389478438": {…}}),
// or carry their id beside the figures ({"id": 977655738, "cached": …},
// the fields id, <dim>_id, cdn_reference in that order); every one given
// is read.
func (m *mapping) group(i int, dim string, unwrap bool) error {
	if n := &m.nodes[i]; n.k != kObject {
		if n.blank() {
			return nil
		}
		return fmt.Errorf("expected a %s object, found %s", dim, n.what())
	}
	for c := range m.kids(i) {
		switch n := &m.nodes[c]; {
		case string(n.key) == dim && unwrap && n.k == kObject:
			if err := m.group(c, dim, false); err != nil {
				return err
			}
		case isDigits(n.key) && n.k != kObject:
			return fmt.Errorf("%s %s: expected an object, found %s", dim, upstream.Quote(string(n.key)), n.what())
		case isDigits(n.key):
			if err := m.figures(c, m.groupIndex(n.key)); err != nil {
				return fmt.Errorf("%s %s: %w", dim, upstream.Quote(string(n.key)), err)
			}
		}
	}
	if m.last(i, trafficCached) < 0 && m.last(i, trafficNonCached) < 0 {
		return nil
	}
	for _, field := range [...]string{"id", dim + "_id", "cdn_reference"} {
		if c := m.last(i, field); c >= 0 && (m.nodes[c].k == kText || m.nodes[c].k == kNumber) {
			if id := bytes.TrimSpace(m.nodes[c].text); isDigits(id) {
				return m.figures(i, m.groupIndex(id))
			}
		}
	}
	return fmt.Errorf("a %s entry has figures but no numeric id", dim)
}

// figures adds the figures of object i ("cached", "non_cached": the last
// of each counts) to group g (0: the stat's own), at the stat's date: a
// number or a numeric string; null and empty strings are no figure,
// non-finite numbers errors.
func (m *mapping) figures(i int, g uint32) error {
	var values [2]float64
	var set [2]bool
	for k, name := range trafficKinds {
		c := m.last(i, name)
		if c < 0 || m.nodes[c].k == kNull || m.nodes[c].blank() {
			continue
		}
		n := &m.nodes[c]
		if n.k != kText && n.k != kNumber {
			return fmt.Errorf("%s: expected a number, found %s", name, n.what())
		}
		s := bytes.TrimSpace(n.text)
		if values[k], set[k] = jsonread.ParseFloat(s); !set[k] { // exact for plain decimals, strconv's reading otherwise, finite
			return fmt.Errorf("%s: %q is not a number", name, upstream.Quote(string(s)))
		}
	}
	for k := range set {
		if set[k] {
			m.a.samples = append(m.a.samples, sample{at: m.at, group: g, traffic: uint8(k), value: values[k]})
		}
	}
	return nil
}

// groupIndex returns the sample.group of a group id, adding it to the
// table the first time.
func (m *mapping) groupIndex(raw []byte) uint32 {
	g, ok := m.a.ids[string(raw)]
	if !ok {
		if m.a.ids == nil {
			m.a.ids = map[string]uint32{}
		}
		m.a.groups = append(m.a.groups, string(raw))
		g = uint32(len(m.a.groups))
		m.a.ids[string(raw)] = g
	}
	return g
}

// Date forms: with an offset (as documented: 2014-11-25T18:25:00+02:00), or
// without one, read in the OnApp time zone.
var (
	offsetLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05-07:00", "2006-01-02 15:04:05 -07:00"}
	localLayouts  = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}
)

// parseDate reads a stat's date; epoch numbers are seconds, or milliseconds
// when above 10^11.
func parseDate(k kind, text []byte, loc *time.Location) (time.Time, error) {
	switch k {
	case kNumber:
		n, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("date %s is not a time", upstream.Quote(string(text)))
		}
		at := time.Unix(n, 0)
		if n > 1e11 {
			at = time.UnixMilli(n)
		}
		return inFrame(at, string(text))
	case kText:
		s := string(bytes.TrimSpace(text))
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
	return time.Time{}, fmt.Errorf("date: expected a time, found %s", kindText(k, text))
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

// maxMessages bounds the messages passed on from one error body.
const maxMessages = 10

// errorBody reads OnApp's error messages from a value: {"errors": …,
// "error": …} (those of errors first) or a bare list of messages.
func (m *mapping) errorBody(i int) []string {
	if m.nodes[i].k == kList {
		return m.messages(nil, nil, i, 0)
	}
	var errs, err []string
	for c := range m.kids(i) {
		switch string(m.nodes[c].key) {
		case "errors":
			errs = m.messages(errs, nil, c, 0)
		case "error":
			err = m.messages(err, nil, c, 0)
		}
	}
	all := append(errs, err...)
	return all[:min(len(all), maxMessages)]
}

// messages reads messages from a value: {"errors": {"start": ["is
// invalid"]}}, {"errors": ["Access denied"]}, {"error": "…"}, or in XML
// <errors><error>…</error></errors>. Field errors are written as Rails
// writes full messages ("start is invalid"), fields in the order of their
// names; what lies deeper than three levels is not read.
func (m *mapping) messages(out []string, field []byte, i, depth int) []string {
	if len(out) >= maxMessages || depth > 3 {
		return out
	}
	switch n := &m.nodes[i]; n.k {
	case kText, kNumber:
		s := strings.TrimSpace(string(n.text))
		if s == "" {
			return out
		}
		if f := string(field); f != "" && f != "error" && f != "errors" && f != "base" {
			s = f + " " + s
		}
		return append(out, upstream.Quote(s))
	case kList:
		for c := range m.kids(i) {
			out = m.messages(out, field, c, depth+1)
		}
	case kObject:
		fields := slices.Collect(m.kids(i))
		slices.SortStableFunc(fields, func(a, b int) int { return bytes.Compare(m.nodes[a].key, m.nodes[b].key) })
		for _, c := range fields {
			out = m.messages(out, m.nodes[c].key, c, depth+1)
		}
	}
	return out
}

// kindText names a value for a message.
func kindText(k kind, text []byte) string {
	switch k {
	case kText:
		return fmt.Sprintf("the text %q", upstream.Quote(string(text)))
	case kNumber:
		return "the number " + upstream.Quote(string(text))
	case kBool:
		return string(text)
	case kList:
		return "a list"
	case kObject:
		return "an object"
	}
	return "null"
}

func isDigits[T string | []byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
