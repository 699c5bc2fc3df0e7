package ovh

// A one-pass reader of the statistics answer in the form OVHcloud documents,
//
//	{"unit": "ms", "values": [{"timestamp": 1732406400, "value": 4100}, {"timestamp": 1732410000, "value": null}]}
//
// straight into statistics, the values of one answer in one array. The
// answer is most of the plugin's work on a telephony panel, and
// encoding/json (reflection, one allocation per value) took a third of the
// plugin's CPU on a 3-line × 4-metric panel (BENCHMARKS.md, P2).
//
// It gives up (ok false) at the first thing it does not expect — another
// key or key case, an escape, a fractional timestamp, a duplicate — and
// encoding/json then reads the answer as before; whatever it accepts, it
// reads into exactly what encoding/json reads (decode_test.go checks it, also
// by fuzzing).

import (
	"math"
	"strconv"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// statsReader maps the tokens of one answer (pkg/internal/jsonread) to
// statistics.
type statsReader struct {
	jsonread.Reader
}

// decodeStatistics reads an answer in the documented form.
func decodeStatistics(body []byte) (statistics, bool) {
	r := &statsReader{jsonread.New(body)}
	var st statistics
	if !r.Expect('{') {
		return st, false
	}
	seenUnit, seenValues := false, false
	if r.Peek() == '}' {
		r.Next('}')
	} else {
		for more := true; more; more = r.Next('}') {
			switch string(r.key()) {
			case "unit":
				if seenUnit {
					return st, false
				}
				seenUnit = true
				if !r.Null() { // null leaves the string empty
					st.Unit = string(r.str())
				}
			case "values":
				if seenValues {
					return st, false
				}
				seenValues = true
				st.Values = r.values()
			default:
				return st, false
			}
			if r.Err() != nil {
				return st, false
			}
		}
	}
	return st, r.AtEnd()
}

// str reads a string of printable ASCII without escapes; any other stops
// the reader.
func (r *statsReader) str() []byte {
	raw, plain := r.RawString()
	if !plain {
		r.Fail("not a plain string")
	}
	return raw
}

// key reads `"name":` of a plain name.
func (r *statsReader) key() []byte {
	k := r.str()
	r.Expect(':')
	return k
}

// values reads the array of points. The values live in one array the
// points point into.
func (r *statsReader) values() []point {
	if r.Null() {
		return nil
	}
	if !r.Expect('[') {
		return nil
	}
	points := make([]point, 0, len(r.Rest())/40)
	store := make([]float64, 0, cap(points))
	if r.Peek() == ']' {
		r.Next(']')
		return points
	}
	for more := true; more && r.Err() == nil; more = r.Next(']') {
		pt, value, hasValue := r.point()
		if hasValue {
			if len(store) == cap(store) { // more points than guessed: a new array, the old one stays pointed to
				store = make([]float64, 0, max(16, cap(store)))
			}
			store = append(store, value)
			pt.Value = &store[len(store)-1]
		}
		points = append(points, pt)
	}
	return points
}

// point reads {"timestamp": <integer>, "value": <number or null>}; either
// may be missing, nothing else may be there.
func (r *statsReader) point() (pt point, value float64, hasValue bool) {
	if !r.Expect('{') {
		return
	}
	if r.Peek() == '}' {
		r.Next('}')
		return
	}
	seenT, seenV := false, false
	for more := true; more && r.Err() == nil; more = r.Next('}') {
		switch string(r.key()) {
		case "timestamp":
			if seenT {
				r.Fail("a second timestamp")
			}
			seenT = true
			tok, integer := r.Number()
			n, err := strconv.ParseInt(string(tok), 10, 64)
			if !integer || err != nil {
				r.Fail("not an integer timestamp")
			}
			pt.Timestamp = n
		case "value":
			if seenV {
				r.Fail("a second value")
			}
			seenV = true
			if r.Null() {
				break
			}
			tok, _ := r.Number()
			f, err := strconv.ParseFloat(string(tok), 64)
			if err != nil || math.IsInf(f, 0) {
				r.Fail("a value past float64")
			}
			value, hasValue = f, true
		default:
			r.Fail("another key")
		}
	}
	return
}
