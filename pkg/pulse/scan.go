package pulse

// Pulse's rows, read from the tokens of the shared JSON reader
// (pkg/internal/jsonread). A page of logs is thousands of objects whose
// values take several shapes (see decode.go); encoding/json with custom
// unmarshalers reads each value twice and allocates for every string of
// every row. The scanner walks the page once, keeps each distinct string
// once per page, and skips what it does not know, whatever its nesting (up
// to jsonread.MaxDepth, without recursing).

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// scanner reads Pulse's values from b; the first error stops it.
type scanner struct {
	jsonread.Reader
	// strs keeps one copy of each string read (nil: no interning).
	strs map[string]string
	// devs is reused by devices: the list it returns is valid until the
	// next call, which is all a row needs.
	devs deviceList
}

// newScanner returns a scanner of b that keeps each string once when
// intern is set.
func newScanner(b []byte, intern bool) *scanner {
	s := &scanner{Reader: jsonread.New(b)}
	s.LooseEscapes = true // an odd escape in a timestamp or a skipped value leaves the row out, not the page
	if intern {
		s.strs = map[string]string{}
	}
	return s
}

// str reads a string value.
func (s *scanner) str() string {
	raw, plain := s.RawString()
	if !plain && bytes.IndexByte(raw, '\\') >= 0 { // rare
		v, err := jsonread.Unquote(raw)
		if err != nil {
			s.Fail("bad string escape")
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
	tok, _ := s.Number()
	return tok
}

// scalar reads a string or a number as its text; anything else is skipped
// and reads as "".
func (s *scanner) scalar() string {
	switch c := s.Peek(); {
	case c == '"':
		return strings.TrimSpace(s.str())
	case c == '-' || (c >= '0' && c <= '9'):
		return s.keepBytes(s.rawNumber())
	}
	s.Skip()
	return ""
}

// number reads a JSON number or a numeric string; anything else is skipped
// and reads as absent.
func (s *scanner) number() number {
	var raw []byte
	switch c := s.Peek(); {
	case c == '"':
		r, _ := s.RawString()
		raw = bytes.TrimSpace(r)
	case c == '-' || (c >= '0' && c <= '9'):
		raw = s.rawNumber()
	default:
		s.Skip()
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
	switch c := s.Peek(); {
	case c == '{':
		var oid string
		s.Object(func(key []byte) {
			switch {
			case bytes.EqualFold(key, []byte("id")):
				e.ID = s.scalar()
			case bytes.EqualFold(key, []byte("_id")):
				oid = s.scalar()
			case bytes.EqualFold(key, []byte("name")):
				e.Name = s.scalar()
			default:
				s.Skip()
			}
		})
		if e.ID == "" {
			e.ID = oid
		}
	case c == '"' || c == '-' || (c >= '0' && c <= '9'):
		e.ID = s.scalar()
	default:
		s.Skip()
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
	if s.Peek() == '[' {
		s.Array(func() { keep(s.entity()) })
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
	switch c := s.Peek(); {
	case c == '"':
		raw, plain := s.RawString()
		if plain {
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
	return stamp{raw: excerpt(s.Skip(), false)}
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
		s := newScanner(b, false)
		s.Object(func(key []byte) {
			if len(keys) < 5 {
				keys = append(keys, strconv.Quote(upstream.Quote(upstream.Shorten(string(key), 40))))
			} else if len(keys) == 5 {
				keys = append(keys, "…")
			}
			s.Skip()
		})
		if len(keys) == 0 {
			return "an empty object {}"
		}
		return "an object with the keys " + strings.Join(keys, ", ")
	case '[':
		return "an array"
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
	if s.Peek() != '[' {
		s.Stop(notRows(s.Rest()))
		return s.Err()
	}
	s.Array(row)
	if s.Err() == nil && !s.AtEnd() {
		s.Fail("data after the array")
	}
	return s.Err()
}
