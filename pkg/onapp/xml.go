package onapp

// The XML reader of bandwidth answers: the tokens of pkg/internal/xmlread
// (OnApp's numeric element names, <977655738>, are why encoding/xml cannot
// serve) handed to the mapping (answer.go) as the tree of the JSON Rails
// would write for the document: the root element is {name: value}, an
// element of text a string (trimmed), nil="true" null, type="array" a list
// whose elements are {child name: child}, any other element an object of
// its children.

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/xmlread"
)

// maxXMLDepth bounds element nesting. OnApp answers nest five deep
// (stats/stat/resources/resource/<id>/cached); anything far deeper is not
// an answer.
const maxXMLDepth = 32

// xmlBytesPerFigure sizes the samples of an XML answer: about what the
// densest documented answer spends on a figure, so that the samples are
// allocated once (growing a list of a million doubles it for a while) and
// never take more than the answer's bytes.
const xmlBytesPerFigure = 64

// readXML reads an XML bandwidth answer. A document that is not one is
// refused for that, before any error of its content.
func readXML(body []byte, loc *time.Location) (answer, error) {
	m := &mapping{loc: loc, root: atStats0, want: len(body) / xmlBytesPerFigure}
	if err := readXMLTree(body, m); err != nil {
		return answer{}, err
	}
	return m.result()
}

// readXMLTree reads one XML document into m, to its end.
func readXMLTree(body []byte, m *mapping) error {
	r := xmlread.New(body, maxXMLDepth)
	if tok := r.Next(); tok.Kind == xmlread.Start {
		root := m.open(-1, nil, false, false)
		if element(r, m, tok, root, 1); m.over == nil {
			m.close(root, -1, kObject, nil)
		}
	}
	for m.over == nil && r.Next().Kind != xmlread.EOF {
	}
	switch {
	case m.over != nil:
		return m.over
	case errors.Is(r.Err(), xmlread.ErrTooDeep):
		return fmt.Errorf("XML nests deeper than %d elements: not an answer OnApp sends", maxXMLDepth)
	}
	return r.Err()
}

// element reads an element of parent, its start read, into the tree; the
// children of an element maxTreeDepth deep, or whose value is not read
// (nil, isKey), are skipped.
func element(r *xmlread.Reader, m *mapping, start *xmlread.Token, parent, depth int) {
	isNil, array := start.Nil, string(start.Type) == "array"
	i, at := m.open(parent, start.Name, true, array), r.Depth()
	var text []byte
	children, joined := false, false
	for m.over == nil {
		switch tok := r.Next(); tok.Kind {
		case xmlread.Text: // one piece as it is (the usual case), more put together in new memory
			switch {
			case text == nil:
				text = tok.Text
			case !joined:
				text, joined = append(slices.Clip(text), tok.Text...), true
			default:
				text = append(text, tok.Text...)
			}
		case xmlread.Start:
			children = true
			switch {
			case isNil || depth == maxTreeDepth || m.nodes[i].lv == isKey:
				for r.Depth() > at && r.Next().Kind != xmlread.EOF {
				}
			case array:
				item := m.open(i, nil, false, false)
				element(r, m, tok, item, depth+1)
				m.close(item, i, kObject, nil)
			default:
				element(r, m, tok, i, depth+1)
			}
		default: // the element's end, or the document's (an error, reported by readXMLTree)
			k := kText
			switch {
			case isNil:
				k = kNull
			case array:
				k = kList
			case children:
				k = kObject
			}
			if k != kText {
				text = nil
			}
			m.close(i, parent, k, bytes.TrimSpace(text))
			return
		}
	}
}
