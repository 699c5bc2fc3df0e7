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
	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// decodeStatistics reads an answer in the documented form, mapping the
// tokens of the shared reader (pkg/internal/jsonread) to statistics.
func decodeStatistics(body []byte) (statistics, bool) {
	r := jsonread.New(body)
	var st statistics
	if r.Kind() != jsonread.ObjectKind {
		return st, false
	}
	seenUnit, seenValues := false, false
	r.Object(func(key []byte) {
		switch string(key) {
		case "unit":
			if seenUnit {
				r.Fail("a second unit")
			}
			seenUnit = true
			if !r.Null() { // null leaves the string empty
				st.Unit = string(r.PlainString())
			}
		case "values":
			if seenValues {
				r.Fail("a second list of values")
			}
			seenValues = true
			st.Values = values(&r)
		default:
			r.Fail("another key")
		}
	})
	return st, r.Err() == nil && r.AtEnd()
}

// values reads the array of points. The values live in one array the
// points point into.
func values(r *jsonread.Reader) []point {
	if r.Null() {
		return nil
	}
	if r.Kind() != jsonread.ArrayKind {
		r.Fail("not a list of values")
		return nil
	}
	points := make([]point, 0, len(r.Rest())/40)
	store := make([]float64, 0, cap(points))
	r.Array(func() {
		pt, value, hasValue := readPoint(r)
		if hasValue {
			if len(store) == cap(store) { // more points than guessed: a new array, the old one stays pointed to
				store = make([]float64, 0, max(16, cap(store)))
			}
			store = append(store, value)
			pt.Value = &store[len(store)-1]
		}
		points = append(points, pt)
	})
	return points
}

// readPoint reads {"timestamp": <integer>, "value": <number or null>};
// either may be missing, nothing else may be there.
func readPoint(r *jsonread.Reader) (pt point, value float64, hasValue bool) {
	if r.Kind() != jsonread.ObjectKind {
		r.Fail("not a point")
		return
	}
	seenT, seenV := false, false
	r.Object(func(key []byte) {
		switch string(key) {
		case "timestamp":
			if seenT {
				r.Fail("a second timestamp")
			}
			seenT = true
			tok, integer := r.Number()
			n, ok := jsonread.ParseInt(tok)
			if !integer || !ok {
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
			if value, hasValue = r.Float(); !hasValue {
				r.Fail("a value past float64")
			}
		default:
			r.Fail("another key")
		}
	})
	return
}
