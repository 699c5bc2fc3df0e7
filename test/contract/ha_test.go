package contract

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/redis/go-redis/v9"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// Grafana in high availability (issue 16): several replicas, each with its
// own plugin process, share one Redis (sharedCacheUrl) for the cache, the
// coalescing of identical calls and the OVH rate guard.

// redisServer is a real redis-server on a free loopback port, for one test.
type redisServer struct {
	cmd  *exec.Cmd
	Addr string
	done chan struct{}
}

// URL is the server's sharedCacheUrl.
func (r *redisServer) URL() string { return "redis://" + r.Addr + "/0" }

// Stop kills the server (by its pid) and waits for it to exit.
func (r *redisServer) Stop() {
	if r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// startRedis starts redis-server without persistence on a free loopback
// port and stops it when the test ends. Without redis-server the test is
// skipped, unless CI is set (the test command installs it there): then it
// fails.
func startRedis(tb testing.TB, args ...string) *redisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "" {
			tb.Skip("redis-server is not installed: apt-get install -y redis-server (scripts/test.sh installs it) to run the high-availability tests")
		}
		tb.Fatal("redis-server is not installed, and CI is set: scripts/test.sh installs it (apt-get install -y redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	argv := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, args...)
	cmd := exec.Command(bin, argv...)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	r := &redisServer{cmd: cmd, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	tb.Cleanup(r.Stop)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return r
		}
		if i == 100 {
			tb.Fatalf("redis-server on %s does not answer: %v", r.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// launchReplicas starts n plugin processes of the built binary.
func launchReplicas(tb testing.TB, n int) []*Host {
	tb.Helper()
	bin, err := BinaryPath()
	if err != nil {
		tb.Fatal(err)
	}
	hosts := make([]*Host, n)
	for i := range hosts {
		h, err := Launch(bin)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(h.Close)
		hosts[i] = h
	}
	return hosts
}

// haDataSource is the sandbox data source every replica reads from
// Grafana's database: the same uid and Updated time (so the same cache
// namespace), here with the shared cache at redisURL ("" for none).
func haDataSource(name, base, redisURL string) DataSource {
	ds := benchDataSource(name, base, nil)
	if redisURL != "" {
		ds.JSONData["sharedCacheUrl"] = redisURL
		ds.JSONData["sharedCacheReplicas"] = 3
	}
	return ds
}

// TestHAThreeReplicasShareOneCacheAndOneBudget: three plugin processes
// behind one load balancer, one Redis, one sandbox with OVHcloud's own rate
// limit on, the NOC wall's load for 150 s of refreshes. Across the three,
// the upstream calls stay within one process's ideal cache budget and the
// OVH calls within one credential's budget, with no panel error; then Redis
// stops, and every panel still answers, the health check saying why.
func TestHAThreeReplicasShareOneCacheAndOneBudget(t *testing.T) {
	rs := startRedis(t)
	sb, base := startSandbox(t, sandbox.Config{Latency: 30 * time.Millisecond, OVHRequestsPerMinute: nocGuard})
	hosts := launchReplicas(t, 3)
	ds := haDataSource("ha", base, rs.URL())

	duration, every := 150*time.Second, 10*time.Second
	r := runWallOn(t, hosts, ds, sb, duration, every)
	// The budget of a perfect cache shared by the three: each of the 12
	// queries ⌈T / TTL⌉ times, and each one-off lookup (the lines'
	// descriptions, the API's clock) once.
	oneOffs := 0
	for path := range r.paths {
		if !isDataCall(path) {
			oneOffs++
		}
	}
	budget := r.budget + oneOffs
	ratio := float64(r.calls) / float64(budget)
	t.Logf("3 replicas, one Redis: %d panels, %d upstream calls (%d fetching answers, %d one-off lookups of %d distinct) for a budget of %d (%d for the queries) (%.3f; answers alone %.3f; P3's ratio, all calls ÷ the queries' budget, %.3f), OVH max %d/min, %d panel errors; calls by path: %s",
		r.panels, r.calls, r.data, r.calls-r.data, oneOffs, budget, r.budget, ratio, float64(r.data)/float64(r.budget), float64(r.calls)/float64(r.budget),
		r.ovhMaxPerMinute, r.errors, formatPaths(r.paths))
	if r.errors != 0 {
		t.Errorf("%d panel errors", r.errors)
	}
	if ratio > 1.0 {
		t.Errorf("upstream calls ÷ budget = %d ÷ %d = %.3f across the three replicas, want ≤ 1.0", r.calls, budget, ratio)
	}
	if r.data > r.budget {
		t.Errorf("%d calls fetching answers across the three replicas, over the %d of one perfect cache", r.data, r.budget)
	}
	if r.ovhMaxPerMinute > nocGuard {
		t.Errorf("OVHcloud saw %d calls in a minute, over the budget of %d", r.ovhMaxPerMinute, nocGuard)
	}
	for i, h := range hosts {
		if n := strings.Count(h.Logs(), "shared cache unreachable"); n > 0 {
			t.Logf("replica %d lost Redis %d times (a Redis call over its 150 ms) while it ran", i+1, n)
		}
		res, err := h.CheckHealth(ctxT(t), ds)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "Shared cache: OK") {
			t.Errorf("replica %d health: %s %q", i+1, res.Status, res.Message)
		}
	}

	// Redis stops mid-run: every replica keeps answering on its own.
	rs.Stop()
	var panels int
	if errs := wallTicks(t, hosts, ds, 6*time.Second, 2*time.Second, &panels); errs != 0 {
		t.Errorf("with Redis stopped, %d of %d panels failed", errs, panels)
	}
	res, err := hosts[0].CheckHealth(ctxT(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "shared cache unreachable: ") || !strings.Contains(res.Message, rs.Addr) {
		t.Errorf("health with Redis stopped: %s %q", res.Status, res.Message)
	}
	if !strings.Contains(hosts[0].Logs()+hosts[1].Logs()+hosts[2].Logs(), "shared cache unreachable") {
		t.Errorf("no replica logged that Redis is unreachable")
	}
}

// TestHAOVHBudgetIsSharedAcrossReplicas: three replicas each asked for more
// distinct OVH statistics than one credential's budget allows in a minute
// start no more than the budget between them, as one process would.
func TestHAOVHBudgetIsSharedAcrossReplicas(t *testing.T) {
	rs := startRedis(t)
	sb, base := startSandbox(t, sandbox.Config{OVHRequestsPerMinute: 100})
	hosts := launchReplicas(t, 3)
	ds := haDataSource("ha-budget", base, rs.URL())
	ds.JSONData["ovhRequestsPerMinute"] = 12
	ds.JSONData["ovhAlertingShare"] = 0

	// Each replica asks for its own timeframe, so no answer is shared: 3 ×
	// 12 statistics calls (3 lines × 4 metrics) against a budget of 12 a
	// minute.
	done := make(chan error, len(hosts))
	for i, h := range hosts {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := h.QueryData(ctx, ds, Query{RefID: "A", QueryType: "telephony", From: time.Now().Add(-time.Hour), To: time.Now(),
				JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789", "0033123456790", "0033123456791"},
					"metrics": []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"}, "timeframe": []string{"daily", "weekly", "monthly"}[i]}})
			done <- err
		}()
	}
	for range hosts {
		if err := <-done; err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("query: %v", err)
		}
	}
	st := sb.Stats()
	if got := st.OVHMaxPerMinute[sandbox.OVHConsumerKey]; got > 12 {
		t.Errorf("three replicas started %d OVH calls within a minute, over the shared budget of 12", got)
	} else if got < 12 {
		t.Errorf("three replicas started only %d OVH calls within a minute: the shared budget of 12 is not used (calls: %s)", got, formatPaths(st.Paths))
	}
}

// TestHAHealthNamesAnUnreachableRedisAndStaysOK: a data source whose Redis
// does not answer keeps its sources healthy and answering; the health line
// says the shared cache is unreachable, and no secret shows.
func TestHAHealthNamesAnUnreachableRedisAndStaysOK(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, base := startSandbox(t, sandbox.Config{})
	ds := haDataSource("ha-down", base, "redis://"+addr+"/0")
	ds.Secure["sharedCachePassword"] = "redis-secret-pw-16"
	resp, err := host.QueryData(ctxT(t), ds, Query{RefID: "A", QueryType: "usage", JSON: map[string]any{"report": "requests"},
		From: time.Now().Add(-time.Hour), To: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Responses["A"]; r.Error != nil {
		t.Fatalf("with Redis unreachable the query failed: %v", r.Error)
	}
	res, err := host.CheckHealth(ctxT(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusOk || !strings.Contains(res.Message, "shared cache unreachable: Redis at redis://"+addr) {
		t.Errorf("health: %s %q", res.Status, res.Message)
	}
	if strings.Contains(res.Message+string(res.JSONDetails)+host.Logs(), "redis-secret-pw-16") {
		t.Errorf("the shared cache's password leaked")
	}
}

// TestHAMalformedSharedCacheURLFailsTheDataSource: a sharedCacheUrl that is
// no Redis URL fails the data source at load, naming the key, never the
// password it carries.
func TestHAMalformedSharedCacheURLFailsTheDataSource(t *testing.T) {
	ds := haDataSource("ha-bad", "http://127.0.0.1:1", "http://ops:hunter2-in-url@redis:6379")
	res, err := host.CheckHealth(ctxT(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "sharedCacheUrl") || strings.Contains(res.Message, "hunter2-in-url") {
		t.Errorf("health: %s %q", res.Status, res.Message)
	}
}
