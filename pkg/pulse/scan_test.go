package pulse

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// nested is n arrays one inside the other, closed when closed is set.
func nested(n int, closed bool) string {
	s := strings.Repeat("[", n)
	if closed {
		s += strings.Repeat("]", n)
	}
	return s
}

// TestScanSkipDeepNesting: skip reads nesting up to jsonread.MaxDepth
// (counting the levels the scanner is already inside) and stops past it
// with the plain error, without recursing: a page of 4 MB of '[' used to
// overflow the goroutine stack and kill the process.
func TestScanSkipDeepNesting(t *testing.T) {
	for _, tt := range []struct {
		name string
		doc  string
		err  error
	}{
		{"at the limit", nested(jsonread.MaxDepth, true), nil},
		{"objects at the limit", strings.Repeat(`{"a":`, jsonread.MaxDepth) + "1" + strings.Repeat("}", jsonread.MaxDepth), nil},
		{"one past", nested(jsonread.MaxDepth+1, true), jsonread.ErrTooDeep},
		{"objects one past", strings.Repeat(`{"a":`, jsonread.MaxDepth+1) + "1" + strings.Repeat("}", jsonread.MaxDepth+1), jsonread.ErrTooDeep},
		{"4 MB open", nested(4<<20, false), jsonread.ErrTooDeep},
		{"mixed", strings.Repeat(`[{"k":[`, 4000), jsonread.ErrTooDeep},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := scanner{b: []byte(tt.doc)}
			s.skip()
			if !errors.Is(s.err, tt.err) {
				t.Fatalf("error %v, want %v", s.err, tt.err)
			}
			if tt.err == nil && s.i != len(s.b) {
				t.Fatalf("stopped at %d of %d", s.i, len(s.b))
			}
		})
	}
	// Inside a row, the levels above count: a row's device nested to the
	// limit is past it.
	s := scanner{b: []byte(`[{"device":` + nested(jsonread.MaxDepth-1, true) + `}]`)}
	if err := s.rows(func() { s.logRow() }); !errors.Is(err, jsonread.ErrTooDeep) {
		t.Fatalf("rows: %v", err)
	}
}

// TestScanSkipMessages: the iterative skip words malformed values as the
// scanner always did.
func TestScanSkipMessages(t *testing.T) {
	for doc, want := range map[string]string{
		`[1 2]`:       "expected , or ] in an array",
		`{"a":1 "b"}`: "expected , or } in an object",
		`{"a" 1}`:     `expected ':'`,
		`{1:2}`:       `expected '"'`,
		`[1,]`:        "expected a number",
		`[tru]`:       "unexpected character",
		`[[1]`:        "unexpected EOF",
		`[{"a":[1}]`:  "expected , or ] in an array",
	} {
		s := scanner{b: []byte(doc)}
		s.skip()
		if s.err == nil || !strings.Contains(s.err.Error(), want) {
			t.Errorf("%s: error %v, want %q", doc, s.err, want)
		}
	}
}

// TestLogPageDeepNesting: the page reader answers the plain error for a
// page nested past the limit, through the decoder the source uses.
func TestLogPageDeepNesting(t *testing.T) {
	src := newTestSource(t, "http://pulse.example")
	for _, doc := range []string{nested(4<<20, false), "[" + nested(jsonread.MaxDepth, true) + "]"} {
		resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(doc)}
		_, _, err := decodeLogs(src.logs, 500)(resp)
		if err == nil || !strings.Contains(err.Error(), "nests deeper than 10,000 levels: not an answer this API sends") {
			t.Errorf("%.20s…: %v", doc, err)
		}
		_, _, err = jsonRows[wireAggregate](src.reports)(resp)
		if err == nil || !strings.Contains(err.Error(), "nests deeper than 10,000 levels") {
			t.Errorf("aggregate %.20s…: %v", doc, err)
		}
	}
}

// FuzzScanSkip: the scanner's skip against encoding/json. Whatever
// encoding/json finds valid, skip reads whole (skip is looser: it does not
// check escapes, number forms or UTF-8, which the values it skips do not
// need); what skip reads never panics, and the nesting limit is the same.
func FuzzScanSkip(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,2,{"b":null}],"c":"d"}`, `[]`, `{}`, `"x"`, `-1.5e3`, `true`, `[1 2]`, `{"a" 1}`,
		nested(jsonread.MaxDepth, true), nested(jsonread.MaxDepth+1, true), nested(100_000, false),
		strings.Repeat(`{"a":`, 10_001), "[\"\xff\xfe\"]", "{\"\xc3\x28\":1}", "\"\xed\xa0\x80\"",
		`[1e400,-0,"NaN"]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := scanner{b: b}
		s.skip()
		if s.err == nil && !s.atEnd() {
			s.fail("data after the value")
		}
		if json.Valid(b) {
			if s.err != nil {
				t.Fatalf("encoding/json reads %.100q, skip says %v", b, s.err)
			}
		} else if errors.Is(s.err, jsonread.ErrTooDeep) && jsonread.CheckDepth(b) == nil {
			t.Fatalf("%.100q: too deep for skip, not for CheckDepth", b)
		}
		if s.err == nil && s.i != len(b) {
			t.Fatalf("%.100q: read %d of %d bytes", b, s.i, len(b))
		}
	})
}

// TestRowsRefuseTrailingNUL: a NUL byte after the page is data after the
// array, not its end.
func TestRowsRefuseTrailingNUL(t *testing.T) {
	s := scanner{b: []byte("[]\x00")}
	if err := s.rows(func() { s.skip() }); err == nil || !strings.Contains(err.Error(), "data after the array") {
		t.Fatalf("error %v", err)
	}
}
