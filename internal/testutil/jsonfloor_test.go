package testutil

import (
	"encoding/json"
	"strings"
	"testing"
)

// count is what JSONFloor should find in v, decoded by encoding/json.
func count(v any, t *JSONTokens) {
	switch v := v.(type) {
	case map[string]any:
		t.Objects++
		for k, e := range v {
			t.Keys++
			t.Bytes += len(k)
			count(e, t)
		}
	case []any:
		t.Arrays++
		for _, e := range v {
			count(e, t)
		}
	case string:
		t.Strings++
		t.Bytes += len(v)
	case json.Number:
		t.Numbers++
	case bool:
		t.Bools++
	case nil:
		t.Nulls++
	}
}

func TestJSONFloorReadsEveryToken(t *testing.T) {
	for _, doc := range []string{
		`{"unit":"ms","values":[{"timestamp":1732406400,"value":4100},{"timestamp":1732410000,"value":null}]}`,
		` [ {"a\u00e9\n":"x\"y", "b":[true,false,null,[],{}]}, -0, 1e400, 2.5e-3, "\ud83d\ude00" ] `,
		`"plain"`, `0`, `null`,
		`[` + strings.Repeat(`[`, 500) + strings.Repeat(`]`, 500) + `]`,
	} {
		got, err := JSONFloor([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var want JSONTokens
		count(v, &want)
		got.Sum = 0
		if got != want {
			t.Errorf("%s:\n got  %+v\n want %+v", doc, got, want)
		}
	}
}

func TestJSONFloorSumsNumbers(t *testing.T) {
	got, err := JSONFloor([]byte(`[1, 2.5, -0.5, 1e400, 10]`))
	if err != nil || got.Sum != 13 || got.Numbers != 5 {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestJSONFloorRefuses(t *testing.T) {
	for _, doc := range []string{
		``, `[1,]`, `{"a":1`, `[1] 2`, `{"a" 1}`, `tru`,
		strings.Repeat(`[`, 10_001) + strings.Repeat(`]`, 10_001),
	} {
		if _, err := JSONFloor([]byte(doc)); err == nil {
			t.Errorf("%.40q: no error", doc)
		}
	}
}
