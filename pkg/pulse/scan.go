package pulse

// Pulse's rows, mapped from the tokens of the shared JSON reader
// (pkg/internal/jsonread), which keeps each distinct string once per page
// and skips what the mapping does not know, whatever its nesting (up to
// jsonread.MaxDepth, without recursing). A page of logs is thousands of
// objects whose values take several shapes (see decode.go); encoding/json
// with custom unmarshalers read each value twice and allocated for every
// string of every row.

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
)

// scanner reads Pulse's values from b; the first error stops it.
type scanner struct {
	jsonread.Reader
	// devs is reused by devices: the list it returns is valid until the
	// next call, which is all a row needs.
	devs deviceList
	keys []byte // reused by fold
}

// fold is a key folded to be matched against lower-case names in any
// letter case (jsonread.Fold), valid until the next call.
func (s *scanner) fold(key []byte) []byte {
	s.keys = jsonread.Fold(s.keys[:0], key)
	return s.keys
}

// newScanner returns a scanner of b that keeps each string once when
// intern is set.
func newScanner(b []byte, intern bool) *scanner {
	s := &scanner{Reader: jsonread.New(b), keys: make([]byte, 0, 32)}
	s.LooseEscapes = true // an odd escape in a timestamp or a skipped value leaves the row out, not the page
	if intern {
		s.Intern()
	}
	return s
}

// scalar reads a string or a number as its text; anything else is skipped
// and reads as "".
func (s *scanner) scalar() string {
	switch s.Kind() {
	case jsonread.StringKind:
		return strings.TrimSpace(s.Str())
	case jsonread.NumberKind:
		tok, _ := s.Number()
		return s.Text(tok)
	}
	s.Skip()
	return ""
}

// number reads a JSON number or a numeric string; anything else is skipped
// and reads as absent.
func (s *scanner) number() (n number) {
	switch s.Kind() {
	case jsonread.StringKind:
		raw, _ := s.RawString()
		n.v, n.ok = jsonread.ParseFloat(bytes.TrimSpace(raw))
	case jsonread.NumberKind:
		n.v, n.ok = s.Float()
	default:
		s.Skip()
	}
	return n
}

// entity reads an enterprise or a device: an object {id|_id, name}, or a
// bare id (string or number). Anything else reads as no entity.
func (s *scanner) entity() (e entity) {
	switch s.Kind() {
	case jsonread.ObjectKind:
		var oid string
		s.Object(func(key []byte) {
			switch string(s.fold(key)) {
			case "id":
				e.ID = s.scalar()
			case "_id":
				oid = s.scalar()
			case "name":
				e.Name = s.scalar()
			default:
				s.Skip()
			}
		})
		if e.ID == "" {
			e.ID = oid
		}
	case jsonread.StringKind, jsonread.NumberKind:
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
	if s.Kind() == jsonread.ArrayKind {
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
	switch s.Kind() {
	case jsonread.StringKind:
		raw, plain := s.RawString()
		text := raw
		if !plain && bytes.IndexByte(raw, '\\') >= 0 { // rare: not kept, each row has its own
			if v, err := jsonread.Unquote(raw); err == nil {
				text = []byte(v)
			}
		}
		if t, ok := parseISO(text); ok {
			return framed(t, raw, true)
		}
		if t, ok := parseEpoch(bytes.TrimSpace(text)); ok {
			return framed(t, raw, true)
		}
		return stamp{raw: jsonread.Excerpt(raw, true)}
	case jsonread.NumberKind:
		raw, _ := s.Number()
		if t, ok := parseEpoch(raw); ok {
			return framed(t, raw, false)
		}
		return stamp{raw: jsonread.Excerpt(raw, false)}
	}
	return stamp{raw: jsonread.Excerpt(s.Skip(), false)}
}

// framed is the stamp of a time read, unless a frame's time field cannot
// hold it (before 1677 or after 2262): that row is left out and counted
// like one whose timestamp could not be read.
func framed(t time.Time, raw []byte, quoted bool) stamp {
	if !models.InFrameRange(t) {
		return stamp{raw: jsonread.Excerpt(raw, quoted) + " (outside the years Grafana can show)"}
	}
	return stamp{t: t, ok: true}
}

// errNotArray is the error for an answer that is not a list of rows: null,
// {} or {"data": …} are Pulse (or a proxy) answering another shape, which
// must be an error rather than a page of no rows.
var errNotArray = errors.New("expected a JSON array of rows")

// rows reads a page, calling row for each of its rows.
func (s *scanner) rows(row func()) error { return s.Rows(errNotArray, row) }
