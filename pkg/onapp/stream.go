package onapp

// The JSON reader of bandwidth answers: the values of pkg/internal/jsonread
// handed to the mapping (answer.go) as its tree, in one pass.

import (
	"bytes"
	"errors"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// jsonBytesPerFigure sizes the samples of a JSON answer, as
// xmlBytesPerFigure does for XML.
const jsonBytesPerFigure = 32

// readJSON reads a JSON bandwidth answer. An answer that is not valid JSON
// is refused for that (jsonread's words), before any error of its content:
// the mapping keeps those until the end (result).
func readJSON(body []byte, loc *time.Location) (answer, error) {
	m := &mapping{loc: loc, root: atStats0, want: len(body) / jsonBytesPerFigure}
	if err := readJSONTree(body, m); err != nil {
		return answer{}, err
	}
	return m.result()
}

// readJSONTree reads one JSON document into m.
func readJSONTree(body []byte, m *mapping) error {
	t := &jsonReader{r: jsonread.New(body), m: m}
	t.value(-1, nil, false, 0)
	switch err := t.r.Err(); {
	case err != nil:
		return err
	case !t.r.AtEnd():
		return errors.New("JSON answer has data after its end")
	}
	return nil
}

type jsonReader struct {
	r jsonread.Reader
	m *mapping
}

// jsonKinds are the kinds of jsonread's: true, false and null are told
// apart when read (Skip), and anything else stops the reader there.
var jsonKinds = [...]kind{jsonread.ObjectKind: kObject, jsonread.ArrayKind: kList, jsonread.StringKind: kText,
	jsonread.NumberKind: kNumber, jsonread.OtherKind: kBool, jsonread.NoValue: kBool}

// value reads one value of parent, depth deep, into the tree. (The
// closures handed to Object and Array stay on the stack: they cost no
// allocation per object.)
func (t *jsonReader) value(parent int, key []byte, member bool, depth int) {
	r, k := &t.r, jsonKinds[t.r.Kind()]
	i := t.m.open(parent, key, member, k == kList)
	if t.m.over != nil {
		r.Stop(t.m.over)
	}
	var text []byte
	switch {
	case (k == kObject || k == kList) && (depth == maxTreeDepth || t.m.nodes[i].lv == isKey):
		r.Skip()
	case k == kObject:
		r.Object(func(key []byte) {
			if bytes.IndexByte(key, '\\') >= 0 {
				s, _ := jsonread.Unquote(key) // Key has checked the escapes
				key = []byte(s)
			}
			t.value(i, key, true, depth+1)
		})
	case k == kList:
		r.Array(func() { t.value(i, nil, false, depth+1) })
	case k == kText:
		raw, _ := r.RawString()
		if text = raw; bytes.IndexByte(raw, '\\') >= 0 {
			s, err := jsonread.Unquote(raw)
			if err != nil {
				r.Stop(err)
			}
			text = []byte(s)
		}
	case k == kNumber:
		text, _ = r.Number()
	default:
		if text = r.Skip(); string(text) == "null" {
			k = kNull
		}
	}
	t.m.close(i, parent, k, text)
}
