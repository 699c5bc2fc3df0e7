package onapp

// One-pass readers of the bandwidth answers in the forms OnApp documents and
// the sandbox serves (docs/architecture.md, "Shapes the sandbox serves"):
//
//	[{"stat": {"date": "…", "cached": 2.039, "non_cached": "0.226"}}]
//	[{"stat": {"date": "…", "resources": [{"resource": {"977655738": {"cached": …, "non_cached": …}}}]}}]
//	{"stats": [ …the same… ]}
//	<stats type="array"><stat><date>…</date><resources type="array"><resource><977655738><cached>…
//
// They read the figures straight from the bytes into samples, without the
// generic tree (maps of interfaces, one per object) the tolerant readers of
// answer.go and xml.go build: that tree cost more than twice as much as
// decoding the same bytes into minimal structs (BENCHMARKS.md, P1).
//
// They accept only those forms, strictly, and give up (ok false) at the first
// thing they do not expect — another shape, an escape, an entity, a comment
// in a figure, an unknown field, a duplicate, anything the tolerant readers
// would refuse — and the tolerant readers then read the answer, so every
// answer reads as it did before. Whatever the fast readers accept, they read
// into exactly the samples, in the same order, as the tolerant readers
// (stream_test.go checks it, also by fuzzing).

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// sampleBuilder collects an answer's samples, one stat at a time, in the
// order the tolerant readers produce them: a stat's own figures (cached,
// then non_cached), then its groups' in document order, each group's cached
// before its non_cached.
type sampleBuilder struct {
	a    answer
	want int // the samples to make room for after the first stat
	loc  *time.Location
	own  [2]ownFigure // the stat's own figures
	base int          // index of the stat's first group sample
	// The groups (sample.group) of the previous stat and of this one, in
	// order: stats list the same groups in the same order, so an id is
	// usually found at its place in the previous stat, without hashing.
	prev, cur []uint32
}

type ownFigure struct {
	set   bool
	value float64
}

// newSampleBuilder returns a builder for about size samples: they are
// allocated once the first stat is read, so that an answer in another form,
// which the fast reader gives up on at its first stat, costs nothing.
func newSampleBuilder(size int, loc *time.Location) *sampleBuilder {
	return &sampleBuilder{want: size, loc: loc}
}

// startStat begins a stat.
func (sb *sampleBuilder) startStat() {
	sb.own = [2]ownFigure{}
	sb.base = len(sb.a.samples)
	if len(sb.cur) > 0 {
		sb.prev, sb.cur = sb.cur, sb.prev[:0]
	}
}

// setDim notes the stat's grouping; a second one is the tolerant readers'
// error, so the fast reader gives up.
func (sb *sampleBuilder) setDim(dim string) bool {
	if sb.a.dim != "" && sb.a.dim != dim {
		return false
	}
	sb.a.dim = dim
	return true
}

// id returns the sample.group of a group id.
func (sb *sampleBuilder) id(raw []byte) uint32 {
	if n := len(sb.cur); n < len(sb.prev) && sb.a.groups[sb.prev[n]-1] == string(raw) {
		sb.cur = append(sb.cur, sb.prev[n])
		return sb.prev[n]
	}
	g, ok := sb.a.ids[string(raw)]
	if !ok {
		g = sb.a.newGroup(string(raw))
	}
	sb.cur = append(sb.cur, g)
	return g
}

// group adds a group's figures (the time is set when the stat ends).
func (sb *sampleBuilder) group(g uint32, figs [2]ownFigure) {
	for k, f := range figs {
		if f.set {
			sb.a.samples = append(sb.a.samples, sample{group: g, traffic: uint8(k), value: f.value})
		}
	}
}

// endStat dates the stat's samples and puts its own figures first.
func (sb *sampleBuilder) endStat(at time.Time) {
	var own []sample
	for k, f := range sb.own {
		if f.set {
			own = append(own, sample{traffic: uint8(k), value: f.value})
		}
	}
	if len(own) > 0 {
		sb.a.samples = slices.Insert(sb.a.samples, sb.base, own...)
	}
	stamp := at.UnixNano()
	for i := sb.base; i < len(sb.a.samples); i++ {
		sb.a.samples[i].at = stamp
	}
	if sb.want > len(sb.a.samples) {
		sb.a.samples = slices.Grow(sb.a.samples, sb.want-len(sb.a.samples))
	}
	sb.want = 0
}

// figure reads a figure's text as number does: empty means no figure.
func figure(text string) (ownFigure, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return ownFigure{}, true
	}
	f, ok := exactDecimal(text)
	if !ok {
		var err error
		f, err = strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return ownFigure{}, false
		}
	}
	return ownFigure{set: true, value: f}, true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactDecimal reads a plain decimal ([+-]digits[.digits]) whose digits
// make an integer of at most 2^53 and that has at most 22 decimals: the
// integer and the power of ten are exact in a float64, so one division is
// correctly rounded and gives what strconv.ParseFloat gives (it takes the
// same path). Anything else — more digits, an exponent, not a number — is
// left to strconv.ParseFloat (ok false).
func exactDecimal(s string) (float64, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	digits, decimals, dot := 0, 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits++; digits > 19 {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			if dot {
				decimals++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || m > 1<<53 || decimals >= len(pow10) {
		return 0, false
	}
	f := float64(m) / pow10[decimals]
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

// ---------------------------------------------------------------- JSON

// jsonFast maps the tokens of a JSON answer (pkg/internal/jsonread) in the
// documented forms to samples; any other form stops the reader, and the
// answer goes to the tolerant reader.
type jsonFast struct {
	jsonread.Reader
	sb *sampleBuilder
}

// jsonBytesPerFigure sizes the samples of a JSON answer, as
// xmlBytesPerFigure does for XML.
const jsonBytesPerFigure = 32

func readJSONFast(body []byte, loc *time.Location) (answer, bool) {
	p := &jsonFast{Reader: jsonread.New(body), sb: newSampleBuilder(len(body)/jsonBytesPerFigure, loc)}
	switch p.Peek() {
	case '[':
		p.stats()
	case '{': // {"stats": [...]}, the reports flavour
		p.Expect('{')
		if string(p.key()) != "stats" || p.Peek() != '[' {
			return answer{}, false
		}
		p.stats()
		p.closeObject()
	default:
		return answer{}, false
	}
	if !p.AtEnd() {
		return answer{}, false
	}
	return p.sb.a, true
}

// str reads a string of printable ASCII without escapes; any other stops
// the reader.
func (p *jsonFast) str() []byte {
	raw, plain := p.RawString()
	if !plain {
		p.Fail("not a plain string")
	}
	return raw
}

// key reads `"name":` of a plain name.
func (p *jsonFast) key() []byte {
	k := p.str()
	p.Expect(':')
	return k
}

// closeObject reads the end of an object that must have no more members.
func (p *jsonFast) closeObject() {
	if p.Next('}') {
		p.Fail("another member")
	}
}

// figure reads a figure: a number, a numeric string, or null.
func (p *jsonFast) figure() ownFigure {
	var text []byte
	switch {
	case p.Null():
		return ownFigure{}
	case p.Peek() == '"':
		text = p.str()
	default:
		text, _ = p.Number()
	}
	f, ok := figure(string(text))
	if !ok {
		p.Fail("not a figure")
	}
	return f
}

// stats reads the array of stats.
func (p *jsonFast) stats() {
	p.Expect('[')
	if p.Peek() == ']' {
		p.Next(']')
		return
	}
	for more := true; more && p.Err() == nil; more = p.Next(']') {
		p.entry()
	}
}

// entry reads {"stat": {…}} or a bare stat {…}.
func (p *jsonFast) entry() {
	save := p.Offset()
	p.Expect('{')
	if raw, plain := p.RawString(); plain && string(raw) == "stat" && p.Expect(':') {
		if p.Peek() != '{' {
			p.Fail("expected a stat")
			return
		}
		p.stat()
		p.closeObject()
		return
	}
	p.Rewind(save)
	p.stat()
}

// Members of a stat, for spotting duplicates.
const (
	seenDate = 1 << iota
	seenCached
	seenNonCached
	seenGroups
)

// stat reads one stat object.
func (p *jsonFast) stat() {
	p.Expect('{')
	p.sb.startStat()
	var date []byte
	dateIsNumber := false
	seen := 0
	if p.Peek() == '}' {
		p.Fail("no date")
		return
	}
	for more := true; more && p.Err() == nil; more = p.Next('}') {
		switch name := string(p.key()); name {
		case "date":
			if seen&seenDate != 0 {
				p.Fail("a second date")
			}
			seen |= seenDate
			if p.Peek() == '"' {
				date = p.str()
			} else {
				date, _ = p.Number()
				dateIsNumber = true
			}
		case trafficCached, trafficNonCached:
			bit, k := seenCached, 0
			if name == trafficNonCached {
				bit, k = seenNonCached, 1
			}
			if seen&bit != 0 {
				p.Fail("a second %s", name)
			}
			seen |= bit
			p.sb.own[k] = p.figure()
		case "resources", "locations":
			if seen&seenGroups != 0 {
				p.Fail("a second list of groups")
			}
			seen |= seenGroups
			p.groups(strings.TrimSuffix(name, "s"))
		default:
			p.Fail("another member")
		}
	}
	if p.Err() != nil || seen&seenDate == 0 {
		p.Fail("no date")
		return
	}
	var raw any = string(date)
	if dateIsNumber {
		raw = json.Number(date)
	}
	at, err := parseDate(raw, p.sb.loc)
	if err != nil {
		p.Fail("not a date")
		return
	}
	p.sb.endStat(at)
}

// groups reads [{"<dim>": {"<id>": {"cached": …, "non_cached": …}}}, …].
func (p *jsonFast) groups(dim string) {
	if p.Peek() != '[' || !p.sb.setDim(dim) {
		p.Fail("not groups of one kind")
		return
	}
	p.Expect('[')
	if p.Peek() == ']' {
		p.Next(']')
		return
	}
	for more := true; more && p.Err() == nil; more = p.Next(']') {
		p.Expect('{')
		if string(p.key()) != dim || p.Peek() != '{' {
			p.Fail("not a %s", dim)
			return
		}
		p.Expect('{')
		id := p.str()
		p.Expect(':')
		if p.Err() != nil || !isDigits(string(id)) {
			p.Fail("not a group id")
			return
		}
		p.figures(p.sb.id(id))
		p.closeObject()
		p.closeObject()
	}
}

// figures reads a group's {"cached": …, "non_cached": …} (either may be
// missing, nothing else may be there).
func (p *jsonFast) figures(id uint32) {
	if !p.Expect('{') {
		return
	}
	var figs [2]ownFigure
	var seen [2]bool
	if p.Peek() == '}' {
		p.Next('}')
		p.sb.group(id, figs)
		return
	}
	for more := true; more && p.Err() == nil; more = p.Next('}') {
		t := trafficIndex(p.key())
		if t < 0 || seen[t] {
			p.Fail("not a figure of a group")
			return
		}
		seen[t] = true
		figs[t] = p.figure()
	}
	if p.Err() == nil {
		p.sb.group(id, figs)
	}
}

// ---------------------------------------------------------------- XML

// xmlFast reads an XML answer in the documented form; ok is false when the
// answer is in any other form.
type xmlFast struct {
	b  []byte
	i  int
	sb *sampleBuilder
}

// xmlTag is an opening tag as read.
type xmlTag struct {
	name  []byte
	typ   []byte
	isNil bool
	empty bool // <name/>
}

// xmlBytesPerFigure sizes the samples of an XML answer: about what the
// densest documented answer spends on a figure, so that the samples are
// allocated once (growing a list of a million doubles it for a while) and
// never take more than the answer's bytes.
const xmlBytesPerFigure = 64

func readXMLFast(body []byte, loc *time.Location) (answer, bool) {
	p := &xmlFast{b: body, sb: newSampleBuilder(len(body)/xmlBytesPerFigure, loc)}
	if !p.misc() {
		return answer{}, false
	}
	root, ok := p.open()
	if !ok || string(root.name) != "stats" || root.isNil {
		return answer{}, false
	}
	if !root.empty {
		for {
			if !p.misc() {
				return answer{}, false
			}
			if p.closing("stats") {
				break
			}
			t, ok := p.open()
			if !ok || string(t.name) != "stat" || len(t.typ) > 0 || t.isNil || t.empty || !p.stat() {
				return answer{}, false
			}
		}
	}
	if !p.misc() || p.i != len(p.b) {
		return answer{}, false
	}
	return p.sb.a, true
}

// misc skips white space, comments and processing instructions, and stops at
// the next tag (or the end).
func (p *xmlFast) misc() bool {
	for {
		p.skipSpace()
		rest := p.b[p.i:]
		if len(rest) > 1 && rest[0] == '<' && rest[1] != '!' && rest[1] != '?' {
			return true // a tag: the usual case
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return false
			}
			p.i += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest[2:], []byte("?>"))
			if end < 0 {
				return false
			}
			p.i += 2 + end + 2
		case len(rest) == 0 || rest[0] == '<':
			return true
		default:
			return false // text where elements are expected
		}
	}
}

// isNameByte reports whether c may be part of a tag or attribute name, as
// the tolerant reader's token does.
func isNameByte(c byte) bool { return !notName[c] }

var notName = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\n/>=<\"'") {
		t[c] = true
	}
	return t
}()

// skipSpace skips white space, eight spaces at a time where it can: the
// indentation of Rails' XML is most of the bytes between tags.
func (p *xmlFast) skipSpace() {
	const spaces = 0x2020202020202020
	for p.i+8 <= len(p.b) && binary.LittleEndian.Uint64(p.b[p.i:]) == spaces {
		p.i += 8
	}
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// open reads an opening tag <name attr="v" …> or <name …/>. Attributes are
// read as the tolerant reader reads them (only type and nil matter), but
// only in the quoted form and without entities.
func (p *xmlFast) open() (xmlTag, bool) {
	var t xmlTag
	if p.i >= len(p.b) || p.b[p.i] != '<' {
		return t, false
	}
	p.i++
	start := p.i
	for p.i < len(p.b) && isNameByte(p.b[p.i]) {
		p.i++
	}
	t.name = p.b[start:p.i]
	if len(t.name) == 0 || t.name[0] == '!' || t.name[0] == '?' {
		return t, false
	}
	for {
		for p.i < len(p.b) && isSpace(p.b[p.i]) {
			p.i++
		}
		if p.i >= len(p.b) {
			return t, false
		}
		switch p.b[p.i] {
		case '>':
			p.i++
			return t, true
		case '/':
			if p.i+1 < len(p.b) && p.b[p.i+1] == '>' {
				p.i += 2
				t.empty = true
				return t, true
			}
			return t, false
		}
		start := p.i
		for p.i < len(p.b) && isNameByte(p.b[p.i]) {
			p.i++
		}
		name := p.b[start:p.i]
		if len(name) == 0 || p.i+1 >= len(p.b) || p.b[p.i] != '=' || (p.b[p.i+1] != '"' && p.b[p.i+1] != '\'') {
			return t, false
		}
		q := p.b[p.i+1]
		end := bytes.IndexByte(p.b[p.i+2:], q)
		if end < 0 {
			return t, false
		}
		value := p.b[p.i+2 : p.i+2+end]
		if bytes.IndexByte(value, '&') >= 0 {
			return t, false
		}
		p.i += 2 + end + 1
		switch string(name) {
		case "type":
			t.typ = value
		case "nil":
			t.isNil = string(value) == "true"
		}
	}
}

// closing reads </name> when it comes next.
func (p *xmlFast) closing(name string) bool {
	rest := p.b[p.i:]
	if len(rest) < len(name)+3 || rest[0] != '<' || rest[1] != '/' || string(rest[2:2+len(name)]) != name || rest[2+len(name)] != '>' {
		return false
	}
	p.i += len(name) + 3
	return true
}

// text reads a leaf's text up to its closing tag; an entity, a comment, a
// CDATA section or a child element makes the reader give up.
func (p *xmlFast) text(t xmlTag) ([]byte, bool) {
	if t.empty {
		return nil, true
	}
	lt := bytes.IndexByte(p.b[p.i:], '<')
	if lt < 0 {
		return nil, false
	}
	text := p.b[p.i : p.i+lt]
	if bytes.IndexByte(text, '&') >= 0 {
		return nil, false
	}
	p.i += lt
	if !p.closing(string(t.name)) {
		return nil, false
	}
	return text, true
}

// leafFigure reads a figure element: its text, or none when nil="true".
func (p *xmlFast) leafFigure(t xmlTag) (ownFigure, bool) {
	if string(t.typ) == "array" {
		return ownFigure{}, false
	}
	text, ok := p.text(t)
	if !ok {
		return ownFigure{}, false
	}
	if t.isNil {
		return ownFigure{}, true
	}
	return figure(string(text))
}

// stat reads a stat's elements up to </stat>.
func (p *xmlFast) stat() bool {
	p.sb.startStat()
	var date []byte
	seen := 0
	for {
		if !p.misc() {
			return false
		}
		if p.closing("stat") {
			break
		}
		t, ok := p.open()
		if !ok {
			return false
		}
		switch name := string(t.name); name {
		case "date":
			if seen&seenDate != 0 || t.isNil || string(t.typ) == "array" {
				return false
			}
			seen |= seenDate
			date, ok = p.text(t)
		case trafficCached, trafficNonCached:
			bit, k := seenCached, 0
			if name == trafficNonCached {
				bit, k = seenNonCached, 1
			}
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			p.sb.own[k], ok = p.leafFigure(t)
		case "resources", "locations":
			if seen&seenGroups != 0 || t.isNil {
				return false
			}
			seen |= seenGroups
			ok = p.groups(t, strings.TrimSuffix(name, "s"))
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	if seen&seenDate == 0 {
		return false
	}
	at, err := parseDate(string(bytes.TrimSpace(date)), p.sb.loc)
	if err != nil {
		return false
	}
	p.sb.endStat(at)
	return true
}

// groups reads <resources …><resource><977655738><cached>…</cached>…</977655738></resource>…</resources>.
func (p *xmlFast) groups(container xmlTag, dim string) bool {
	if !p.sb.setDim(dim) {
		return false
	}
	if container.empty {
		return true
	}
	for {
		if !p.misc() {
			return false
		}
		if p.closing(string(container.name)) {
			return true
		}
		wrap, ok := p.open()
		if !ok || string(wrap.name) != dim || len(wrap.typ) > 0 || wrap.isNil || wrap.empty || !p.misc() {
			return false
		}
		idTag, ok := p.open()
		if !ok || !isDigits(string(idTag.name)) || len(idTag.typ) > 0 || idTag.isNil || idTag.empty {
			return false
		}
		id := p.sb.id(idTag.name)
		if !p.figures(id) || !p.misc() || !p.closing(dim) {
			return false
		}
	}
}

// figures reads a group's figure elements up to the closing tag of its id;
// either may be missing, nothing else may be there, and there must be one
// at least (an id element without elements is text to the tolerant reader).
func (p *xmlFast) figures(id uint32) bool {
	name := p.sb.a.groups[id-1]
	var figs [2]ownFigure
	var seen [2]bool
	n := 0
	for {
		if !p.misc() {
			return false
		}
		if p.closing(name) {
			if n == 0 {
				return false
			}
			p.sb.group(id, figs)
			return true
		}
		t, ok := p.open()
		if !ok {
			return false
		}
		k := trafficIndex(t.name)
		if k < 0 || seen[k] {
			return false
		}
		seen[k] = true
		n++
		if figs[k], ok = p.leafFigure(t); !ok {
			return false
		}
	}
}
