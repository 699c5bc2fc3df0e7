package onapp

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sameAnswer fails unless the fast reader's answer is exactly the tolerant
// reader's: the same dim and the same samples in the same order.
func sameAnswer(t *testing.T, doc []byte, fast, tree answer) {
	t.Helper()
	if fast.dim != tree.dim || len(fast.samples) != len(tree.samples) {
		t.Fatalf("%.200q:\nfast %s\ntree %s", doc, describe(fast), describe(tree))
	}
	for i, f := range fast.samples {
		w := tree.samples[i]
		if f.at != w.at || fast.groupOf(f) != tree.groupOf(w) || f.traffic != w.traffic || f.value != w.value || (f.value == 0 && (1/f.value > 0) != (1/w.value > 0)) {
			t.Fatalf("%.200q: sample %d is %+v, the tolerant reader's %+v", doc, i, f, w)
		}
	}
}

// checkFastJSON: when the fast reader accepts doc, the tolerant reader reads
// it into the same answer.
func checkFastJSON(t *testing.T, doc []byte, loc *time.Location) bool {
	t.Helper()
	fast, ok := readJSONFast(doc, loc)
	if !ok {
		return false
	}
	tree, err := readJSONTree(doc, loc)
	if err != nil {
		t.Fatalf("%.200q: the fast reader accepts what the tolerant reader refuses (%v)", doc, err)
	}
	sameAnswer(t, doc, fast, tree)
	return true
}

func checkFastXML(t *testing.T, doc []byte, loc *time.Location) bool {
	t.Helper()
	fast, ok := readXMLFast(doc, loc)
	if !ok {
		return false
	}
	tree, err := readXMLTree(doc, loc)
	if err != nil {
		t.Fatalf("%.200q: the fast reader accepts what the tolerant reader refuses (%v)", doc, err)
	}
	sameAnswer(t, doc, fast, tree)
	return true
}

// TestFastReadersTakeTheDocumentedForms: the answers of testdata, the
// documentation's examples and the benchmarks' large answer are read in one
// pass, into exactly what the tolerant readers read.
func TestFastReadersTakeTheDocumentedForms(t *testing.T) {
	athens := mustZone("Europe/Athens")
	files, err := filepath.Glob(filepath.Join("testdata", "*.upstream.*"))
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata answers", err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if strings.HasSuffix(f, ".xml") {
			ok = checkFastXML(t, doc, athens)
		} else {
			ok = checkFastJSON(t, doc, athens)
		}
		// Two answers show the tolerant reader's other forms on purpose
		// ({"stats": {"stat": […]}}, groups keyed in one object, ids beside
		// the figures): those may go to the tolerant reader.
		tolerant := strings.Contains(f, "numeric_strings_json") || strings.Contains(f, "reports_json")
		if !ok && !tolerant {
			t.Errorf("%s: the fast reader gave up on a documented form", f)
		}
	}
	for _, format := range []string{"json", "xml"} {
		a := newBenchAnswer(t, format)
		if format == "xml" && !checkFastXML(t, a.body, athens) || format == "json" && !checkFastJSON(t, a.body, athens) {
			t.Errorf("the benchmarks' %s answer is not read in one pass", format)
		}
	}
}

// TestFastReadersGiveUpOnOtherForms: anything else goes to the tolerant
// readers, which read it as before (or refuse it with their own message).
func TestFastReadersGiveUpOnOtherForms(t *testing.T) {
	jsonDocs := []string{
		``, `null`, `"x"`, `{}`, `{"foo":1}`, `[1]`, `[{}]`, `[{"stat":"x"}]`,
		`[{"date":"2024-06-01T00:00:00Z","cached":true}]`,
		`[{"date":"2024-06-01T00:00:00Z","cached":"1e999"}]`,
		`[{"date":"2024-06-01T00:00:00Z","cached":1,"cached":2}]`,
		`[{"date":"2024-06-01T00:00:00Z","unit":"GB","cached":1}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"1":{"cached":1},"2":{"cached":2}}}]}]`,
		`[{"date":"2024-06-01T00:00:00Z","locations":{"532":{"cached":1}}}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[],"locations":[]}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[]},{"date":"2024-06-01T00:00:00Z","locations":[]}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"location":{"1":{"cached":1}}}]}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"x":{"cached":1}}}]}]`,
		`[{"date":"2024-06-01\u0054","cached":1}]`, `[{"date":"2024-06-01T00:00:00Z","cached":01}]`,
		`[{"date":"yesterday","cached":1}]`, `[{"cached":1}]`, `[{"date":1.5,"cached":1}]`,
		`{"stats":{"stat":[]}}`, `{"stats":[],"date":"x"}`, `[] []`, `[{"stat":{"date":"2024-06-01T00:00:00Z"},"x":1}]`,
	}
	for _, doc := range jsonDocs {
		if _, ok := readJSONFast([]byte(doc), time.UTC); ok {
			t.Errorf("%s: the fast reader took it", doc)
		}
	}
	xmlDocs := []string{
		``, `<stat><date>2014-11-26T00:00:00Z</date></stat>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>&#49;</cached></stat></stats>`,
		`<stats><stat><date><![CDATA[2014-11-26T00:00:00Z]]></date></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>1<!-- x -->2</cached></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><unit>GB</unit></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>1</cached><cached>2</cached></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><resources><resource><1><cached>1</cached></1><2><cached>2</cached></2></resource></resources></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><resources><resource><1>5</1></resource></resources></stat></stats>`,
		`<stats><stat><date nil="true"/></stat></stats>`, `<stats><stat><cached>1</cached></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached type="array"/></stat></stats>`,
		`<stats nil="true"><stat><date>2014-11-26T00:00:00Z</date></stat></stats>`,
		`<stats type = "array"><stat><date>2014-11-26T00:00:00Z</date></stat></stats>`,
		`<stats>junk<stat><date>2014-11-26T00:00:00Z</date></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date></stat ></stats>`,
		`<stats/><stats/>`, `<!DOCTYPE stats><stats/>`, `<stats></stat>`,
	}
	for _, doc := range xmlDocs {
		if _, ok := readXMLFast([]byte(doc), time.UTC); ok {
			t.Errorf("%s: the fast reader took it", doc)
		}
	}
}

// TestFastReadersMatchOnVariants: small changes of the documented forms,
// each read by the fast reader (or not) and always as the tolerant one does.
func TestFastReadersMatchOnVariants(t *testing.T) {
	paris := mustZone("Europe/Paris")
	jsonDocs := []string{
		`[]`, ` [ ] `, `{"stats":[]}`,
		`[{"stat":{"date":"2024-06-01T00:00:00+02:00","cached":1.5,"non_cached":"0.5"}}]`,
		`[{"stat":{"non_cached":"0.5","cached":-0,"date":"2024-06-01T00:00:00+02:00"}}]`,
		`[{"date":"2024-06-01 00:00","cached":" 1 ","non_cached":""},{"date":1717200000,"cached":null}]`,
		`{"stats":[{"stat":{"date":"2024-06-01T00:00:00Z","cached":1e3}}]}`,
		`[{"stat":{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"977655738":{"cached":1,"non_cached":"2"}}},{"resource":{"977655738":{"cached":3}}},{"resource":{"0012":{}}}]}}]`,
		`[{"stat":{"date":"2024-06-02T00:00:00Z","cached":7,"locations":[{"location":{"532":{"non_cached":1,"cached":2}}}]}},{"stat":{"date":"2024-06-01T00:00:00Z","locations":[]}}]`,
		`[{"stat":{"date":"2024-06-01T00:00:00Z","resources":[]}},{"stat":{"date":"2024-06-02T00:00:00Z","cached":1}}]`,
	}
	for _, doc := range jsonDocs {
		if !checkFastJSON(t, []byte(doc), paris) {
			t.Errorf("%s: the fast reader gave up", doc)
		}
	}
	xmlDocs := []string{
		`<stats type="array"/>`, `<stats/>`, "<?xml version=\"1.0\"?>\n<!-- c --><stats>\n</stats>\n",
		`<stats><stat><date type="datetime"> 2014-11-26T18:25:00+02:00 </date><cached type="float">1.5</cached><non_cached nil="true"/></stat></stats>`,
		`<stats><stat><non_cached>2</non_cached><date>2014-11-26T18:25</date><cached/></stat><stat><date>2014-11-27T18:25</date></stat></stats>`,
		`<stats type='array'><stat><date>2014-11-26T00:00:00Z</date><resources type="array"><resource><1><non_cached>2</non_cached><cached>1</cached></1></resource><resource><!-- x --><1><cached>3</cached></1></resource></resources></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>9</cached><locations><location><532><cached>1</cached></532></location></locations></stat></stats>`,
		`<stats><stat><date>2014-11-26T00:00:00Z</date><locations type="array"/></stat></stats>`,
	}
	for _, doc := range xmlDocs {
		if !checkFastXML(t, []byte(doc), paris) {
			t.Errorf("%s: the fast reader gave up", doc)
		}
	}
}

// FuzzFastJSON: whatever the fast JSON reader accepts, the tolerant reader
// reads into the same answer.
func FuzzFastJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.upstream.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`[{"stat":{"date":"2024-06-01T00:00:00Z","cached":1,"resources":[{"resource":{"1":{"cached":"2"}}}]}}]`))
	// Nesting past the limit, and invalid UTF-8 in keys, ids and figures.
	for _, seed := range hostileJSONSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkFastJSON(t, doc, time.UTC)
	})
}

// FuzzFastXML: whatever the fast XML reader accepts, the tolerant reader
// reads into the same answer.
func FuzzFastXML(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.upstream.xml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<stats type="array"><stat><date>2014-11-26T00:00:00Z</date><resources type="array"><resource><1><cached>1</cached></1></resource></resources></stat></stats>`))
	// Nesting past the limit, and invalid UTF-8 in names, ids and figures.
	for _, seed := range hostileXMLSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkFastXML(t, doc, time.UTC)
	})
}

// TestExactDecimalIsParseFloat: the figures read without strconv are exactly
// what strconv.ParseFloat reads, and the others are left to it.
func TestExactDecimalIsParseFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"0", "-0", "+0", "0.0", "1.", ".5", "+.5", "007.50", "2.0390744709999997", "0.22656379899999998",
		"9007199254740992", "9007199254740993", "1.4193601249999999", "123456789012345678901", "1e3", "-", ".", "", "1_0", "0x10", "1.2.3"}
	for range 200000 {
		v := r.Float64() * math.Pow(10, float64(r.IntN(20)-10))
		if r.IntN(2) == 0 {
			v = -v
		}
		inputs = append(inputs, strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(v, 'f', r.IntN(12), 64))
	}
	took := 0
	for _, in := range inputs {
		got, ok := exactDecimal(in)
		if !ok {
			continue
		}
		took++
		want, err := strconv.ParseFloat(in, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v (%x), strconv reads %v (%x, %v)", in, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	}
	if took < len(inputs)/3 {
		t.Errorf("only %d of %d figures read without strconv", took, len(inputs))
	}
}

func FuzzExactDecimal(f *testing.F) {
	f.Add("1.4193601249999999")
	f.Add("-0.5")
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := exactDecimal(in)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(in, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v, strconv reads %v (%v)", in, got, want, err)
		}
	})
}
