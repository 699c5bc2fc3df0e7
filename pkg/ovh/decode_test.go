package ovh

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// sameStatistics fails unless the one-pass reader read exactly what
// encoding/json reads.
func sameStatistics(t *testing.T, body []byte) bool {
	t.Helper()
	fast, ok := decodeStatistics(body)
	if !ok {
		return false
	}
	var want statistics
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("%.200q: the one-pass reader accepts what encoding/json refuses (%v)", body, err)
	}
	if fast.Unit != want.Unit || len(fast.Values) != len(want.Values) || (fast.Values == nil) != (want.Values == nil) {
		t.Fatalf("%.200q: %+v, encoding/json reads %+v", body, fast, want)
	}
	for i, p := range fast.Values {
		w := want.Values[i]
		if p.Timestamp != w.Timestamp || (p.Value == nil) != (w.Value == nil) ||
			(p.Value != nil && math.Float64bits(*p.Value) != math.Float64bits(*w.Value)) {
			t.Fatalf("%.200q: point %d is %v/%v, encoding/json reads %v/%v", body, i, p.Timestamp, p.Value, w.Timestamp, w.Value)
		}
	}
	return true
}

// TestDecodeStatisticsTakesTheDocumentedForm: the sandbox's answers and the
// testdata answers are read in one pass, into what encoding/json reads.
func TestDecodeStatisticsTakesTheDocumentedForm(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, tf := range []string{"hourly", "daily", "weekly", "monthly", "yearly"} {
		for _, metric := range []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"} {
			st, err := sandbox.OVHLineStatistics(sandbox.OVHDegradedLine, tf, metric, now)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.MarshalIndent(st, "", "  ")
			if !sameStatistics(t, body) {
				t.Errorf("%s %s: not read in one pass", tf, metric)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameStatistics(t, body) // golden inputs of every kind: only those it takes are checked
	}
	for _, doc := range []string{
		`{}`, `{"unit":null,"values":null}`, `{"values":[]}`, `{"values":[{}]}`, ` {"unit":"s" , "values" : [ {"value":-0,"timestamp":-5} ]} `,
		`{"unit":"","values":[{"timestamp":0,"value":1e-320},{"timestamp":9007199254740993,"value":null}]}`,
	} {
		if !sameStatistics(t, []byte(doc)) {
			t.Errorf("%s: not read in one pass", doc)
		}
	}
}

// TestDecodeStatisticsGivesUpOnOtherForms: anything else is encoding/json's.
func TestDecodeStatisticsGivesUpOnOtherForms(t *testing.T) {
	for _, doc := range []string{
		``, `null`, `[]`, `{"Unit":"s"}`, `{"unit":"s","unit":"ms"}`, `{"unit":"\u0073"}`, `{"unit":5}`, `{"extra":1}`,
		`{"values":[null]}`, `{"values":[{"timestamp":1.0}]}`, `{"values":[{"timestamp":1e3}]}`, `{"values":[{"timestamp":"1"}]}`,
		`{"values":[{"timestamp":99999999999999999999}]}`, `{"values":[{"value":1e999}]}`, `{"values":[{"value":"1"}]}`,
		`{"values":[{"value":1,"value":2}]}`, `{"values":[{"timestamp":null}]}`, `{} x`, `{"values":[{"value":01}]}`,
	} {
		if _, ok := decodeStatistics([]byte(doc)); ok {
			t.Errorf("%s: read in one pass", doc)
		}
	}
}

func FuzzDecodeStatistics(f *testing.F) {
	f.Add([]byte(`{"unit":"s","values":[{"timestamp":1732406400,"value":0.012},{"timestamp":1732410000,"value":null}]}`))
	f.Add([]byte(`{"values":[]}`))
	// Nesting past encoding/json's limit, and invalid UTF-8: neither reader
	// may crash, and the one-pass reader takes neither.
	f.Add([]byte(strings.Repeat("[", 100_000)))
	f.Add([]byte(`{"unit":"s","values":` + strings.Repeat(`[{"value":`, 20_000) + `}`))
	f.Add([]byte(`{"unit":"s","values":[{"timestamp":1,"value":1,"x":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + `}]}`))
	f.Add([]byte("{\"unit\":\"\xff\xfe\",\"values\":[]}"))
	f.Add([]byte("{\"un\xc3\x28it\":\"s\"}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sameStatistics(t, body)
	})
}

// TestStatisticsNestedTooDeep: a statistics answer nested past encoding/json's
// limit fails that query with the plain words for it, not encoding/json's.
func TestStatisticsNestedTooDeep(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("[", 100_000),
		`{"unit":"s","values":[{"timestamp":1,"value":` + strings.Repeat(`{"a":`, 20_000) + `}]}`,
	} {
		f := newFake(t, nil)
		f.set(func(f *fakeOVH) { f.handle = answering(map[string]canned{pathStats: {status: 200, body: body}}) })
		resp := newTestSource(t, f).HandleQuery(context.Background(), oneSeries())
		if resp.Error == nil || !strings.Contains(resp.Error.Error(), "the answer nests deeper than 10,000 levels: not an answer this API sends") {
			t.Errorf("%.20s…: %v", body, resp.Error)
		}
	}
}
