package jsonread

// Reader: the one JSON tokenizer of the three sources. Each source maps the
// tokens to its own rows (pkg/ovh decode.go, pkg/onapp stream.go, pkg/pulse
// scan.go); the tolerant readings of each API stay there, in the mapping,
// and what they share (strings, numbers, keys, messages) is in values.go.
//
// Why not github.com/json-iterator/go, which the SDK links: reading every
// token of a Pulse page of 5,000 rows (1.45 MB) once (BenchmarkTokens, 2
// shared cores, median of 3), jsoniter takes 4.9 ms and 24 allocations a
// row, every key and string made a new string even to be compared; this
// reader takes 1.8 ms and none, and 4.7 ms and 1.7 allocations a row with
// every string decoded and kept once and every number converted, more than
// a source does (Pulse skips what it does not show and keeps no timestamp:
// its whole page allocates 30 times). A mapping on top of jsoniter would
// pay for its strings as well as its own work; jsoniter's token pass is
// the floor the P1 benchmarks measure the readers against instead
// (internal/testutil jsonfloor.go).
//
// That was tried in full (2026-12-02): this Reader's API on a
// jsoniter.Iterator, every test and fuzz target passing. jsoniter differs
// from encoding/json where a reader of upstream bytes cannot let it — its
// Skip takes numbers with leading zeros ([012]), it stops on 1e400, reads
// a null key after a comma as "", passes invalid UTF-8 on and quotes the
// body in its errors — and covering those took more lines than the
// tokenizer saved (894 against 821). Bytes to frames against jsoniter's
// own token pass (the P1 goal is 1.5×): OVH 0.82× → 1.82×, Pulse 1.10× →
// 1.93×, OnApp JSON 1.02× → 1.80×, with a new string for every key that
// its Iterator has no call to avoid (Pulse 2,950 → 2.5 million
// allocations a benchmark run). So the tokenizer stays hand-written.
//
// It accepts exactly what encoding/json accepts as valid (differential
// fuzzing checks it), but reads nothing into values: strings come back as
// their raw bytes between the quotes, numbers as their token, and a caller
// converts what it keeps. Invalid UTF-8 is passed on as bytes, for the
// caller to replace when it shows them (upstream.Quote). Nesting stops at
// MaxDepth, and nothing recurses per level: Skip keeps its own stack.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// Reader reads JSON tokens from a byte slice; the first error stops it
// (Peek then answers 0, and every read fails).
type Reader struct {
	// LooseEscapes reads any byte after a backslash as an escape, as the
	// Pulse reader always did (a row with an odd timestamp must not fail
	// its page); a string with escapes is never plain, and Unquote refuses
	// a bad one.
	LooseEscapes bool

	b     []byte
	i     int
	err   error
	depth int // the arrays and objects Array and Object are inside
	open  []byte
	strs  map[string]string // the strings kept (Intern), nil when not interning
}

// New returns a Reader of b.
func New(b []byte) Reader { return Reader{b: b} }

// Err is the error that stopped the reader, if any.
func (r *Reader) Err() error { return r.err }

// Offset is the position of the next byte read.
func (r *Reader) Offset() int { return r.i }

// Rest is the input from the next byte read on.
func (r *Reader) Rest() []byte { return r.b[r.i:] }

// Stop stops the reader with err, unless an error already did.
func (r *Reader) Stop(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Fail stops the reader with "offset N: <message>" (io.ErrUnexpectedEOF
// at the end of the input); the first error stays.
func (r *Reader) Fail(format string, a ...any) {
	if r.err == nil {
		if r.i >= len(r.b) {
			r.err = io.ErrUnexpectedEOF
			return
		}
		r.err = fmt.Errorf("offset %d: %s", r.i, fmt.Sprintf(format, a...))
	}
}

// Peek skips white space and returns the next byte: 0 at the end, after
// an error, or for a NUL byte (AtEnd tells them apart).
func (r *Reader) Peek() byte {
	if r.i < len(r.b) && r.err == nil {
		if c := r.b[r.i]; c > ' ' {
			return c
		}
	}
	return r.space()
}

// space is Peek past white space.
func (r *Reader) space() byte {
	for r.err == nil && r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// AtEnd skips white space and reports whether the input is over.
func (r *Reader) AtEnd() bool {
	r.Peek()
	return r.err == nil && r.i >= len(r.b)
}

// Expect reads the byte c, after white space.
func (r *Reader) Expect(c byte) bool {
	if r.Peek() == c {
		r.i++
		return true
	}
	r.expected(c)
	return false
}

func (r *Reader) expected(c byte) { r.Fail("expected %q", c) }

// enter checks that levels more levels of nesting stay within MaxDepth.
func (r *Reader) enter(levels int) bool {
	if r.depth+levels > MaxDepth {
		r.Stop(ErrTooDeep)
		return false
	}
	return true
}

// Next reads what follows an element or a member: a comma (more), or the
// end of its array or object, end (']' or '}').
func (r *Reader) Next(end byte) (more bool) {
	switch r.Peek() {
	case ',':
		r.i++
		return true
	case end:
		r.i++
		return false
	}
	r.noSeparator(end)
	return false
}

func (r *Reader) noSeparator(end byte) {
	if end == '}' {
		r.Fail("expected , or } in an object")
	} else {
		r.Fail("expected , or ] in an array")
	}
}

// Array reads an array, calling elem for each element; elem must read
// exactly one value.
func (r *Reader) Array(elem func()) {
	if !r.Expect('[') || !r.enter(1) {
		return
	}
	if r.Peek() == ']' {
		r.i++
		return
	}
	r.depth++
	for r.err == nil {
		elem()
		if !r.Next(']') {
			break
		}
	}
	r.depth--
}

// Object reads an object, calling field with each key (raw: still
// escaped); field must read exactly one value.
func (r *Reader) Object(field func(key []byte)) {
	if !r.Expect('{') || !r.enter(1) {
		return
	}
	if r.Peek() == '}' {
		r.i++
		return
	}
	r.depth++
	for r.err == nil {
		key, _ := r.Key()
		if r.err != nil {
			break
		}
		field(key)
		if !r.Next('}') {
			break
		}
	}
	r.depth--
}

// Key reads a member's `"key":`; plain as RawString's.
func (r *Reader) Key() (raw []byte, plain bool) {
	raw, plain = r.RawString()
	r.Expect(':')
	return raw, plain
}

// RawString reads a string and returns its bytes between the quotes, and
// whether they are plain: printable ASCII without escapes, so that they
// are the string's value as they are.
func (r *Reader) RawString() (raw []byte, plain bool) {
	if !r.Expect('"') {
		return nil, false
	}
	start := r.i
	i := r.i
	for i < len(r.b) && plainByte[r.b[i]] { // the usual string, in one tight loop
		i++
	}
	if i < len(r.b) && r.b[i] == '"' {
		r.i = i + 1
		return r.b[start:i], true
	}
	r.i = i
	plain = true
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			return r.b[start : r.i-1], plain
		case c == '\\' && r.LooseEscapes:
			plain = false
			r.i += 2
		case c == '\\':
			plain = false
			if !r.escape() {
				return nil, false
			}
		case c < 0x20:
			r.Fail("control character in a string")
			return nil, false
		default:
			if c >= 0x80 {
				plain = false
			}
			r.i++
		}
	}
	r.i = len(r.b)
	r.Fail("unterminated string")
	return nil, false
}

// plainByte holds the bytes of a plain string: printable ASCII but the
// quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escape reads one escape sequence, at its backslash.
func (r *Reader) escape() bool {
	r.i++
	if r.i >= len(r.b) {
		r.Fail("unterminated string")
		return false
	}
	switch r.b[r.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		r.i++
		return true
	case 'u':
		if r.i+5 > len(r.b) {
			r.i = len(r.b)
			r.Fail("unterminated string")
			return false
		}
		for _, h := range r.b[r.i+1 : r.i+5] {
			if !isHex(h) {
				r.Fail(`bad \u escape in a string`)
				return false
			}
		}
		r.i += 5
		return true
	}
	r.Fail("bad escape in a string")
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Unquote is the value of a string RawString read (its raw bytes): its
// escapes decoded as encoding/json decodes them (invalid UTF-8 among them
// replaced); without escapes, its bytes as they are, for the caller to
// replace when it shows them. The error is for a bad escape (LooseEscapes).
func Unquote(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), nil
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var v string
	err := json.Unmarshal(quoted, &v)
	return v, err
}

// Number reads a number token as JSON defines it and reports whether it
// is an integer (neither fraction nor exponent).
func (r *Reader) Number() (tok []byte, integer bool) {
	r.Peek()
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
		r.Fail("expected a number")
		return nil, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			r.i = i
			r.Fail("expected a digit after the decimal point")
			return nil, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		integer = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			r.i = i
			r.Fail("expected a digit in the exponent")
			return nil, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		integer = false
	}
	r.i = i
	return b[start:i], integer
}

// Null reads null when it comes next.
func (r *Reader) Null() bool {
	if r.Peek() == 'n' && bytes.HasPrefix(r.b[r.i:], []byte("null")) {
		r.i += 4
		return true
	}
	return false
}

// literal reads true, false or null.
func (r *Reader) literal() {
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(r.b[r.i:], []byte(lit)) {
			r.i += len(lit)
			return
		}
	}
	r.Fail("unexpected character %q", r.b[r.i])
}

// Skip reads one value of any kind and returns its raw bytes. The arrays
// and objects it is inside are kept on a stack of the reader's rather than
// the goroutine's: the answer decides how deep they go.
func (r *Reader) Skip() []byte {
	r.Peek()
	from := r.i
	open := r.open[:0]
	for r.err == nil {
		switch c := r.Peek(); c {
		case '{', '[':
			r.i++
			if !r.enter(len(open) + 1) {
				break
			}
			end := byte(']')
			if c == '{' {
				end = '}'
			}
			if r.Peek() == end {
				r.i++
				break
			}
			open = append(open, end)
			if end == '}' {
				r.Key()
			}
			continue // the first element, or the first member's value
		case '"':
			r.RawString()
		case 't', 'f', 'n':
			r.literal()
		case 0:
			r.Fail("expected a value")
		default:
			r.Number()
		}
		// After a value: close the arrays and objects that end here, up to
		// the next element or member.
		for r.err == nil && len(open) > 0 {
			end := open[len(open)-1]
			if r.Next(end) {
				if end == '}' {
					r.Key()
				}
				break
			}
			open = open[:len(open)-1]
		}
		if len(open) == 0 {
			break
		}
	}
	r.open = open[:0]
	return bytes.TrimSpace(r.b[from:r.i])
}

// Syntax is the error that stops a reading of b as one JSON value — its
// syntax, or its nesting past MaxDepth — or nil when b is one: a mapping
// that found the wrong shape reports this first, as encoding/json would.
func Syntax(b []byte) error {
	r := New(b)
	r.Skip()
	if r.err == nil && !r.AtEnd() {
		r.Fail("data after the value")
	}
	return r.err
}
