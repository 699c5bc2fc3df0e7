// Command bench runs the plugin's benchmarks (issue #8) several times, takes
// the median of every measurement and writes BENCHMARKS.md: the machine, the
// command, the medians, the ratios against the goals, and the notes.
//
//	go run ./test/bench [-count 5] [-out BENCHMARKS.md] [-baseline test/bench/baseline.json] [-save results.json] [-pprof dir]
//	go run ./test/bench -only P5 -plugin /tmp/before.bin -plugin-commit <hash> -count 3 -record "" -out /tmp/b.md -save test/bench/p5-before.json
//
// The second form measures another plugin binary (P5's "before", issue 12;
// test/bench/notes.md says how it is built); -p5-before (default
// test/bench/p5-before.json) is then shown beside every P5 row.
//
// scripts/bench.sh builds the plugin binary first and runs this. The test
// binaries are compiled once, then run in rounds: every round runs each
// benchmark once, so the measurements compared in a ratio (frames and floor,
// plugin and direct fetch) are taken side by side, minutes apart at most, on
// this shared machine. P3 runs once (its five walls run side by side within
// that run); P5 launches a fresh plugin process in every round.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// suite is one test binary and the benchmarks to run from it.
type suite struct {
	pkg       string // import path below the module, e.g. ./pkg/ovh
	bench     string // -test.bench pattern
	benchtime string
	rounds    int // 0: the -count flag
	env       []string
}

// results holds every value measured: benchmark name → unit → one value per run.
type results map[string]map[string][]float64

func (r results) add(name, unit string, v float64) {
	if r[name] == nil {
		r[name] = map[string][]float64{}
	}
	r[name][unit] = append(r[name][unit], v)
}

// median of the values of a benchmark's unit (NaN when none).
func (r results) median(name, unit string) float64 { return median(r[name][unit]) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// record is one run: what -record writes and -render reads.
type record struct {
	Date     string   `json:"date"`
	Commit   string   `json:"commit"`
	Go       string   `json:"go"`
	Commands []string `json:"commands"`
	Rounds   int      `json:"rounds"`
	Elapsed  string   `json:"elapsed"`
	Results  results  `json:"results"`
}

func loadBaseline(path string) *saved {
	if path == "" {
		return nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "no baseline: %v\n", err)
		return nil
	}
	var b saved
	check(json.Unmarshal(raw, &b))
	return &b
}

// saved is what -save writes and -baseline reads: the medians of a run.
type saved struct {
	Date    string                        `json:"date"`
	Commit  string                        `json:"commit"`
	Note    string                        `json:"note,omitempty"`
	Medians map[string]map[string]float64 `json:"medians"`
}

func main() {
	count := flag.Int("count", 5, "runs of each benchmark (rounds)")
	out := flag.String("out", "BENCHMARKS.md", "the report to write")
	baselinePath := flag.String("baseline", "", "medians of an earlier run (-save), shown as before/after")
	savePath := flag.String("save", "", "write this run's medians as JSON")
	saveNote := flag.String("note", "", "a note stored with -save")
	notesPath := flag.String("notes", "test/bench/notes.md", "hand-written notes included in the report")
	pprofDir := flag.String("pprof", "", "also write CPU and allocation profiles here (slower; not for the published figures)")
	recordPath := flag.String("record", "test/bench/last-run.json", "write every value of the run here (for -render)")
	renderPath := flag.String("render", "", "do not run: write the report again from a recorded run (after editing the notes)")
	started := flag.Int64("started", 0, "Unix time the command started (scripts/bench.sh passes it, so the build counts)")
	short := flag.Bool("short", false, "smoke test of this program: one short iteration of everything (SERVICESTATS_BENCH_SHORT=1)")
	p5BeforePath := flag.String("p5-before", "test/bench/p5-before.json", "medians of P5 on the binary before issue 12 (-save of a -only P5 -plugin run), shown as before → after")
	only := flag.String("only", "", "run only the suites whose benchmark pattern matches this regexp (e.g. P5)")
	pluginCommit := flag.String("plugin-commit", "", "with -plugin: the commit that binary was built from (stored by -save)")
	plugin := flag.String("plugin", "", "the plugin binary the contract suites launch (SERVICESTATS_PLUGIN_BINARY; default dist/gpx_servicestats_linux_amd64)")
	flag.Parse()

	start := time.Now()
	if *started > 0 {
		start = time.Unix(*started, 0)
	}
	root, err := os.Getwd()
	check(err)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		fail("run from the repository root (go run ./test/bench)")
	}
	notes, _ := os.ReadFile(*notesPath)
	baseline := loadBaseline(*baselinePath)
	p5Before := loadBaseline(*p5BeforePath)
	if *renderPath != "" {
		raw, err := os.ReadFile(*renderPath)
		check(err)
		var rec record
		check(json.Unmarshal(raw, &rec))
		check(os.WriteFile(*out, []byte(render(rec, baseline, p5Before, string(notes), root)), 0o644))
		fmt.Fprintf(os.Stderr, "wrote %s from the run of %s\n", *out, rec.Date)
		return
	}
	if *plugin != "" {
		abs, err := filepath.Abs(*plugin)
		check(err)
		*plugin = abs
	} else if _, err := os.Stat(filepath.Join(root, "dist", "gpx_servicestats_linux_amd64")); err != nil {
		fail("build the plugin binary first: go build -o dist/gpx_servicestats_linux_amd64 ./pkg (scripts/bench.sh does)")
	}
	tmp, err := os.MkdirTemp("", "servicestats-bench-")
	check(err)
	defer os.RemoveAll(tmp)

	suites := []suite{
		{pkg: "./pkg/ovh", bench: "^BenchmarkP1OVH$", benchtime: "3s"},
		{pkg: "./pkg/onapp", bench: "^BenchmarkP1OnApp(JSON|XML)$", benchtime: "3s"},
		{pkg: "./pkg/pulse", bench: "^BenchmarkP1PulseLogs$", benchtime: "3s"},
		{pkg: "./test/contract", bench: "^BenchmarkP2", benchtime: "40x"},
		{pkg: "./test/contract", bench: "^BenchmarkP5", benchtime: "1x"},
		{pkg: "./test/contract", bench: "^BenchmarkP3", benchtime: "1x", rounds: 1},
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		check(err)
		suites = slices.DeleteFunc(suites, func(s suite) bool { return !re.MatchString(s.bench) })
	}
	if *plugin != "" {
		for i := range suites {
			suites[i].env = append(suites[i].env, "SERVICESTATS_PLUGIN_BINARY="+*plugin)
		}
	}
	if *short {
		for i := range suites {
			suites[i].benchtime = "1x"
			suites[i].env = append(suites[i].env, "SERVICESTATS_BENCH_SHORT=1")
		}
	}
	if *pprofDir != "" {
		abs, err := filepath.Abs(*pprofDir)
		check(err)
		check(os.MkdirAll(abs, 0o755))
		*pprofDir = abs
	}

	// Compile each package's test binary once.
	binaries := map[string]string{}
	var commands []string
	for _, s := range suites {
		if binaries[s.pkg] != "" {
			continue
		}
		bin := filepath.Join(tmp, strings.ReplaceAll(strings.TrimPrefix(s.pkg, "./"), "/", "_")+".test")
		run(root, nil, "go", "test", "-c", "-o", bin, s.pkg)
		binaries[s.pkg] = bin
	}
	res := results{}
	var rawLog bytes.Buffer
	rounds := *count
	for round := 1; round <= rounds; round++ {
		for _, s := range suites {
			if s.rounds > 0 && round > s.rounds {
				continue
			}
			args := []string{"-test.run", "^$", "-test.bench", s.bench, "-test.benchtime", s.benchtime, "-test.count", "1", "-test.timeout", "30m"}
			env := s.env
			if *pprofDir != "" {
				name := strings.ReplaceAll(strings.TrimPrefix(s.pkg, "./"), "/", "_")
				if strings.HasPrefix(s.pkg, "./pkg/") {
					args = append(args, "-test.cpuprofile", filepath.Join(*pprofDir, fmt.Sprintf("%s.r%d.cpu.pb.gz", name, round)),
						"-test.memprofile", filepath.Join(*pprofDir, fmt.Sprintf("%s.r%d.mem.pb.gz", name, round)))
				} else {
					env = append(env, "SERVICESTATS_BENCH_PPROF="+*pprofDir)
				}
			}
			if round == 1 {
				n := rounds
				if s.rounds > 0 {
					n = min(rounds, s.rounds)
				}
				commands = append(commands, fmt.Sprintf("(cd %s && %s%s %s)   # %d run(s)",
					s.pkg, prefixEnv(env), filepath.Base(s.pkg)+".test", strings.Join(args, " "), n))
			}
			fmt.Fprintf(os.Stderr, "==> round %d/%d: %s %s\n", round, rounds, s.pkg, s.bench)
			output := run(filepath.Join(root, s.pkg), env, binaries[s.pkg], args...)
			fmt.Fprintf(&rawLog, "### round %d: %s %s\n%s\n", round, s.pkg, s.bench, output)
			parse(output, res)
		}
	}
	elapsed := time.Since(start)

	rec := record{Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), Commit: gitDescribe(root), Go: strings.TrimSpace(run(root, nil, "go", "version")),
		Commands: commands, Rounds: rounds, Elapsed: elapsed.Round(time.Second).String(), Results: res}
	if *recordPath != "" {
		raw, err := json.MarshalIndent(rec, "", "  ")
		check(err)
		check(os.WriteFile(*recordPath, append(raw, '\n'), 0o644))
	}
	report := render(rec, baseline, p5Before, string(notes), root)
	check(os.WriteFile(*out, []byte(report), 0o644))
	if *savePath != "" {
		s := saved{Date: time.Now().UTC().Format(time.RFC3339), Commit: cmp.Or(*pluginCommit, gitDescribe(root)), Note: *saveNote, Medians: map[string]map[string]float64{}}
		for name, units := range res {
			s.Medians[name] = map[string]float64{}
			for unit, vs := range units {
				s.Medians[name][unit] = median(vs)
			}
		}
		raw, err := json.MarshalIndent(s, "", "  ")
		check(err)
		check(os.WriteFile(*savePath, append(raw, '\n'), 0o644))
	}
	_ = os.WriteFile(filepath.Join(filepath.Dir(*out), ".bench-raw.log"), rawLog.Bytes(), 0o644)
	fmt.Fprintf(os.Stderr, "wrote %s in %s\n", *out, elapsed.Round(time.Second))
}

func prefixEnv(env []string) string {
	if len(env) == 0 {
		return ""
	}
	return strings.Join(env, " ") + " "
}

// benchLine matches a result line: name-procs, iterations, then value/unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.+)$`)

// parse adds the measurements of go test -bench output to res.
func parse(output string, res results) {
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res.add(m[1], f[i+1], v)
		}
	}
}

// run runs a command in dir and returns its output; it stops the program
// when the command fails.
func run(dir string, env []string, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, out.String())
		fail(fmt.Sprintf("%s %s: %v", name, strings.Join(args, " "), err))
	}
	return out.String()
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "bench: "+msg)
	os.Exit(1)
}

// ---------------------------------------------------------------- report

// goal is a bound a measure must meet.
type goal struct {
	max  float64
	text string
}

func (g goal) verdict(v float64) string {
	switch {
	case math.IsNaN(v):
		return "not measured"
	case v <= g.max:
		return "met"
	}
	return "**missed**"
}

// p1Source is one large answer of P1: its paired benchmark (frames and
// floor side by side) and the two benchmarks of the baseline run.
type p1Source struct {
	name, what, bench, oldFrames, oldFloor string
	floor                                  string // what the floor is (issue 12)
}

const (
	jsonFloor = "jsoniter reading every token once"
	xmlFloor  = "the XML tokenizer pass alone"
)

var p1Sources = []p1Source{
	{"OVH", "50 lines × 4 metrics × yearly: 200 statistics bodies, 73,400 points", "BenchmarkP1OVH", "BenchmarkP1OVHFrames", "BenchmarkP1OVHFloor", jsonFloor},
	{"OnApp JSON", "grouped by 200 resources over 93 days: 18,600 groups, 37,200 figures", "BenchmarkP1OnAppJSON", "BenchmarkP1OnAppJSONFrames", "BenchmarkP1OnAppJSONFloor", jsonFloor},
	{"OnApp XML", "the same answer in OnApp's XML (numeric element names)", "BenchmarkP1OnAppXML", "BenchmarkP1OnAppXMLFrames", "BenchmarkP1OnAppXMLFloor", xmlFloor},
	{"Pulse", "200,000 log rows: 40 pages of 5,000 and the empty last page", "BenchmarkP1PulseLogs", "BenchmarkP1PulseLogsFrame", "BenchmarkP1PulseLogsFloor", jsonFloor},
}

var p2Cases = []struct{ name, what string }{
	{"telephony-line-month", "one line, one metric, timeframe monthly (373 points)"},
	{"cdn-by-resource-week", "one CDN query: GB by resource, last 7 days"},
	{"usage-requests-day", "one aggregate: requests per enterprise, last 24 h"},
	{"telephony-panel-3x4", "3 lines × 4 metrics, last 24 h (12 calls; direct: one call, the ideal)"},
}

var (
	goalP1         = goal{1.5, "≤ 1.5×"}
	goalP2         = goal{1.1, "≤ 1.1×"}
	goalP2Overhead = goal{2, "≤ 2 ms"}
	goalP3         = goal{1.0, "≤ 1.0"}
	goalP5         = goal{3, "≤ 3×"}
)

func render(rec record, baseline, p5Before *saved, notes string, root string) string {
	res, commands, rounds := rec.Results, rec.Commands, rec.Rounds
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	w("# Benchmarks\n\n")
	w("Written by `./scripts/bench.sh` (`npm run bench`) from one run; do not edit by hand, run the command again.\n")
	w("The notes come from `test/bench/notes.md`; `go run ./test/bench -render test/bench/last-run.json -baseline test/bench/baseline.json` rewrites this file from the recorded run, figures unchanged.\n")
	w("Absolute times on this shared machine are noise: the goals are ratios of measurements taken side by side.\n\n")

	w("## Machine\n\n| | |\n| --- | --- |\n")
	w("| cores (`nproc`) | %d |\n", runtime.NumCPU())
	w("| CPU | %s |\n", cpuModel())
	w("| memory | %s |\n", memTotal())
	w("| OS | %s %s |\n", runtime.GOOS, kernel())
	w("| Go | %s |\n", rec.Go)
	w("| date | %s |\n", rec.Date)
	w("| commit | %s |\n\n", rec.Commit)

	w("## Command\n\n```sh\n./scripts/bench.sh        # or: npm run bench\n```\n\n")
	w("It builds `dist/gpx_servicestats_linux_amd64` (`go build -o dist/gpx_servicestats_linux_amd64 ./pkg`), then runs `go run ./test/bench -count %d`, which compiles each package's test binary once (`go test -c -o <name>.test <package>`) and runs, round after round:\n\n```sh\n", rounds)
	for _, c := range commands {
		w("%s\n", c)
	}
	w("```\n\nThe whole command took %s (the build included). Every figure below is the median of the %d rounds (P3: of its 5 walls, run side by side once).\n\n", rec.Elapsed, rounds)

	w("## Results\n\n")
	w("| id | what | measured (median) | ratio | goal | verdict |\n| --- | --- | --- | --- | --- | --- |\n")
	verdicts := map[string][]string{}
	note := func(id, v string) { verdicts[id] = append(verdicts[id], v) }
	for _, s := range p1Sources {
		fr, fl := res.median(s.bench, "frames-ms"), res.median(s.bench, "floor-ms")
		ratio := res.median(s.bench, "ratio")
		v := goalP1.verdict(ratio)
		note("P1", v)
		extra := ""
		if t := res.median(s.bench, "ratio-floor-json"); !math.IsNaN(t) {
			extra = fmt.Sprintf(" (%.2f× against `encoding/json` into minimal structs, the floor before issue 12: %.1f ms)", t, res.median(s.bench, "floor-json-ms"))
		}
		if t := res.median(s.bench, "ratio-floor-text"); !math.IsNaN(t) {
			extra += fmt.Sprintf(" (%.2f× against a minimal tokenizer into minimal structs, the figures left as text, the floor before issue 12: %.1f ms)", t, res.median(s.bench, "floor-text-ms"))
		}
		w("| P1 | %s — %s (%.1f MB) | bytes → frames %.1f ms; floor (%s) %.1f ms | **%.2f×**%s | %s | %s |\n",
			s.name, s.what, res.median(s.bench, "MB"), fr, s.floor, fl, ratio, extra, goalP1.text, v)
	}
	for _, c := range p2Cases {
		name := "BenchmarkP2RoundTrip/" + c.name
		ratio := res.median(name, "ratio")
		v := goalP2.verdict(ratio)
		note("P2", v)
		all := ""
		if d := res.median(name, "direct-all-p50-ms"); !math.IsNaN(d) {
			all = fmt.Sprintf("; all %s calls made at once by hand p50 %.1f ms (QueryData ÷ that: %.3f×)", "its", d, res.median(name, "ratio-all"))
		}
		w("| P2 | %s, sandbox +30 ms per call | QueryData p50 %.1f ms; direct fetch p50 %.1f ms%s | **%.3f×** | %s | %s |\n",
			c.what, res.median(name, "plugin-p50-ms"), res.median(name, "direct-p50-ms"), all, ratio, goalP2.text, v)
	}
	for _, c := range p2Cases {
		name := "BenchmarkP2Overhead/" + c.name
		over := res.median(name, "overhead-ms")
		v := goalP2Overhead.verdict(over)
		note("P2 overhead", v)
		direct := "direct fetch"
		if c.name == "telephony-panel-3x4" {
			direct = "12 direct fetches at once"
		}
		w("| P2 | plugin's own overhead, no added latency: %s | QueryData p50 %.2f ms; %s p50 %.2f ms | **%.2f ms** | %s | %s |\n",
			c.name, res.median(name, "plugin-p50-ms"), direct, res.median(name, "direct-p50-ms"), over, goalP2Overhead.text, v)
	}
	{
		name := "BenchmarkP3NOCWall"
		ratio, worst := res.median(name, "ratio-median"), res.median(name, "ratio-worst")
		rate, guard := res.median(name, "ovh-max-per-min"), res.median(name, "ovh-guard-per-min")
		v := goalP3.verdict(ratio)
		if rate > guard || math.IsNaN(rate) {
			v = "**missed** (rate)"
		}
		note("P3", v)
		w("| P3 | NOC wall: 60 panels, 12 distinct queries, refresh 10 s, 5 min, default TTLs and guard | upstream calls ÷ Σ⌈300 s / TTL⌉ (budget %.0f), 5 walls: median %.3f, worst wall %.3f (of which %.0f one-off lookups; the calls fetching answers alone: worst %.3f); OVH max %.0f calls/min (guard %.0f); %.0f panel errors | **%.3f** | %s, no breach | %s |\n",
			res.median(name, "budget"), ratio, worst, res.median(name, "one-off-calls"), res.median(name, "data-ratio-worst"), rate, guard, res.median(name, "panel-errors"), ratio, goalP3.text, v)
	}
	for _, sh := range withUnlisted(p5Shapes, res) {
		name := "BenchmarkP5Memory/" + sh.name
		ratio := res.median(name, "ratio")
		bound := within(res.median(name, "peak-MiB"), res.median(name, "bound-MiB"))
		v := goalP5.verdict(ratio)
		switch {
		case res.median(name, "crashed") >= 1:
			v = "**missed** (the process crashed)"
		case v == "met" || math.IsNaN(ratio):
		case bound >= 1:
			v = "**missed** (bound met)"
		default:
			v = "**missed** (over the bound)"
		}
		note("P5", v)
		bv := "met"
		if !(bound >= 1) {
			bv = "**missed**"
		}
		note("P5 bound", bv)
		w("| P5 | %s (answer %.1f MB) | peak RSS %s → **%s** (bound %.0f MiB: %s) | %s → **%.2f×** (growth %.2f×) | %s; bound 100 MiB + 3× the answer | %s |\n",
			sh.what, res.median(name, "answer-MB"), p5Peak(p5Before, name), f1(res.median(name, "peak-MiB"), "%.0f MiB"), res.median(name, "bound-MiB"), withinOver(bound),
			p5Ratio(p5Before, name), ratio, res.median(name, "growth-ratio"), goalP5.text, v)
	}

	if p5Before != nil {
		w("\nP5 before → after: the same benchmarks (this commit's test code and upstreams) run against the plugin binary built at commit %s, before issue 12's work (%s)%s; after: this run.\n", p5Before.Commit, p5Before.Date, ifNote(p5Before.Note))
	}

	w("\n### Goals\n\n| goal | verdict |\n| --- | --- |\n")
	labels := map[string]string{"P5": "P5 (peak RSS ≤ 3× the answer)", "P5 bound": "P5 bound (peak RSS ≤ 100 MiB + 3× the answer)"}
	for _, id := range []string{"P1", "P2", "P2 overhead", "P3", "P5", "P5 bound"} {
		missed := 0
		for _, v := range verdicts[id] {
			if v != "met" {
				missed++
			}
		}
		all := "met"
		if missed > 0 {
			all = fmt.Sprintf("**missed** (%d of %d rows; see the notes)", missed, len(verdicts[id]))
		} else if len(verdicts[id]) > 1 {
			all = fmt.Sprintf("met (%d rows)", len(verdicts[id]))
		}
		w("| %s | %s |\n", cmp.Or(labels[id], id), all)
	}

	if baseline != nil {
		w("\n## Before and after the fixes\n\n")
		w("Before: the same benchmarks on commit %s (%s)%s. After: this run.\n\n", baseline.Commit, baseline.Date, ifNote(baseline.Note))
		w("| measure | before | after |\n| --- | --- | --- |\n")
		for _, row := range compareRows(res, baseline) {
			w("| %s | %s | %s |\n", row[0], row[1], row[2])
		}
	}

	if strings.TrimSpace(notes) != "" {
		w("\n%s\n", strings.TrimSpace(notes))
	}

	w("\n## Every run\n\n<details><summary>values of each round (the medians above are taken from these)</summary>\n\n| benchmark | unit | values |\n| --- | --- | --- |\n")
	names := make([]string, 0, len(res))
	for n := range res {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		units := make([]string, 0, len(res[n]))
		for u := range res[n] {
			units = append(units, u)
		}
		slices.Sort(units)
		for _, u := range units {
			var vs []string
			for _, v := range res[n][u] {
				vs = append(vs, strconv.FormatFloat(v, 'g', 5, 64))
			}
			w("| %s | %s | %s |\n", n, u, strings.Join(vs, ", "))
		}
	}
	w("\n</details>\n")
	return b.String()
}

func ifNote(n string) string {
	if n == "" {
		return ""
	}
	return ": " + n
}

// compareRows lists the headline measures before and after.
func compareRows(res results, base *saved) [][3]string {
	old := func(name, unit string) float64 {
		if m, ok := base.Medians[name]; ok {
			if v, ok := m[unit]; ok {
				return v
			}
		}
		return math.NaN()
	}
	f := func(v float64, format string) string {
		if math.IsNaN(v) {
			return "—"
		}
		return fmt.Sprintf(format, v)
	}
	var rows [][3]string
	for _, s := range p1Sources {
		oldRatio := old(s.oldFrames, "ns/op") / old(s.oldFloor, "ns/op")
		before := f(oldRatio, "%.2f×") + f(old(s.oldFrames, "ns/op")/1e6, " (%.1f ms") + f(old(s.oldFloor, "ns/op")/1e6, " ÷ %.1f ms)")
		after := f(res.median(s.bench, "ratio"), "%.2f×") + f(res.median(s.bench, "frames-ms"), " (%.1f ms") + f(res.median(s.bench, "floor-ms"), " ÷ %.1f ms)")
		after += " against " + s.floor
		if t := res.median(s.bench, "ratio-floor-json"); !math.IsNaN(t) {
			after += fmt.Sprintf("; against `encoding/json` into minimal structs (the before floor) %.2f× (÷ %.1f ms)", t, res.median(s.bench, "floor-json-ms"))
		}
		if t := res.median(s.bench, "ratio-floor-text"); !math.IsNaN(t) {
			after += fmt.Sprintf("; against the text-only floor (the before floor) %.2f× (÷ %.1f ms)", t, res.median(s.bench, "floor-text-ms"))
		}
		rows = append(rows, [3]string{"P1 " + s.name + " (frames ÷ floor)", before, after})
	}
	for _, c := range p2Cases {
		n := "BenchmarkP2RoundTrip/" + c.name
		rows = append(rows, [3]string{"P2 " + c.name + " ratio at 30 ms", f(old(n, "ratio"), "%.3f×"), f(res.median(n, "ratio"), "%.3f×")})
	}
	for _, c := range p2Cases {
		n := "BenchmarkP2Overhead/" + c.name
		rows = append(rows, [3]string{"P2 " + c.name + " overhead", f(old(n, "overhead-ms"), "%.2f ms"), f(res.median(n, "overhead-ms"), "%.2f ms")})
	}
	n := "BenchmarkP3NOCWall"
	rows = append(rows, [3]string{"P3 calls ÷ budget (median of walls)", f(old(n, "ratio-median"), "%.3f"), f(res.median(n, "ratio-median"), "%.3f")})
	rows = append(rows, [3]string{"P3 OVH max calls per minute", f(old(n, "ovh-max-per-min"), "%.0f"), f(res.median(n, "ovh-max-per-min"), "%.0f")})
	n, after := "BenchmarkP5LogsMemory", "BenchmarkP5Memory/pulse-logs" // renamed with issue 12's shapes
	rows = append(rows, [3]string{"P5 logs: peak RSS ÷ raw bytes", f(old(n, "ratio"), "%.2f×") + f(old(n, "peak-MiB"), " (%.0f MiB)"), f(res.median(after, "ratio"), "%.2f×") + f(res.median(after, "peak-MiB"), " (%.0f MiB)")})
	return rows
}

// p5Shapes are the answer shapes of P5 (BenchmarkP5Memory/<name>, in
// test/contract/bench_test.go), each read by a fresh plugin process.
var p5Shapes = []struct{ name, what string }{
	{"pulse-logs", "Pulse logs: 200,000 rows in 40 pages of 5,000 (the sandbox)"},
	{"pulse-routes-top10", "Pulse aggregate `routes`, top 10 of 997,500 distinct routes (200 pages of 5,000)"},
	{"pulse-requests-top10", "Pulse aggregate `requests`, top 10 of 997,500 enterprises (200 pages of 5,000)"},
	{"pulse-nested-2MB", "hostile: a Pulse logs page of 2 MiB of `[`"},
	{"pulse-nested-4MB", "hostile: a Pulse logs page of 4 MiB of `[`"},
	{"onapp-json-grouped-documented", "OnApp JSON by resource, 2,880 stats × 130 resources, documented form"},
	{"onapp-json-grouped-tolerant", "the same, tolerant form (an unexpected key in every stat)"},
	{"onapp-json-ungrouped-documented", "OnApp JSON totals (no grouping), 150,000 stats, documented form"},
	{"onapp-json-ungrouped-tolerant", "the same, tolerant form"},
	{"onapp-xml-grouped-documented", "OnApp XML by resource, 1,440 stats × 130 resources, documented form"},
	{"onapp-xml-grouped-tolerant", "the same, tolerant form (an unexpected element in every stat)"},
	{"onapp-xml-ungrouped-documented", "OnApp XML totals (no grouping), 150,000 stats, documented form"},
	{"onapp-xml-ungrouped-tolerant", "the same, tolerant form"},
	{"ovh-yearly-fanout", "OVH yearly fan-out: 250 lines × 4 metrics, 1,000 statistics bodies of 367 points"},
	{"at-cap-onapp-xml-tolerant", "at the size cap: `maxResponseBytes` 64 MiB, one OnApp XML answer (tolerant form) of 95 % of it"},
}

// withUnlisted is shapes and, named by themselves, the shapes measured
// that it does not list (a shape added to the benchmark but not here).
func withUnlisted(shapes []struct{ name, what string }, res results) []struct{ name, what string } {
	out := slices.Clone(shapes)
	var more []string
	for n := range res {
		if sh, ok := strings.CutPrefix(n, "BenchmarkP5Memory/"); ok && !slices.ContainsFunc(shapes, func(s struct{ name, what string }) bool { return s.name == sh }) {
			more = append(more, sh)
		}
	}
	slices.Sort(more)
	for _, sh := range more {
		out = append(out, struct{ name, what string }{sh, "`" + sh + "`"})
	}
	return out
}

// f1 formats v, or "—" when it was not measured.
func f1(v float64, format string) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf(format, v)
}

// within is 1 when the median peak is within the median bound, 0 when it
// is over, NaN when either was not measured (medians of bound-ok could be ½).
func within(peak, bound float64) float64 {
	switch {
	case math.IsNaN(peak) || math.IsNaN(bound):
		return math.NaN()
	case peak <= bound:
		return 1
	}
	return 0
}

// withinOver says what within found.
func withinOver(ok float64) string {
	switch {
	case math.IsNaN(ok):
		return "not measured"
	case ok >= 1:
		return "within"
	}
	return "**over**"
}

// p5Peak is a P5 shape's peak RSS before issue 12 (from -p5-before).
func p5Peak(before *saved, name string) string {
	if before == nil {
		return "—"
	}
	m := before.Medians[name]
	switch {
	case m == nil:
		return "—"
	case m["crashed"] >= 1:
		return "crashed (`fatal error: stack overflow`)"
	}
	return fmt.Sprintf("%.0f MiB (%s)", m["peak-MiB"], withinOver(within(m["peak-MiB"], m["bound-MiB"])))
}

// p5Ratio is a P5 shape's ratio before issue 12.
func p5Ratio(before *saved, name string) string {
	if before == nil || before.Medians[name] == nil {
		return "—"
	}
	if before.Medians[name]["crashed"] >= 1 {
		return "crashed"
	}
	return fmt.Sprintf("%.2f×", before.Medians[name]["ratio"])
}

func cpuModel() string {
	raw, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal() string {
	raw, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	return "unknown"
}

func kernel() string {
	raw, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(raw))
}

func gitDescribe(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	head, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	desc := strings.TrimSpace(string(head))
	cmd = exec.Command("git", "status", "--porcelain", "--untracked-files=no")
	cmd.Dir = root
	if st, err := cmd.Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		desc += " with uncommitted changes"
	}
	return desc
}
