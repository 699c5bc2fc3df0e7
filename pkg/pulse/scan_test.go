package pulse

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
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
			s := newScanner([]byte(tt.doc), false)
			s.Skip()
			if !errors.Is(s.Err(), tt.err) {
				t.Fatalf("error %v, want %v", s.Err(), tt.err)
			}
			if tt.err == nil && !s.AtEnd() {
				t.Fatalf("stopped at %d of %d", s.Offset(), len(tt.doc))
			}
		})
	}
	// Inside a row, the levels above count: a row's device nested to the
	// limit is past it.
	s := newScanner([]byte(`[{"device":`+nested(jsonread.MaxDepth-1, true)+`}]`), false)
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
		s := newScanner([]byte(doc), false)
		s.Skip()
		if s.Err() == nil || !strings.Contains(s.Err().Error(), want) {
			t.Errorf("%s: error %v, want %q", doc, s.Err(), want)
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
		_, _, err = decodeAggregates(src.reports, aggregateSpecs[models.UsageReportRequests])(resp)
		if err == nil || !strings.Contains(err.Error(), "nests deeper than 10,000 levels") {
			t.Errorf("aggregate %.20s…: %v", doc, err)
		}
	}
}

// FuzzScanSkip: the scanner's skip against encoding/json: the same
// documents valid (but for the escapes the scanner reads loosely), and the
// same nesting limit.
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
		s := newScanner(b, false)
		s.Skip()
		if s.Err() == nil && !s.AtEnd() {
			s.Fail("data after the value")
		}
		if valid := json.Valid(b); valid && s.Err() != nil || !valid && s.Err() == nil && !bytes.Contains(b, []byte{'\\'}) {
			t.Fatalf("%.100q: encoding/json valid %v, skip says %v", b, valid, s.Err())
		}
		if errors.Is(s.Err(), jsonread.ErrTooDeep) && jsonread.CheckDepth(b) == nil {
			t.Fatalf("%.100q: too deep for skip, not for CheckDepth", b)
		}
	})
}

// TestRowsRefuseTrailingNUL: a NUL byte after the page is data after the
// array, not its end.
func TestRowsRefuseTrailingNUL(t *testing.T) {
	s := newScanner([]byte("[]\x00"), false)
	if err := s.rows(func() { s.Skip() }); err == nil || !strings.Contains(err.Error(), "data after the array") {
		t.Fatalf("error %v", err)
	}
}

// TestAggregateRows: the streaming aggregate reader reads what encoding/json
// read: keys in any case, the last of a repeated key, null as an empty row;
// a row that is not an object is an error naming what it is.
func TestAggregateRows(t *testing.T) {
	src := newTestSource(t, "http://pulse.example")
	read := func(report, body string) ([]aggRow, error) {
		resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
		rows, _, err := decodeAggregates(src.reports, aggregateSpecs[report])(resp)
		return rows, err
	}
	rows, err := read(models.UsageReportRequests, `[{"ENTREPRISE":{"id":"e1","name":"One"},"totalrequests":"12"},null,{"enterprise":"e2","totalRequests":1,"totalRequests":2},{"entreprise":{},"enterprise":{"_id":"e3"}}]`)
	want := []aggRow{{id: "e1", name: "One", v: number{12, true}}, {}, {id: "e2", v: number{2, true}}, {id: "e3"}}
	if err != nil || !slices.Equal(rows, want) {
		t.Errorf("requests: %+v %v, want %+v", rows, err, want)
	}
	rows, err = read(models.UsageReportDevices, `[{"device":[{"id":"d1"},{"id":"d2"}],"totalRequests":3},{"device":"d3","totalRequests":null}]`)
	want = []aggRow{{id: "d1", v: number{3, true}}, {id: "d3"}}
	if err != nil || !slices.Equal(rows, want) {
		t.Errorf("devices: %+v %v, want %+v", rows, err, want)
	}
	for body, msg := range map[string]string{`[1]`: "expected a row object, found a number", `[{"route":"/a"},[]]`: "found an array", `["x"]`: "found a string"} {
		if _, err := read(models.UsageReportRoutes, body); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", body, err, msg)
		}
	}
}

// TestRankingIsASortOfEverything: the heap that keeps topN while reading
// keeps exactly the rows, in the order, that sorting every row kept.
func TestRankingIsASortOfEverything(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		n := r.IntN(60)
		rows := make([]aggRow, n)
		for i := range rows {
			rows[i] = aggRow{id: strconv.Itoa(r.IntN(40)), v: number{float64(r.IntN(5)), r.IntN(4) > 0}}
		}
		all := newRanking(0)
		for _, row := range rows {
			all.add(row)
		}
		sorted := all.sorted()
		for _, topN := range []int{1, 3, 10, 100} {
			top := newRanking(topN)
			for _, row := range rows {
				top.add(row)
			}
			want := sorted[:min(topN, len(sorted))]
			if got := top.sorted(); !slices.Equal(got, want) || top.repeated != all.repeated || top.distinct != len(sorted) {
				t.Fatalf("top %d of %+v: %+v, want %+v", topN, rows, got, want)
			}
		}
	}
}

// TestOverfullPagesCountedNotKept: the rows of a page past its limit are
// counted (the overfull error says how many Pulse sent) but not kept.
func TestOverfullPagesCountedNotKept(t *testing.T) {
	src := newTestSource(t, "http://pulse.example")
	resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: logPage(10)}
	b, n, err := decodeLogs(src.logs, 3)(resp)
	if err != nil || n != 10 || len(b.time) != 3 {
		t.Errorf("logs: %d rows counted, %d kept, %v", n, len(b.time), err)
	}
	body := "[" + strings.Repeat(`{"route":"/a","totalRequests":1},`, models.MaxUsageLimit+5) + `{"route":"/b"}]`
	resp.Body = []byte(body)
	rows, n, err := decodeAggregates(src.reports, aggregateSpecs[models.UsageReportRoutes])(resp)
	if err != nil || n != models.MaxUsageLimit+6 || len(rows) != models.MaxUsageLimit {
		t.Errorf("aggregates: %d rows counted, %d kept, %v", n, len(rows), err)
	}
}
