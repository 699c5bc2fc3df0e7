package jsonread

// What the sources take from the tokens, the same for all: strings decoded
// and kept once per answer, numbers as float64 or int64 (a number past
// float64, such as 1e400, and NaN or an infinity sent as a string, are no
// number), the kind of the value that comes next, keys folded to match in
// any letter case, and the words for upstream bytes in a message.

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Kind is the kind of the value that comes next.
type Kind byte

const (
	NoValue Kind = iota // the input is over, or an error stopped the reader
	StringKind
	NumberKind
	ObjectKind
	ArrayKind
	OtherKind // true, false, null, or a byte no value starts with
)

// Kind skips white space and tells what comes next.
func (r *Reader) Kind() Kind {
	switch c := r.Peek(); {
	case c == '"':
		return StringKind
	case c == '-' || c >= '0' && c <= '9':
		return NumberKind
	case c == '{':
		return ObjectKind
	case c == '[':
		return ArrayKind
	case c == 0 && (r.err != nil || r.i >= len(r.b)):
		return NoValue
	}
	return OtherKind
}

// Intern makes Str, Keep and Text keep one copy of each distinct string
// from now on: an answer's strings repeat row after row.
func (r *Reader) Intern() { r.strs = map[string]string{} }

// Keep returns v, or the copy of it kept before when interning.
func (r *Reader) Keep(v string) string {
	if r.strs == nil {
		return v
	}
	if k, ok := r.strs[v]; ok {
		return k
	}
	r.strs[v] = v
	return v
}

// Text returns raw as a string, the copy kept before when interning (the
// look-up of converted bytes does not allocate).
func (r *Reader) Text(raw []byte) string {
	if r.strs == nil {
		return string(raw)
	}
	if k, ok := r.strs[string(raw)]; ok {
		return k
	}
	v := string(raw)
	r.strs[v] = v
	return v
}

// Str reads a string, its escapes decoded; invalid UTF-8 is left as it
// is, for the caller to replace when it shows it.
func (r *Reader) Str() string {
	raw, plain := r.RawString()
	if !plain && bytes.IndexByte(raw, '\\') >= 0 { // rare
		v, err := Unquote(raw)
		if err != nil {
			r.Fail("bad string escape")
		}
		return r.Keep(v)
	}
	return r.Text(raw)
}

// PlainString reads a string of printable ASCII without escapes, its value
// as it is; any other stops the reader.
func (r *Reader) PlainString() []byte {
	raw, plain := r.RawString()
	if !plain {
		r.Fail("not a plain string")
	}
	return raw
}

// Float reads a number as a float64; ok is false for one past float64,
// which is read all the same.
func (r *Reader) Float() (v float64, ok bool) {
	tok, _ := r.Number()
	if r.err != nil {
		return 0, false
	}
	return ParseFloat(tok)
}

// ParseFloat reads the text of a number — a JSON number token, or a numeric
// string as strconv.ParseFloat reads it — as a finite float64: false for
// anything else, NaN, the infinities and numbers past float64 among them.
func ParseFloat(b []byte) (float64, bool) {
	if v, ok := exactDecimal(b); ok {
		return v, true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exactDecimal reads [+-]digits[.digits], most numbers of an answer,
// without converting to a string, when its digits make an integer of at
// most 2^53 and it has at most 22 decimals: the integer and the power of
// ten are exact in a float64, so one division is correctly rounded and
// gives what strconv.ParseFloat gives (strconv's own exact case). Anything
// else is left to strconv.
func exactDecimal(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		i, neg = 1, b[0] == '-'
	}
	var m uint64
	digits, frac := 0, -1 // frac: digits after the point, -1 before it
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c >= '0' && c <= '9':
			if digits++; digits > 19 {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || frac == 0 || m > 1<<53 || frac >= len(pow10) {
		return 0, false
	}
	v := float64(m)
	if frac > 0 {
		v /= pow10[frac]
	}
	if neg {
		v = -v // -0 stays -0
	}
	return v, true
}

// ParseInt reads the text of an integer as an int64: false for anything
// else, or one past int64.
func ParseInt(b []byte) (int64, bool) {
	digits := b
	if len(b) > 1 && b[0] == '-' {
		digits = b[1:]
	}
	if len(digits) > 0 && len(digits) < 19 { // at most 18 digits: no overflow
		var v int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				goto general
			}
			v = v*10 + int64(c-'0')
		}
		if len(digits) < len(b) {
			v = -v
		}
		return v, true
	}
general:
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}

// Fold appends key, a raw key as Object passes it (still escaped), folded
// to match names in any letter case as encoding/json matches a key to a
// field: escapes decoded, each letter folded as bytes.EqualFold folds it,
// ASCII letters in lower case (K, the Kelvin sign, is k). A mapping
// switches on string(Fold(buf[:0], key)) against lower-case names: one pass
// over the key, whatever the number of names.
func Fold(dst, key []byte) []byte {
	n := len(dst)
	for _, c := range key {
		if c >= utf8.RuneSelf || c == '\\' {
			return foldRunes(dst[:n], key)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// Field is the index in names (lower case) of the member key, as Object
// passes it: matched as it is (the usual case, allocating nothing), else
// folded as encoding/json matches a key to a field (Fold, in the room of
// buf, reused); -1 for another key.
func Field(key []byte, buf *[]byte, names ...string) int {
	for i, name := range names {
		if string(key) == name {
			return i
		}
	}
	*buf = Fold((*buf)[:0], key)
	for i, name := range names {
		if string(*buf) == name {
			return i
		}
	}
	return -1
}

// foldRunes is Fold for a key with escapes or beyond ASCII: each rune the
// smallest of its case-folding orbit (encoding/json's foldName), then
// ASCII in lower case.
func foldRunes(dst, key []byte) []byte {
	text := string(key)
	if bytes.IndexByte(key, '\\') >= 0 {
		v, err := Unquote(key)
		if err != nil {
			return append(dst, key...) // a bad escape (LooseEscapes): no name has a backslash
		}
		text = v
	}
	for _, c := range text {
		for next := unicode.SimpleFold(c); ; next = unicode.SimpleFold(next) { // up the orbit to where it wraps
			if next <= c {
				c = next
				break
			}
			c = next
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = utf8.AppendRune(dst, c)
	}
	return dst
}

// ExcerptRunes is how many characters of upstream bytes Excerpt keeps.
const ExcerptRunes = 40

// Excerpt is the start of upstream bytes for a message: at most
// ExcerptRunes characters, Go-quoted when they were a JSON string. It is
// cheap (a reader may make one per unreadable row); the message that shows
// it quotes it through upstream.Quote.
func Excerpt(raw []byte, quoted bool) string {
	if len(raw) > utf8.UTFMax*(ExcerptRunes+1) {
		raw = raw[:utf8.UTFMax*(ExcerptRunes+1)] // more than 40 characters whatever they are: Shorten marks the cut
	}
	text := upstream.Shorten(string(raw), ExcerptRunes)
	if quoted {
		return strconv.Quote(text)
	}
	return text
}

// Describe names the kind of the JSON value b starts with, and the first
// keys of an object (quoted, bounded), for an answer of the wrong shape.
func Describe(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "an empty answer"
	}
	switch b[0] {
	case '{':
		var keys []string
		r := New(b)
		r.LooseEscapes = true
		r.Object(func(key []byte) {
			if len(keys) < 5 {
				keys = append(keys, strconv.Quote(upstream.Quote(upstream.Shorten(string(key), 40))))
			} else if len(keys) == 5 {
				keys = append(keys, "…")
			}
			r.Skip()
		})
		if len(keys) == 0 {
			return "an empty object {}"
		}
		return "an object with the keys " + strings.Join(keys, ", ")
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "true or false"
	}
	return "a number"
}

// Rows reads the whole input as one array, calling row for each element.
// An input of another shape is notRows, saying what came instead ("…,
// found an object with the keys "data""), and data after the array an
// error.
func (r *Reader) Rows(notRows error, row func()) error {
	if r.Peek() != '[' {
		r.Stop(fmt.Errorf("%w, found %s", notRows, Describe(r.Rest())))
		return r.err
	}
	r.Array(row)
	if r.err == nil && !r.AtEnd() {
		r.Fail("data after the array")
	}
	return r.err
}
