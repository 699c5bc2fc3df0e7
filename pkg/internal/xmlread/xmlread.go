// Package xmlread is the XML tokenizer of the readers: a pull reader of
// start elements, text and end elements over a byte slice.
//
// Why not encoding/xml: OnApp's grouped bandwidth answers name elements
// after numeric ids (<977655738>…</977655738>), which is not well-formed
// XML, and encoding/xml refuses them. This reader accepts any name made of
// ordinary characters (anything but white space and < > / = " '), digits
// first included; on documents whose names are XML names it reads the
// tokens encoding/xml reads (fuzzing checks it).
//
// It checks what a reader needs to trust the tokens: one root element,
// nothing but white space outside it, each end tag matching its start,
// nesting at most MaxDepth deep (kept on a slice, never by recursion).
// Comments, processing instructions and declarations (<!DOCTYPE …>) are
// skipped; CDATA sections are text. White space alone between two tags
// (Rails' indentation, most of an answer's bytes) is not a token. Of the attributes, only the two Rails
// writes for the readers are kept: type and nil. Entities (&amp; &#65;
// &#x41;) are decoded in text and attribute values; a '&' that starts no
// known reference stays as it is. Bytes that are not UTF-8 are passed on
// as they are: a caller repeating them quotes them (upstream.Quote).
// Every byte is looked at a bounded number of times.
package xmlread

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Kind is a token's kind.
type Kind uint8

const (
	EOF   Kind = iota // the end of the document, or an error (Err)
	Start             // <name …> or <name …/> (an End follows the latter)
	End               // </name>
	Text              // character data, entities decoded; CDATA as is
)

// Token is one token. Its byte slices point into the document, or (text
// with entities) into new memory.
type Token struct {
	Kind Kind
	Name []byte // Start and End
	Type []byte // Start: the type attribute ("array", "float"…), if any
	Nil  bool   // Start: nil="true", Rails' null
	Text []byte // Text
}

// ErrTooDeep is wrapped by the error for a document nested past MaxDepth.
var ErrTooDeep = errors.New("XML nests too deep")

// Reader reads the tokens of one document.
type Reader struct {
	b        []byte
	i        int
	maxDepth int
	open     [][]byte // the names of the open elements
	closing  bool     // the last Start was <name/>: its End comes next
	roots    int
	err      error
	tok      Token // the token Next returned
}

// New returns a reader of b that refuses nesting deeper than maxDepth.
func New(b []byte, maxDepth int) *Reader { return &Reader{b: b, maxDepth: maxDepth} }

// Err is the error that stopped the reader, if any.
func (r *Reader) Err() error { return r.err }

// Depth is the number of elements open.
func (r *Reader) Depth() int { return len(r.open) }

func (r *Reader) fail(format string, a ...any) *Token {
	if r.err == nil {
		r.err = fmt.Errorf(format, a...)
	}
	r.tok = Token{}
	return &r.tok
}

func (r *Reader) emit(t Token) *Token {
	r.tok = t
	return &r.tok
}

func q(b []byte) string { return upstream.Quote(string(b[:min(len(b), 64<<10)])) }

// Next reads the next token: Kind EOF at the end of the document and after
// an error. The token is the reader's, until the next call.
func (r *Reader) Next() *Token {
	if r.err != nil {
		return r.emit(Token{})
	}
	if r.closing {
		r.closing = false
		name := r.open[len(r.open)-1]
		r.open = r.open[:len(r.open)-1]
		return r.emit(Token{Kind: End, Name: name})
	}
	for {
		if r.i >= len(r.b) {
			switch {
			case len(r.open) > 0:
				return r.fail("XML ends inside <%s>: the answer is truncated", q(r.open[len(r.open)-1]))
			case r.roots != 1:
				return r.fail("XML answer has %d root elements, expected one", r.roots)
			}
			return r.emit(Token{})
		}
		if r.b[r.i] != '<' {
			from := r.i
			r.i += spaces(r.b[r.i:])
			if r.i == len(r.b) || r.b[r.i] == '<' {
				continue // white space alone
			}
			lt := bytes.IndexByte(r.b[r.i:], '<')
			if lt < 0 {
				lt = len(r.b) - r.i
			}
			r.i += lt
			raw := r.b[from:r.i]
			if len(r.open) == 0 {
				return r.fail("XML answer has text outside its root element: %q", q(bytes.TrimSpace(raw)))
			}
			return r.emit(Token{Kind: Text, Text: r.decode(raw)})
		}
		rest := r.b[r.i:]
		switch {
		case len(rest) > 1 && rest[1] == '/':
			return r.end()
		case len(rest) < 2 || rest[1] != '!' && rest[1] != '?':
			return r.start() // the usual case
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			start := r.i + len("<![CDATA[")
			end := bytes.Index(r.b[start:], []byte("]]>"))
			if end < 0 {
				return r.fail("XML CDATA section never ends")
			}
			if len(r.open) == 0 {
				return r.fail("XML has text outside its root element")
			}
			r.i = start + end + len("]]>")
			return r.emit(Token{Kind: Text, Text: r.b[start : start+end]})
		}
		for _, m := range skipped { // one of them starts rest
			if bytes.HasPrefix(rest, []byte(m.open)) {
				if !r.skipPast(m.end, m.what) {
					return &r.tok
				}
				break
			}
		}
	}
}

// skipped is the markup that is no token, the first that starts it.
var skipped = [...]struct{ open, end, what string }{
	{"<!--", "-->", "comment"}, {"<?", "?>", "processing instruction"}, {"<!", ">", "declaration"},
}

func (r *Reader) skipPast(end, what string) bool {
	i := bytes.Index(r.b[r.i:], []byte(end))
	if i < 0 {
		r.fail("XML %s never ends", what) // r.tok is EOF
		return false
	}
	r.i += i + len(end)
	return true
}

func (r *Reader) end() *Token {
	gt := bytes.IndexByte(r.b[r.i:], '>')
	if gt < 0 {
		return r.fail("XML closing tag never ends")
	}
	name := bytes.TrimSpace(r.b[r.i+2 : r.i+gt])
	r.i += gt + 1
	if len(r.open) == 0 {
		return r.fail("XML closing tag </%s> closes nothing", q(name))
	}
	if top := r.open[len(r.open)-1]; !bytes.Equal(name, top) {
		return r.fail("XML closing tag </%s> does not match the open element <%s>", q(name), q(top))
	}
	r.open = r.open[:len(r.open)-1]
	return r.emit(Token{Kind: End, Name: name})
}

// start reads <name attr="v" …> or <name …/>.
func (r *Reader) start() *Token {
	r.i++ // '<'
	name := r.name()
	if len(name) == 0 {
		return r.fail("XML has a '<' that starts no tag at byte %d", r.i)
	}
	if len(r.open) == 0 && r.roots > 0 {
		return r.fail("XML has a second root element <%s>", q(name))
	}
	if len(r.open) >= r.maxDepth {
		return r.fail("XML nests deeper than %d elements: %w", r.maxDepth, ErrTooDeep)
	}
	t := &r.tok
	*t = Token{Kind: Start, Name: name}
	for {
		r.space()
		if r.i >= len(r.b) {
			return r.fail("XML tag <%s> never ends", q(name))
		}
		if c := r.b[r.i]; c == '>' || c == '/' && r.i+1 < len(r.b) && r.b[r.i+1] == '>' {
			r.i++
			if c == '/' {
				r.i++
				r.closing = true
			}
			if len(r.open) == 0 {
				r.roots++
			}
			r.open = append(r.open, name)
			return t
		}
		attr := r.name()
		if len(attr) == 0 {
			return r.fail("XML tag <%s> has a malformed attribute at byte %d", q(name), r.i)
		}
		r.space()
		var value []byte
		if r.i < len(r.b) && r.b[r.i] == '=' {
			r.i++
			r.space()
			if r.i < len(r.b) && (r.b[r.i] == '"' || r.b[r.i] == '\'') {
				end := bytes.IndexByte(r.b[r.i+1:], r.b[r.i])
				if end < 0 {
					return r.fail("XML attribute %s of <%s> is never closed", q(attr), q(name))
				}
				value = r.b[r.i+1 : r.i+1+end]
				r.i += end + 2
			} else {
				value = r.name()
			}
		}
		switch string(attr) {
		case "type":
			t.Type = r.decode(value)
		case "nil":
			t.Nil = string(r.decode(value)) == "true"
		}
	}
}

// isName reports whether c may be part of a name.
var isName = func() (t [256]bool) {
	for c := range t {
		t[c] = true
	}
	for _, c := range []byte(" \t\r\n/>=<\"'") {
		t[c] = false
	}
	return t
}()

func (r *Reader) name() []byte {
	start := r.i
	for r.i < len(r.b) && isName[r.b[r.i]] {
		r.i++
	}
	return r.b[start:r.i]
}

// spaces counts the white space b starts with.
func spaces(b []byte) int {
	i := 0
	for ; i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'); i++ {
	}
	return i
}

func (r *Reader) space() { r.i += spaces(r.b[r.i:]) }

var entities = map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'"}

// decode replaces the predefined and numeric character references; the
// lookahead for ';' is bounded, so the scan stays linear.
func (r *Reader) decode(raw []byte) []byte {
	if bytes.IndexByte(raw, '&') < 0 {
		return raw
	}
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		if raw[i] != '&' {
			b = append(b, raw[i])
			i++
			continue
		}
		if end := bytes.IndexByte(raw[i:min(len(raw), i+12)], ';'); end > 0 {
			if s, ok := entity(raw[i+1 : i+end]); ok {
				b = append(b, s...)
				i += end + 1
				continue
			}
		}
		b = append(b, '&')
		i++
	}
	return b
}

func entity(name []byte) (string, bool) {
	if s, ok := entities[string(name)]; ok {
		return s, true
	}
	if len(name) < 2 || name[0] != '#' {
		return "", false
	}
	num, base := name[1:], 10
	if num[0] == 'x' {
		num, base = num[1:], 16
	}
	n, err := strconv.ParseUint(string(num), base, 32)
	if err != nil || !utf8.ValidRune(rune(n)) {
		return "", false
	}
	return string(rune(n)), true
}
