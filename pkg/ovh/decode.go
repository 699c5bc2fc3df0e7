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
	"bytes"
	"math"
	"strconv"
)

// statsReader walks one answer.
type statsReader struct {
	b []byte
	i int
}

// decodeStatistics reads an answer in the documented form.
func decodeStatistics(body []byte) (statistics, bool) {
	r := &statsReader{b: body}
	var st statistics
	r.ws()
	if !r.byte('{') {
		return st, false
	}
	seenUnit, seenValues := false, false
	if r.peek() == '}' {
		r.i++
	} else {
		for {
			key, ok := r.key()
			if !ok {
				return st, false
			}
			switch string(key) {
			case "unit":
				if seenUnit {
					return st, false
				}
				seenUnit = true
				if r.peek() == 'n' {
					ok = r.null() // null leaves the string empty
				} else {
					var unit []byte
					unit, ok = r.str()
					st.Unit = string(unit)
				}
			case "values":
				if seenValues {
					return st, false
				}
				seenValues = true
				st.Values, ok = r.values()
			default:
				return st, false
			}
			if !ok {
				return st, false
			}
			more, ok := r.next('}')
			if !ok {
				return st, false
			}
			if !more {
				break
			}
		}
	}
	r.ws()
	return st, r.i == len(r.b)
}

func (r *statsReader) peek() byte {
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *statsReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// byte reads c, after white space, and the white space after it.
func (r *statsReader) byte(c byte) bool {
	r.ws()
	if r.peek() != c {
		return false
	}
	r.i++
	r.ws()
	return true
}

func (r *statsReader) null() bool {
	if !bytes.HasPrefix(r.b[r.i:], []byte("null")) {
		return false
	}
	r.i += 4
	return true
}

// str reads a string of printable ASCII without escapes.
func (r *statsReader) str() ([]byte, bool) {
	if r.peek() != '"' {
		return nil, false
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			return r.b[start:j], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// key reads `"name":` and the white space around it.
func (r *statsReader) key() ([]byte, bool) {
	k, ok := r.str()
	if !ok || !r.byte(':') {
		return nil, false
	}
	return k, true
}

// next reads the separator after a member or an element.
func (r *statsReader) next(end byte) (more, ok bool) {
	r.ws()
	switch r.peek() {
	case ',':
		r.i++
		r.ws()
		return true, true
	case end:
		r.i++
		return false, true
	}
	return false, false
}

// number reads a number token as JSON defines it; integer reports whether it
// has neither fraction nor exponent.
func (r *statsReader) number() (tok []byte, integer, ok bool) {
	b, i := r.b, r.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false, false
		}
		integer = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false, false
		}
		integer = false
	}
	r.i = i
	return b[start:i], integer, true
}

// values reads the array of points. The values live in one array the
// points point into.
func (r *statsReader) values() ([]point, bool) {
	if r.peek() == 'n' {
		return nil, r.null()
	}
	if r.peek() != '[' {
		return nil, false
	}
	r.i++
	r.ws()
	points := make([]point, 0, len(r.b)/40)
	store := make([]float64, 0, cap(points))
	if r.peek() == ']' {
		r.i++
		return points, true
	}
	for {
		if !r.byte('{') {
			return nil, false
		}
		var pt point
		seenT, seenV := false, false
		hasValue := false
		var value float64
		if r.peek() == '}' {
			r.i++
		} else {
			for {
				key, ok := r.key()
				if !ok {
					return nil, false
				}
				switch string(key) {
				case "timestamp":
					if seenT {
						return nil, false
					}
					seenT = true
					tok, integer, ok := r.number()
					if !ok || !integer {
						return nil, false
					}
					n, err := strconv.ParseInt(string(tok), 10, 64)
					if err != nil {
						return nil, false
					}
					pt.Timestamp = n
				case "value":
					if seenV {
						return nil, false
					}
					seenV = true
					if r.peek() == 'n' {
						if !r.null() {
							return nil, false
						}
						break
					}
					tok, _, ok := r.number()
					if !ok {
						return nil, false
					}
					f, err := strconv.ParseFloat(string(tok), 64)
					if err != nil || math.IsInf(f, 0) {
						return nil, false
					}
					value, hasValue = f, true
				default:
					return nil, false
				}
				more, ok := r.next('}')
				if !ok {
					return nil, false
				}
				if !more {
					break
				}
			}
		}
		if hasValue {
			if len(store) == cap(store) { // more points than guessed: a new array, the old one stays pointed to
				store = make([]float64, 0, max(16, cap(store)))
			}
			store = append(store, value)
			pt.Value = &store[len(store)-1]
		}
		points = append(points, pt)
		more, ok := r.next(']')
		if !ok {
			return nil, false
		}
		if !more {
			return points, true
		}
	}
}
