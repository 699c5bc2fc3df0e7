package contract

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// TestResilienceRateGuardNeverBreachesTheOVHRate fires 200 distinct OVH calls
// at once — two data sources sharing one consumer key, each asking for 100
// different (line, metric, timeframe) series — with the guard at 60 calls a
// minute and an 8-second deadline. The sandbox counts: no 60-second window
// may hold more than 60 calls of that key, and the calls that cannot fit
// before the deadline fail with the guard's own message.
func TestResilienceRateGuardNeverBreachesTheOVHRate(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	var queries []Query
	now := time.Now()
	for _, acct := range sandbox.OVHAccounts() {
		if acct.StatisticsRetired {
			continue
		}
		for _, line := range acct.Lines {
			for _, metric := range []string{"maxDelay", "maxJitter", "rtpMos", "sumRtpLost"} {
				for _, tf := range []string{"hourly", "daily", "weekly", "monthly", "yearly"} {
					queries = append(queries, Query{
						RefID: fmt.Sprintf("%s-%s-%s", line.ServiceName, metric, tf), QueryType: "telephony",
						JSON: map[string]any{"billingAccount": acct.BillingAccount, "lines": []string{line.ServiceName}, "metrics": []string{metric}, "timeframe": tf},
						From: now.Add(-time.Hour), To: now,
					})
				}
			}
		}
	}
	if len(queries) != 100 {
		t.Fatalf("the sandbox serves %d distinct series, the test needs 100", len(queries))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	answered, guarded := 0, 0
	var other []string
	for i := range 2 {
		ds := sandboxDataSource(fmt.Sprintf("rate-%d", i), base)
		ds.JSONData["ovhRequestsPerMinute"] = 60
		ds.JSONData["cacheTTLSeconds"] = 0
		wg.Go(func() {
			resp, err := host.QueryData(ctx, ds, queries...)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for ref, r := range resp.Responses {
				switch {
				case r.Error == nil:
					answered++
				case strings.Contains(r.Error.Error(), "rate guard (60 calls per minute"):
					guarded++
				default:
					other = append(other, ref+": "+r.Error.Error())
				}
			}
		})
	}
	wg.Wait()
	stats := sb.Stats()
	t.Logf("answered %d, stopped by the guard %d; sandbox: %d OVH calls, max per minute %v", answered, guarded, stats.Calls["ovh"], stats.OVHMaxPerMinute)
	if len(other) > 0 {
		t.Errorf("%d queries failed otherwise, e.g. %s", len(other), other[0])
	}
	if max := stats.OVHMaxPerMinute[sandbox.OVHConsumerKey]; max > 60 || max == 0 {
		t.Errorf("the sandbox saw %d calls of the consumer key in one minute, want 1..60", max)
	}
	if answered == 0 || guarded == 0 || answered+guarded != 200 {
		t.Errorf("answered %d + guarded %d, want both > 0 and 200 in all", answered, guarded)
	}
}

// TestResilienceThousandConcurrentQueries sends 1,000 QueryData calls at once
// through the binary and checks every one answers, that identical calls were
// coalesced or cached (the sandbox saw far fewer calls), and that the plugin
// process's memory stays bounded.
func TestResilienceThousandConcurrentQueries(t *testing.T) {
	sb, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("thousand", base)
	now := time.Now().Truncate(time.Minute)
	kinds := []Query{
		{QueryType: "usage", JSON: map[string]any{"report": "requests"}},
		{QueryType: "usage", JSON: map[string]any{"report": "routes"}},
		{QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": "location"}},
		{QueryType: "telephony", JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"rtpMos"}}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	sem := make(chan struct{}, 200) // gRPC streams in flight at once
	for i := range 1000 {
		q := kinds[i%len(kinds)]
		q.RefID, q.From, q.To = "A", now.Add(-24*time.Hour), now
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			resp, err := host.QueryData(ctx, ds, q)
			if err != nil {
				errs <- err
				return
			}
			if r := resp.Responses["A"]; r.Error != nil || len(r.Frames) == 0 {
				errs <- fmt.Errorf("%s: %v", q.QueryType, r.Error)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	calls := sb.Stats().Calls
	total := calls["ovh"] + calls["onapp"] + calls["pulse"]
	if total > 50 {
		t.Errorf("1,000 queries over 4 distinct answers made %d upstream calls", total)
	}
	rss, peak := processMemory(t, host.PID())
	t.Logf("upstream calls %v; plugin RSS %d MiB, peak %d MiB", calls, rss>>20, peak>>20)
	if peak > 512<<20 {
		t.Errorf("plugin peak RSS %d MiB, want under 512 MiB", peak>>20)
	}
}

// processMemory reads a process's resident and peak resident memory (bytes).
func processMemory(t *testing.T, pid int) (rss, peak int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc on this system: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
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
	return rss, peak
}
