package contract

// The plugin's benchmarks through the built binary (BENCHMARKS.md, issue #8):
//
//	BenchmarkP2RoundTrip   QueryData over gRPC ÷ a direct HTTP fetch of the same data, sandbox at 30 ms per call
//	BenchmarkP2Overhead    the same without added latency: the plugin's own milliseconds
//	BenchmarkP3NOCWall     60 panels, 12 distinct queries, refresh 10 s, 5 minutes: upstream calls ÷ the TTL budget
//	BenchmarkP3HANOCWall   the same wall over 3 replicas, with one shared Redis and without (issue 16)
//	BenchmarkP5Memory      per answer shape (issue 12): peak RSS of a fresh plugin process ÷ the answer's bytes, and the bound 100 MiB + 3× them
//
// scripts/bench.sh runs them (and P1, in the source packages) and writes
// BENCHMARKS.md. SERVICESTATS_BENCH_SHORT=1 compresses P3 to 20 seconds and
// P5's answers to a few hundred KB, so that CI can check they still run
// (-benchtime 1x). SERVICESTATS_BENCH_PPROF=<dir> writes the plugin's
// profiles for P2 there (and for P5 an allocation profile per shape, from a
// process apart from the measured one);
// SERVICESTATS_BENCH_PLUGIN_ENV="GOGC=50 …" launches P5's process with
// those variables (to try runtime settings).

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// benchShort reports whether the benchmarks run in CI's compressed mode.
func benchShort() bool { return os.Getenv("SERVICESTATS_BENCH_SHORT") != "" }

// benchUID returns a data-source uid no earlier run of this process used,
// so each benchmark run gets a fresh instance (and cache) in the plugin.
var benchSeq atomic.Int64

func benchUID(name string) string { return fmt.Sprintf("bench-%s-%d", name, benchSeq.Add(1)) }

// benchDataSource is sandboxDataSource with a fresh uid and Updated time.
func benchDataSource(name, base string, jsonData map[string]any) DataSource {
	ds := sandboxDataSource(benchUID(name), base)
	ds.Updated = time.Now()
	for k, v := range jsonData {
		ds.JSONData[k] = v
	}
	return ds
}

// benchPprofDir is where the benchmarks write the plugin's profiles, when
// SERVICESTATS_BENCH_PPROF names a directory ("" when profiling is off).
func benchPprofDir() string { return os.Getenv("SERVICESTATS_BENCH_PPROF") }

// launchProfiled starts a plugin process of its own with the SDK's pprof
// server on a free port, and returns it with the server's address.
func launchProfiled(b *testing.B) (*Host, string) {
	bin, err := BinaryPath()
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	h, err := Launch(bin, "GF_PLUGIN_PROFILING_ENABLED=true", fmt.Sprintf("GF_PLUGIN_PROFILING_PORT=%d", port))
	if err != nil {
		b.Fatal(err)
	}
	addr := fmt.Sprintf("http://127.0.0.1:%d", port)
	for range 50 { // the pprof server starts beside the plugin
		if resp, err := http.Get(addr + "/debug/pprof/"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return h, addr
}

// saveProfile fetches a profile from the plugin's pprof server into
// <SERVICESTATS_BENCH_PPROF>/<name>.pb.gz.
func saveProfile(b *testing.B, addr, path, name string) {
	resp, err := http.Get(addr + path)
	if err != nil {
		b.Logf("profile %s: %v", name, err)
		return
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%d %s", resp.StatusCode, raw)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(benchPprofDir(), name+".pb.gz"), raw, 0o644)
	}
	if err != nil {
		b.Logf("profile %s: %v", name, err)
	}
}

// profileCase replays query for a few seconds on a profiled plugin process
// while its CPU profile is taken (outside the measured loop).
func profileCase(b *testing.B, name string, replay func(h *Host) error) {
	h, addr := launchProfiled(b)
	defer h.Close()
	if err := replay(h); err != nil { // warm up
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		saveProfile(b, addr, "/debug/pprof/profile?seconds=8", name+".cpu")
	}()
	for {
		select {
		case <-done:
			saveProfile(b, addr, "/debug/pprof/allocs", name+".allocs")
			return
		default:
		}
		if err := replay(h); err != nil {
			b.Fatal(err)
		}
	}
}

// ---------------------------------------------------------------- P2

// p2Case is one typical answer: the plugin's query, and the minimal struct
// the direct fetch decodes the same upstream answer into.
type p2Case struct {
	name    string
	query   func(now time.Time) Query
	minimal func() any
	// extra lists the calls the plugin makes that its frames do not
	// record (the names of grouped CDN series), so the direct side makes
	// them too: the same upstream data.
	extra func(first directCall) []directCall
}

type (
	minimalOVH struct {
		Unit   string `json:"unit"`
		Values []struct {
			Timestamp int64    `json:"timestamp"`
			Value     *float64 `json:"value"`
		} `json:"values"`
	}
	minimalOnAppPair struct {
		Cached    json.Number `json:"cached"`
		NonCached json.Number `json:"non_cached"`
	}
	minimalOnApp []struct {
		Stat struct {
			Date      string      `json:"date"`
			Cached    json.Number `json:"cached"`
			NonCached json.Number `json:"non_cached"`
			Resources []struct {
				Resource map[string]minimalOnAppPair `json:"resource"`
			} `json:"resources"`
		} `json:"stat"`
	}
	minimalOnAppResources []struct {
		CDNResource struct {
			CDNReference json.Number `json:"cdn_reference"`
			CDNHostname  string      `json:"cdn_hostname"`
		} `json:"cdn_resource"`
	}
	minimalPulseRequests []struct {
		Enterprise    any     `json:"enterprise"`
		Entreprise    any     `json:"entreprise"`
		TotalRequests float64 `json:"totalRequests"`
	}
)

var p2Cases = []p2Case{
	{
		name: "telephony-line-month",
		query: func(now time.Time) Query {
			return Query{RefID: "A", QueryType: "telephony", From: now.Add(-30 * 24 * time.Hour), To: now,
				JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"rtpMos"}, "timeframe": "monthly"}}
		},
		minimal: func() any { return &minimalOVH{} },
	},
	{
		name: "cdn-by-resource-week",
		query: func(now time.Time) Query {
			return Query{RefID: "A", QueryType: "cdnBandwidth", From: now.Add(-7 * 24 * time.Hour), To: now,
				JSON: map[string]any{"type": "GB", "groupBy": "resource"}}
		},
		minimal: func() any { return &minimalOnApp{} },
		extra: func(first directCall) []directCall {
			base, _, _ := strings.Cut(first.url, sandbox.OnAppPrefix+"/")
			return []directCall{{url: base + sandbox.OnAppPrefix + "/cdn_resources.json", minimal: func() any { return &minimalOnAppResources{} }}}
		},
	},
	{
		name: "usage-requests-day",
		query: func(now time.Time) Query {
			return Query{RefID: "A", QueryType: "usage", From: now.Add(-24 * time.Hour), To: now,
				JSON: map[string]any{"report": "requests"}}
		},
		minimal: func() any { return &minimalPulseRequests{} },
	},
	{
		// 12 series: the ideal is one round trip, so the direct side is
		// ONE statistics fetch of the same size (one line, one metric).
		name: "telephony-panel-3x4",
		query: func(now time.Time) Query {
			return Query{RefID: "A", QueryType: "telephony", From: now.Add(-24 * time.Hour), To: now,
				JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0033123456790", "0033123456791"},
					"metrics": []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"}}}
		},
		minimal: func() any { return &minimalOVH{} },
	},
}

// directCall is an upstream call as the plugin made it, taken from the
// frame's ExecutedQueryString ("GET <url>[ <body>]"), to be made again
// without the plugin.
type directCall struct {
	url     string
	body    []byte
	minimal func() any // what the answer is decoded into
}

func parseExecuted(executed string) (directCall, error) {
	line, _, _ := strings.Cut(executed, "\n")
	method, rest, ok := strings.Cut(line, " ")
	if !ok || method != http.MethodGet {
		return directCall{}, fmt.Errorf("no upstream call in %q", executed)
	}
	u, body, _ := strings.Cut(rest, " ")
	return directCall{url: u, body: []byte(body)}, nil
}

// direct fetches the call with the credentials the plugin uses (an OVH
// signature, OnApp basic auth, a Pulse Bearer token), reads the body and
// decodes it into v.
func (d directCall) fetch(ctx context.Context, client *http.Client, v any) error {
	var body io.Reader
	if len(d.body) > 0 {
		body = bytes.NewReader(d.body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, body)
	if err != nil {
		return err
	}
	switch {
	case strings.Contains(d.url, sandbox.OVHPrefix+"/"):
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sum := sha1.Sum([]byte(strings.Join([]string{sandbox.OVHAppSecret, sandbox.OVHConsumerKey, http.MethodGet, d.url, "", ts}, "+")))
		req.Header.Set("X-Ovh-Application", sandbox.OVHAppKey)
		req.Header.Set("X-Ovh-Consumer", sandbox.OVHConsumerKey)
		req.Header.Set("X-Ovh-Timestamp", ts)
		req.Header.Set("X-Ovh-Signature", "$1$"+hex.EncodeToString(sum[:]))
	case strings.Contains(d.url, sandbox.OnAppPrefix+"/"):
		req.SetBasicAuth(sandbox.OnAppUser, sandbox.OnAppAPIKey)
		if len(d.body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
	case strings.Contains(d.url, sandbox.PulsePrefix+"/"):
		req.Header.Set("Authorization", "Bearer "+sandbox.PulseToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", d.url, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, v)
}

// millis converts durations to milliseconds.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median of a sample (sorted copy).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// runP2 measures each case side by side: every iteration makes one
// QueryData through the binary and one direct fetch of the same upstream
// data, in alternating order, and the p50 of each is reported.
func runP2(b *testing.B, latency time.Duration, report func(b *testing.B, plugin, direct float64)) {
	_, base := startSandbox(b, sandbox.Config{Latency: latency})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	for _, c := range p2Cases {
		b.Run(c.name, func(b *testing.B) {
			// The cache off, so every query fetches and frames; the OVH
			// guard generous, so no call waits for its turn.
			ds := benchDataSource("p2-"+c.name, base, map[string]any{"cacheTTLSeconds": 0, "ovhRequestsPerMinute": 100000})
			ctx := context.Background()
			queryOn := func(h *Host) ([]string, error) {
				resp, err := h.QueryData(ctx, ds, c.query(time.Now()))
				if err != nil {
					return nil, err
				}
				r := resp.Responses["A"]
				if r.Error != nil {
					return nil, r.Error
				}
				var executed []string
				for _, f := range r.Frames {
					if f.Meta != nil && f.Meta.ExecutedQueryString != "" && !slices.Contains(executed, f.Meta.ExecutedQueryString) {
						executed = append(executed, f.Meta.ExecutedQueryString)
					}
				}
				if len(executed) == 0 {
					return nil, fmt.Errorf("no frame says what it called")
				}
				return executed, nil
			}
			queryOnce := func() ([]string, error) { return queryOn(host) }
			// Warm up both sides: connections, the OVH clock offset, the
			// line descriptions the plugin keeps for ten minutes.
			executed, err := queryOnce()
			if err != nil {
				b.Fatal(err)
			}
			var calls []directCall
			for _, e := range executed {
				call, err := parseExecuted(e)
				if err != nil {
					b.Fatal(err)
				}
				call.minimal = c.minimal
				calls = append(calls, call)
			}
			if c.extra != nil {
				extra := c.extra(calls[0])
				calls = append(calls[:1:1], append(extra, calls[1:]...)...)
			}
			// With latency, the direct side is one call: for the 3×4 panel,
			// the ideal of twelve calls made at once is one round trip
			// (every call the plugin made, made at once by hand, is timed
			// beside it: the best any client does here). Without latency,
			// it is every call the plugin made, at once, so that the
			// difference is the plugin's own work.
			fetch := func(calls []directCall) error {
				if len(calls) == 1 {
					return calls[0].fetch(ctx, client, calls[0].minimal())
				}
				errs := make(chan error, len(calls))
				for _, call := range calls {
					go func() { errs <- call.fetch(ctx, client, call.minimal()) }()
				}
				var first error
				for range calls {
					if err := <-errs; err != nil && first == nil {
						first = err
					}
				}
				return first
			}
			all := calls
			if latency > 0 {
				calls = calls[:1]
				if c.extra != nil { // made at once, they are one round trip
					calls = all[:1+len(c.extra(all[0]))]
				}
			}
			if err := fetch(all); err != nil {
				b.Fatal(err)
			}
			var plugin, direct, directAll []float64
			timeDirect := func() {
				start := time.Now()
				if err := fetch(calls); err != nil {
					b.Fatal(err)
				}
				direct = append(direct, millis(time.Since(start)))
				if len(all) > len(calls) {
					start := time.Now()
					if err := fetch(all); err != nil {
						b.Fatal(err)
					}
					directAll = append(directAll, millis(time.Since(start)))
				}
			}
			timePlugin := func() {
				start := time.Now()
				if _, err := queryOnce(); err != nil {
					b.Fatal(err)
				}
				plugin = append(plugin, millis(time.Since(start)))
			}
			i := 0
			for b.Loop() {
				if i%2 == 0 {
					timePlugin()
					timeDirect()
				} else {
					timeDirect()
					timePlugin()
				}
				i++
			}
			report(b, median(plugin), median(direct))
			if len(directAll) > 0 {
				b.ReportMetric(median(directAll), "direct-all-p50-ms")
				b.ReportMetric(median(plugin)/median(directAll), "ratio-all")
			}
			if benchPprofDir() != "" {
				b.StopTimer()
				profileCase(b, fmt.Sprintf("p2-%s-%dms", c.name, latency.Milliseconds()), func(h *Host) error {
					_, err := queryOn(h)
					return err
				})
			}
		})
	}
}

// BenchmarkP2RoundTrip: the sandbox adds 30 ms to every call, a realistic
// round trip to the real APIs; ratio = p50(QueryData) ÷ p50(direct fetch).
func BenchmarkP2RoundTrip(b *testing.B) {
	runP2(b, 30*time.Millisecond, func(b *testing.B, plugin, direct float64) {
		b.ReportMetric(plugin, "plugin-p50-ms")
		b.ReportMetric(direct, "direct-p50-ms")
		b.ReportMetric(plugin/direct, "ratio")
	})
}

// BenchmarkP2Overhead: no added latency; overhead = p50(QueryData) −
// p50(direct fetch), the plugin's own milliseconds (gRPC, planning,
// signing, framing, Arrow encoding).
func BenchmarkP2Overhead(b *testing.B) {
	runP2(b, 0, func(b *testing.B, plugin, direct float64) {
		b.ReportMetric(plugin, "plugin-p50-ms")
		b.ReportMetric(direct, "direct-p50-ms")
		b.ReportMetric(plugin-direct, "overhead-ms")
	})
}

// ---------------------------------------------------------------- P3

// nocQuery is one of the wall's distinct queries and the cache TTL of its
// source (the defaults of pkg/source/upstream.go).
type nocQuery struct {
	name string
	ttl  time.Duration
	span time.Duration // the panel's relative range: now-span to now
	typ  string
	json map[string]any
}

// nocQueries are the wall's 12 distinct queries: each needs one upstream
// answer (one line and metric, one bandwidth call, one aggregate page), so
// that a perfect cache makes exactly ⌈duration / TTL⌉ calls for each.
var nocQueries = []nocQuery{
	{"mos-reception", 60 * time.Second, time.Hour, "telephony", map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"rtpMos"}}},
	{"mos-support", 60 * time.Second, time.Hour, "telephony", map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456790"}, "metrics": []string{"rtpMos"}}},
	{"mos-sales", 60 * time.Second, time.Hour, "telephony", map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456791"}, "metrics": []string{"rtpMos"}}},
	{"mos-loading-bay", 60 * time.Second, time.Hour, "telephony", map[string]any{"billingAccount": "cd67890-ovh-1", "lines": []string{"0033987654321"}, "metrics": []string{"rtpMos"}}},
	{"jitter-sales", 60 * time.Second, time.Hour, "telephony", map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456791"}, "metrics": []string{"maxJitter"}}},
	{"jitter-reception-month", 60 * time.Second, 30 * 24 * time.Hour, "telephony", map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"maxJitter"}, "timeframe": "monthly"}},
	{"cdn-gb-week", 5 * time.Minute, 7 * 24 * time.Hour, "cdnBandwidth", map[string]any{"type": "GB"}},
	{"cdn-mbps-day", 5 * time.Minute, 24 * time.Hour, "cdnBandwidth", map[string]any{"type": "MBPS"}},
	{"usage-requests", 30 * time.Second, 24 * time.Hour, "usage", map[string]any{"report": "requests"}},
	{"usage-routes-top5", 30 * time.Second, 24 * time.Hour, "usage", map[string]any{"report": "routes", "topN": 5}},
	{"usage-devices-top10", 30 * time.Second, 24 * time.Hour, "usage", map[string]any{"report": "devices", "topN": 10}},
	{"usage-complexity", 30 * time.Second, 24 * time.Hour, "usage", map[string]any{"report": "complexity"}},
}

// nocPanels is the number of panels on the wall (each distinct query is
// shown by nocPanels / len(nocQueries) panels).
const nocPanels = 60

// nocResult is one wall's run.
type nocResult struct {
	calls, budget, errors, panels int
	// data counts the calls that fetch a query's answer (statistics,
	// bandwidth, aggregates); the others are one-off lookups the budget
	// does not know of: the OVH clock, the lines' descriptions.
	data            int
	ovhMaxPerMinute int
	paths           map[string]int
}

// isDataCall reports whether a sandbox path ("ovh GET /telephony/…")
// fetches a query's answer.
func isDataCall(path string) bool {
	return strings.HasSuffix(path, "/statistics") || strings.Contains(path, "/bandwidth") || strings.HasPrefix(path, "pulse ")
}

// runWall runs one NOC wall against its own sandbox: at every tick, all 60
// panels send their QueryData at once with the range [now-span, now], as a
// dashboard refresh does, for the whole duration.
func runWall(b *testing.B, duration, every time.Duration) nocResult {
	sb := sandbox.New(sandbox.Config{Latency: 30 * time.Millisecond, OVHRequestsPerMinute: nocGuard})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	ds := benchDataSource("p3", srv.URL, nil) // default TTLs and guard
	return runWallOn(b, []*Host{host}, ds, sb, duration, every)
}

// nocGuard is the wall's OVH budget: the default ovhRequestsPerMinute.
const nocGuard = 60

// runWallOn runs the wall of data source ds against sb on hosts, which
// serve the panels in turn (Grafana's replicas behind a load balancer: each
// distinct query's panels are spread over all of them), and counts what
// reached the sandbox since it started.
func runWallOn(tb testing.TB, hosts []*Host, ds DataSource, sb *sandbox.Sandbox, duration, every time.Duration) nocResult {
	res := nocResult{paths: map[string]int{}}
	for _, q := range nocQueries {
		res.budget += int(math.Ceil(float64(duration) / float64(q.ttl)))
	}
	errs := wallTicks(tb, hosts, ds, duration, every, &res.panels)
	st := sb.Stats()
	for _, api := range []string{sandbox.APIOVH, sandbox.APIOnApp, sandbox.APIPulse} {
		res.calls += st.Calls[api]
	}
	res.paths = st.Paths
	for path, n := range st.Paths {
		if isDataCall(path) {
			res.data += n
		}
	}
	res.ovhMaxPerMinute = st.OVHMaxPerMinute[sandbox.OVHConsumerKey]
	res.errors = errs
	return res
}

// wallTicks refreshes the wall's 60 panels every tick for duration, panel p
// on hosts[(p / distinct queries) % len(hosts)], adds the panels sent to
// *panels and returns how many failed.
func wallTicks(tb testing.TB, hosts []*Host, ds DataSource, duration, every time.Duration, panels *int) int {
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for tick := 0; ; tick++ {
		now := time.Now()
		if now.Sub(start) >= duration {
			break
		}
		for p := range nocPanels {
			q := nocQueries[p%len(nocQueries)]
			h := hosts[(p/len(nocQueries))%len(hosts)]
			*panels++
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				resp, err := h.QueryData(ctx, ds, Query{RefID: "A", QueryType: q.typ, JSON: q.json, From: now.Add(-q.span), To: now})
				if err != nil {
					errs.Add(1)
					tb.Logf("panel %s: %v", q.name, err)
					return
				}
				if r := resp.Responses["A"]; r.Error != nil {
					errs.Add(1)
					tb.Logf("panel %s: %v", q.name, r.Error)
				}
			})
		}
		<-ticker.C
	}
	wg.Wait()
	return int(errs.Load())
}

// BenchmarkP3NOCWall: 60 panels over 12 distinct queries (6 telephony, 2
// CDN, 4 usage), refreshing every 10 s for 5 minutes through the binary,
// with the default cache TTLs and rate guard. ratio = upstream calls the
// sandbox counted ÷ Σ ⌈300 s / TTL⌉ over the 12 queries. Five walls run
// side by side, each with its own sandbox and data source (and so its own
// cache entries and rate guard), so the five runs take five minutes; the
// median and the worst are reported. The short mode runs one wall for 20 s
// with a refresh every 2 s.
func BenchmarkP3NOCWall(b *testing.B) {
	duration, every, walls := 5*time.Minute, 10*time.Second, 5
	if benchShort() {
		duration, every, walls = 20*time.Second, 2*time.Second, 1
	}
	for b.Loop() {
		results := make([]nocResult, walls)
		var wg sync.WaitGroup
		for w := range walls {
			wg.Go(func() { results[w] = runWall(b, duration, every) })
		}
		wg.Wait()
		var ratios []float64
		worst, worstData, maxRate, errs := 0.0, 0.0, 0, 0
		for w, r := range results {
			ratio := float64(r.calls) / float64(r.budget)
			ratios = append(ratios, ratio)
			worst = max(worst, ratio)
			worstData = max(worstData, float64(r.data)/float64(r.budget))
			maxRate = max(maxRate, r.ovhMaxPerMinute)
			errs += r.errors
			b.Logf("wall %d: %d panels, %d upstream calls (%d fetching answers, %d one-off lookups) for a budget of %d (%.3f), OVH max %d/min, %d panel errors; calls by path: %s",
				w+1, r.panels, r.calls, r.data, r.calls-r.data, r.budget, ratio, r.ovhMaxPerMinute, r.errors, formatPaths(r.paths))
		}
		b.ReportMetric(float64(results[0].budget), "budget")
		b.ReportMetric(median(ratios), "ratio-median")
		b.ReportMetric(worst, "ratio-worst")
		b.ReportMetric(worstData, "data-ratio-worst")
		b.ReportMetric(float64(results[0].calls-results[0].data), "one-off-calls")
		b.ReportMetric(float64(maxRate), "ovh-max-per-min")
		b.ReportMetric(60, "ovh-guard-per-min")
		b.ReportMetric(float64(errs), "panel-errors")
	}
}

// BenchmarkP3HANOCWall is P3 over Grafana in high availability: the same
// wall spread over three plugin processes (replicas behind a load balancer)
// of one data source, once sharing one Redis (sharedCacheUrl) and once
// without (each replica with its own cache and rate guard), side by side,
// each with its own sandbox. ratio = upstream calls across the three ÷ Σ
// ⌈duration / TTL⌉, the budget of one perfect cache.
func BenchmarkP3HANOCWall(b *testing.B) {
	duration, every := 5*time.Minute, 10*time.Second
	if benchShort() {
		duration, every = 20*time.Second, 2*time.Second
	}
	for b.Loop() {
		rs := startRedis(b)
		var shared, local nocResult
		var wg sync.WaitGroup
		for _, withRedis := range []bool{true, false} {
			sb := sandbox.New(sandbox.Config{Latency: 30 * time.Millisecond, OVHRequestsPerMinute: nocGuard})
			srv := httptest.NewServer(sb)
			defer srv.Close()
			url := ""
			if withRedis {
				url = rs.URL()
			}
			ds := haDataSource("p3ha", srv.URL, url)
			hosts := launchReplicas(b, 3)
			wg.Go(func() {
				r := runWallOn(b, hosts, ds, sb, duration, every)
				if withRedis {
					shared = r
				} else {
					local = r
				}
			})
		}
		wg.Wait()
		for _, c := range []struct {
			name string
			r    nocResult
		}{{"one Redis", shared}, {"no Redis", local}} {
			b.Logf("3 replicas, %s: %d panels, %d upstream calls (%d fetching answers, %d one-off lookups) for a budget of %d (%.3f), OVH max %d/min, %d panel errors; calls by path: %s",
				c.name, c.r.panels, c.r.calls, c.r.data, c.r.calls-c.r.data, c.r.budget, float64(c.r.calls)/float64(c.r.budget), c.r.ovhMaxPerMinute, c.r.errors, formatPaths(c.r.paths))
		}
		b.ReportMetric(float64(shared.budget), "budget")
		b.ReportMetric(float64(shared.calls)/float64(shared.budget), "ratio-redis")
		b.ReportMetric(float64(local.calls)/float64(local.budget), "ratio-no-redis")
		b.ReportMetric(float64(shared.data)/float64(shared.budget), "data-ratio-redis")
		b.ReportMetric(float64(local.data)/float64(local.budget), "data-ratio-no-redis")
		b.ReportMetric(float64(shared.ovhMaxPerMinute), "ovh-max-per-min-redis")
		b.ReportMetric(float64(local.ovhMaxPerMinute), "ovh-max-per-min-no-redis")
		b.ReportMetric(nocGuard, "ovh-guard-per-min")
		b.ReportMetric(float64(shared.errors+local.errors), "panel-errors")
	}
}

// formatPaths lists the calls per path, most first.
func formatPaths(paths map[string]int) string {
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if paths[a] != paths[b] {
			return paths[b] - paths[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, paths[k]))
	}
	return strings.Join(parts, ", ")
}

// ---------------------------------------------------------------- P5

// byteCounter serves h and adds up the bytes of the answers to paths with
// the prefix: the raw bytes the upstream sent.
type byteCounter struct {
	h      http.Handler
	prefix string
	bytes  atomic.Int64
	calls  atomic.Int64
}

func (c *byteCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != c.prefix {
		c.h.ServeHTTP(w, r)
		return
	}
	c.calls.Add(1)
	c.h.ServeHTTP(&countingWriter{ResponseWriter: w, n: &c.bytes}, r)
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// procMemory reads a process's resident and peak resident memory (bytes).
func procMemory(pid int) (rss, peak int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak, nil
}

// p5Run is what one P5 run asks of a fresh plugin process: a data source
// whose upstream serves a large answer, one query, what its answer must be,
// and the counter of the answer's bytes (at the upstream).
type p5Run struct {
	ds    DataSource
	query Query
	check func(backend.DataResponse) error // nil: no error and at least one frame
	sent  *atomic.Int64
}

// p5Figures is what one run measured (bytes).
type p5Figures struct {
	start, peak, sent int64 // RSS at start, VmHWM after the answer, the answer's bytes
	crashed           bool  // the process died answering: no peak
}

// bound is issue 12's bound on the peak: 100 MiB + 3× the answer's bytes.
func (f p5Figures) bound() int64 { return 100<<20 + 3*f.sent }

// wantRows checks that the answer is one frame of n rows.
func wantRows(n int) func(backend.DataResponse) error {
	return func(r backend.DataResponse) error {
		if r.Error != nil {
			return r.Error
		}
		if len(r.Frames) != 1 || r.Frames[0].Rows() != n {
			return fmt.Errorf("%d frames (the first of %d rows), want one of %d rows", len(r.Frames), rowsOf(r), n)
		}
		return nil
	}
}

func rowsOf(r backend.DataResponse) int {
	if len(r.Frames) == 0 {
		return 0
	}
	return r.Frames[0].Rows()
}

// p5Measure launches a fresh plugin process (the binary of BinaryPath, with
// $SERVICESTATS_BENCH_PLUGIN_ENV), reads its RSS, sends run's query, checks
// the answer and reads the process's peak RSS (VmHWM: the whole process,
// runtime, gRPC, the answer in flight, decoded, framed, and the SDK's Arrow
// and protobuf encodings of the frames). A process that dies answering (the
// binary before issue 12 on deep nesting) is reported, not a failure.
func p5Measure(tb testing.TB, run p5Run) p5Figures {
	tb.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		tb.Skip("no /proc on this system")
	}
	var env []string
	if e := os.Getenv("SERVICESTATS_BENCH_PLUGIN_ENV"); e != "" {
		env = strings.Fields(e)
	}
	h := launchOwn(tb, env...)
	defer h.Close()
	var f p5Figures
	var err error
	if f.start, _, err = procMemory(h.PID()); err != nil {
		tb.Fatal(err)
	}
	run.sent.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	resp, err := h.QueryData(ctx, run.ds, run.query)
	f.sent = run.sent.Load()
	if err != nil {
		for i := 0; i < 50 && !h.client.Exited(); i++ { // the transport may fail before the exit is seen
			time.Sleep(100 * time.Millisecond)
		}
		if h.client.Exited() {
			f.crashed = true
			tb.Logf("the plugin process died answering (%v):\n%s", err, deathLines(h.Logs()))
			return f
		}
		tb.Fatal(err)
	}
	r := resp.Responses[run.query.RefID]
	check := run.check
	if check == nil {
		check = func(r backend.DataResponse) error {
			if r.Error != nil || len(r.Frames) == 0 {
				return fmt.Errorf("error %v, %d frames", r.Error, len(r.Frames))
			}
			return nil
		}
	}
	if err := check(r); err != nil {
		tb.Fatalf("the answer: %v", err)
	}
	if _, f.peak, err = procMemory(h.PID()); err != nil {
		tb.Fatal(err)
	}
	return f
}

// deathLines picks from a dead process's output the Go runtime's "fatal
// error" line and the last line (the exit), each cut to 300 bytes.
func deathLines(logs string) string {
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	var out []string
	for _, l := range lines {
		if strings.Contains(l, "fatal error") {
			out = append(out, l)
			break
		}
	}
	out = append(out, lines[len(lines)-1])
	for i, l := range out {
		if len(l) > 300 {
			out[i] = l[:300] + "…"
		}
	}
	return strings.Join(out, "\n")
}

// benchP5 runs setup's P5 run in a fresh process at every iteration and
// reports the last: peak-MiB and start-MiB (RSS), answer-MB (the answer's
// bytes ÷ 10⁶), ratio (peak ÷ answer bytes: issue 12's goal ≤ 3), growth-ratio
// ((peak − start) ÷ answer bytes), bound-MiB (100 MiB + 3× the answer) and
// bound-ok (1 when the peak is within it); or crashed 1.
func benchP5(b *testing.B, setup func(tb testing.TB) p5Run) {
	run := setup(b)
	var f p5Figures
	for b.Loop() {
		f = p5Measure(b, run)
	}
	if benchPprofDir() != "" { // where the bytes go, in a process apart from the measured one
		h, addr := launchProfiled(b)
		ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
		if _, err := h.QueryData(ctx, run.ds, run.query); err != nil {
			b.Logf("profiled run: %v", err)
		}
		cancel()
		saveProfile(b, addr, "/debug/pprof/allocs", "p5-"+b.Name()[strings.LastIndex(b.Name(), "/")+1:]+".allocs")
		h.Close()
	}
	if f.crashed {
		b.ReportMetric(1, "crashed")
		b.ReportMetric(float64(f.sent)/1e6, "answer-MB")
		return
	}
	b.Logf("answer %.1f MB: RSS %.1f MiB at start, peak %.1f MiB (bound %.1f MiB)", float64(f.sent)/1e6, mib(f.start), mib(f.peak), mib(f.bound()))
	b.ReportMetric(mib(f.peak), "peak-MiB")
	b.ReportMetric(mib(f.start), "start-MiB")
	b.ReportMetric(float64(f.sent)/1e6, "answer-MB")
	b.ReportMetric(float64(f.peak)/float64(f.sent), "ratio")
	b.ReportMetric(float64(f.peak-f.start)/float64(f.sent), "growth-ratio")
	b.ReportMetric(mib(f.bound()), "bound-MiB")
	ok := 0.0
	if f.peak <= f.bound() {
		ok = 1
	}
	b.ReportMetric(ok, "bound-ok")
}

// p5Size is full in a real run and short in CI's (SERVICESTATS_BENCH_SHORT).
func p5Size(full, short int) int {
	if benchShort() {
		return short
	}
	return full
}

// BenchmarkP5Memory: issue 12's bound for every answer shape, each through
// the built binary in a fresh process per run (test/bench/notes.md).
func BenchmarkP5Memory(b *testing.B) {
	shapes := []struct {
		name  string
		setup func(tb testing.TB) p5Run
	}{
		{"pulse-logs", func(tb testing.TB) p5Run { return logsRun(tb, p5Size(200_000, sandbox.DefaultPulseRowsPerDay)) }},
		{"pulse-routes-top10", func(tb testing.TB) p5Run { return aggregateRun(tb, "routes", p5Size(200, 2), 10) }},
		{"pulse-requests-top10", func(tb testing.TB) p5Run { return aggregateRun(tb, "requests", p5Size(200, 2), 10) }},
		{"pulse-nested-2MB", func(tb testing.TB) p5Run { return nestedRun(tb, p5Size(2<<20, 64<<10)) }},
		{"pulse-nested-4MB", func(tb testing.TB) p5Run { return nestedRun(tb, p5Size(4<<20, 64<<10)) }},
		{"onapp-json-grouped-documented", func(tb testing.TB) p5Run { return onappRun(tb, false, p5Size(2880, 48), 130, false) }},
		{"onapp-json-grouped-tolerant", func(tb testing.TB) p5Run { return onappRun(tb, false, p5Size(2880, 48), 130, true) }},
		{"onapp-json-ungrouped-documented", func(tb testing.TB) p5Run { return onappRun(tb, false, p5Size(150_000, 2000), 0, false) }},
		{"onapp-json-ungrouped-tolerant", func(tb testing.TB) p5Run { return onappRun(tb, false, p5Size(150_000, 2000), 0, true) }},
		{"onapp-xml-grouped-documented", func(tb testing.TB) p5Run { return onappRun(tb, true, p5Size(1440, 48), 130, false) }},
		{"onapp-xml-grouped-tolerant", func(tb testing.TB) p5Run { return onappRun(tb, true, p5Size(1440, 48), 130, true) }},
		{"onapp-xml-ungrouped-documented", func(tb testing.TB) p5Run { return onappRun(tb, true, p5Size(150_000, 2000), 0, false) }},
		{"onapp-xml-ungrouped-tolerant", func(tb testing.TB) p5Run { return onappRun(tb, true, p5Size(150_000, 2000), 0, true) }},
		{"ovh-yearly-fanout", func(tb testing.TB) p5Run { return ovhYearlyRun(tb, p5Size(250, 5)) }},
		{"at-cap-onapp-xml-tolerant", func(tb testing.TB) p5Run { return atCapRun(tb, p5Size(64<<20, 1<<20)) }},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) { benchP5(b, s.setup) })
	}
}

// logsRun is the P5 run of a logs query of rows rows (pages of 5,000) from
// the sandbox; the bytes of its pages are counted.
func logsRun(tb testing.TB, rows int) p5Run {
	cfg := sandbox.Config{}
	counter := &byteCounter{h: sandbox.New(cfg), prefix: sandbox.PulsePrefix + "/stats"}
	srv := httptest.NewServer(counter)
	tb.Cleanup(srv.Close)
	step := 24 * time.Hour / sandbox.DefaultPulseRowsPerDay // the sandbox's grid
	to := time.Now().Add(-time.Hour).Truncate(step)
	from := to.Add(-time.Duration(rows) * step)
	if n := sandbox.PulseRowCount(cfg, "", from, to); n != rows {
		tb.Fatalf("the sandbox holds %d rows in the range, want %d", n, rows)
	}
	return p5Run{
		ds:    benchDataSource("p5-logs", srv.URL, map[string]any{"maxPages": 100}),
		query: Query{RefID: "A", QueryType: "usage", JSON: map[string]any{"report": "logs", "limit": 5000}, From: from, To: to},
		check: wantRows(rows),
		sent:  &counter.bytes,
	}
}

// ovhYearlyRun is the P5 run of a telephony query of lines lines × the 4
// metrics over a year (timeframe yearly, 367 points a body): lines × 4
// statistics bodies, written as the sandbox writes them
// (sandbox.OVHLineStatistics), and a description per line (counted too). The sandbox
// knows 5 lines; these are answered here, the rest (the clock) by it.
func ovhYearlyRun(tb testing.TB, lines int) p5Run {
	names := make([]string, lines)
	for i := range names {
		names[i] = fmt.Sprintf("0033100%06d", i)
	}
	prefix := sandbox.OVHPrefix + "/telephony/" + telAccount + "/line/0033100"
	sent := &atomic.Int64{}
	base := answering(tb, sent, func(r *http.Request) (string, []byte, bool) {
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok {
			return "", nil, false
		}
		line, stats := strings.CutSuffix("0033100"+rest, "/statistics")
		if !stats {
			body, _ := json.Marshal(map[string]string{"serviceName": line, "description": "Line " + line, "serviceType": "alias"})
			return "application/json", body, true
		}
		st, err := sandbox.OVHLineStatistics(line, r.URL.Query().Get("timeframe"), r.URL.Query().Get("type"), time.Now())
		if err != nil {
			return "application/json", []byte(`{"message":"Invalid value"}`), true
		}
		body, _ := json.Marshal(st)
		return "application/json", body, true
	})
	now := time.Now()
	metrics := []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"}
	return p5Run{
		ds: benchDataSource("p5-ovh", base, map[string]any{"ovhRequestsPerMinute": 100_000, "timeoutSeconds": 60}),
		query: Query{RefID: "A", QueryType: "telephony", From: now.Add(-365 * 24 * time.Hour), To: now,
			JSON: map[string]any{"billingAccount": telAccount, "lines": names, "metrics": metrics}},
		check: func(r backend.DataResponse) error {
			if r.Error != nil || len(r.Frames) != lines*len(metrics) {
				return fmt.Errorf("error %v, %d frames, want %d", r.Error, len(r.Frames), lines*len(metrics))
			}
			return nil
		},
		sent: sent,
	}
}

// atCapRun is the P5 run of an OnApp answer just under the size cap: the
// data source's maxResponseBytes set to limit, an XML answer of the
// tolerant form (the costliest reading) of about 0.95 × limit.
func atCapRun(tb testing.TB, limit int) p5Run {
	const resources = 130
	perStat := len(onappAnswer(true, time.Unix(0, 0), time.Unix(3600, 0), 10, resources, true)) / 10
	stats := limit * 95 / 100 / perStat
	run := onappRun(tb, true, stats, resources, true)
	run.ds.JSONData["maxResponseBytes"] = limit
	return run
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
