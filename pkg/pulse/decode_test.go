package pulse

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

func TestDecodeEntity(t *testing.T) {
	tests := []struct {
		raw  string
		want entity
	}{
		{`{"id": "ent-acme", "name": "Acme Corp"}`, entity{"ent-acme", "Acme Corp"}},
		{`{"_id": "ent-acme", "name": "Acme Corp"}`, entity{"ent-acme", "Acme Corp"}},
		{`{"id": 42, "name": "Acme Corp", "plan": "gold"}`, entity{"42", "Acme Corp"}},
		{`{"name": "Acme Corp"}`, entity{"", "Acme Corp"}},
		{`"ent-acme"`, entity{"ent-acme", ""}},
		{`" ent-acme "`, entity{"ent-acme", ""}},
		{`42`, entity{"42", ""}},
		{`null`, entity{}},
		{`true`, entity{}},
		{`["ent-acme"]`, entity{}},
	}
	for _, tt := range tests {
		s := newScanner([]byte(tt.raw), false)
		if got := s.entity(); s.Err() != nil || !s.AtEnd() || got != tt.want {
			t.Errorf("%s: got %+v (%v), want %+v", tt.raw, got, s.Err(), tt.want)
		}
	}
}

func TestDecodeDevices(t *testing.T) {
	tests := []struct {
		name, row string
		want      deviceList
	}{
		{"one object", `{"device": {"id": "d1", "name": "One"}}`, deviceList{{"d1", "One"}}},
		{"array of one", `{"device": [{"id": "d1", "name": "One"}]}`, deviceList{{"d1", "One"}}},
		{"array of two", `{"device": [{"id": "d1"}, {"_id": "d2", "name": "Two"}]}`, deviceList{{"d1", ""}, {"d2", "Two"}}},
		{"bare id", `{"device": "d1"}`, deviceList{{"d1", ""}}},
		{"array of ids with a null", `{"device": ["d1", null, "d2"]}`, deviceList{{"d1", ""}, {"d2", ""}}},
		{"empty array", `{"device": []}`, nil},
		{"null", `{"device": null}`, nil},
		{"absent", `{}`, nil},
		{"empty object", `{"device": {}}`, nil},
		{"capitalised key", `{"Device": {"id": "d1"}}`, deviceList{{"d1", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := readRow(t, tt.row)
			if !slices.Equal(w.Device, tt.want) {
				t.Errorf("got %+v, want %+v", w.Device, tt.want)
			}
		})
	}
}

func TestDecodeTimestamp(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 10, 0, 0, time.UTC)
	tests := []struct {
		raw  string
		want time.Time // zero: unreadable
	}{
		{`"2026-11-23T08:10:00.000Z"`, at},
		{`"2026-11-23T08:10:00Z"`, at},
		{`"2026-11-23T08:10:00.123456Z"`, at.Add(123456 * time.Microsecond)},
		{`"2026-11-23T10:10:00+02:00"`, at},
		{`"2026-11-23T03:10:00.5-05:00"`, at.Add(500 * time.Millisecond)},
		{`"2026-11-23T10:10:00+0200"`, at},
		{`"2026-11-23T08:10:00"`, at},
		{`"2026-11-23 08:10:00"`, at},
		{`"2026-11-23 10:10:00+02:00"`, at},
		{`"2026-11-23"`, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{`1795421400000`, at},
		{`1795421400123`, at.Add(123 * time.Millisecond)},
		{`1795421400`, at},
		{`1795421400.25`, at.Add(250 * time.Millisecond)},
		{`"1795421400000"`, at},
		{`"2026-11-23T08:10:00.999999999Z"`, at.Add(999999999)},
		{`"2026-02-30T08:10:00Z"`, time.Time{}},
		{`"2026-11-23T24:10:00Z"`, time.Time{}},
		{`"yesterday"`, time.Time{}},
		{`"23/11/2026"`, time.Time{}},
		{`null`, time.Time{}},
		{`true`, time.Time{}},
		{`-5`, time.Time{}},
		{`1e300`, time.Time{}},
	}
	for _, tt := range tests {
		sc := newScanner([]byte(tt.raw), false)
		s := sc.stamp()
		if sc.Err() != nil {
			t.Fatalf("%s: %v", tt.raw, sc.Err())
		}
		switch {
		case tt.want.IsZero() && s.ok:
			t.Errorf("%s: read as %v, want unreadable", tt.raw, s.t)
		case !tt.want.IsZero() && (!s.ok || !s.t.Equal(tt.want) || s.t.Location() != time.UTC):
			t.Errorf("%s: got %v (ok %v), want %v in UTC", tt.raw, s.t, s.ok, tt.want)
		}
	}
}

func TestDecodeNumber(t *testing.T) {
	tests := []struct {
		raw string
		v   float64
		ok  bool
	}{
		{`182`, 182, true},
		{`64.5`, 64.5, true},
		{`"95"`, 95, true},
		{`" 95 "`, 95, true},
		{`0`, 0, true},
		{`null`, 0, false},
		{`"fast"`, 0, false},
		{`true`, 0, false},
		{`"NaN"`, 0, false},
		{`{"ms": 3}`, 0, false},
	}
	for _, tt := range tests {
		s := newScanner([]byte(tt.raw), false)
		if n := s.number(); s.Err() != nil || !s.AtEnd() || n.v != tt.v || n.ok != tt.ok {
			t.Errorf("%s: got %+v (%v), want %v %v", tt.raw, n, s.Err(), tt.v, tt.ok)
		}
	}
}

// readRow reads one RequestLog with the logs' scanner.
func readRow(t *testing.T, raw string) wireLog {
	t.Helper()
	s := newScanner([]byte(raw), true)
	w := s.logRow()
	if s.Err() != nil || !s.AtEnd() {
		t.Fatalf("%s: %v", raw, s.Err())
	}
	return w
}

// TestDecodeLogRow reads whole rows: both spellings of the enterprise key,
// unknown fields, and fields of unexpected types that must not fail the page.
func TestDecodeLogRow(t *testing.T) {
	tests := []struct {
		name, row     string
		enterprise    entity
		route, method string
	}{
		{"document spelling", `{"entreprise": {"id": "e1", "name": "E"}, "route": "/a", "method": "GET"}`, entity{"e1", "E"}, "/a", "GET"},
		{"other spelling", `{"enterprise": {"id": "e1", "name": "E"}, "route": "/a", "method": "GET"}`, entity{"e1", "E"}, "/a", "GET"},
		{"capitalised", `{"Entreprise": "e1", "Route": "/a", "METHOD": "GET"}`, entity{"e1", ""}, "/a", "GET"},
		{"both spellings: the document's wins", `{"enterprise": "e2", "entreprise": "e1"}`, entity{"e1", ""}, "", ""},
		{"unknown fields, nested", `{"entreprise": "e1", "requestId": "r", "geo": {"lat": 1, "tags": [{"a": [true, null]}]}, "n": -1.5e3}`, entity{"e1", ""}, "", ""},
		{"odd types", `{"entreprise": true, "route": 7, "method": ["GET"], "device": 3, "executionTime": "slow"}`, entity{}, "7", ""},
		{"escaped strings", `{"entreprise": {"id": "e\u00e9", "name": "Caf\u00e9 \"Q\""}, "route": "/a\/b"}`, entity{"eé", `Café "Q"`}, "/a/b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := readRow(t, tt.row)
			if w.Enterprise != tt.enterprise || w.Route != tt.route || w.Method != tt.method {
				t.Errorf("got %+v %q %q", w.Enterprise, w.Route, w.Method)
			}
		})
	}
}

// TestDecodePages reads whole answers: rows without a readable timestamp are
// left out and counted, and broken answers are errors in plain words.
func TestDecodePages(t *testing.T) {
	logs := newTestSource(t, "http://pulse.example").logs
	tests := []struct {
		name, body string
		rows, n    int
		skipped    string
		err        string
	}{
		{"empty", `[]`, 0, 0, "", ""},
		{"skipped rows", `[
			{"timestamp": "2026-11-23T08:00:00Z", "executionTime": 1},
			{"timestamp": "31/12/2026", "executionTime": 2},
			{"executionTime": 3},
			null,
			{"timestamp": 1795421400, "executionTime": 4}
		]`, 2, 5, `row 2: timestamp "31/12/2026"`, ""},
		{"not an array", `{"data": []}`, 0, 0, "", "expected a JSON array of rows"},
		{"truncated", `[{"timestamp": "2026-11-23T08:00:00Z"}, {"timest`, 0, 0, "", "truncated answer"},
		{"malformed", `[{"timestamp": 17954214OO}]`, 0, 0, "", "could not read"},
		{"trailing data", `[] []`, 0, 0, "", "data after the array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(tt.body)}
			b, n, err := decodeLogs(logs, 500)(resp)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.time) != tt.rows || n != tt.n || b.firstSkipped != tt.skipped {
				t.Errorf("rows %d of %d, first skipped %q; want %d of %d, %q", len(b.time), n, b.firstSkipped, tt.rows, tt.n, tt.skipped)
			}
		})
	}
}

// TestSkippedRowsAreCounted checks the notice over several pages: the count
// of all, and where the first one was.
func TestSkippedRowsAreCounted(t *testing.T) {
	c := newLogColumns()
	for page, skips := range []int{0, 2, 1} {
		b := newLogBlock(3, func(s string) string { return s })
		b.add(wireLog{Timestamp: stamp{t: time.Unix(int64(page), 0), ok: true}}, 1)
		for i := range skips {
			b.add(wireLog{Timestamp: stamp{raw: `"31/12/2026"`}}, i+2)
		}
		c.addBlock(page+1, b)
	}
	n := c.skippedNotice()
	want := `3 rows were left out because Pulse sent a timestamp that could not be read (the first: page 2, row 2: timestamp "31/12/2026")`
	if c.len() != 3 || n == nil || n.Text != want {
		t.Errorf("%d rows, notice %+v, want %q", c.len(), n, want)
	}
}
