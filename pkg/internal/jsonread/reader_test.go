package jsonread

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// walk reads one value through the Reader's typed reads (Array, Object,
// RawString, Number, literals) into what encoding/json decodes into an
// any, numbers as float64.
func walk(r *Reader) any {
	switch c := r.Peek(); {
	case c == '[':
		list := []any{}
		r.Array(func() { list = append(list, walk(r)) })
		return list
	case c == '{':
		m := map[string]any{}
		r.Object(func(key []byte) { m[unquote(r, key)] = walk(r) })
		return m
	case c == '"':
		return r.Str()
	case c == '-' || c >= '0' && c <= '9':
		from := r.Offset()
		f, ok := r.Float()
		if tok := r.b[from:r.Offset()]; !ok && r.Err() == nil {
			if _, err := strconv.ParseFloat(string(bytes.TrimSpace(tok)), 64); !errors.Is(err, strconv.ErrRange) {
				r.Fail("number %q: %v", tok, err)
			}
			f = math.Inf(1)
		}
		return f
	case r.Null():
		return nil
	}
	raw := r.Skip() // true or false
	return string(raw) == "true"
}

func unquote(r *Reader, raw []byte) string {
	v, err := Unquote(raw)
	if err != nil {
		r.Fail("%v", err)
	}
	return v
}

// readAll reads one whole document both ways: walk, and Skip (Syntax).
func readAll(b []byte) (v any, walkErr, skipErr error) {
	r := New(b)
	v = walk(&r)
	if r.Err() == nil && !r.AtEnd() {
		r.Fail("data after the value")
	}
	return v, r.Err(), Syntax(b)
}

// same compares a walked value with encoding/json's; the Reader keeps the
// bytes of strings without escapes, so they are compared after replacing
// each invalid byte with U+FFFD, as encoding/json does.
func same(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !same(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[string([]rune(k))]
			if !ok || !same(v, w) {
				return false
			}
		}
		return true
	case string:
		y, ok := b.(string)
		return ok && string([]rune(x)) == y
	case float64:
		y, ok := b.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || math.IsInf(x, 0))
	}
	return a == b
}

func TestReaderMatchesEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{"a":[1,2.5,-0,1e400,{"b":null}],"c":"d\u00e9\n","e":true,"f":false}`, `[]`, `{}`, ` "x" `, `-1.5e3`,
		`[1 2]`, `{"a" 1}`, `{1:2}`, `[1,]`, `[tru]`, `[[1]`, `01`, `1.`, `1e`, `-`, `"\q"`, `"\u12"`, `"\u12g4"`, "\"\x01\"",
		"[\"\xff\xfe\"]", "{\"\xc3\x28\":1}", `{"a":1,"a":2}`, "[]\x00", `NaN`, `"NaN"`, `[1e400]`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		checkAgainstEncodingJSON(t, []byte(doc))
	}
}

func checkAgainstEncodingJSON(t *testing.T, b []byte) {
	t.Helper()
	var want any
	jerr := json.Unmarshal(b, &want)
	got, werr, serr := readAll(b)
	valid := json.Valid(b)
	// 1e400 is valid JSON that encoding/json cannot hold in a float64.
	rangeOnly := jerr != nil && strings.Contains(jerr.Error(), "cannot unmarshal number")
	if (werr == nil) != valid || (serr == nil) != valid {
		t.Fatalf("%.100q: encoding/json valid %v (%v); walk %v; skip %v", b, valid, jerr, werr, serr)
	}
	if valid && !rangeOnly && (jerr != nil || !same(got, want)) {
		t.Fatalf("%.100q: read %#v, encoding/json %#v (%v)", b, got, want, jerr)
	}
	if deep := errors.Is(Plain(jerr), ErrTooDeep); deep != errors.Is(werr, ErrTooDeep) || deep != errors.Is(serr, ErrTooDeep) {
		t.Fatalf("%.100q: encoding/json %v; walk %v; skip %v", b, jerr, werr, serr)
	}
}

// FuzzReader: the Reader against encoding/json: the same documents valid,
// the same values read, the same nesting limit.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		`{"a":[1,2.5,-0,1e400,{"b":null}],"c":"d\u00e9\n","e":true}`, `[1 2]`, `"\ud800"`, "[\"\xff\"]", `{"a":"\""}`,
		strings.Repeat("[", 100_000), strings.Repeat(`{"a":`, MaxDepth+1), `[-0.0e+0,0E-1]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAgainstEncodingJSON(t, b)
	})
}
