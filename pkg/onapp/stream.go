package onapp

// The JSON reader of bandwidth answers: the tokens of pkg/internal/jsonread
// handed to the mapping (answer.go), in one pass.

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// jsonBytesPerFigure sizes the samples of a JSON answer, as
// xmlBytesPerFigure does for XML.
const jsonBytesPerFigure = 32

// readJSON reads a JSON bandwidth answer. An answer that is not valid JSON
// is refused in encoding/json's words, before any error of its content.
func readJSON(body []byte, loc *time.Location) (answer, error) {
	t := &jsonTokens{r: jsonread.New(body)}
	a, err := (&mapping{t: t, loc: loc, want: len(body) / jsonBytesPerFigure}).read()
	switch {
	case t.r.Err() != nil:
		return answer{}, jsonSyntax(body, t.r.Err())
	case !t.r.AtEnd():
		return answer{}, errors.New("JSON answer has data after its end")
	}
	return a, err
}

// jsonSyntax words the syntax error of an answer as encoding/json does
// (jsonread accepts exactly what it accepts): decoding into nothing, it
// holds no more than a copy of the bytes.
func jsonSyntax(body []byte, err error) error {
	if errors.Is(err, jsonread.ErrTooDeep) {
		return err
	}
	var none ignored
	if derr := json.NewDecoder(bytes.NewReader(body)).Decode(&none); derr != nil {
		return jsonread.Plain(derr)
	}
	return err
}

type ignored struct{}

func (*ignored) UnmarshalJSON([]byte) error { return nil }

// jsonTokens are the tokens of a JSON answer.
type jsonTokens struct {
	r       jsonread.Reader
	members []func(key []byte) // of the objects being read, innermost last
	member  func(key []byte)   // made once: the key unescaped, to the innermost
}

func (t *jsonTokens) peek() kind {
	switch t.r.Peek() {
	case 0:
		return kEnd
	case '{':
		return kObject
	case '[':
		return kList
	case '"':
		return kText
	case 'n':
		return kNull
	case 't', 'f':
		return kBool
	}
	return kNumber
}

func (t *jsonTokens) scalar() []byte {
	switch t.peek() {
	case kText:
		return t.str()
	case kNumber:
		tok, _ := t.r.Number()
		return tok
	case kBool:
		return t.r.Skip()
	}
	t.r.Skip() // null, a list or an object
	return nil
}

// str reads a string's value: its bytes when it has no escape.
func (t *jsonTokens) str() []byte {
	raw, _ := t.r.RawString()
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	s, err := jsonread.Unquote(raw)
	if err != nil {
		t.r.Stop(err)
	}
	return []byte(s)
}

func (t *jsonTokens) object(member func(key []byte)) {
	if t.member == nil {
		t.member = func(key []byte) {
			if bytes.IndexByte(key, '\\') >= 0 {
				s, _ := jsonread.Unquote(key)
				key = []byte(s)
			}
			t.members[len(t.members)-1](key)
		}
	}
	t.members = append(t.members, member)
	t.r.Object(t.member)
	t.members = t.members[:len(t.members)-1]
}

func (t *jsonTokens) list(item func()) { t.r.Array(item) }
func (t *jsonTokens) skip()            { t.r.Skip() }

func (t *jsonTokens) mark() func() {
	t.r.Peek()
	at := t.r.Offset()
	return func() { t.r.Rewind(at) }
}
