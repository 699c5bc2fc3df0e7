package ovh

// A one-pass reader of the statistics answer in the form OVHcloud documents,
//
//	{"unit": "ms", "values": [{"timestamp": 1732406400, "value": 4100}, {"timestamp": 1732410000, "value": null}]}
//
// straight into compact samples, which a query turns into its frames'
// vectors at once (frames.go), or into statistics. The
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
	"bytes"
	"slices"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// sample is one point of an answer, compact: no pointer, so a body's
// samples are one flat array, read into a buffer reused from body to body
// and turned into the frame's vectors at once (frames.go).
type sample struct {
	ts    int64 // Unix seconds
	value float64
	ok    bool // false where OVHcloud sent null (or no value)
}

// decodeStatistics reads an answer in the documented form into statistics
// (decodeSamples, then one pointer per value, into one array).
func decodeStatistics(body []byte) (statistics, bool) {
	buf := sampleBufs.Get().(*[]sample)
	defer sampleBufs.Put(buf)
	unit, samples, isNull, ok := decodeSamples(body, *buf)
	*buf = samples
	if !ok {
		return statistics{}, false
	}
	st := statistics{Unit: unit}
	if isNull {
		return st, true
	}
	st.Values = make([]point, len(samples))
	store := make([]float64, 0, len(samples))
	for i, s := range samples {
		st.Values[i].Timestamp = s.ts
		if s.ok {
			store = append(store, s.value)
			st.Values[i].Value = &store[len(store)-1]
		}
	}
	return st, true
}

// decodeSamples reads an answer in the documented form, mapping the tokens
// of the shared reader (pkg/internal/jsonread) to the unit and the samples,
// appended to buf[:0]. isNull: the values were null or missing (statistics
// then holds nil values, not an empty list).
func decodeSamples(body []byte, buf []sample) (unit string, samples []sample, isNull, ok bool) {
	r := jsonread.New(body)
	samples = buf[:0]
	isNull = true
	if r.Kind() != jsonread.ObjectKind {
		return "", samples, isNull, false
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
				unit = string(r.PlainString())
			}
		case "values":
			if seenValues {
				r.Fail("a second list of values")
			}
			seenValues = true
			samples, isNull = values(&r, samples)
		default:
			r.Fail("another key")
		}
	})
	return unit, samples, isNull, r.Err() == nil && r.AtEnd()
}

// pointStart is how every point starts: counting it (one vectorised pass)
// sizes the samples before reading them. A count too high costs a little
// room, too low one more growth.
var pointStart = []byte{'{'}

// values appends the array of points to out; isNull when it is null.
func values(r *jsonread.Reader, out []sample) (samples []sample, isNull bool) {
	if r.Null() {
		return out, true
	}
	if r.Kind() != jsonread.ArrayKind {
		r.Fail("not a list of values")
		return out, false
	}
	out = slices.Grow(out, bytes.Count(r.Rest(), pointStart))
	r.Array(func() {
		out = append(out, readPoint(r))
	})
	return out, false
}

// readPoint reads {"timestamp": <integer>, "value": <number or null>};
// either may be missing, nothing else may be there.
func readPoint(r *jsonread.Reader) (s sample) {
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
			s.ts = n
		case "value":
			if seenV {
				r.Fail("a second value")
			}
			seenV = true
			if r.Null() {
				break
			}
			if s.value, s.ok = r.Float(); !s.ok {
				r.Fail("a value past float64")
			}
		default:
			r.Fail("another key")
		}
	})
	return
}
