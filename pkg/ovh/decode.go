package ovh

// The one reader of the statistics answer, in the form OVHcloud documents,
//
//	{"unit": "ms", "values": [{"timestamp": 1732406400, "value": 4100}, {"timestamp": 1732410000, "value": null}]}
//
// mapping the tokens of the shared reader (pkg/internal/jsonread) straight
// into compact samples, which a query turns into its frames' vectors at
// once (frames.go). The answer is most of the plugin's work on a telephony
// panel, and encoding/json (reflection, one allocation per value) took a
// third of the plugin's CPU on a 3-line × 4-metric panel (BENCHMARKS.md,
// P2); this reader allocates nothing per point.
//
// It reads what encoding/json reads into that shape — keys in any letter
// case or escaped, the last of a repeated key winning, other keys skipped,
// null as "not given" — and decode_test.go checks that it does, also by
// fuzzing. What encoding/json would refuse is an error: the syntax error of
// an answer that is no JSON, else one naming the member and what was
// expected there. So is an answer that is not an object, null among them,
// which encoding/json reads as no points at all: an alert rule must see a
// broken answer as an error, not as "no data".

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// sample is one point of an answer, compact: no pointer, so a body's
// samples are one flat array, read into a buffer reused from body to body
// and turned into the frame's vectors at once (frames.go).
type sample struct {
	ts    int64 // Unix seconds
	value float64
	ok    bool // false where OVHcloud sent null (or no value)
}

// decodeSamples reads a statistics answer into its unit and its samples,
// appended to buf[:0]; the samples are returned even on an error, for buf
// to be reused.
func decodeSamples(body []byte, buf []sample) (unit string, samples []sample, err error) {
	r := jsonread.New(body)
	samples = buf[:0]
	var key []byte
	if r.Kind() != jsonread.ObjectKind {
		r.Fail("expected an object with the unit and the values, found %s", jsonread.Describe(r.Rest()))
	}
	r.Object(func(raw []byte) {
		switch jsonread.Field(raw, &key, "unit", "values") {
		case 0:
			switch {
			case r.Null():
			case r.Kind() != jsonread.StringKind:
				r.Fail("unit: expected a string, found %s", jsonread.Describe(r.Rest()))
			default:
				unit = upstream.ValidUTF8(r.Str()) // each invalid byte U+FFFD, as encoding/json replaces it
			}
		case 1:
			samples = values(&r, samples[:0], &key)
		default:
			r.Skip()
		}
	})
	if r.Err() != nil || !r.AtEnd() {
		err = cmp.Or(jsonread.Syntax(body), r.Err()) // an answer that is no JSON is refused for that first
	}
	return unit, samples, err
}

// pointStart is how every point starts: counting it (one vectorised pass)
// sizes the samples before reading them. A count too high costs a little
// room, too low one more growth.
var pointStart = []byte{'{'}

// values appends the list of points to out: null is none.
func values(r *jsonread.Reader, out []sample, key *[]byte) []sample {
	switch {
	case r.Null():
	case r.Kind() != jsonread.ArrayKind:
		r.Fail("values: expected a list of points, found %s", jsonread.Describe(r.Rest()))
	default:
		out = slices.Grow(out, bytes.Count(r.Rest(), pointStart))
		r.Array(func() { out = append(out, readPoint(r, len(out), key)) })
	}
	return out
}

// pointFields are the members of a point, by their index in Field.
var pointFields = [...]string{"timestamp", "value"}

// readPoint reads point n, {"timestamp": <integer>, "value": <number or
// null>}; null, or a member missing, leaves it zero.
func readPoint(r *jsonread.Reader, n int, key *[]byte) (s sample) {
	if r.Null() {
		return s
	}
	if r.Kind() != jsonread.ObjectKind {
		r.Fail("values[%d]: expected a point object, found %s", n, jsonread.Describe(r.Rest()))
		return s
	}
	r.Object(func(raw []byte) {
		f := jsonread.Field(raw, key, pointFields[:]...)
		if f < 0 {
			r.Skip()
			return
		}
		if c := r.Peek(); c != '-' && (c < '0' || c > '9') { // not a number
			switch {
			case !r.Null():
				r.Fail("values[%d].%s: expected a number, found %s", n, pointFields[f], jsonread.Describe(r.Rest()))
			case f == 1:
				s.value, s.ok = 0, false // a null value is none; a null timestamp changes nothing
			}
			return
		}
		tok, integer := r.Number()
		if f == 0 {
			var ok bool
			if s.ts, ok = jsonread.ParseInt(tok); !ok || !integer {
				r.Fail("values[%d].timestamp: expected an integer of Unix seconds, found %s", n, jsonread.Excerpt(tok, false))
			}
		} else if s.value, s.ok = jsonread.ParseFloat(tok); !s.ok {
			r.Fail("values[%d].value: expected a number a float64 holds, found %s", n, jsonread.Excerpt(tok, false))
		}
	})
	return s
}
