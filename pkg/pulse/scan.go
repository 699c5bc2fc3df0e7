package pulse

// A small JSON reader for Pulse's rows. A page of logs is thousands of
// objects whose values take several shapes (see decode.go); encoding/json
// with custom unmarshalers reads each value twice and allocates for every
// string of every row. This reader walks the page once, keeps each distinct
// string once per page, and skips what it does not know, whatever its
// nesting: without recursing, and up to jsonread.MaxDepth levels.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// scanner reads JSON values from b; the first error stops it.
type scanner struct {
	b   []byte
	i   int
	err error
	// strs keeps one copy of each string read (nil: no interning).
	strs map[string]string
	// devs is reused by devices: the list it returns is valid until the
	// next call, which is all a row needs.
	devs deviceList
	// depth counts the arrays and objects array and object are inside.
	depth int
}

// enter counts one more level of nesting; past jsonread.MaxDepth it stops
// the scanner with jsonread.ErrTooDeep.
func (s *scanner) enter(levels int) bool {
	if s.depth+levels > jsonread.MaxDepth {
		if s.err == nil {
			s.err = jsonread.ErrTooDeep
		}
		return false
	}
	return true
}

func (s *scanner) fail(format string, a ...any) {
	if s.err == nil {
		if s.i >= len(s.b) {
			s.err = io.ErrUnexpectedEOF
			return
		}
		s.err = fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, a...))
	}
}

// peek skips white space and returns the next byte, 0 at the end or after
// an error.
func (s *scanner) peek() byte {
	for s.err == nil && s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// atEnd skips white space and reports whether nothing follows (peek's 0
// is also a NUL byte).
func (s *scanner) atEnd() bool {
	s.peek()
	return s.i >= len(s.b)
}

func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		s.fail("expected %q", c)
		return false
	}
	s.i++
	return true
}

// array calls elem for each element; elem must read exactly one value.
func (s *scanner) array(elem func()) {
	if !s.expect('[') || !s.enter(1) {
		return
	}
	if s.peek() == ']' {
		s.i++
		return
	}
	s.depth++
	for s.err == nil {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return
		default:
			s.fail("expected , or ] in an array")
		}
	}
	s.depth--
}

// object calls field with each key (raw, still escaped: keys Pulse uses
// need none); field must read exactly one value.
func (s *scanner) object(field func(key []byte)) {
	if !s.expect('{') || !s.enter(1) {
		return
	}
	if s.peek() == '}' {
		s.i++
		return
	}
	s.depth++
	for s.err == nil {
		key, _ := s.rawString()
		if !s.expect(':') {
			break
		}
		field(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return
		default:
			s.fail("expected , or } in an object")
		}
	}
	s.depth--
}

// rawString reads a string and returns its bytes between the quotes, and
// whether they hold escapes.
func (s *scanner) rawString() (raw []byte, escaped bool) {
	if !s.expect('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], escaped
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			s.fail("control character in a string")
			return nil, false
		default:
			s.i++
		}
	}
	s.fail("unterminated string")
	return nil, false
}

// str reads a string value.
func (s *scanner) str() string {
	raw, escaped := s.rawString()
	if escaped { // rare: let encoding/json unescape the token, quotes included
		var v string
		if err := json.Unmarshal(s.b[s.i-len(raw)-2:s.i], &v); err != nil {
			s.fail("bad string escape")
		}
		return s.keep(v)
	}
	return s.keepBytes(raw)
}

// keepBytes returns raw as a string, the kept copy when there is one (the
// map lookup with a converted key does not allocate).
func (s *scanner) keepBytes(raw []byte) string {
	if s.strs == nil {
		return string(raw)
	}
	if k, ok := s.strs[string(raw)]; ok {
		return k
	}
	v := string(raw)
	s.strs[v] = v
	return v
}

func (s *scanner) keep(v string) string {
	if s.strs == nil {
		return v
	}
	if k, ok := s.strs[v]; ok {
		return k
	}
	s.strs[v] = v
	return v
}

// rawNumber reads a number token.
func (s *scanner) rawNumber() []byte {
	s.peek()
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			s.i++
			continue
		}
		break
	}
	if s.i == start {
		s.fail("expected a number")
	}
	return s.b[start:s.i]
}

// literal reads true, false or null.
func (s *scanner) literal() {
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
			s.i += len(lit)
			return
		}
	}
	s.fail("unexpected character %q", s.b[s.i])
}

// skip reads one value of any kind and returns its raw bytes. The arrays
// and objects it is inside are kept on a stack of its own rather than the
// goroutine's: the answer decides how deep they go, and a recursion per
// level let a page of nested '[' overflow the stack, which kills the
// process.
func (s *scanner) skip() []byte {
	start := s.i
	var open []byte // the closing byte of each array and object open
	for s.err == nil {
		switch c := s.peek(); c {
		case '{', '[':
			s.i++
			if !s.enter(len(open) + 1) {
				break
			}
			end := byte(']')
			if c == '{' {
				end = '}'
			}
			if s.peek() == end {
				s.i++
				break
			}
			open = append(open, end)
			if end == '}' {
				s.member()
			}
			continue // the first element or member's value
		case '"':
			s.rawString()
		case 't', 'f', 'n':
			s.literal()
		case 0:
			s.fail("expected a value")
		default:
			s.rawNumber()
		}
		// After a value: close the arrays and objects that end here, up to
		// the next element or member.
	closing:
		for s.err == nil && len(open) > 0 {
			end := open[len(open)-1]
			switch s.peek() {
			case ',':
				s.i++
				if end == '}' {
					s.member()
				}
				break closing
			case end:
				s.i++
				open = open[:len(open)-1]
			default:
				if end == '}' {
					s.fail("expected , or } in an object")
				} else {
					s.fail("expected , or ] in an array")
				}
			}
		}
		if len(open) == 0 {
			break
		}
	}
	return bytes.TrimSpace(s.b[start:s.i])
}

// member reads an object member's key and colon, up to its value.
func (s *scanner) member() {
	s.rawString()
	s.expect(':')
}

// scalar reads a string or a number as its text; anything else is skipped
// and reads as "".
func (s *scanner) scalar() string {
	switch c := s.peek(); {
	case c == '"':
		return strings.TrimSpace(s.str())
	case c == '-' || (c >= '0' && c <= '9'):
		return s.keepBytes(s.rawNumber())
	}
	s.skip()
	return ""
}

// number reads a JSON number or a numeric string; anything else is skipped
// and reads as absent.
func (s *scanner) number() number {
	var raw []byte
	switch c := s.peek(); {
	case c == '"':
		r, _ := s.rawString()
		raw = bytes.TrimSpace(r)
	case c == '-' || (c >= '0' && c <= '9'):
		raw = s.rawNumber()
	default:
		s.skip()
		return number{}
	}
	return parseNumber(raw)
}

// parseNumber reads a decimal number; whole numbers without a sign, the
// usual case, without converting to a string.
func parseNumber(raw []byte) number {
	if len(raw) > 0 && len(raw) < 16 {
		v := 0.0
		for _, c := range raw {
			if c < '0' || c > '9' {
				goto general
			}
			v = v*10 + float64(c-'0')
		}
		return number{v: v, ok: true}
	}
general:
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || v != v || v > 1e308 || v < -1e308 {
		return number{}
	}
	return number{v: v, ok: true}
}

// entity reads an enterprise or a device: an object {id|_id, name}, or a
// bare id (string or number). Anything else reads as no entity.
func (s *scanner) entity() entity {
	var e entity
	switch c := s.peek(); {
	case c == '{':
		var oid string
		s.object(func(key []byte) {
			switch {
			case bytes.EqualFold(key, []byte("id")):
				e.ID = s.scalar()
			case bytes.EqualFold(key, []byte("_id")):
				oid = s.scalar()
			case bytes.EqualFold(key, []byte("name")):
				e.Name = s.scalar()
			default:
				s.skip()
			}
		})
		if e.ID == "" {
			e.ID = oid
		}
	case c == '"' || c == '-' || (c >= '0' && c <= '9'):
		e.ID = s.scalar()
	default:
		s.skip()
	}
	return e
}

// devices reads a row's devices: one entity, an array of them, or none
// (nil). The list is only valid until the next call.
func (s *scanner) devices() deviceList {
	s.devs = s.devs[:0]
	keep := func(e entity) {
		if e.ID != "" || e.Name != "" {
			s.devs = append(s.devs, e)
		}
	}
	if s.peek() == '[' {
		s.array(func() { keep(s.entity()) })
	} else {
		keep(s.entity())
	}
	if len(s.devs) == 0 {
		return nil
	}
	return s.devs
}

// stamp reads a timestamp: an ISO 8601 string or an epoch number (or a
// numeric string). One that cannot be read keeps its raw text.
func (s *scanner) stamp() stamp {
	switch c := s.peek(); {
	case c == '"':
		raw, escaped := s.rawString()
		if !escaped {
			if t, ok := parseISO(raw); ok {
				return framed(t, raw, true)
			}
			if t, ok := parseEpoch(bytes.TrimSpace(raw)); ok {
				return framed(t, raw, true)
			}
		}
		return stamp{raw: excerpt(raw, true)}
	case c == '-' || (c >= '0' && c <= '9'):
		raw := s.rawNumber()
		if t, ok := parseEpoch(raw); ok {
			return framed(t, raw, false)
		}
		return stamp{raw: excerpt(raw, false)}
	}
	return stamp{raw: excerpt(s.skip(), false)}
}

// framed is the stamp of a time read, unless a frame's time field cannot
// hold it (before 1677 or after 2262): that row is left out and counted
// like one whose timestamp could not be read.
func framed(t time.Time, raw []byte, quoted bool) stamp {
	if !models.InFrameRange(t) {
		return stamp{raw: excerpt(raw, quoted) + " (outside the years Grafana can show)"}
	}
	return stamp{t: t, ok: true}
}

// excerpt is the start of upstream bytes for a notice: at most 40
// characters, Go-quoted when they were a JSON string. It is cheap, since
// every unreadable row makes one; the block quotes the one it keeps
// through upstream.Quote (logBlock.add).
func excerpt(raw []byte, quoted bool) string {
	const maxRunes = 40
	if len(raw) > utf8.UTFMax*(maxRunes+1) {
		raw = raw[:utf8.UTFMax*(maxRunes+1)] // more than 40 characters whatever they are: Shorten marks the cut
	}
	text := upstream.Shorten(string(raw), maxRunes)
	if quoted {
		return strconv.Quote(text)
	}
	return text
}

// errNotArray is the error for an answer that is not a list of rows.
var errNotArray = errors.New("expected a JSON array of rows")

// notRows is errNotArray saying what the answer is instead: null, {} or
// {"data": …} are Pulse (or a proxy) answering another shape, which must
// be an error rather than a page of no rows.
func notRows(b []byte) error {
	return fmt.Errorf("%w, found %s", errNotArray, describeJSON(b))
}

// describeJSON names the kind of the JSON value b starts with, and the
// first keys of an object (quoted, bounded).
func describeJSON(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "an empty answer"
	}
	switch b[0] {
	case '{':
		var keys []string
		s := scanner{b: b}
		s.object(func(key []byte) {
			if len(keys) < 5 {
				keys = append(keys, strconv.Quote(upstream.Quote(upstream.Shorten(string(key), 40))))
			} else if len(keys) == 5 {
				keys = append(keys, "…")
			}
			s.skip()
		})
		if len(keys) == 0 {
			return "an empty object {}"
		}
		return "an object with the keys " + strings.Join(keys, ", ")
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

// rows reads a top-level array, calling row for each element.
func (s *scanner) rows(row func()) error {
	if s.peek() != '[' {
		if s.err == nil {
			s.err = notRows(s.b[s.i:])
		}
		return s.err
	}
	s.array(row)
	if s.err == nil && !s.atEnd() {
		s.fail("data after the array")
	}
	return s.err
}
