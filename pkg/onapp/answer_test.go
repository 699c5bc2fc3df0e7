package onapp

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/opsdeck/servicestats/pkg/models"
)

// describe writes an answer compactly: dim, then one line per sample in a
// stable order.
func describe(a answer) string {
	lines := make([]string, 0, len(a.samples))
	for _, s := range a.samples {
		lines = append(lines, fmt.Sprintf("%s %s %s=%v", time.Unix(0, s.at).UTC().Format(time.RFC3339), a.groupOf(s), trafficKinds[s.traffic], s.value))
	}
	slices.Sort(lines)
	return a.dim + ";" + strings.Join(lines, ";")
}

func TestReadXML(t *testing.T) {
	athens := mustZone("Europe/Athens")
	cases := []struct {
		name, doc, want string
	}{
		{"numeric element names", `<stats type="array"><stat><date type="datetime">2014-11-26T18:25:00+02:00</date><locations type="array"><location><532><cached type="float">1.5</cached><non_cached type="float">0.0</non_cached></532></location></locations></stat></stats>`,
			"location;2014-11-26T16:25:00Z 532 cached=1.5;2014-11-26T16:25:00Z 532 non_cached=0"},
		{"prolog, comments, CDATA, entities, spaced attributes", "<?xml version=\"1.0\"?>\n<!-- x -->\n<stats type = 'array'><stat><date><![CDATA[2014-11-26T18:25:00+02:00]]></date><cached>&#49;.5</cached><non_cached>&#x32;</non_cached></stat></stats>",
			";2014-11-26T16:25:00Z  cached=1.5;2014-11-26T16:25:00Z  non_cached=2"},
		{"nil figure", `<stats type="array"><stat><date>2014-11-26T18:25:00+02:00</date><cached nil="true"/><non_cached>1</non_cached></stat></stats>`,
			";2014-11-26T16:25:00Z  non_cached=1"},
		{"date without offset is in the OnApp zone", `<stats><stat><date>2014-11-26T18:25</date><cached>1</cached></stat></stats>`,
			";2014-11-26T16:25:00Z  cached=1"},
		{"several unwrapped stats", `<stats><stat><date>2014-11-26T00:00:00Z</date><cached>1</cached></stat><stat><date>2014-11-27T00:00:00Z</date><cached>2</cached></stat></stats>`,
			";2014-11-26T00:00:00Z  cached=1;2014-11-27T00:00:00Z  cached=2"},
		{"groups keyed in one element", `<stats><stat><date>2014-11-26T00:00:00Z</date><resources><resource><1><cached>1</cached></1><2><cached>2</cached></2></resource></resources></stat></stats>`,
			"resource;2014-11-26T00:00:00Z 1 cached=1;2014-11-26T00:00:00Z 2 cached=2"},
		{"empty answer", `<stats type="array"/>`, ";"},
		{"empty groups", `<stats type="array"><stat><date>2014-11-26T00:00:00Z</date><resources type="array"/></stat></stats>`, "resource;"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := readXML([]byte(tc.doc), athens)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(a); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestReadXMLRejectsGarbage(t *testing.T) {
	cases := map[string]string{
		"":                        "root elements",
		"hello":                   "text outside its root element",
		"<stats>":                 "truncated",
		"<stats></stat>":          "does not match",
		"</stats>":                "closes nothing",
		"<stats/><stats/>":        "second root element",
		"<stats><!-- x</stats>":   "comment never ends",
		"<stats a=\"1></stats>":   "never closed",
		"< stats/>":               "starts no tag",
		"<a>" + nest(40) + "</a>": "nests deeper",
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>NaN</cached></stat></stats>`: `"NaN" is not a number`,
		`<stats><stat><cached>1</cached></stat></stats>`:                                    "no date",
		`<stats><stat><date>yesterday</date></stat></stats>`:                                `date "yesterday" is not a time`,
	}
	for doc, want := range cases {
		_, err := readXML([]byte(doc), time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: got %v, want an error with %q", doc, err, want)
		}
	}
}

func nest(n int) string { return strings.Repeat("<a>", n) + strings.Repeat("</a>", n) }

func TestReadJSON(t *testing.T) {
	paris := mustZone("Europe/Paris")
	cases := []struct {
		name, doc, want string
	}{
		{"legacy wrapped", `[{"stat":{"date":"2024-06-01T00:00:00+02:00","cached":1.5,"non_cached":"0.5"}}]`,
			";2024-05-31T22:00:00Z  cached=1.5;2024-05-31T22:00:00Z  non_cached=0.5"},
		{"bare objects", `[{"date":"2024-06-01T00:00:00+02:00","cached":"1"}]`, ";2024-05-31T22:00:00Z  cached=1"},
		{"reports root", `{"stats":[{"stat":{"date":"2024-06-01T00:00:00Z","cached":1}}]}`, ";2024-06-01T00:00:00Z  cached=1"},
		{"stats of stat", `{"stats":{"stat":[{"date":"2024-06-01T00:00:00Z","cached":1}]}}`, ";2024-06-01T00:00:00Z  cached=1"},
		{"one stat", `{"stat":{"date":"2024-06-01T00:00:00Z","cached":1}}`, ";2024-06-01T00:00:00Z  cached=1"},
		{"grouped by id keys", `[{"stat":{"date":"2024-06-01T00:00:00Z","resources":[{"resource":{"977655738":{"cached":1,"non_cached":"2"}}}]}}]`,
			"resource;2024-06-01T00:00:00Z 977655738 cached=1;2024-06-01T00:00:00Z 977655738 non_cached=2"},
		{"grouped object keyed", `[{"stat":{"date":"2024-06-01T00:00:00Z","locations":{"532":{"cached":1},"331":{"cached":2}}}}]`,
			"location;2024-06-01T00:00:00Z 331 cached=2;2024-06-01T00:00:00Z 532 cached=1"},
		{"grouped with id fields", `[{"stat":{"date":"2024-06-01T00:00:00Z","locations":[{"location":{"location_id":"532","cached":1}},{"id":331,"cached":2}]}}]`,
			"location;2024-06-01T00:00:00Z 331 cached=2;2024-06-01T00:00:00Z 532 cached=1"},
		{"epoch dates", `[{"date":1717200000,"cached":1},{"date":1717286400000,"cached":2}]`,
			";2024-06-01T00:00:00Z  cached=1;2024-06-02T00:00:00Z  cached=2"},
		{"local date", `[{"date":"2024-06-01 00:00:00","cached":1}]`, ";2024-05-31T22:00:00Z  cached=1"},
		{"nulls and empty strings are no figure", `[{"date":"2024-06-01T00:00:00Z","cached":null,"non_cached":""}]`, ";"},
		{"empty", `[]`, ";"},
		{"empty reports root", `{"stats":[]}`, ";"},
		{"extra fields are ignored", `[{"stat":{"date":"2024-06-01T00:00:00Z","cached":1,"unit":"GB","resources":[{"resource":{"note":"x"}}]}}]`,
			"resource;2024-06-01T00:00:00Z  cached=1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := readJSON([]byte(tc.doc), paris)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(a); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestReadJSONRejectsGarbage(t *testing.T) {
	cases := map[string]string{
		`{"stats":`: "unexpected EOF",
		`[1] [2]`:   "data after its end",
		`"hello"`:   "found the text",
		`42`:        "found the number 42",
		`{"foo":1}`: `keys "foo"`,
		// Answers of the wrong shape are errors, never an empty answer.
		`null`:                                  "expected a list of stats, found null",
		`{}`:                                    "expected a list of stats, found an empty object {}",
		`{"stats":{}}`:                          "stats: expected a list of stats, found an empty object {}",
		`{"stats":null}`:                        "stats: expected a list of stats, found null",
		`{"data":[],"total":0}`:                 `found an object with the keys "data", "total"`,
		`{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1}`: `keys "a", "b", "c", "d", "e", …`,
		// Dates a frame cannot hold (UnixNano would overflow).
		`[{"date":"0001-01-01T00:00:00Z","cached":1}]`:                            `date "0001-01-01T00:00:00Z" lies outside the years Grafana can show (1677 to 2262)`,
		`[{"date":"9999-12-31 00:00","cached":1}]`:                                "lies outside the years Grafana can show",
		`[{"date":99999999999,"cached":1}]`:                                       `date "99999999999" lies outside`,
		`[{"date":-99999999999999,"cached":1}]`:                                   "lies outside the years",
		`[{"stat":"x"}]`:                                                          "expected an object",
		`[{"date":"2024-06-01T00:00:00Z","cached":true}]`:                         "expected a number, found true",
		`[{"date":"2024-06-01T00:00:00Z","cached":"1e999"}]`:                      "is not a number",
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"id":"x","cached":1}]}]`:   "no numeric id",
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"1":5}]}]`:                 "resource 1: expected an object",
		`[{"date":"2024-06-01T00:00:00Z","resources":[],"locations":[{"1":{}}]}]`: "grouped both by resource and by location",
		`[{"date":[1]}]`: "date: expected a time",
	}
	for doc, want := range cases {
		_, err := readJSON([]byte(doc), time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", doc, err, want)
		}
	}
}

// TestSampleSize: a sample stays smaller than the bytes of the figure it
// was read from, which the memory bound of a fresh process counts on.
func TestSampleSize(t *testing.T) {
	if size := unsafe.Sizeof(sample{}); size != 24 || size > jsonBytesPerFigure {
		t.Fatalf("a sample takes %d bytes, want 24", size)
	}
}

// hostileInputs are pathological answers of a few hundred KB to a few MB,
// n copies of a construct each: a quadratic reader would take minutes on
// them.
func hostileInputs(n int) (xmlDocs, jsonDocs map[string]string) {
	stat := `<stat><date>2024-06-01T00:00:00Z</date><resources type="array"><resource><1><cached>1</cached></1></resource></resources></stat>`
	xmlDocs = map[string]string{
		"many stats":        "<stats>" + strings.Repeat(stat, n/32) + "</stats>",
		"many comments":     "<a>" + strings.Repeat("<!---->", n) + "</a>",
		"unclosed comments": strings.Repeat("<!--", n),
		"many ampersands":   "<a>" + strings.Repeat("&", n) + "</a>",
		"many entities":     "<a>" + strings.Repeat("&amp;&#65;&bogus;", n) + "</a>",
		"many siblings":     "<a>" + strings.Repeat("<b/>", n) + "</a>",
		"mixed siblings":    "<a>" + strings.Repeat("<b/><c/>", n) + "</a>",
		"deep nesting":      strings.Repeat("<a>", n),
		"many attributes":   "<a " + strings.Repeat(`x="1" `, n) + "/>",
		"unclosed quotes":   strings.Repeat(`<a b="`, n),
	}
	jsonDocs = map[string]string{
		"many stats": "[" + strings.Repeat(`{"stat":{"date":"2024-06-01T00:00:00Z","locations":[{"location":{"1":{"cached":"1"}}}]}},`, n/16) + `{"date":"2024-06-01T00:00:00Z"}]`,
		"deep lists": strings.Repeat("[", n),
	}
	return xmlDocs, jsonDocs
}

// TestReadersAnswerHostileInputs: the pathological inputs are answered or
// refused, never a panic or a hang (the test binary's timeout). How their
// time grows with their size is BenchmarkReadersHostileInputs' business:
// speed is measured, never asserted.
func TestReadersAnswerHostileInputs(t *testing.T) {
	xmlDocs, jsonDocs := hostileInputs(1 << 18)
	for name, doc := range xmlDocs {
		if a, err := readXML([]byte(doc), time.UTC); err == nil {
			checkAnswer(t, a)
		} else if !utf8.ValidString(err.Error()) {
			t.Errorf("XML %s: the error is not valid UTF-8", name)
		}
	}
	for name, doc := range jsonDocs {
		if a, err := readJSON([]byte(doc), time.UTC); err == nil {
			checkAnswer(t, a)
		} else if !utf8.ValidString(err.Error()) {
			t.Errorf("JSON %s: the error is not valid UTF-8", name)
		}
	}
}

// BenchmarkReadersHostileInputs reads each pathological input at two sizes
// and reports the time per construct at each: a linear reader keeps
// ns/construct about the same from n to 4n; a quadratic one multiplies it by 4.
func BenchmarkReadersHostileInputs(b *testing.B) {
	for _, n := range []int{1 << 16, 1 << 18} {
		xmlDocs, jsonDocs := hostileInputs(n)
		for name, doc := range xmlDocs {
			b.Run(fmt.Sprintf("xml/%s/n=%d", name, n), func(b *testing.B) {
				for b.Loop() {
					_, _ = readXML([]byte(doc), time.UTC)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/construct")
			})
		}
		for name, doc := range jsonDocs {
			b.Run(fmt.Sprintf("json/%s/n=%d", name, n), func(b *testing.B) {
				for b.Loop() {
					_, _ = readJSON([]byte(doc), time.UTC)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/construct")
			})
		}
	}
}

// checkAnswer is what every successful read must satisfy.
func checkAnswer(t *testing.T, a answer) {
	t.Helper()
	if a.dim != "" && a.dim != "resource" && a.dim != "location" {
		t.Fatalf("dim %q", a.dim)
	}
	for _, s := range a.samples {
		if math.IsNaN(s.value) || math.IsInf(s.value, 0) {
			t.Fatalf("non-finite value %v", s.value)
		}
		if !models.InFrameRange(time.Unix(0, s.at)) {
			t.Fatalf("date %v outside what a frame holds", s.at)
		}
		if int(s.traffic) >= len(trafficKinds) {
			t.Fatalf("traffic %d", s.traffic)
		}
		if int(s.group) > len(a.groups) {
			t.Fatalf("group %d of %d", s.group, len(a.groups))
		}
		if g := a.groupOf(s); s.group != 0 && !isDigits(g) {
			t.Fatalf("group %q", g)
		}
	}
	buildFrames(a, frameSpec{dim: a.dim, unit: unitGB, step: day, name: noNames})
}

// checkMessage fails when a reader's error could not stand in a message:
// invalid UTF-8 or unbounded.
func checkMessage(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); !utf8.ValidString(msg) || len(msg) > 2048 {
		t.Fatalf("%d bytes, valid UTF-8 %v: %.200q", len(msg), utf8.ValidString(msg), msg)
	}
}

// FuzzReadXML is seeded with the two XML answers of the OnApp
// documentation, verbatim, and the testdata answers: the reader reads each
// input as the tree decode of the same bytes does (checkXMLTree).
func FuzzReadXML(f *testing.F) {
	for _, name := range []string{"doc_grouped_resource", "doc_ungrouped", "reports_xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".upstream.xml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<errors><error>start is invalid</error></errors>`))
	f.Add([]byte(`<a><![CDATA[x]]>&#x41;&amp;<b nil="true"/></a>`))
	// Nesting past the limit, and invalid UTF-8 in names, ids and figures.
	for _, seed := range hostileXMLSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkXMLTree(t, doc)
		a, err := readXML(doc, time.UTC)
		if err != nil {
			checkMessage(t, err)
			return
		}
		checkAnswer(t, a)
		responseMessages(doc)
	})
}

// FuzzReadJSON is seeded with the JSON answers of testdata: the reader
// reads each input as encoding/json's tree of the same bytes does
// (checkJSONTree).
func FuzzReadJSON(f *testing.F) {
	matches, err := filepath.Glob(filepath.Join("testdata", "*.upstream.json"))
	if err != nil || len(matches) == 0 {
		f.Fatal("no JSON seeds", err)
	}
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"errors":{"start":["is invalid"]}}`))
	// Nesting past the limit, and invalid UTF-8 in keys, ids and figures.
	for _, seed := range hostileJSONSeeds() {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkJSONTree(t, doc)
		a, err := readJSON(doc, time.UTC)
		if err != nil {
			checkMessage(t, err)
			return
		}
		checkAnswer(t, a)
		responseMessages(doc)
	})
}

// TestDocumentedExamples: the two XML outputs of the documentation read
// into exactly the figures they show (the golden tests show the frames).
func TestDocumentedExamples(t *testing.T) {
	athens := mustZone("Europe/Athens")
	cases := map[string]string{
		"doc_ungrouped": ";2014-11-25T16:25:00Z  cached=2.0390744709999997;2014-11-25T16:25:00Z  non_cached=0.22656379899999998;" +
			"2014-11-26T16:25:00Z  cached=2.8387202499999997;2014-11-26T16:25:00Z  non_cached=0",
		"doc_grouped_resource": "resource;" +
			"2014-11-25T16:25:00Z 389478438 cached=0.425808007;2014-11-25T16:25:00Z 389478438 non_cached=0.047311991;" +
			"2014-11-25T16:25:00Z 725618714 cached=1.187458449;2014-11-25T16:25:00Z 725618714 non_cached=0.13193981700000001;" +
			"2014-11-25T16:25:00Z 977655738 cached=0.425808015;2014-11-25T16:25:00Z 977655738 non_cached=0.047311991;" +
			"2014-11-26T16:25:00Z 389478438 cached=1.4193601249999999;2014-11-26T16:25:00Z 389478438 non_cached=0;" +
			"2014-11-26T16:25:00Z 977655738 cached=1.4193601249999999;2014-11-26T16:25:00Z 977655738 non_cached=0",
	}
	for name, want := range cases {
		b, err := os.ReadFile(filepath.Join("testdata", name+".upstream.xml"))
		if err != nil {
			t.Fatal(err)
		}
		a, err := readXML(b, athens)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := describe(a); got != want {
			t.Errorf("%s:\n got  %s\nwant %s", name, got, want)
		}
	}
}

// TestReaderMessagesQuoteUpstreamBytes: what the readers repeat of an
// answer (element names, texts, keys, figures, dates) is valid UTF-8 and
// bounded, whatever the answer holds.
func TestReaderMessagesQuoteUpstreamBytes(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	bad := "\xff\xfe" + long
	for _, doc := range []string{
		"<stats></" + bad + ">",
		"<stats></st\xffats>",
		"<stats><" + bad + ">",
		"<stats/><" + bad + "/>",
		"<stats " + bad + "=\"1></stats>",
		"<stats><" + bad + ">1",
		"text \xff" + long + "<stats/>",
		`<stats><stat><date>2014-11-26T00:00:00Z</date><cached>` + bad + `</cached></stat></stats>`,
		`<stats><stat><date>` + bad + `</date></stat></stats>`,
	} {
		_, err := readXML([]byte(doc), time.UTC)
		checkQuoted(t, doc, err)
	}
	for _, doc := range []string{
		`{"` + bad + `":1}`,
		`"` + bad + `"`,
		`[{"date":"2024-06-01T00:00:00Z","cached":"` + bad + `"}]`,
		`[{"date":"` + bad + `"}]`,
		`[{"date":1` + strings.Repeat("0", 1<<20) + `}]`,
		`[{"date":"2024-06-01T00:00:00Z","resources":[{"1` + strings.Repeat("0", 1<<20) + `":5}]}]`,
	} {
		_, err := readJSON([]byte(doc), time.UTC)
		checkQuoted(t, doc, err)
	}
}

func checkQuoted(t *testing.T, doc string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%.40q accepted", doc)
		return
	}
	if msg := err.Error(); !utf8.ValidString(msg) || len(msg) > 1200 {
		t.Errorf("%.40q: %d bytes, valid UTF-8 %v: %.200q", doc, len(msg), utf8.ValidString(msg), msg)
	}
}

// TestEmptyXMLAnswers: Rails' empty list (<stats type="array"/>, <stats/>)
// is an answer with no figures; a nil stats element is not.
func TestEmptyXMLAnswers(t *testing.T) {
	for _, doc := range []string{`<stats type="array"/>`, `<stats></stats>`, `<?xml version="1.0"?><stats type="array">  </stats>`} {
		if a, err := readXML([]byte(doc), time.UTC); err != nil || len(a.samples) != 0 {
			t.Errorf("%s: %v %v", doc, a, err)
		}
	}
	if _, err := readXML([]byte(`<stats nil="true"/>`), time.UTC); err == nil || !strings.Contains(err.Error(), "stats: expected a list of stats, found null") {
		t.Errorf("nil stats: %v", err)
	}
}

// hostileJSONSeeds are JSON answers no reader may crash on: nesting far past
// encoding/json's limit, bare and inside a stat, and invalid UTF-8.
func hostileJSONSeeds() []string {
	return []string{
		strings.Repeat("[", 100_000),
		`{"stats":` + strings.Repeat(`{"stats":`, 20_000),
		`[{"stat":{"date":"2024-06-01T00:00:00Z","resources":` + strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001) + `}}]`,
		"[{\"stat\":{\"date\":\"2024-06-01T00:00:00Z\",\"cached\":\"\xff1\",\"locations\":[{\"location\":{\"\xc3\x28\":{\"cached\":1}}}]}}]",
		"{\"errors\":[\"\xed\xa0\x80 is invalid\"]}",
	}
}

// hostileXMLSeeds are XML answers no reader may crash on.
func hostileXMLSeeds() []string {
	return []string{
		strings.Repeat("<a>", 100_000),
		"<stats><stat>" + strings.Repeat("<date>", 100_000),
		"<stats><stat><date>2014-11-26T00:00:00Z</date><cached>\xff</cached></stat></stats>",
		"<stats><stat><date>2014-11-26T00:00:00Z</date><resources><resource><\xc3\x28><cached>1</cached></\xc3\x28></resource></resources></stat></stats>",
		"<errors><error>\xed\xa0\x80</error></errors>",
	}
}

// TestReadersBoundAStat: a stat's tree holds at most maxTreeValues values,
// whatever the answer holds; past them the answer is refused in plain words.
func TestReadersBoundAStat(t *testing.T) {
	values := strings.Repeat("0,", maxTreeValues) + "0"
	for doc, read := range map[string]func([]byte, *time.Location) (answer, error){
		`[{"date":"2024-06-01T00:00:00Z","x":[` + values + `]}]`:                                                            readJSON,
		`<stats><stat><date>2024-06-01T00:00:00Z</date><x>` + strings.Repeat("<y/>", maxTreeValues) + `</x></stat></stats>`: readXML,
	} {
		if _, err := read([]byte(doc), time.UTC); err == nil || err.Error() != errTooBig.Error() {
			t.Errorf("%.40s…: %v, want %v", doc, err, errTooBig)
		}
	}
	// Below the bound, as many values are read.
	doc := `[{"date":"2024-06-01T00:00:00Z","cached":1,"x":[` + strings.Repeat("0,", maxTreeValues/2) + `0]}]`
	if a, err := readJSON([]byte(doc), time.UTC); err != nil || len(a.samples) != 1 {
		t.Errorf("%v %v", a.samples, err)
	}
}

// TestReadNestedTooDeep: answers nested 100,000 deep are an error in plain
// words, whichever reader meets them.
func TestReadNestedTooDeep(t *testing.T) {
	for doc, want := range map[string]string{
		strings.Repeat("[", 100_000):                        "the answer nests deeper than 10,000 levels: not an answer this API sends",
		`{"stats":` + strings.Repeat(`{"stat":`, 100_000):   "the answer nests deeper than 10,000 levels",
		strings.Repeat("<stats>", 100_000):                  "XML nests deeper than 32 elements: not an answer OnApp sends",
		"<stats><stat>" + strings.Repeat("<date>", 100_000): "XML nests deeper than 32 elements",
	} {
		var err error
		if doc[0] == '<' {
			_, err = readXML([]byte(doc), time.UTC)
		} else {
			_, err = readJSON([]byte(doc), time.UTC)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.20s…: %v, want %q", doc, err, want)
		}
	}
}
