package onapp

// The XML reader of bandwidth answers: the tokens of pkg/internal/xmlread
// (OnApp's numeric element names, <977655738>, are why encoding/xml cannot
// serve) handed to the mapping (answer.go) as the values of the JSON Rails
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
	t := newXMLTokens(body)
	var a answer
	var err error
	if t.root() {
		a, err = (&mapping{t: t, loc: loc, want: len(body) / xmlBytesPerFigure}).read()
	}
	if xerr := t.end(); xerr != nil {
		return answer{}, xerr
	}
	return a, err
}

// end reads the document to its end and returns its error, if any: a
// document that is not one is refused for that before its content.
func (t *xmlTokens) end() error {
	for t.r.Next().Kind != xmlread.EOF {
	}
	if errors.Is(t.r.Err(), xmlread.ErrTooDeep) {
		return fmt.Errorf("XML nests deeper than %d elements: not an answer OnApp sends", maxXMLDepth)
	}
	return t.r.Err()
}

// xmlElement is an element whose start was read.
type xmlElement struct {
	name         []byte
	array, isNil bool
	depth        int // the reader's depth inside it
}

// xmlTokens are the values of an XML document. The element whose value is
// next is el; its first tokens are read ahead to tell text from children.
type xmlTokens struct {
	r       xmlread.Reader
	el      xmlElement
	wrapped bool // the value next is {el.name: el}
	looked  bool // el's kind is known: k, and text, or child when an object
	k       kind
	text    []byte // el's text: in the document, or new memory
	child   xmlElement
	pending bool // child is read and not handed on yet
}

func newXMLTokens(body []byte) *xmlTokens {
	return &xmlTokens{r: *xmlread.New(body, maxXMLDepth)}
}

// root reads the start of the root element.
func (t *xmlTokens) root() bool {
	tok := t.r.Next()
	if tok.Kind != xmlread.Start {
		return false
	}
	t.set(t.started(tok), true)
	return true
}

func (t *xmlTokens) started(tok *xmlread.Token) xmlElement {
	return xmlElement{name: tok.Name, array: string(tok.Type) == "array", isNil: tok.Nil, depth: t.r.Depth()}
}

func (t *xmlTokens) set(el xmlElement, wrapped bool) {
	t.el, t.wrapped, t.looked, t.pending = el, wrapped, false, false
}

// look reads ahead what el holds: text up to its end, or a first child.
func (t *xmlTokens) look() {
	if t.looked {
		return
	}
	t.looked, t.text = true, nil
	switch {
	case t.el.isNil:
		t.k = kNull
		return
	case t.el.array:
		t.k = kList
		return
	}
	for joined := false; ; {
		switch tok := t.r.Next(); tok.Kind {
		case xmlread.Text: // one piece as it is (the usual case), more put together in new memory
			switch {
			case t.text == nil:
				t.text = tok.Text
			case !joined:
				t.text, joined = append(slices.Clip(t.text), tok.Text...), true
			default:
				t.text = append(t.text, tok.Text...)
			}
		case xmlread.Start:
			t.child, t.pending, t.k = t.started(tok), true, kObject
			return
		case xmlread.End:
			t.k = kText
			return
		default:
			t.k = kEnd
			return
		}
	}
}

func (t *xmlTokens) peek() kind {
	if t.wrapped {
		return kObject
	}
	t.look()
	return t.k
}

func (t *xmlTokens) scalar() []byte {
	if t.peek() == kText {
		return bytes.TrimSpace(t.text)
	}
	t.skip()
	return nil
}

// skip reads the rest of el.
func (t *xmlTokens) skip() { t.finish(t.el.depth) }

// finish reads up to the end of the element at depth.
func (t *xmlTokens) finish(depth int) {
	t.pending = false
	for t.r.Depth() >= depth && t.r.Next().Kind != xmlread.EOF {
	}
}

// children hands each child of el on, wrapped or not.
func (t *xmlTokens) children(wrapped bool, each func(name []byte)) {
	t.look()
	for {
		child := t.child
		if !t.pending {
			switch tok := t.r.Next(); tok.Kind {
			case xmlread.Text:
				continue
			case xmlread.Start:
				child = t.started(tok)
			default: // el's end
				return
			}
		}
		t.set(child, wrapped)
		each(child.name)
		t.finish(child.depth)
	}
}

func (t *xmlTokens) object(member func(key []byte)) {
	if !t.wrapped {
		t.children(false, member)
		return
	}
	t.wrapped = false
	el := t.el
	member(el.name)
	t.finish(el.depth)
}

func (t *xmlTokens) list(item func()) { t.children(true, func([]byte) { item() }) }

func (t *xmlTokens) mark() func() {
	saved := *t
	saved.r = t.r.Copy()
	return func() {
		if t.r.Err() == nil {
			*t = saved
		}
	}
}
