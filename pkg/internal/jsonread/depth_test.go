package jsonread

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestSyntaxRefusesEncodingJSONsDepth: Syntax refuses exactly the nesting
// encoding/json refuses, in the same plain words (Plain), and brackets in
// strings do not count.
func TestSyntaxRefusesEncodingJSONsDepth(t *testing.T) {
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
		{strings.Repeat("[", MaxDepth+1), true},
	} {
		err := Syntax([]byte(tt.doc))
		if errors.Is(err, ErrTooDeep) != tt.deep {
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
