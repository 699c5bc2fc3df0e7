package testutil

// The floor of the P1 benchmarks for a JSON answer (BENCHMARKS.md): the time
// github.com/json-iterator/go (which the SDK links) takes to read every token
// of the same bytes once, building nothing from them. A source's reader,
// which also builds its rows, is measured against it.

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	jsoniter "github.com/json-iterator/go"
)

// JSONTokens is what JSONFloor read: how many values of each kind, and a
// sum of what they held, so that no read can be left out by the compiler.
type JSONTokens struct {
	Objects, Arrays, Keys, Strings, Numbers, Bools, Nulls int
	// Bytes is the length of every string and key decoded.
	Bytes int
	// Sum is the sum of every number read as a float64 (a number past
	// float64, such as 1e400, counts and adds nothing).
	Sum float64
}

// JSONFloor reads the one JSON value b holds, every token once, with a
// jsoniter Iterator: each string and key decoded (escapes and all, into a
// new string, as jsoniter's ReadString does), each number read as a
// float64, true, false and null read; it builds no tree. Data after the
// value is an error, and so is nesting past 10,000 levels (jsoniter's own
// limit). It recurses once per level, which the benchmarks' answers can
// afford: it reads test data, not upstream answers.
func JSONFloor(b []byte) (JSONTokens, error) {
	var t JSONTokens
	iter := jsoniter.ConfigDefault.BorrowIterator(b)
	defer jsoniter.ConfigDefault.ReturnIterator(iter)
	t.value(iter)
	if going(iter) && iter.WhatIsNext() != jsoniter.InvalidValue {
		return t, errors.New("jsonfloor: data after the value")
	}
	if !going(iter) {
		return t, fmt.Errorf("jsonfloor: %w", iter.Error)
	}
	return t, nil
}

// value reads one value of any kind.
func (t *JSONTokens) value(iter *jsoniter.Iterator) {
	switch iter.WhatIsNext() {
	case jsoniter.ObjectValue:
		t.Objects++
		iter.ReadObjectCB(func(iter *jsoniter.Iterator, key string) bool {
			t.Keys++
			t.Bytes += len(key)
			t.value(iter)
			return going(iter)
		})
	case jsoniter.ArrayValue:
		t.Arrays++
		iter.ReadArrayCB(func(iter *jsoniter.Iterator) bool {
			t.value(iter)
			return going(iter)
		})
	case jsoniter.StringValue:
		t.Strings++
		t.Bytes += len(iter.ReadString())
	case jsoniter.NumberValue:
		t.Numbers++
		f := iter.ReadFloat64()
		var ne *strconv.NumError
		if errors.As(iter.Error, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			// 1e400: a valid number past float64, read to its end.
			iter.Error = nil
			f = 0
		}
		t.Sum += f
	case jsoniter.BoolValue:
		t.Bools++
		iter.ReadBool()
	case jsoniter.NilValue:
		t.Nulls++
		iter.ReadNil()
	default:
		if going(iter) {
			iter.ReportError("JSONFloor", "expected a value")
		}
	}
}

// going reports whether no error stopped iter: jsoniter sets io.EOF when a
// value ends with the input, which is no error until more is expected.
func going(iter *jsoniter.Iterator) bool { return iter.Error == nil || iter.Error == io.EOF }
