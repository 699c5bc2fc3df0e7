package xmlread

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// tokens renders what the reader reads: S name type nil, E name, T text
// (adjacent texts joined, line ends as encoding/xml normalizes them; text of
// white space alone is not a token).
func tokens(doc []byte, depth int) ([]string, error) {
	r := New(doc, depth)
	var out []string
	for tok := r.Next(); tok.Kind != EOF; tok = r.Next() {
		switch tok.Kind {
		case Start:
			out = append(out, "S "+string(tok.Name)+" "+string(tok.Type)+" "+map[bool]string{true: "nil"}[tok.Nil])
		case End:
			out = append(out, "E "+string(tok.Name))
		case Text:
			if len(bytes.TrimSpace(tok.Text)) > 0 { // a CDATA section of white space
				out = appendText(out, string(tok.Text))
			}
		}
	}
	return out, r.Err()
}

func appendText(out []string, text string) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	if n := len(out); n > 0 && strings.HasPrefix(out[n-1], "T ") {
		out[n-1] += text
		return out
	}
	return append(out, "T "+text)
}

// stdTokens renders what encoding/xml reads of doc, and whether the
// comparison holds for it: encoding/xml accepts it whole, it has one root
// element and nothing but white space outside, and no declaration with an
// internal subset (which this reader does not read).
func stdTokens(doc []byte) ([]string, bool) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, false
		}
	}
	d = xml.NewDecoder(bytes.NewReader(doc))
	var out []string
	depth, roots := 0, 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, false
		}
		name := func(n xml.Name) string {
			if n.Space != "" {
				return n.Space + ":" + n.Local
			}
			return n.Local
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			typ, isNil := "", false
			for _, a := range t.Attr {
				switch name(a.Name) {
				case "type":
					typ = a.Value
				case "nil":
					isNil = a.Value == "true"
				}
			}
			out = append(out, "S "+name(t.Name)+" "+typ+" "+map[bool]string{true: "nil"}[isNil])
		case xml.EndElement:
			depth--
			out = append(out, "E "+name(t.Name))
		case xml.CharData:
			if depth == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, false
				}
				continue
			}
			if len(bytes.TrimSpace(t)) > 0 {
				out = appendText(out, string(t))
			}
		case xml.Directive:
			if bytes.ContainsAny(t, "[<>") {
				return nil, false
			}
		}
	}
	return out, roots == 1
}

func checkTokens(t *testing.T, doc []byte) {
	t.Helper()
	got, err := tokens(doc, 100_000)
	want, ok := stdTokens(doc)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("%.200q: %v; encoding/xml reads it", doc, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%.200q:\nread        %q\nencoding/xml %q", doc, got, want)
	}
}

var seeds = []string{
	`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<stats type="array"><stat><date type="datetime">2014-11-25T18:25:00+02:00</date>` +
		`<cached type="float">2.039</cached><non_cached nil="true"/></stat></stats>`,
	"<!DOCTYPE a><a b='x &amp; y' type = \"array\"><!-- c --><b>&lt;&#65;&#x42;&quot;&apos;&gt;</b><![CDATA[<x>&amp;]]><?pi x?>\r\n</a>",
	"<a:b xmlns:a='u'><c nil='true'></c>text</a:b>",
	strings.Repeat("<a>", 5_000) + strings.Repeat("</a>", 5_000),
	"<a>\xff\xfe</a>", "<\xc3\x28>1</\xc3\x28>", "<a b='\xed\xa0\x80'/>",
}

// FuzzTokens: on documents whose names are XML names, the reader reads
// the tokens encoding/xml reads.
func FuzzTokens(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkTokens(t, doc)
		if _, err := tokens(doc, 32); err != nil && !strings.HasPrefix(err.Error(), "XML ") {
			t.Fatalf("%.200q: %v", doc, err)
		}
	})
}

func TestTokens(t *testing.T) {
	for _, s := range seeds {
		checkTokens(t, []byte(s))
	}
	got, err := tokens([]byte(`<977655738><cached>1</cached></977655738>`), 32)
	if want := []string{"S 977655738  ", "S cached  ", "T 1", "E cached", "E 977655738"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("numeric names: %q %v", got, err)
	}
}

// TestDepth: nesting past the limit is an error, however deep, and nothing
// recurses per level.
func TestDepth(t *testing.T) {
	if _, err := tokens([]byte(strings.Repeat("<a>", 32)+strings.Repeat("</a>", 32)), 32); err != nil {
		t.Errorf("32 deep: %v", err)
	}
	for _, n := range []int{33, 1_000_000} {
		if _, err := tokens([]byte(strings.Repeat("<a>", n)), 32); !errors.Is(err, ErrTooDeep) {
			t.Errorf("%d deep: %v", n, err)
		}
	}
}

// TestErrors: what is not one document is refused in plain words.
func TestErrors(t *testing.T) {
	for doc, want := range map[string]string{
		"":                      "0 root elements",
		"hello":                 "text outside its root element",
		"<a>":                   "XML ends inside <a>: the answer is truncated",
		"<a></b>":               "does not match",
		"</a>":                  "closes nothing",
		"<a/><a/>":              "second root element",
		"<a><!-- x</a>":         "comment never ends",
		"<a b=\"1></a>":         "never closed",
		"< a/>":                 "starts no tag",
		"<a><![CDATA[x</a>":     "CDATA section never ends",
		"<a/>\xff" + "x":        "text outside its root element",
		"<a><?pi</a>":           "processing instruction never ends",
		"<a b='1' c></a> <a/>":  "second root element",
		"<a =1/>":               "malformed attribute",
		"<a b":                  "never ends",
		"<a></a":                "closing tag never ends",
		"<a><!DOCTYPE x":        "declaration never ends",
		"<![CDATA[x]]><a/>":     "text outside its root element",
		"<a>&bogus;&#xZZ;</a>x": "text outside its root element",
	} {
		if _, err := tokens([]byte(doc), 32); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}
