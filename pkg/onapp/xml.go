package onapp

// A tolerant XML reader. OnApp's grouped bandwidth answers name elements
// after numeric ids (<977655738>…</977655738>), which is not well-formed XML,
// so encoding/xml refuses them. This reader accepts any tag name made of
// ordinary characters and turns the document into the same generic tree
// encoding/json gives (maps, lists, strings), so one walker reads both
// formats. It is linear in the input: every byte is looked at a bounded
// number of times, and nesting is capped.

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// maxXMLDepth bounds element nesting. OnApp answers nest five deep
// (stats/stat/resources/resource/<id>/cached); anything far deeper is not an
// answer, and the cap keeps the tree conversion's recursion shallow.
const maxXMLDepth = 32

// xmlElement is one element of a document read by parseXML.
type xmlElement struct {
	name     string
	typ      string // the Rails type attribute: "array", "float", "datetime"…
	isNil    bool   // nil="true": Rails' null
	text     strings.Builder
	children []*xmlElement
}

// xmlParser walks a document once, front to back.
type xmlParser struct {
	src []byte
	pos int
	// child, when set, is handed each element of the root element as it
	// ends, and the root forgets it: the tree of one stat at a time is
	// held, not the whole answer's (17× its bytes). Its false stops the
	// parse with errStopped.
	child func(root, el *xmlElement) bool
}

// errStopped is parse's error when child stopped it.
var errStopped = errors.New("stopped")

// parseXML reads a document and returns its root element.
func parseXML(src []byte) (*xmlElement, error) {
	return (&xmlParser{src: src}).parse()
}

// parse reads the document and returns its root element.
func (p *xmlParser) parse() (*xmlElement, error) {
	doc := &xmlElement{} // the document node: holds the root element
	stack := []*xmlElement{doc}
	for p.pos < len(p.src) {
		top := stack[len(stack)-1]
		lt := bytes.IndexByte(p.src[p.pos:], '<')
		if lt < 0 {
			lt = len(p.src) - p.pos
		}
		if err := addText(top, p.src[p.pos:p.pos+lt], len(stack) == 1); err != nil {
			return nil, err
		}
		p.pos += lt
		if p.pos == len(p.src) {
			break
		}
		var err error
		stack, err = p.markup(stack)
		if err != nil {
			return nil, err
		}
	}
	if len(stack) > 1 {
		return nil, fmt.Errorf("XML ends inside <%s>: the answer is truncated", upstream.Quote(stack[len(stack)-1].name))
	}
	if len(doc.children) != 1 {
		return nil, fmt.Errorf("XML answer has %d root elements, expected one", len(doc.children))
	}
	return doc.children[0], nil
}

// markup reads the markup at p.pos ('<' …) and returns the updated stack of
// open elements.
func (p *xmlParser) markup(stack []*xmlElement) ([]*xmlElement, error) {
	rest := p.src[p.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		return stack, p.skipPast("-->", "comment")
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		start := p.pos + len("<![CDATA[")
		end := bytes.Index(p.src[start:], []byte("]]>"))
		if end < 0 {
			return nil, fmt.Errorf("XML CDATA section never ends")
		}
		if len(stack) == 1 {
			return nil, fmt.Errorf("XML has text outside its root element")
		}
		stack[len(stack)-1].text.Write(p.src[start : start+end])
		p.pos = start + end + len("]]>")
		return stack, nil
	case bytes.HasPrefix(rest, []byte("<?")):
		return stack, p.skipPast("?>", "processing instruction")
	case bytes.HasPrefix(rest, []byte("<!")):
		return stack, p.skipPast(">", "declaration")
	case bytes.HasPrefix(rest, []byte("</")):
		return p.closeTag(stack)
	}
	return p.openTag(stack)
}

func (p *xmlParser) skipPast(end, what string) error {
	i := bytes.Index(p.src[p.pos:], []byte(end))
	if i < 0 {
		return fmt.Errorf("XML %s never ends", what)
	}
	p.pos += i + len(end)
	return nil
}

func (p *xmlParser) closeTag(stack []*xmlElement) ([]*xmlElement, error) {
	gt := bytes.IndexByte(p.src[p.pos:], '>')
	if gt < 0 {
		return nil, fmt.Errorf("XML closing tag never ends")
	}
	name := strings.TrimSpace(string(p.src[p.pos+2 : p.pos+gt]))
	p.pos += gt + 1
	if len(stack) == 1 {
		return nil, fmt.Errorf("XML closing tag </%s> closes nothing", upstream.Quote(name))
	}
	if top := stack[len(stack)-1]; name != top.name {
		return nil, fmt.Errorf("XML closing tag </%s> does not match the open element <%s>", upstream.Quote(name), upstream.Quote(top.name))
	}
	stack = stack[:len(stack)-1]
	return stack, p.ended(stack)
}

// ended hands the element that just ended to child when it is one of the
// root element's (stack holds the document and the root).
func (p *xmlParser) ended(stack []*xmlElement) error {
	if p.child == nil || len(stack) != 2 {
		return nil
	}
	root := stack[1]
	el := root.children[len(root.children)-1]
	root.children = root.children[:len(root.children)-1]
	if !p.child(root, el) {
		return errStopped
	}
	return nil
}

// openTag reads <name attr="v" …> or <name …/>.
func (p *xmlParser) openTag(stack []*xmlElement) ([]*xmlElement, error) {
	p.pos++ // '<'
	name := p.token()
	if name == "" {
		return nil, fmt.Errorf("XML has a '<' that starts no tag at byte %d", p.pos)
	}
	if len(stack) == 1 && len(stack[0].children) > 0 {
		return nil, fmt.Errorf("XML has a second root element <%s>", upstream.Quote(name))
	}
	if len(stack) > maxXMLDepth {
		return nil, fmt.Errorf("XML nests deeper than %d elements: not an answer OnApp sends", maxXMLDepth)
	}
	el := &xmlElement{name: name}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, fmt.Errorf("XML tag <%s> never ends", upstream.Quote(name))
		}
		switch {
		case p.src[p.pos] == '>':
			p.pos++
			top := stack[len(stack)-1]
			top.children = append(top.children, el)
			return append(stack, el), nil
		case bytes.HasPrefix(p.src[p.pos:], []byte("/>")):
			p.pos += 2
			top := stack[len(stack)-1]
			top.children = append(top.children, el)
			return stack, p.ended(stack)
		}
		if err := p.attribute(el); err != nil {
			return nil, err
		}
	}
}

// attribute reads name="value", name='value', name=value or a bare name,
// keeping the two Rails attributes the reader needs.
func (p *xmlParser) attribute(el *xmlElement) error {
	name := p.token()
	if name == "" {
		return fmt.Errorf("XML tag <%s> has a malformed attribute at byte %d", upstream.Quote(el.name), p.pos)
	}
	p.skipSpace()
	var value string
	if p.pos < len(p.src) && p.src[p.pos] == '=' {
		p.pos++
		p.skipSpace()
		if p.pos < len(p.src) && (p.src[p.pos] == '"' || p.src[p.pos] == '\'') {
			q := p.src[p.pos]
			end := bytes.IndexByte(p.src[p.pos+1:], q)
			if end < 0 {
				return fmt.Errorf("XML attribute %s of <%s> is never closed", upstream.Quote(name), upstream.Quote(el.name))
			}
			value = decodeEntities(p.src[p.pos+1 : p.pos+1+end])
			p.pos += end + 2
		} else {
			value = p.token()
		}
	}
	switch name {
	case "type":
		el.typ = value
	case "nil":
		el.isNil = value == "true"
	}
	return nil
}

// token reads a tag or attribute name: a run of characters that are not
// spaces or XML punctuation. Digits may come first, which is the point.
func (p *xmlParser) token() string {
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n/>=<\"'", rune(p.src[p.pos])) {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

func (p *xmlParser) skipSpace() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// addText appends character data to el; outside the root element only
// white space is allowed.
func addText(el *xmlElement, raw []byte, outside bool) error {
	if len(raw) == 0 {
		return nil
	}
	if outside {
		if text := bytes.TrimSpace(raw); len(text) > 0 {
			return fmt.Errorf("XML answer has text outside its root element: %q", upstream.Quote(string(text[:min(len(text), maxExcerptSource)])))
		}
		return nil
	}
	el.text.WriteString(decodeEntities(raw))
	return nil
}

var xmlEntities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'"}

// decodeEntities replaces the predefined and numeric character references.
// A '&' that starts no known reference is kept as is: being tolerant costs
// nothing here, and the lookahead is bounded, so the scan stays linear.
func decodeEntities(raw []byte) string {
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw)
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		if raw[i] != '&' {
			b.WriteByte(raw[i])
			i++
			continue
		}
		end := bytes.IndexByte(raw[i:min(len(raw), i+12)], ';')
		if end < 0 {
			b.WriteByte('&')
			i++
			continue
		}
		if s, ok := entity(string(raw[i+1 : i+end])); ok {
			b.WriteString(s)
			i += end + 1
			continue
		}
		b.WriteByte('&')
		i++
	}
	return b.String()
}

func entity(name string) (string, bool) {
	if s, ok := xmlEntities[name]; ok {
		return s, true
	}
	num, ok := strings.CutPrefix(name, "#")
	if !ok {
		return "", false
	}
	base := 10
	if hex, ok := strings.CutPrefix(num, "x"); ok {
		num, base = hex, 16
	}
	n, err := strconv.ParseUint(num, base, 32)
	if err != nil || !utf8.ValidRune(rune(n)) {
		return "", false
	}
	return string(rune(n)), true
}

// tree turns the element into the generic form encoding/json produces, the
// Rails way: {"stats": [{"stat": {"date": "…", "cached": "2.039"}}]}.
//
//   - text-only elements become strings, nil="true" becomes nil;
//   - an element typed "array", or whose two or more children share one
//     name, becomes a list of one-key maps {child name: child value};
//   - other elements become maps (a repeated child name collects a list).
func (el *xmlElement) tree() map[string]any {
	return map[string]any{el.name: el.value()}
}

func (el *xmlElement) value() any {
	switch {
	case el.isNil:
		return nil
	case len(el.children) == 0 && el.typ == "array":
		return []any{}
	case len(el.children) == 0:
		return strings.TrimSpace(el.text.String())
	case el.typ == "array" || (len(el.children) > 1 && sameNames(el.children)):
		list := make([]any, len(el.children))
		for i, c := range el.children {
			list[i] = c.tree()
		}
		return list
	}
	m := make(map[string]any, len(el.children))
	var lists map[string]bool // names already collected into a list
	for _, c := range el.children {
		v := c.value()
		switch prev, seen := m[c.name]; {
		case !seen:
			m[c.name] = v
		case lists[c.name]:
			m[c.name] = append(prev.([]any), v)
		default:
			if lists == nil {
				lists = map[string]bool{}
			}
			m[c.name], lists[c.name] = []any{prev, v}, true
		}
	}
	return m
}

func sameNames(els []*xmlElement) bool {
	for _, e := range els[1:] {
		if e.name != els[0].name {
			return false
		}
	}
	return true
}
