package jsonread

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestCheckDepthIsEncodingJSONs: CheckDepth refuses exactly the nesting
// encoding/json refuses, and brackets in strings do not count.
func TestCheckDepthIsEncodingJSONs(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		deep bool
	}{
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), false},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), true},
		{strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), true},
		{`["` + strings.Repeat("[", MaxDepth+1) + `"]`, false},
		{`["\"` + strings.Repeat("[", MaxDepth+1) + `"]`, false},
		{strings.Repeat("[]", MaxDepth+1), false},
		{strings.Repeat("[", 4<<20), true},
	} {
		err := CheckDepth([]byte(tt.doc))
		if (err != nil) != tt.deep || (err != nil && !errors.Is(err, ErrTooDeep)) {
			t.Errorf("%.30s… (%d bytes): %v", tt.doc, len(tt.doc), err)
		}
		var v any
		jerr := Plain(json.Unmarshal([]byte(tt.doc), &v))
		if tt.deep != errors.Is(jerr, ErrTooDeep) {
			t.Errorf("%.30s…: encoding/json says %v", tt.doc, jerr)
		}
	}
	if err := Plain(errors.New("other")); err.Error() != "other" {
		t.Errorf("Plain changed another error: %v", err)
	}
}

// FuzzCheckDepth: whenever encoding/json reads a document, CheckDepth lets
// it through; whenever encoding/json stops at its depth limit, CheckDepth
// does too.
func FuzzCheckDepth(f *testing.F) {
	for _, seed := range []string{`[[["]"]]]`, `{"a":[{"b":"\\\""}]}`, strings.Repeat("[", MaxDepth+1), "[\"\xff[\"]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		err := json.Unmarshal(b, &v)
		deep := CheckDepth(b) != nil
		if err == nil && deep {
			t.Fatalf("%.100q: encoding/json reads it, CheckDepth says too deep", b)
		}
		if errors.Is(Plain(err), ErrTooDeep) && !deep {
			t.Fatalf("%.100q: too deep for encoding/json, not for CheckDepth", b)
		}
	})
}
