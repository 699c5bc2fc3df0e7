package pulse

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/testutil"
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

// opensPastMaxDepth reports whether b, read as JSON's brackets and strings
// (a backslash escaping the byte after it, as LooseEscapes reads them and
// whatever b's other faults), is ever more than jsonread.MaxDepth levels
// deep: the fuzz oracle of skip's depth error.
func opensPastMaxDepth(b []byte) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[', '{':
			if depth++; depth > jsonread.MaxDepth {
				return true
			}
		case ']', '}':
			depth = max(depth-1, 0)
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return false
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
		if errors.Is(s.Err(), jsonread.ErrTooDeep) && !opensPastMaxDepth(b) {
			t.Fatalf("%.100q: too deep for skip, but it never opens more than MaxDepth levels", b)
		}
		if deep := errors.Is(jsonread.Plain(json.Unmarshal(b, new(any))), jsonread.ErrTooDeep); errors.Is(s.Err(), jsonread.ErrTooDeep) != deep && !bytes.Contains(b, []byte{'\\'}) {
			t.Fatalf("%.100q: too deep for skip %v, for encoding/json %v", b, !deep, deep)
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
	resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: testutil.PulseLogPage(10)}
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

// The rows of a page as encoding/json decodes them, a field per key of the
// mapping (encoding/json matches keys in any case, the last of a repeated
// one winning, as the mapping does), each value a tree or raw bytes.
type (
	treeRow struct {
		Entreprise, Enterprise, Device               json.RawMessage
		Route, Method, Timestamp                     any
		ExecutionTime, ResponseSize, ComplexityScore any
		TotalRequests, AverageComplexity             any
	}
	treeEntity struct {
		ID   any `json:"id"`
		OID  any `json:"_id"`
		Name any `json:"name"`
	}
)

// decodeTree decodes b with encoding/json, numbers kept as their text.
func decodeTree(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// What the mapping makes of each value, worked out from the tree: the
// specification of decode.go, read from encoding/json's values rather
// than from the scanner's tokens.
func treeScalar(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return string(v)
	}
	return ""
}

func treeNumber(v any) number {
	var text string
	switch v := v.(type) {
	case string:
		text = strings.TrimSpace(v)
	case json.Number:
		text = string(v)
	default:
		return number{}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return number{}
	}
	return number{f, true}
}

func treeEntityOf(raw json.RawMessage) entity {
	if len(raw) > 0 && raw[0] == '{' {
		var te treeEntity
		if err := decodeTree(raw, &te); err != nil {
			panic(err)
		}
		return entity{ID: cmp.Or(treeScalar(te.ID), treeScalar(te.OID)), Name: treeScalar(te.Name)}
	}
	var v any
	if len(raw) > 0 && decodeTree(raw, &v) != nil {
		panic(raw)
	}
	return entity{ID: treeScalar(v)}
}

func treeDevices(raw json.RawMessage) deviceList {
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' {
		list = []json.RawMessage{raw}
	} else if err := decodeTree(raw, &list); err != nil {
		panic(err)
	}
	var d deviceList
	for _, e := range list {
		if e := treeEntityOf(e); e != (entity{}) {
			d = append(d, e)
		}
	}
	return d
}

func treeStamp(v any) stamp {
	var t time.Time
	ok := false
	switch v := v.(type) {
	case string:
		if t, ok = parseISO([]byte(v)); !ok {
			t, ok = parseEpoch(bytes.TrimSpace([]byte(v)))
		}
	case json.Number:
		t, ok = parseEpoch([]byte(v))
	}
	if !ok || !models.InFrameRange(t) {
		return stamp{}
	}
	return stamp{t: t, ok: true}
}

// sameText compares a string the scanner read (its invalid UTF-8 still
// there, for the frame to replace) with encoding/json's.
func sameText(scanned, decoded string) bool { return upstream.ValidUTF8(scanned) == decoded }

func sameEntity(a, b entity) bool { return sameText(a.ID, b.ID) && sameText(a.Name, b.Name) }

func sameDevices(a, b deviceList) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(e entity) bool { return !sameEntity(e, b[slices.Index(a, e)]) })
}

// FuzzRowsAgainstEncodingJSON: the log and aggregate rows the scanner maps
// from a page are the ones worked out from encoding/json's decoding of
// the same bytes (treeRow), for every page encoding/json reads; a page it
// refuses (invalid, nested past the limit) the scanner refuses too, but
// for the escapes it reads loosely.
func FuzzRowsAgainstEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		`[{"entreprise":{"id":"e1","name":"One"},"device":[{"id":"d1"},"d2",null,{}],"route":" /a ","method":"get","timestamp":"2026-11-23T08:00:00.000Z","executionTime":"12","responseSize":-0,"complexityScore":1e400}]`,
		`[{"ENTERPRISE":{"_id":7},"Entreprise":{},"device":{"Name":"n"},"timestamp":1795421400,"totalRequests":"NaN","averageComplexity":2.5}]`,
		`[{"r\u006fute":"/\u00e9","route":"/b","timestamp":"2026-11-23\u005408:00:00Z"},null,1,"x",[]]`,
		`[{"timestamp":"2026-11-23 08:00:00\u00a0","executionTime":" 1.5e2 ","route":123.450}]`,
		"[{\"route\":\"\xff\xfe\",\"entreprise\":{\"id\":\"\xc3\x28\",\"name\":\"\xed\xa0\x80\"},\"timestamp\":\"\xff2026-11-23\"}]",
		"[{\"\xffroute\":\"x\",\"device\":[\"\xe2\x82\"]}]",
		`{"data":[]}`, `null`, `[]`, `[] []`,
		"[" + nested(jsonread.MaxDepth-1, true) + "]", nested(jsonread.MaxDepth+1, true),
		`[{"device":` + nested(jsonread.MaxDepth-2, true) + `}]`, `[{"device":` + nested(jsonread.MaxDepth-1, true) + `}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var logs []wireLog
		var aggRows []wireAggregate
		s := newScanner(b, true)
		err := s.rows(func() {
			w := s.logRow()
			w.Device = slices.Clone(w.Device) // the scanner's list is reused
			logs = append(logs, w)
		})
		var tree []json.RawMessage
		terr := json.Unmarshal(b, &tree)
		if terr == nil && tree == nil { // null: no page of rows, an error
			if err == nil {
				t.Fatalf("%.100q: read as a page", b)
			}
			return
		}
		if terr != nil {
			if err == nil && json.Valid(b) || err == nil && !bytes.Contains(b, []byte{'\\'}) {
				t.Fatalf("%.100q: encoding/json: %v; the scanner reads %d rows", b, terr, len(logs))
			}
			return
		}
		if err != nil {
			t.Fatalf("%.100q: encoding/json reads %d rows; the scanner: %v", b, len(tree), err)
		}
		s = newScanner(b, false)
		var w wireAggregate
		aerr := s.rows(func() {
			s.aggregateRow(&w)
			w.Device = slices.Clone(w.Device)
			aggRows = append(aggRows, w)
		})
		if len(logs) != len(tree) {
			t.Fatalf("%.100q: %d rows, encoding/json %d", b, len(logs), len(tree))
		}
		for i, raw := range tree {
			var tr treeRow
			isObject := raw[0] == '{'
			if isObject {
				if err := decodeTree(raw, &tr); err != nil {
					t.Fatal(err)
				}
			}
			got := logs[i]
			want := wireLog{Enterprise: treeEntityOf(tr.Entreprise), Device: treeDevices(tr.Device), Route: treeScalar(tr.Route), Method: treeScalar(tr.Method),
				Timestamp: treeStamp(tr.Timestamp), ExecutionTime: treeNumber(tr.ExecutionTime), ResponseSize: treeNumber(tr.ResponseSize), ComplexityScore: treeNumber(tr.ComplexityScore)}
			if want.Enterprise == (entity{}) {
				want.Enterprise = treeEntityOf(tr.Enterprise)
			}
			if !sameEntity(got.Enterprise, want.Enterprise) || !sameDevices(got.Device, want.Device) || !sameText(got.Route, want.Route) || !sameText(got.Method, want.Method) ||
				got.Timestamp.ok != want.Timestamp.ok || !got.Timestamp.t.Equal(want.Timestamp.t) ||
				got.ExecutionTime != want.ExecutionTime || got.ResponseSize != want.ResponseSize || got.ComplexityScore != want.ComplexityScore {
				t.Fatalf("%.200q: row %d is %+v, encoding/json's %+v", b, i, got, want)
			}
			// The aggregates: the same values, and an error for a row that
			// is neither an object nor null.
			if !isObject && string(raw) != "null" {
				if aerr == nil || !strings.Contains(aerr.Error(), "expected a row object") {
					t.Fatalf("%.100q: row %d is %s; aggregate error %v", b, i, raw, aerr)
				}
				return
			}
			a := aggRows[i]
			if !sameEntity(a.Entreprise, treeEntityOf(tr.Entreprise)) || !sameEntity(a.Enterprise, treeEntityOf(tr.Enterprise)) || !sameDevices(a.Device, want.Device) ||
				!sameText(a.Route, want.Route) || a.TotalRequests != treeNumber(tr.TotalRequests) || a.AverageComplexity != treeNumber(tr.AverageComplexity) {
				t.Fatalf("%.200q: aggregate row %d is %+v", b, i, a)
			}
		}
		if aerr != nil {
			t.Fatalf("%.100q: aggregates: %v", b, aerr)
		}
	})
}
