package onapp

// Reading bandwidth answers. OnApp documents the XML answer only; the JSON
// one follows OnApp's list conventions but varies (docs/upstream-apis.md §2).
// One reader per format (stream.go for JSON, xml.go for XML) hands its
// tokens to the one mapping below, which holds every tolerated form once:
//
//	[{"stat": {"date": "…", "cached": 2.039, "non_cached": "0.226"}}]        legacy JSON
//	{"stats": [{"stat": {…}}]}  {"stats": {"stat": [{…}]}}  [{…bare…}]         other roots
//	{"stat": {"date": "…", "resources": [{"resource": {"977655738": {…}}}]}}    grouped
//	{"stat": {"date": "…", "locations": {"location": {"532": {…}, "331": {…}}}}}
//	<stats type="array"><stat><date>…</date><resources type="array"><resource><977655738>…
//
// XML reads as the JSON Rails would write for it: an element of text is a
// string, nil="true" null, type="array" a list of {child name: child}, any
// other element an object of its children. The mapping reads the tokens
// once, into samples, and builds no tree; it recurses only as deep as the
// forms above (values it does not read are skipped by the format's reader,
// which keeps its own stack).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// kind is the kind of the next value a format's reader holds.
type kind uint8

const (
	kEnd kind = iota // no value: the input ended, or an error stopped the reader
	kNull
	kBool
	kNumber
	kText
	kList
	kObject
)

// tokens is what the mapping reads an answer through: the values of one
// document, one after the other. Each read consumes exactly one value.
type tokens interface {
	peek() kind
	// scalar reads any value and returns its text: a string's value, a
	// number's token, "true", "false"; nil for null, lists and objects.
	scalar() []byte
	object(member func(key []byte)) // member reads the member's value
	list(item func())               // item reads the element
	skip()
	// mark keeps the position before the next value: rewind goes back
	// to it, to read the value again.
	mark() (rewind func())
}

// mapping turns the tokens of one answer into samples.
type mapping struct {
	t    tokens
	loc  *time.Location
	a    answer
	err  error // the first stat's error: the rest is skipped
	n    int   // the stats begun
	want int   // the samples to make room for after the first stat
	date []byte
	// The groups (sample.group) of the previous stat and of this one, in
	// order: stats list the same groups in the same order, so an id is
	// usually found at its place in the previous stat, without hashing.
	prev, cur []uint32
	// The readers of entries, stats, group entries and figures, their
	// member functions made once (groupReader).
	entryState   entryState
	entryFn      func(key []byte)
	statSlots    [2]stat // of an entry, of {"stat": {…}}
	groupReaders [2]groupReader
	figs         [2]figure
	figsMember   func(key []byte)
}

// saved is what a reading that is read again takes back.
type saved struct {
	samples, n int
	dim        string
	err        error
}

func (m *mapping) save() saved { return saved{len(m.a.samples), m.n, m.a.dim, m.err} }
func (m *mapping) restore(s saved) {
	m.a.samples, m.n, m.a.dim, m.err = m.a.samples[:s.samples], s.n, s.dim, s.err
}

// read reads the answer: structure errors (no list of stats) first, then
// the first stat's.
func (m *mapping) read() (answer, error) {
	if err := m.stats(0); err != nil {
		return answer{}, err
	}
	if m.err != nil {
		return answer{}, m.err
	}
	return m.a, nil
}

// stats finds the list of stats in a value. A list, empty or not, and the
// XML empty element (<stats/>) are answers; anything else (null, {},
// {"stats": {}}, an object without stats) is an error naming what was
// found, never an empty answer: an alert rule must see a broken upstream
// as an error, not as "no data".
func (m *mapping) stats(depth int) error {
	switch k := m.t.peek(); k {
	case kList:
		m.t.list(m.entry)
		return nil
	case kObject:
		return m.statsObject(depth)
	case kText:
		if text := m.t.scalar(); len(bytes.TrimSpace(text)) > 0 {
			return fmt.Errorf("expected a list of stats, found %s", kindText(k, text))
		}
		return nil // <stats/>
	default:
		return fmt.Errorf("expected a list of stats, found %s", kindText(k, m.t.scalar()))
	}
}

// Roles of an object's members where stats are expected, by precedence:
// a date makes the object one bare stat, else stats holds them (twice at
// most: {"stats": {"stats": […]}}), else stat, else errors are OnApp's.
const (
	roleNone = iota
	roleBare // a member of a bare stat
	roleStats
	roleStat
	roleErrors
)

func roleOf(key []byte, depth int) int {
	switch string(key) {
	case "date", trafficCached, trafficNonCached, "resources", "resource", "locations", "location":
		return roleBare
	case "stats":
		if depth < 2 {
			return roleStats
		}
	case "stat":
		return roleStat
	case "errors", "error":
		return roleErrors
	}
	return roleNone
}

// statsObject reads an object where stats are expected, in one pass: the
// members of the first role met are read as it says, the others skipped.
// Only when the keys choose another role (never in OnApp's forms) is the
// object read again, for that role's members.
func (m *mapping) statsObject(depth int) error {
	rewind, start := m.t.mark(), m.save()
	var keys keySet
	var msgs errorMessages
	var st *stat
	var inner error
	role, again := roleNone, false // the role read; read again
	read := func(key []byte) {
		r := roleOf(key, depth)
		if !again {
			keys.add(key)
			if role == roleNone && r != roleErrors {
				role = r
			}
			if r == roleErrors {
				msgs.read(m, key)
				return
			}
		}
		switch {
		case r != role:
			m.t.skip()
		case r == roleBare:
			st.member(key)
		case r == roleStats:
			if err := m.stats(depth + 1); err != nil && inner == nil {
				inner = fmt.Errorf("stats: %w", err)
			}
		case r == roleStat && m.t.peek() == kList:
			m.t.list(m.entry)
		case r == roleStat:
			m.entry()
		default:
			m.t.skip()
		}
	}
	st = m.beginStat(new(stat))
	m.t.object(read)
	chosen := roleNone
	switch {
	case keys.date:
		chosen = roleBare
	case keys.stats && depth < 2:
		chosen = roleStats
	case keys.stat:
		chosen = roleStat
	}
	if chosen != roleNone && chosen != role {
		m.restore(start)
		rewind()
		inner, role, again = nil, chosen, true
		st = m.beginStat(new(stat))
		m.t.object(read)
	}
	switch chosen {
	case roleBare:
		m.n++
		if err := m.endStat(st); err != nil && m.err == nil {
			m.err = fmt.Errorf("stat %d: %w", m.n, err)
		}
		return nil
	case roleStats:
		return inner
	case roleStat:
		return nil
	}
	if all := msgs.all(); len(all) > 0 {
		return fmt.Errorf("OnApp answered errors instead of stats: %s", strings.Join(all, "; "))
	}
	if len(keys.least) == 0 {
		return errors.New("expected a list of stats, found an empty object {}")
	}
	return fmt.Errorf("expected stats, found an object with the keys %s", keys.quote())
}

// keySet keeps what statsObject needs of an object's keys: those choosing
// a role, and the six least keys for a message.
type keySet struct {
	date, stats, stat bool
	least             []string
}

func (k *keySet) add(key []byte) {
	switch string(key) {
	case "date":
		k.date = true
	case "stats":
		k.stats = true
	case "stat":
		k.stat = true
	}
	i, found := slices.BinarySearch(k.least, string(key))
	if !found && i < 6 {
		k.least = slices.Insert(k.least, i, string(key))[:min(len(k.least)+1, 6)]
	}
}

// quote writes the keys for a message, each one quoted and bounded.
func (k *keySet) quote() string {
	var out []string
	for i, key := range k.least {
		if i == 5 {
			out = append(out, "…")
			break
		}
		out = append(out, strconv.Quote(upstream.Quote(upstream.Shorten(key, 40))))
	}
	return strings.Join(out, ", ")
}

// entry reads one element of a list of stats.
func (m *mapping) entry() {
	if m.err != nil {
		m.t.skip()
		return
	}
	m.n++
	if err := m.entryValue(); err != nil && m.err == nil {
		m.err = fmt.Errorf("stat %d: %w", m.n, err)
	}
}

// entryValue reads {"stat": {…}} (a last "stat" counts) as the stat inside,
// and any other object as a stat: a member besides "stat" met after one
// drops what the inner stat gave, and the object is read as the stat from
// there ("stat" members are not a stat's).
func (m *mapping) entryValue() error {
	if k := m.t.peek(); k != kObject {
		return fmt.Errorf("expected an object, found %s", kindText(k, m.t.scalar()))
	}
	e := &m.entryState
	*e = entryState{start: m.save(), st: m.beginStat(&m.statSlots[0]), first: true}
	if m.entryFn == nil {
		m.entryFn = m.entryMember
	}
	m.t.object(m.entryFn)
	if e.wrapped && !e.other {
		return e.err
	}
	return m.endStat(e.st)
}

// entryState is what entryMember knows of the entry being read.
type entryState struct {
	start                 saved
	st                    *stat
	first, wrapped, other bool
	err                   error
}

func (m *mapping) entryMember(key []byte) {
	e := &m.entryState
	switch isStat := string(key) == "stat"; {
	case isStat && !e.other && (e.first || e.wrapped):
		m.restore(e.start)
		e.wrapped, e.err = true, m.innerStat()
	case e.wrapped && !e.other:
		m.restore(e.start)
		e.other, e.st = true, m.beginStat(&m.statSlots[0])
		e.st.member(key)
	default:
		e.st.member(key)
	}
	e.first = false
}

// innerStat reads the stat of {"stat": {…}}.
func (m *mapping) innerStat() error {
	if k := m.t.peek(); k != kObject {
		return fmt.Errorf("expected an object, found %s", kindText(k, m.t.scalar()))
	}
	st := m.beginStat(&m.statSlots[1])
	m.t.object(st.memberFn)
	return m.endStat(st)
}

// stat is a stat being read: its figures and the first error of its
// groups wait for its end, to be reported in the order of precedence (no
// date, the date, cached, non_cached, then the groups).
type stat struct {
	m        *mapping
	memberFn func(key []byte) // member, made once
	base     int              // the index of the stat's first group sample
	hasDate  bool
	dateKind kind
	own      [2]figure
	groupErr error
}

// figure is a figure as read: present or not, with a value or not, or the
// error of its text.
type figure struct {
	present, set bool
	value        float64
	err          error
}

// beginStat begins st, in one of the mapping's stats or a new one.
func (m *mapping) beginStat(st *stat) *stat {
	if len(m.cur) > 0 {
		m.prev, m.cur = m.cur, m.prev[:0]
	}
	fn := st.memberFn
	if fn == nil {
		fn = st.member
	}
	*st = stat{m: m, memberFn: fn, base: len(m.a.samples)}
	return st
}

// groupFields maps the containers of grouped stats to their dimension.
var groupFields = map[string]string{"resources": "resource", "resource": "resource", "locations": "location", "location": "location"}

// member reads one member of a stat; others are skipped.
func (st *stat) member(key []byte) {
	m := st.m
	switch string(key) {
	case "date":
		st.hasDate, st.dateKind = true, m.t.peek()
		m.date = append(m.date[:0], m.t.scalar()...)
	case trafficCached, trafficNonCached:
		st.own[trafficIndex(key)] = m.figure()
	case "resources", "resource", "locations", "location":
		name := string(key)
		dim := groupFields[name]
		if st.groupErr == nil && m.a.dim != "" && m.a.dim != dim {
			st.groupErr = fmt.Errorf("stats grouped both by %s and by %s", m.a.dim, dim)
		}
		if st.groupErr != nil {
			m.t.skip()
			return
		}
		m.a.dim = dim
		if err := m.groups(dim); err != nil {
			st.groupErr = fmt.Errorf("%s: %w", name, err)
		}
	default:
		m.t.skip()
	}
}

// endStat dates the stat's samples and puts its own figures first.
func (m *mapping) endStat(st *stat) error {
	if !st.hasDate {
		return errors.New("no date")
	}
	at, err := parseDate(st.dateKind, m.date, m.loc)
	if err != nil {
		return err
	}
	var buf [2]sample
	own := buf[:0]
	for k, f := range st.own {
		if f.err != nil {
			return fmt.Errorf("%s: %w", trafficKinds[k], f.err)
		}
		if f.set {
			own = append(own, sample{traffic: uint8(k), value: f.value})
		}
	}
	if st.groupErr != nil {
		return st.groupErr
	}
	m.a.samples = slices.Insert(m.a.samples, st.base, own...)
	stamp := at.UnixNano()
	for i := st.base; i < len(m.a.samples); i++ {
		m.a.samples[i].at = stamp
	}
	if m.want > len(m.a.samples) {
		m.a.samples = slices.Grow(m.a.samples, m.want-len(m.a.samples))
	}
	m.want = 0
	return nil
}

// groups reads a stat's groups: a list of entries, or one entry.
func (m *mapping) groups(dim string) error {
	var err error
	switch k := m.t.peek(); k {
	case kNull:
		m.t.scalar()
	case kList:
		m.t.list(func() {
			if err != nil {
				m.t.skip()
			} else {
				err = m.group(dim, true)
			}
		})
	case kObject:
		err = m.group(dim, true)
	default:
		if text := m.t.scalar(); k != kText || len(bytes.TrimSpace(text)) > 0 {
			err = fmt.Errorf("expected a list of groups, found %s", kindText(k, text))
		}
	}
	return err
}

// group reads one group entry. Entries are keyed by id, wrapped or not
// ({"resource": {"977655738": {…}}}, {"977655738": {…}, "389478438": {…}}),
// or carry their id beside the figures ({"id": 977655738, "cached": …});
// every one given is read.
func (m *mapping) group(dim string, unwrap bool) error {
	if k := m.t.peek(); k != kObject {
		if text := m.t.scalar(); k != kText || len(bytes.TrimSpace(text)) > 0 {
			return fmt.Errorf("expected a %s object, found %s", dim, kindText(k, text))
		}
		return nil
	}
	g := &m.groupReaders[0] // the entry, then the entry inside {"resource": {…}}
	if !unwrap {
		g = &m.groupReaders[1]
	}
	if g.member == nil {
		g.member = g.read
	}
	g.m, g.dim, g.unwrap, g.figs, g.err = m, dim, unwrap, [2]figure{}, nil
	for i := range g.ids {
		g.ids[i] = g.ids[i][:0]
	}
	m.t.object(g.member)
	if g.err != nil || !g.figs[0].present && !g.figs[1].present {
		return g.err
	}
	for _, id := range g.ids {
		if isDigits(id) {
			return m.addFigures(m.groupIndex(id), g.figs)
		}
	}
	return fmt.Errorf("a %s entry has figures but no numeric id", dim)
}

// groupReader reads the members of a group entry. The mapping keeps one
// for each of the two levels of an entry, its member function made once:
// a closure made for each of a million groups costs allocations each.
type groupReader struct {
	m      *mapping
	member func(key []byte) // read
	dim    string
	unwrap bool
	figs   [2]figure
	ids    [3][]byte // the ids of the fields id, <dim>_id, cdn_reference
	err    error
}

func (g *groupReader) read(key []byte) {
	m, dim := g.m, g.dim
	if g.err != nil {
		m.t.skip()
		return
	}
	switch i := idField(key, dim); {
	case string(key) == dim && g.unwrap && m.t.peek() == kObject:
		g.err = m.group(dim, false)
	case isDigits(key):
		if k := m.t.peek(); k != kObject {
			g.err = fmt.Errorf("%s %s: expected an object, found %s", dim, upstream.Quote(string(key)), kindText(k, m.t.scalar()))
		} else if err := m.figures(m.groupIndex(key)); err != nil {
			g.err = fmt.Errorf("%s %s: %w", dim, upstream.Quote(string(key)), err)
		}
	case trafficIndex(key) >= 0:
		g.figs[trafficIndex(key)] = m.figure()
	case i >= 0:
		g.ids[i] = g.ids[i][:0]
		if k := m.t.peek(); k == kText || k == kNumber {
			g.ids[i] = append(g.ids[i], bytes.TrimSpace(m.t.scalar())...)
		} else {
			m.t.skip()
		}
	default:
		m.t.skip()
	}
}

// idField is the index in groupReader.ids of a field carrying a group's id,
// or -1.
func idField(key []byte, dim string) int {
	switch {
	case string(key) == "id":
		return 0
	case len(key) == len(dim)+3 && string(key[:len(dim)]) == dim && string(key[len(dim):]) == "_id":
		return 1
	case string(key) == "cdn_reference":
		return 2
	}
	return -1
}

// figures reads a group's {"cached": …, "non_cached": …} (others ignored).
func (m *mapping) figures(g uint32) error {
	m.figs = [2]figure{}
	if m.figsMember == nil { // made once, as groupReader.member
		m.figsMember = func(key []byte) {
			if k := trafficIndex(key); k >= 0 {
				m.figs[k] = m.figure()
			} else {
				m.t.skip()
			}
		}
	}
	m.t.object(m.figsMember)
	return m.addFigures(g, m.figs)
}

func (m *mapping) addFigures(g uint32, figs [2]figure) error {
	for k, f := range figs {
		if f.err != nil {
			return fmt.Errorf("%s: %w", trafficKinds[k], f.err)
		}
	}
	for k, f := range figs {
		if f.set {
			m.a.samples = append(m.a.samples, sample{group: g, traffic: uint8(k), value: f.value})
		}
	}
	return nil
}

// groupIndex returns the sample.group of a group id, adding it to the
// table the first time.
func (m *mapping) groupIndex(raw []byte) uint32 {
	if n := len(m.cur); n < len(m.prev) && m.a.groups[m.prev[n]-1] == string(raw) {
		m.cur = append(m.cur, m.prev[n])
		return m.prev[n]
	}
	g, ok := m.a.ids[string(raw)]
	if !ok {
		if m.a.ids == nil {
			m.a.ids = map[string]uint32{}
		}
		m.a.groups = append(m.a.groups, string(raw))
		g = uint32(len(m.a.groups))
		m.a.ids[string(raw)] = g
	}
	m.cur = append(m.cur, g)
	return g
}

// figure reads a figure: a number or a numeric string; null and empty
// strings are no figure; non-finite numbers are errors.
func (m *mapping) figure() figure {
	k := m.t.peek()
	text := m.t.scalar()
	switch k {
	case kNull:
		return figure{present: true}
	case kText, kNumber:
	default:
		return figure{present: true, err: fmt.Errorf("expected a number, found %s", kindText(k, text))}
	}
	s := bytes.TrimSpace(text)
	if len(s) == 0 && k == kText {
		return figure{present: true}
	}
	f, ok := exactDecimal(s)
	if !ok {
		if f, ok = jsonread.ParseFloat(s); !ok { // strconv's reading, finite
			return figure{present: true, err: fmt.Errorf("%q is not a number", upstream.Quote(string(s)))}
		}
	}
	return figure{present: true, set: true, value: f}
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactDecimal reads a plain decimal ([+-]digits[.digits]) whose digits
// make an integer of at most 2^53 and that has at most 22 decimals: the
// integer and the power of ten are exact in a float64, so one division is
// correctly rounded and gives what strconv.ParseFloat gives (it takes the
// same path). Anything else is left to strconv.ParseFloat (ok false).
func exactDecimal(s []byte) (float64, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var n uint64
	digits, decimals, dot := 0, 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits++; digits > 19 {
				return 0, false
			}
			n = n*10 + uint64(c-'0')
			if dot {
				decimals++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || n > 1<<53 || decimals >= len(pow10) {
		return 0, false
	}
	f := float64(n) / pow10[decimals]
	if neg {
		f = -f
	}
	return f, true
}

// trafficIndex maps a figure's name to its index in trafficKinds.
func trafficIndex(name []byte) int {
	switch string(name) {
	case trafficCached:
		return 0
	case trafficNonCached:
		return 1
	}
	return -1
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

// messages reads OnApp's error messages from a value: {"errors": {"start":
// ["is invalid"]}}, {"errors": ["Access denied"]}, {"error": "…"}, or in
// XML <errors><error>…</error></errors>. Field errors are written as Rails
// writes full messages ("start is invalid"), fields in the order of their
// names; what lies deeper than three levels is not read.
func (m *mapping) messages(out []string, field []byte, depth int) []string {
	if len(out) >= maxMessages || depth > 3 {
		m.t.skip()
		return out
	}
	switch k := m.t.peek(); k {
	case kText, kNumber:
		s := strings.TrimSpace(string(m.t.scalar()))
		if s == "" {
			return out
		}
		if f := string(field); f != "" && f != "error" && f != "errors" && f != "base" {
			s = f + " " + s
		}
		return append(out, upstream.Quote(s))
	case kList:
		m.t.list(func() { out = m.messages(out, field, depth+1) })
	case kObject:
		// Each field's messages, the least fields' kept, then in order.
		type fieldMessages struct {
			name string
			msgs []string
		}
		var fields []fieldMessages
		m.t.object(func(key []byte) {
			if msgs := m.messages(nil, key, depth+1); len(msgs) > 0 {
				fields = append(fields, fieldMessages{string(key), msgs})
			}
			if len(fields) > 2*maxMessages {
				slices.SortStableFunc(fields, func(a, b fieldMessages) int { return strings.Compare(a.name, b.name) })
				fields = fields[:maxMessages]
			}
		})
		slices.SortStableFunc(fields, func(a, b fieldMessages) int { return strings.Compare(a.name, b.name) })
		for _, f := range fields {
			out = append(out, f.msgs...)
		}
		return out[:min(len(out), maxMessages)]
	default:
		m.t.skip()
	}
	return out
}

// errorBody reads the messages of an error body: {"errors": …, "error": …}
// or a bare list of messages.
func (m *mapping) errorBody() []string {
	var msgs errorMessages
	switch m.t.peek() {
	case kList:
		msgs[0] = m.messages(nil, nil, 0)
	case kObject:
		m.t.object(func(key []byte) { msgs.read(m, key) })
	default:
		m.t.skip()
	}
	return msgs.all()
}

// errorMessages are the messages of the members errors and error (others
// are skipped), those of errors first.
type errorMessages [2][]string

func (e *errorMessages) read(m *mapping, key []byte) {
	switch string(key) {
	case "errors":
		e[0] = m.messages(e[0], nil, 0)
	case "error":
		e[1] = m.messages(e[1], nil, 0)
	default:
		m.t.skip()
	}
}

func (e *errorMessages) all() []string {
	all := append(e[0], e[1]...)
	return all[:min(len(all), maxMessages)]
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

// kindOf names a value of the generic tree the listings are read into.
func kindOf(v any) string {
	switch t := v.(type) {
	case string:
		return kindText(kText, []byte(t))
	case json.Number:
		return kindText(kNumber, []byte(t))
	case bool:
		return strconv.FormatBool(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// decodeJSON decodes one JSON value into the generic tree the listings
// (catalog.go) are read from, keeping numbers as written (json.Number).
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

// unwrap returns the object inside {"<name>": {…}}, OnApp's way of wrapping
// list items, or v itself (for the listings' generic tree).
func unwrap(v any, name string) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if inner, ok := m[name].(map[string]any); ok {
			return inner
		}
	}
	return v
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
