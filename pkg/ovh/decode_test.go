package ovh

import (
	"bytes"
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

// statistics is the answer as encoding/json reads it into its documented
// shape: the oracle of the reader. A repeated "values" list replaces the
// earlier one whole (encoding/json alone would decode it into the earlier
// list's points, a merge no reader should copy).
type statistics struct {
	Unit   string    `json:"unit"`
	Values pointList `json:"values"`
}

type pointList []point

func (l *pointList) UnmarshalJSON(b []byte) error {
	var fresh []point
	err := json.Unmarshal(b, &fresh)
	*l = fresh
	return err
}

// sameAsEncodingJSON fails unless the reader reads body exactly as
// encoding/json reads it, or refuses it as encoding/json does (and a root
// of null, which encoding/json reads as no points); it reports whether the
// reader took it.
func sameAsEncodingJSON(t *testing.T, body []byte) bool {
	t.Helper()
	unit, got, err := decodeSamples(body, nil)
	var want statistics
	jerr := json.Unmarshal(body, &want)
	switch {
	case err != nil && jerr != nil:
		return false
	case err != nil && bytes.Equal(bytes.TrimSpace(body), []byte("null")):
		return false
	case err != nil:
		t.Fatalf("%.200q: the reader refuses what encoding/json reads (%v)", body, err)
	case jerr != nil:
		t.Fatalf("%.200q: the reader takes what encoding/json refuses (%v)", body, jerr)
	}
	if unit != want.Unit || len(got) != len(want.Values) {
		t.Fatalf("%.200q: %q %+v, encoding/json reads %+v", body, unit, got, want)
	}
	for i, s := range samplesOf(want.Values) {
		if got[i].ts != s.ts || got[i].ok != s.ok || math.Float64bits(got[i].value) != math.Float64bits(s.value) {
			t.Fatalf("%.200q: point %d is %+v, encoding/json reads %+v", body, i, got[i], s)
		}
	}
	return true
}

// TestDecodeSamplesReadsWhatEncodingJSONReads: the sandbox's answers, the
// testdata answers and the odd forms encoding/json reads are read as it
// reads them.
func TestDecodeSamplesReadsWhatEncodingJSONReads(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, tf := range []string{"hourly", "daily", "weekly", "monthly", "yearly"} {
		for _, metric := range []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"} {
			st, err := sandbox.OVHLineStatistics(sandbox.OVHDegradedLine, tf, metric, now)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.MarshalIndent(st, "", "  ")
			if !sameAsEncodingJSON(t, body) {
				t.Errorf("%s %s: refused", tf, metric)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameAsEncodingJSON(t, body) // golden inputs of every kind, broken ones among them
	}
	for _, doc := range []string{
		`{}`, `{"unit":null,"values":null}`, `{"values":[]}`, `{"values":[{}]}`, ` {"unit":"s" , "values" : [ {"value":-0,"timestamp":-5} ]} `,
		`{"unit":"","values":[{"timestamp":0,"value":1e-320},{"timestamp":9007199254740993,"value":null}]}`,
		`{"Unit":"s","VALUES":[{"TimeStamp":1,"vAlUe":2}]}`, `{"unit":"s","unit":"ms"}`, `{"unit":"\u0073","\u0076alues":[]}`,
		`{"extra":[1,{"a":null}],"values":[null,{"timestamp":1,"value":1,"value":2,"x":"y"}]}`, `{"values":[{"timestamp":null,"value":1}]}`,
		`{"values":[{"timestamp":7,"value":1}],"values":[{"value":2}]}`, `{"values":[{"value":1}],"values":null}`,
		`{"values":[{"value":1,"value":null}]}`, "{\"unit\":\"\xff\xed\xa0\x80s\"}",
	} {
		if !sameAsEncodingJSON(t, []byte(doc)) {
			t.Errorf("%s: refused", doc)
		}
	}
}

// TestDecodeSamplesRefusesOtherForms: what encoding/json refuses, and a
// root that is not an object, is an error naming what was expected.
func TestDecodeSamplesRefusesOtherForms(t *testing.T) {
	for doc, want := range map[string]string{
		``:                                  "unexpected EOF",
		`null`:                              "expected an object with the unit and the values, found null",
		`[]`:                                "expected an object with the unit and the values, found an array",
		`{"unit":5}`:                        "unit: expected a string, found a number",
		`{"values":{"timestamp":1}}`:        `values: expected a list of points, found an object with the keys "timestamp"`,
		`{"values":[1]}`:                    "values[0]: expected a point object, found a number",
		`{"values":[{},{"timestamp":1.0}]}`: "values[1].timestamp: expected an integer of Unix seconds, found 1.0",
		`{"values":[{"timestamp":1e3}]}`:    "values[0].timestamp: expected an integer of Unix seconds, found 1e3",
		`{"values":[{"timestamp":"1"}]}`:    "values[0].timestamp: expected a number, found a string",
		`{"values":[{"timestamp":99999999999999999999}]}`: "values[0].timestamp: expected an integer of Unix seconds, found 99999999999999999999",
		`{"values":[{"value":1e999}]}`:                    "values[0].value: expected a number a float64 holds, found 1e999",
		`{"values":[{"value":"1"}]}`:                      "values[0].value: expected a number, found a string",
		`{"values":[{"value":true}]}`:                     "values[0].value: expected a number, found true or false",
		`{} x`:                                            "data after the value",
		`{"values":[{"value":01}]}`:                       "expected , or } in an object",
		`{"values":[{"timestamp":1,"value":2}`:            "unexpected EOF",
	} {
		_, _, err := decodeSamples([]byte(doc), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
		if json.Unmarshal([]byte(doc), new(statistics)) == nil && doc != `null` {
			t.Errorf("%s: encoding/json reads it", doc)
		}
	}
}

func FuzzDecodeSamples(f *testing.F) {
	f.Add([]byte(`{"unit":"s","values":[{"timestamp":1732406400,"value":0.012},{"timestamp":1732410000,"value":null}]}`))
	f.Add([]byte(`{"values":[]}`))
	f.Add([]byte(`{"Unit":"s","values":[null,{"TIMESTAMP":1,"value":1,"value":null}],"values":[{"x":[{}]}]}`))
	// Nesting past encoding/json's limit, and invalid UTF-8: neither reader
	// may crash, and the reader refuses what encoding/json refuses.
	f.Add([]byte(strings.Repeat("[", 100_000)))
	f.Add([]byte(`{"unit":"s","values":` + strings.Repeat(`[{"value":`, 20_000) + `}`))
	f.Add([]byte(`{"unit":"s","values":[{"timestamp":1,"value":1,"x":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + `}]}`))
	f.Add([]byte(`{"unit":"s","values":[{"timestamp":1,"value":1,"x":` + strings.Repeat("[", 9_997) + strings.Repeat("]", 9_997) + `}]}`))
	f.Add([]byte("{\"unit\":\"\xff\xfe\",\"values\":[]}"))
	f.Add([]byte("{\"un\xc3\x28it\":\"s\"}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsEncodingJSON(t, body)
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
