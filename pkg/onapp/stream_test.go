package onapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/servicestats/pkg/internal/xmlread"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// The readers' oracle: the same answer decoded into a whole tree first
// (JSON by encoding/json's tokens, XML by xmlread's), then walked. The
// readers stream the list of stats and build a tree of one stat at a time;
// the walk below, written apart from theirs, reads the whole tree as
// answer.go's comments say an answer reads. Objects keep their members in
// order, repeated keys included, as the readers see them.

type tnode struct {
	k       kind
	text    string
	members []tmember // of an object
	items   []*tnode  // of a list
}

type tmember struct {
	key string
	v   *tnode
}

// jsonTree decodes doc with encoding/json.
func jsonTree(doc []byte) (*tnode, error) {
	if !json.Valid(doc) { // Token alone has no depth limit
		return nil, errors.New("not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var value func() (*tnode, error)
	value = func() (*tnode, error) {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			n := &tnode{k: kList}
			if v == '{' {
				n.k = kObject
			}
			for dec.More() {
				if n.k == kObject {
					key, err := dec.Token()
					if err != nil {
						return nil, err
					}
					item, err := value()
					if err != nil {
						return nil, err
					}
					n.members = append(n.members, tmember{key.(string), item})
				} else {
					item, err := value()
					if err != nil {
						return nil, err
					}
					n.items = append(n.items, item)
				}
			}
			_, err := dec.Token()
			return n, err
		case string:
			return &tnode{k: kText, text: v}, nil
		case json.Number:
			return &tnode{k: kNumber, text: string(v)}, nil
		case bool:
			return &tnode{k: kBool, text: strconv.FormatBool(v)}, nil
		}
		return &tnode{k: kNull}, nil
	}
	root, err := value()
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the end")
	}
	return root, nil
}

// xmlTree decodes doc into the tree of the JSON Rails writes for it.
func xmlTree(doc []byte) (*tnode, error) {
	r := xmlread.New(doc, maxXMLDepth)
	type open struct {
		name  string
		node  *tnode
		array bool
		text  []byte
	}
	var stack []*open
	var root *tnode
	for tok := r.Next(); tok.Kind != xmlread.EOF; tok = r.Next() {
		switch tok.Kind {
		case xmlread.Start:
			n := &tnode{k: kText}
			if tok.Nil {
				n.k = kNull
			}
			stack = append(stack, &open{name: string(tok.Name), node: n, array: string(tok.Type) == "array"})
		case xmlread.Text:
			top := stack[len(stack)-1]
			top.text = append(top.text, tok.Text...)
		case xmlread.End:
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n := top.node
			switch {
			case n.k == kNull:
				n.members, n.items = nil, nil
			case top.array:
				n.k = kList
				for _, m := range n.members {
					n.items = append(n.items, &tnode{k: kObject, members: []tmember{m}})
				}
				n.members = nil
			case len(n.members) > 0:
				n.k = kObject
			default:
				n.text = string(bytes.TrimSpace(top.text))
			}
			if len(stack) == 0 {
				root = &tnode{k: kObject, members: []tmember{{top.name, n}}}
			} else {
				parent := stack[len(stack)-1].node
				parent.members = append(parent.members, tmember{top.name, n})
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return root, nil
}

// treeWalk reads a tree as the mapping reads tokens.
type treeWalk struct {
	a   answer
	loc *time.Location
	n   int
}

func (w *treeWalk) read(root *tnode) (answer, error) {
	entries, err := w.statEntries(root, 0)
	if err != nil {
		return answer{}, err
	}
	for _, e := range entries {
		w.n++
		if err := w.entry(e); err != nil {
			return answer{}, fmt.Errorf("stat %d: %w", w.n, err)
		}
	}
	return w.a, nil
}

func (n *tnode) has(key string) bool {
	for _, m := range n.members {
		if m.key == key {
			return true
		}
	}
	return false
}

func (w *treeWalk) statEntries(v *tnode, depth int) ([]*tnode, error) {
	switch v.k {
	case kList:
		return v.items, nil
	case kText:
		if strings.TrimSpace(v.text) == "" {
			return nil, nil
		}
	case kObject:
		return w.statsObject(v, depth)
	}
	return nil, fmt.Errorf("expected a list of stats, found %s", kindText(v.k, []byte(v.text)))
}

// statsObject: an object where stats are expected holds them in its
// "stats" members (twice at most) and "stat" members (one stat or a list),
// read in order; without either it is one stat when it has a date, else
// OnApp's errors or an error naming its keys.
func (w *treeWalk) statsObject(v *tnode, depth int) ([]*tnode, error) {
	var entries []*tnode
	var first error
	holds := false
	for _, m := range v.members {
		switch {
		case m.key == "stats" && depth < 2:
			holds = true
			inner, err := w.statEntries(m.v, depth+1)
			if err != nil && first == nil {
				first = fmt.Errorf("stats: %w", err)
			}
			entries = append(entries, inner...)
		case m.key == "stat" && m.v.k == kList:
			holds = true
			entries = append(entries, m.v.items...)
		case m.key == "stat":
			holds = true
			entries = append(entries, m.v)
		}
	}
	switch {
	case holds:
		return entries, first
	case v.has("date"):
		return []*tnode{v}, nil
	}
	var msgs [2][]string
	var keys []string
	for _, m := range v.members {
		if !slices.Contains(keys, m.key) {
			keys = append(keys, m.key)
		}
		if m.key == "errors" {
			msgs[0] = treeMessages(msgs[0], "", m.v, 0)
		} else if m.key == "error" {
			msgs[1] = treeMessages(msgs[1], "", m.v, 0)
		}
	}
	if all := append(msgs[0], msgs[1]...); len(all) > 0 {
		return nil, fmt.Errorf("OnApp answered errors instead of stats: %s", strings.Join(all[:min(len(all), maxMessages)], "; "))
	}
	if len(keys) == 0 {
		return nil, errors.New("expected a list of stats, found an empty object {}")
	}
	slices.Sort(keys)
	var quoted []string
	for i, k := range keys {
		if i == 5 {
			quoted = append(quoted, "…")
			break
		}
		quoted = append(quoted, strconv.Quote(upstream.Quote(upstream.Shorten(k, 40))))
	}
	return nil, fmt.Errorf("expected stats, found an object with the keys %s", strings.Join(quoted, ", "))
}

func treeMessages(out []string, field string, v *tnode, depth int) []string {
	if len(out) >= maxMessages || depth > 3 {
		return out
	}
	switch v.k {
	case kText, kNumber:
		s := strings.TrimSpace(v.text)
		if s == "" {
			return out
		}
		if field != "" && field != "error" && field != "errors" && field != "base" {
			s = field + " " + s
		}
		return append(out, upstream.Quote(s))
	case kList:
		for _, item := range v.items {
			out = treeMessages(out, field, item, depth+1)
		}
	case kObject:
		members := slices.Clone(v.members)
		slices.SortStableFunc(members, func(a, b tmember) int { return strings.Compare(a.key, b.key) })
		for _, m := range members {
			out = treeMessages(out, m.key, m.v, depth+1)
		}
	}
	return out
}

func (w *treeWalk) entry(v *tnode) error {
	if v.k != kObject {
		return fmt.Errorf("expected an object, found %s", kindText(v.k, []byte(v.text)))
	}
	wrapped := len(v.members) > 0
	for _, m := range v.members {
		wrapped = wrapped && m.key == "stat"
	}
	if wrapped {
		inner := v.members[len(v.members)-1].v
		if inner.k != kObject {
			return fmt.Errorf("expected an object, found %s", kindText(inner.k, []byte(inner.text)))
		}
		v = inner
	}
	return w.stat(v)
}

func (w *treeWalk) stat(v *tnode) error {
	var date *tnode
	var own [2]tfigure
	var groupErr error
	base := len(w.a.samples)
	for _, m := range v.members {
		switch m.key {
		case "date":
			date = m.v
		case trafficCached, trafficNonCached:
			own[slices.Index(trafficKinds, m.key)] = treeFigure(m.v)
		case "resources", "resource", "locations", "location":
			if groupErr != nil {
				continue
			}
			dim := strings.TrimSuffix(m.key, "s")
			if w.a.dim != "" && w.a.dim != dim {
				groupErr = fmt.Errorf("stats grouped both by %s and by %s", w.a.dim, dim)
				continue
			}
			w.a.dim = dim
			if err := w.groups(m.v, dim); err != nil {
				groupErr = fmt.Errorf("%s: %w", m.key, err)
			}
		}
	}
	if date == nil {
		return errors.New("no date")
	}
	at, err := parseDate(date.k, []byte(date.text), w.loc)
	if err != nil {
		return err
	}
	var first []sample
	for k, f := range own {
		if f.err != nil {
			return fmt.Errorf("%s: %w", trafficKinds[k], f.err)
		}
		if f.set {
			first = append(first, sample{traffic: uint8(k), value: f.value})
		}
	}
	if groupErr != nil {
		return groupErr
	}
	w.a.samples = append(w.a.samples[:base], append(first, w.a.samples[base:]...)...)
	for i := base; i < len(w.a.samples); i++ {
		w.a.samples[i].at = at.UnixNano()
	}
	return nil
}

func (w *treeWalk) groups(v *tnode, dim string) error {
	switch v.k {
	case kNull:
		return nil
	case kList:
		for _, item := range v.items {
			if err := w.group(item, dim, true); err != nil {
				return err
			}
		}
		return nil
	case kObject:
		return w.group(v, dim, true)
	case kText:
		if strings.TrimSpace(v.text) == "" {
			return nil
		}
	}
	return fmt.Errorf("expected a list of groups, found %s", kindText(v.k, []byte(v.text)))
}

func (w *treeWalk) group(v *tnode, dim string, unwrap bool) error {
	if v.k != kObject {
		if v.k == kText && strings.TrimSpace(v.text) == "" {
			return nil
		}
		return fmt.Errorf("expected a %s object, found %s", dim, kindText(v.k, []byte(v.text)))
	}
	var figs [2]tfigure
	var ids [3]string
	for _, m := range v.members {
		switch i := slices.Index([]string{"id", dim + "_id", "cdn_reference"}, m.key); {
		case m.key == dim && unwrap && m.v.k == kObject:
			if err := w.group(m.v, dim, false); err != nil {
				return err
			}
		case isDigits(m.key):
			if m.v.k != kObject {
				return fmt.Errorf("%s %s: expected an object, found %s", dim, upstream.Quote(m.key), kindText(m.v.k, []byte(m.v.text)))
			}
			var f [2]tfigure
			for _, fm := range m.v.members {
				if k := slices.Index(trafficKinds, fm.key); k >= 0 {
					f[k] = treeFigure(fm.v)
				}
			}
			if err := w.add(m.key, f); err != nil {
				return fmt.Errorf("%s %s: %w", dim, upstream.Quote(m.key), err)
			}
		case slices.Index(trafficKinds, m.key) >= 0:
			figs[slices.Index(trafficKinds, m.key)] = treeFigure(m.v)
		case i >= 0:
			ids[i] = ""
			if m.v.k == kText || m.v.k == kNumber {
				ids[i] = strings.TrimSpace(m.v.text)
			}
		}
	}
	if !figs[0].present && !figs[1].present {
		return nil
	}
	for _, id := range ids {
		if isDigits(id) {
			return w.add(id, figs)
		}
	}
	return fmt.Errorf("a %s entry has figures but no numeric id", dim)
}

func (w *treeWalk) add(id string, figs [2]tfigure) error {
	for k, f := range figs {
		if f.err != nil {
			return fmt.Errorf("%s: %w", trafficKinds[k], f.err)
		}
	}
	g, ok := w.a.ids[id]
	if !ok {
		if w.a.ids == nil {
			w.a.ids = map[string]uint32{}
		}
		w.a.groups = append(w.a.groups, id)
		g = uint32(len(w.a.groups))
		w.a.ids[id] = g
	}
	for k, f := range figs {
		if f.set {
			w.a.samples = append(w.a.samples, sample{group: g, traffic: uint8(k), value: f.value})
		}
	}
	return nil
}

// tfigure is a figure as read: present or not, with a value or not, or
// the error of its text.
type tfigure struct {
	present, set bool
	value        float64
	err          error
}

func treeFigure(v *tnode) tfigure {
	switch v.k {
	case kNull:
		return tfigure{present: true}
	case kText, kNumber:
		s := strings.TrimSpace(v.text)
		if s == "" {
			return tfigure{present: true}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return tfigure{present: true, err: fmt.Errorf("%q is not a number", upstream.Quote(s))}
		}
		return tfigure{present: true, set: true, value: f}
	}
	return tfigure{present: true, err: fmt.Errorf("expected a number, found %s", kindText(v.k, []byte(v.text)))}
}

// sameAnswer fails unless the reader's answer is the tree's: the same dim
// and the same samples in the same order, or the same error.
func sameAnswer(t *testing.T, doc []byte, got answer, err error, want answer, werr error) {
	t.Helper()
	if (err == nil) != (werr == nil) {
		t.Fatalf("%.300q:\nreader %v\ntree   %v", doc, err, werr)
	}
	if err != nil {
		// Invalid UTF-8 is replaced differently (encoding/json per byte,
		// upstream.Quote per run); the messages are checked elsewhere.
		if utf8.Valid(doc) && err.Error() != werr.Error() {
			t.Fatalf("%.300q:\nreader %v\ntree   %v", doc, err, werr)
		}
		return
	}
	if got.dim != want.dim || len(got.samples) != len(want.samples) {
		t.Fatalf("%.300q:\nreader %s\ntree   %s", doc, describe(got), describe(want))
	}
	for i, s := range got.samples {
		w := want.samples[i]
		if s.at != w.at || got.groupOf(s) != want.groupOf(w) || s.traffic != w.traffic || math.Float64bits(s.value) != math.Float64bits(w.value) {
			t.Fatalf("%.300q: sample %d is %+v, the tree's %+v", doc, i, s, w)
		}
	}
}

// checkJSONTree: readJSON reads doc as the walk of encoding/json's tree of
// it does (a document encoding/json refuses is refused).
func checkJSONTree(t *testing.T, doc []byte) {
	t.Helper()
	got, err := readJSON(doc, time.UTC)
	root, terr := jsonTree(doc)
	if terr != nil {
		if err == nil {
			t.Fatalf("%.300q: read, and encoding/json refuses it: %v", doc, terr)
		}
		return
	}
	want, werr := (&treeWalk{loc: time.UTC}).read(root)
	sameAnswer(t, doc, got, err, want, werr)
}

// checkXMLTree: readXML reads doc as the walk of its tree does.
func checkXMLTree(t *testing.T, doc []byte) {
	t.Helper()
	got, err := readXML(doc, time.UTC)
	root, terr := xmlTree(doc)
	if terr != nil {
		if err == nil || err.Error() != strings.Replace(terr.Error(), "XML nests too deep", "not an answer OnApp sends", 1) {
			t.Fatalf("%.300q: the reader says %v, the tokens %v", doc, err, terr)
		}
		return
	}
	want, werr := (&treeWalk{loc: time.UTC}).read(root)
	sameAnswer(t, doc, got, err, want, werr)
}

// TestReadersAreTheTree: the answers of testdata, the benchmarks' large
// answers and odd forms read as their trees do.
func TestReadersAreTheTree(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.upstream.*"))
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata answers", err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".xml") {
			checkXMLTree(t, doc)
		} else {
			checkJSONTree(t, doc)
		}
	}
	checkJSONTree(t, newBenchAnswer(t, "json").body)
	checkXMLTree(t, newBenchAnswer(t, "xml").body)
	for _, doc := range []string{
		`[]`, ` [ ] `, `{"stats":[]}`, `{"stats":{"stat":[]}}`, `{"stats":[],"date":"x"}`, `[] []`, `[{}]`, `[1]`, `[null]`,
		`[{"stat":{"non_cached":"0.5","cached":-0,"date":"2024-06-01T00:00:00+02:00"}}]`,
		`[{"date":"2024-06-01 00:00","cached":" 1 ","non_cached":""},{"date":1717200000,"cached":null}]`,
		`[{"date":"2024-06-01T00:00:00Z","cached":1,"cached":2}]`, `[{"date":1.5,"cached":1}]`,
		`[{"stat":{"date":"2024-06-01T00:00:00Z"},"x":1}]`, `[{"x":1,"stat":{"date":"2024-06-01T00:00:00Z"}}]`,
		`[{"stat":{"date":"2024-06-01T00:00:00Z","cached":1},"stat":{"date":"2024-06-02T00:00:00Z","cached":2}}]`,
		`{"stats":[{"stat":{"date":"2024-06-01T00:00:00Z","cached":1}}],"date":"2024-06-02T00:00:00Z","cached":3}`,
		`{"cached":3,"stat":{"date":"2024-06-01T00:00:00Z","cached":1},"stats":[{"date":"2024-06-02T00:00:00Z","cached":3}]}`,
		`{"stats":{"stats":{"stats":[]}}}`, `{"errors":{"b":["x"],"a":["y",{"c":"z"}]},"error":"w"}`,
		`[{"stat":{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"977655738":{"cached":1,"non_cached":"2"}}},{"resource":{"0012":{}}},{"id":"7","resource":{"8":{"cached":1}},"cached":2,"9":{"cached":3}}]}}]`,
		`[{"stat":{"date":"2024-06-02T00:00:00Z","cached":7,"locations":[{"location":{"532":{"non_cached":1,"cached":2}}}]}},{"stat":{"date":"2024-06-01T00:00:00Z","locations":[]}}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[]},{"date":"2024-06-01T00:00:00Z","locations":[]}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"1":{"cached":1}}],"resources":[{"2":{"cached":2}}]}]`,
		`[{"date":"2024-06-01\u0054","cached":1}]`, `[{"date":"2024-06-01T00:00:00Z","\u0063ached":1,"resources":[{"\u0031":{"cached":1}}]}]`,
		`<stats type="array"/>`, `<stats/>`, "<?xml version=\"1.0\"?>\n<!-- c --><stats>\n</stats>\n", `<stats nil="true"/>`,
		`<stats><stat><date type="datetime"> 2014-11-26T18:25:00+02:00 </date><cached type="float">1.5</cached><non_cached nil="true"/></stat></stats>`,
		`<stats><stat><non_cached>2</non_cached><date>2014-11-26T18:25</date><cached/></stat><stat><date>2014-11-27T18:25</date></stat></stats>`,
		`<stats type='array'><stat><date>2014-11-26T00:00:00Z</date><resources type="array"><resource><1><non_cached>2</non_cached><cached>1</cached></1></resource><resource><!-- x --><1><cached>3</cached></1></resource></resources></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>9</cached><locations><location><532><cached>1</cached></532></location></locations></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><resources><resource><1>5</1></resource></resources></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date></stat><date>2014-11-27T00:00:00Z</date></stats>`,
		`<stats type="array"><stat type="array"><date>2014-11-26T00:00:00Z</date></stat><x/></stats>`,
		`<errors><error>start is invalid</error><error>type is invalid</error></errors>`,
		// Where stats are expected, "stats" and "stat" are read in order; a date makes a stat only without them.
		`{"stats":[{"date":"2024-06-01T00:00:00Z","cached":1}],"stat":{"date":"2024-06-02T00:00:00Z","cached":2},"date":"x"}`,
		`{"stats":{"date":"2024-06-01T00:00:00Z","cached":1},"stats":{"stats":{"date":"2024-06-02T00:00:00Z"}}}`,
		`{"stats":{"stats":{"stat":[{"stat":{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"1":{"cached":[[[[1]]]],"non_cached":2}}}]}}]}}}`,
		`{"stats":{"stats":{"stat":[{"stat":{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"1":{"cached":{"a":[[[1]]]}}}}]}}]}}}`,
		// Values nested past the tree's depth are skipped, their containers kept.
		`[{"date":"2024-06-01T00:00:00Z","cached":1,"x":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}]`,
		`{"stats":{"stats":{"errors":{"a":[["x",["y",["z"]]]],"b":{"c":{"d":{"e":"f"}}}}}}}`,
		`<stats><stats><stat type="array"><stat><date>2014-11-26T00:00:00Z</date><resources type="array"><resource><1><cached><a><b><c><d>1</d></c></b></a></cached></1></resource></resources></stat></stat></stats></stats>`,
		`<stats type="array"><stat><date>2014-11-26T00:00:00Z</date><x>` + strings.Repeat("<y>", 20) + strings.Repeat("</y>", 20) + `</x><cached>1</cached></stat></stats>`,
	} {
		if doc[0] == '<' {
			checkXMLTree(t, []byte(doc))
		} else {
			checkJSONTree(t, []byte(doc))
		}
	}
}
