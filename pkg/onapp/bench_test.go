package onapp

// P1 of the benchmarks (BENCHMARKS.md): the cost of turning OnApp's bandwidth
// answers into frames, against the floor of merely reading every token of
// the same bytes once. The large answer is grouped by 200 CDN resources over
// 93 days, one stat per day (the densest answer OnApp gives: 18,600 groups,
// 37,200 figures), written the way the sandbox writes OnApp's answers: Rails
// XML with numeric element names, and the legacy JSON with every third stat's
// cached figures as numeric strings.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/testutil"
	"github.com/opsdeck/servicestats/pkg/internal/xmlread"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
	"github.com/opsdeck/servicestats/test/bench/paired"
)

// The shape of the large answer.
const (
	benchResources = 200
	benchDays      = 93
)

// benchAnswer is the large answer in one format, with what the frames need.
type benchAnswer struct {
	body   []byte
	format string // "json" or "xml"
	from   time.Time
	to     time.Time
	now    time.Time
	names  map[string]string // cdn_reference → hostname
}

// benchRef is the cdn_reference of resource i.
func benchRef(i int) string { return strconv.Itoa(900000000 + 7919*i) }

// benchFigure is a deterministic figure with Ruby's full float precision.
func benchFigure(day, res, kind int) float64 {
	x := float64((day*7+res*13+kind*29)%1000) / 997.0
	return x*x*3.7 + 0.000123456789*float64(res%17)
}

// rubyFloat writes v as OnApp (Ruby) does: shortest exact form, at least one decimal.
func rubyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func newBenchAnswer(tb testing.TB, format string) *benchAnswer {
	tb.Helper()
	loc := mustZone("Europe/Paris")
	start := time.Date(2026, 8, 1, 0, 0, 0, 0, loc)
	a := &benchAnswer{format: format, from: start, to: start.AddDate(0, 0, benchDays), now: start.AddDate(0, 0, benchDays+1), names: map[string]string{}}
	for r := range benchResources {
		a.names[benchRef(r)] = fmt.Sprintf("cdn%03d.example.com", r)
	}
	var b bytes.Buffer
	switch format {
	case "json":
		b.WriteByte('[')
		for d := range benchDays {
			if d > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"stat":{"date":%q,"resources":[`, start.AddDate(0, 0, d).Format("2006-01-02T15:04:05-07:00"))
			for r := range benchResources {
				if r > 0 {
					b.WriteByte(',')
				}
				cached := rubyFloat(benchFigure(d, r, 0))
				if d%3 == 2 {
					cached = strconv.Quote(cached)
				}
				fmt.Fprintf(&b, `{"resource":{"%s":{"cached":%s,"non_cached":%s}}}`, benchRef(r), cached, rubyFloat(benchFigure(d, r, 1)))
			}
			b.WriteString("]}}")
		}
		b.WriteString("]\n")
	case "xml":
		b.WriteString("<stats type=\"array\">\n")
		for d := range benchDays {
			fmt.Fprintf(&b, "  <stat>\n    <date type=\"datetime\">%s</date>\n    <resources type=\"array\">\n", start.AddDate(0, 0, d).Format("2006-01-02T15:04:05-07:00"))
			for r := range benchResources {
				ref := benchRef(r)
				fmt.Fprintf(&b, "      <resource>\n        <%s>\n          <cached type=\"float\">%s</cached>\n          <non_cached type=\"float\">%s</non_cached>\n        </%s>\n      </resource>\n",
					ref, rubyFloat(benchFigure(d, r, 0)), rubyFloat(benchFigure(d, r, 1)), ref)
			}
			b.WriteString("    </resources>\n  </stat>\n")
		}
		b.WriteString("</stats>\n")
	default:
		tb.Fatalf("format %q", format)
	}
	a.body = b.Bytes()
	return a
}

// onappFrames returns the bytes → frames operation: the reader chosen by the
// body (readAnswer), then the frame builder with the window's step and
// notices and the resources' names, as query does.
func onappFrames(b *testing.B, a *benchAnswer) func() {
	jd, _ := json.Marshal(map[string]any{"onappUrl": "http://onapp.bench", "onappUser": testUser, "onappApi": "legacy", "onappTimeZone": "Europe/Paris", "onappFormat": a.format})
	settings, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: jd, DecryptedSecureJSONData: map[string]string{"onappApiKey": testKey}})
	if err != nil {
		b.Fatal(err)
	}
	src, err := newSource(settings, sourceDeps(), &http.Client{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(src.Dispose)
	q := &models.CDNQuery{Type: models.CDNTypeGB, GroupBy: models.CDNGroupByResource}
	ct := map[string]string{"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}[a.format]
	resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {ct}}, Body: a.body}
	names := func(id string) string { return a.names[id] }
	return func() {
		w, err := planWindow(backend.TimeRange{From: a.from, To: a.to}, q.Type, a.now, src.loc)
		if err != nil {
			b.Fatal(err)
		}
		ans, err := src.readAnswer(resp)
		if err != nil {
			b.Fatal(err)
		}
		spec := frameSpec{dim: cmp.Or(ans.dim, q.GroupBy), unit: unitOf(q.Type), step: w.step, notices: w.notices, name: names}
		frames := buildFrames(ans, spec)
		if len(frames) != 2*benchResources {
			b.Fatalf("%d frames, want %d", len(frames), 2*benchResources)
		}
		points := 0
		for _, f := range frames {
			points += f.Rows()
		}
		if points != 2*benchResources*benchDays {
			b.Fatalf("%d points, want %d", points, 2*benchResources*benchDays)
		}
	}
}

// onappFloor returns the floor of the format (BENCHMARKS.md, issue 12):
// reading every token of the same bytes once and building nothing — for
// JSON with jsoniter (testutil.JSONFloor), for XML with the tokenizer the
// reader uses (pkg/internal/xmlread; encoding/xml refuses the numeric
// element names, <977655738>, OnApp writes).
func onappFloor(b *testing.B, a *benchAnswer) func() {
	if a.format == "xml" {
		return func() {
			r := xmlread.New(a.body, maxXMLDepth)
			n := 0
			for tok := r.Next(); tok.Kind != xmlread.EOF; tok = r.Next() {
				n += len(tok.Name) + len(tok.Text)
			}
			if r.Err() != nil || n == 0 {
				b.Fatal(r.Err())
			}
		}
	}
	return func() {
		t, err := testutil.JSONFloor(a.body)
		if err != nil || t.Numbers < 2*benchResources*benchDays*2/3 {
			b.Fatal(t, err)
		}
	}
}

// onappFloorBefore is the floor before issue 12, reported beside: the
// figures decoded as numbers into minimal structs — for JSON encoding/json
// (json.Number, since figures come as numbers or numeric strings, then
// strconv.ParseFloat), as floor-json; for XML a minimal tokenizer pass
// (minimalXML), the figures left as text, as floor-text.
func onappFloorBefore(b *testing.B, a *benchAnswer) func() {
	if a.format == "xml" {
		return func() {
			out, err := minimalXML(a.body)
			if err != nil {
				b.Fatal(err)
			}
			if len(out) != benchDays || len(out[0].groups) != benchResources {
				b.Fatal(len(out))
			}
		}
	}
	return func() {
		var out []minimalJSONEntry
		if err := json.Unmarshal(a.body, &out); err != nil {
			b.Fatal(err)
		}
		if len(out) != benchDays || len(out[0].Stat.Resources) != benchResources {
			b.Fatal(len(out))
		}
		for _, e := range out {
			for _, r := range e.Stat.Resources {
				for _, pair := range r.Resource {
					if _, err := strconv.ParseFloat(string(pair.Cached), 64); err != nil {
						b.Fatal(err)
					}
					if _, err := strconv.ParseFloat(string(pair.NonCached), 64); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
}

// BenchmarkP1OnAppJSON and BenchmarkP1OnAppXML measure them side by side
// (paired.Run): frames-ms, floor-ms and their ratio, the figures of
// BENCHMARKS.md, and the floor before issue 12 (floor-json-ms and
// ratio-floor-json for JSON, floor-text-ms and ratio-floor-text for XML).
func BenchmarkP1OnAppJSON(b *testing.B) { benchPaired(b, "json") }
func BenchmarkP1OnAppXML(b *testing.B)  { benchPaired(b, "xml") }

func benchPaired(b *testing.B, format string) {
	a := newBenchAnswer(b, format)
	before := map[string]string{"json": "floor-json", "xml": "floor-text"}[format]
	paired.Run(b, paired.Op{Name: "frames", F: onappFrames(b, a)}, paired.Op{Name: "floor", F: onappFloor(b, a)},
		paired.Op{Name: before, F: onappFloorBefore(b, a)})
	b.ReportMetric(float64(len(a.body))/1e6, "MB")
}

// The Frames and Floor benchmarks run each alone, for profiling
// (-cpuprofile, -memprofile).
func BenchmarkP1OnAppJSONFrames(b *testing.B)      { benchAlone(b, "json", onappFrames) }
func BenchmarkP1OnAppXMLFrames(b *testing.B)       { benchAlone(b, "xml", onappFrames) }
func BenchmarkP1OnAppJSONFloor(b *testing.B)       { benchAlone(b, "json", onappFloor) }
func BenchmarkP1OnAppXMLFloor(b *testing.B)        { benchAlone(b, "xml", onappFloor) }
func BenchmarkP1OnAppJSONFloorBefore(b *testing.B) { benchAlone(b, "json", onappFloorBefore) }
func BenchmarkP1OnAppXMLFloorBefore(b *testing.B)  { benchAlone(b, "xml", onappFloorBefore) }

func benchAlone(b *testing.B, format string, newOp func(*testing.B, *benchAnswer) func()) {
	a := newBenchAnswer(b, format)
	op := newOp(b, a)
	b.SetBytes(int64(len(a.body)))
	b.ReportAllocs()
	for b.Loop() {
		op()
	}
}

// minimalJSONEntry is the least that holds a grouped stat of the JSON
// answer (json.Number takes the numeric strings as well).
type minimalJSONEntry struct {
	Stat struct {
		Date      string `json:"date"`
		Resources []struct {
			Resource map[string]minimalPair `json:"resource"`
		} `json:"resources"`
	} `json:"stat"`
}

type minimalPair struct {
	Cached    json.Number `json:"cached"`
	NonCached json.Number `json:"non_cached"`
}

// minimalStat is the least that holds a grouped stat: its date as written,
// and each group's id and two figures as written.
type minimalStat struct {
	date   string
	groups []minimalGroup
}

type minimalGroup struct {
	id                string
	cached, nonCached string
}

// minimalXML is the tokenizer pass of the XML floor: element names and leaf
// texts, in one walk, into minimalStat.
func minimalXML(src []byte) ([]minimalStat, error) {
	var out []minimalStat
	var stack []string
	var text []byte
	for i := 0; i < len(src); {
		lt := bytes.IndexByte(src[i:], '<')
		if lt < 0 {
			break
		}
		text = src[i : i+lt]
		i += lt + 1
		gt := bytes.IndexByte(src[i:], '>')
		if gt < 0 {
			return nil, errors.New("unterminated tag")
		}
		tag := src[i : i+gt]
		i += gt + 1
		if len(tag) > 0 && tag[0] == '/' {
			if len(stack) == 0 {
				return nil, errors.New("unbalanced")
			}
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch {
			case name == "date" && len(out) > 0:
				out[len(out)-1].date = string(bytes.TrimSpace(text))
			case name == "cached" || name == "non_cached":
				st := &out[len(out)-1]
				g := &st.groups[len(st.groups)-1]
				if name == "cached" {
					g.cached = string(bytes.TrimSpace(text))
				} else {
					g.nonCached = string(bytes.TrimSpace(text))
				}
			}
			continue
		}
		self := len(tag) > 0 && tag[len(tag)-1] == '/'
		if sp := bytes.IndexByte(tag, ' '); sp >= 0 {
			tag = tag[:sp]
		}
		name := string(tag)
		switch {
		case name == "stat":
			out = append(out, minimalStat{})
		case len(stack) > 0 && stack[len(stack)-1] == "resource":
			st := &out[len(out)-1]
			st.groups = append(st.groups, minimalGroup{id: name})
		}
		if !self {
			stack = append(stack, name)
		}
	}
	return out, nil
}
