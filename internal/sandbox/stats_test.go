package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStatsCounting(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	token := ovhTestToken(t, srv, OVHClientID)                               // ovh POST /auth/oauth2/token
	ovhCall(t, srv, "GET", "/auth/time", "", ovhAuth{})                      // no consumer
	ovhCall(t, srv, "GET", "/telephony", "", signedBy(OVHConsumerKey))       // consumer key
	ovhCall(t, srv, "GET", "/telephony", "", signedBy(OVHConsumerKey))       // twice
	ovhCall(t, srv, "GET", "/telephony/a%2Fb", "", signedBy(OVHConsumerKey)) // as sent
	ovhCall(t, srv, "GET", "/telephony", "", signedBy("nobody"))             // refused, still counted
	ovhCall(t, srv, "GET", "/telephony", "", ovhAuth{token: token})          // oauth2
	for _, u := range []string{OnAppPrefix + "/cdn_resources.json", PulsePrefix + "/stats", PulsePrefix + "/stats"} {
		if _, _, err := rawGet(t, srv.URL+u, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	rawGet(t, srv.URL+"/_sandbox/stats", 5*time.Second) // not counted
	rawGet(t, srv.URL+"/_sandbox/faults", 5*time.Second)

	want := Stats{
		Calls: map[string]int{"ovh": 7, "onapp": 1, "pulse": 2},
		Paths: map[string]int{
			"ovh POST /auth/oauth2/token":   1,
			"ovh GET /auth/time":            1,
			"ovh GET /telephony":            4,
			"ovh GET /telephony/a%2Fb":      1,
			"onapp GET /cdn_resources.json": 1,
			"pulse GET /stats":              2,
		},
		OVHMaxPerMinute: map[string]int{OVHConsumerKey: 3, "nobody": 1, "oauth2": 1},
	}
	if got := sb.Stats(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Stats() = %+v\nwant %+v", got, want)
	}

	sb.ResetStats()
	zero := Stats{Calls: map[string]int{"ovh": 0, "onapp": 0, "pulse": 0}, Paths: map[string]int{}, OVHMaxPerMinute: map[string]int{}}
	if got := sb.Stats(); !reflect.DeepEqual(got, zero) {
		t.Fatalf("after ResetStats: %+v", got)
	}
	// The snapshot is a copy.
	st := sb.Stats()
	st.Calls["ovh"] = 99
	if sb.Stats().Calls["ovh"] != 0 {
		t.Fatal("Stats() shares its maps")
	}
}

func TestStatsWindowMax(t *testing.T) {
	clock := &testWallClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv, sb := newOVHTestServer(t, Config{wallNow: clock.Now})
	callAt := func(offsets ...time.Duration) {
		start := clock.Now()
		for _, off := range offsets {
			clock.Advance(start.Add(off).Sub(clock.Now()))
			ovhCall(t, srv, "GET", "/telephony", "", signedBy(OVHConsumerKey))
		}
	}
	// Windows hold (t-60s, t]: at 60 s the call at 0 has left.
	callAt(0, 10*time.Second, 20*time.Second, 59*time.Second, 60*time.Second, 61*time.Second, 119900*time.Millisecond)
	if got := sb.Stats().OVHMaxPerMinute[OVHConsumerKey]; got != 5 {
		t.Fatalf("max per minute %d, want 5 (10, 20, 59, 60 and 61 s)", got)
	}
	// A later, busier minute raises the maximum; a quieter one does not lower it.
	clock.Advance(time.Hour)
	callAt(0, time.Second, 2*time.Second, 3*time.Second, 4*time.Second, 5*time.Second)
	clock.Advance(time.Hour)
	callAt(0)
	if got := sb.Stats().OVHMaxPerMinute[OVHConsumerKey]; got != 6 {
		t.Fatalf("max per minute %d, want 6", got)
	}
}

func TestStatsSlidingWindow(t *testing.T) {
	tests := []struct {
		name    string
		seconds []float64
		want    int
	}{
		{"empty", nil, 0},
		{"one", []float64{0}, 1},
		{"exactly 60 s apart", []float64{0, 60}, 1},
		{"just under 60 s apart", []float64{0, 59.999}, 2},
		{"burst in the middle", []float64{0, 30, 31, 32, 89, 90, 200}, 4},
		{"evenly spread", []float64{0, 20, 40, 60, 80, 100, 120}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := time.Unix(1_700_000_000, 0)
			var w slidingWindow
			best := 0
			for _, s := range tt.seconds {
				best = max(best, w.add(base.Add(time.Duration(s*float64(time.Second)))))
			}
			if best != tt.want {
				t.Fatalf("max %d, want %d", best, tt.want)
			}
		})
	}
}

// TestStatsConcurrent hammers every API at once; run it with -race.
func TestStatsConcurrent(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	urls := []string{
		srv.URL + OVHPrefix + "/auth/time",
		srv.URL + OnAppPrefix + "/edge_groups.json",
		srv.URL + PulsePrefix + "/stats/routes",
	}
	const perAPI = 150
	var wg sync.WaitGroup
	for i := range 3 * perAPI {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", urls[i%3], nil)
			req.Header.Set("X-Ovh-Consumer", []string{"ck-a", "ck-b"}[i%2])
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
		if i%50 == 0 {
			wg.Go(func() { _ = sb.Stats(); _ = sb.Faults() })
		}
	}
	wg.Wait()
	st := sb.Stats()
	if !reflect.DeepEqual(st.Calls, map[string]int{"ovh": perAPI, "onapp": perAPI, "pulse": perAPI}) {
		t.Fatalf("calls %v", st.Calls)
	}
	if got := st.OVHMaxPerMinute["ck-a"] + st.OVHMaxPerMinute["ck-b"]; got != perAPI {
		t.Fatalf("max per minute %v, want %d in all", st.OVHMaxPerMinute, perAPI)
	}
}

// control calls the control API and decodes its JSON answer into out.
func control(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, url, b, err)
		}
	}
	return resp.StatusCode
}

func TestControlAPI(t *testing.T) {
	srv, sb := newOVHTestServer(t, Config{})
	faults, stats := srv.URL+"/_sandbox/faults", srv.URL+"/_sandbox/stats"

	var list []Fault
	if st := control(t, "GET", faults, "", &list); st != 200 || list == nil || len(list) != 0 {
		t.Fatalf("empty list: %d %v", st, list)
	}

	// Add a rule over HTTP, see it listed and applied.
	var added Fault
	rule := `{"api":"ovh","path":"/auth/time","query":"","kind":"status","status":503,"retryAfter":"1","times":2}`
	if st := control(t, "POST", faults, rule, &added); st != 201 {
		t.Fatalf("POST: %d", st)
	}
	want := Fault{API: APIOVH, Path: "/auth/time", Kind: FaultStatus, Status: 503, RetryAfter: "1", Times: 2}
	if added != want {
		t.Fatalf("added %+v", added)
	}
	if control(t, "GET", faults, "", &list); !reflect.DeepEqual(list, []Fault{want}) || !reflect.DeepEqual(sb.Faults(), list) {
		t.Fatalf("listed %+v", list)
	}
	if resp, _, _ := rawGet(t, ovhTimeURL(srv), 5*time.Second); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("rule not applied: %d", resp.StatusCode)
	}

	// The control API is not subject to faults, latency or counting.
	sb.AddFault(Fault{Kind: FaultReset})
	if st := control(t, "GET", stats, "", nil); st != 200 {
		t.Fatalf("stats under a reset rule: %d", st)
	}
	var s Stats
	if control(t, "GET", stats, "", &s); s.Calls["ovh"] != 1 || s.Paths["ovh GET /auth/time"] != 1 || len(s.Paths) != 1 {
		t.Fatalf("stats %+v", s)
	}

	// Clear both.
	if st := control(t, "DELETE", faults, "", nil); st != 204 || len(sb.Faults()) != 0 {
		t.Fatalf("DELETE faults: %d, %v left", st, sb.Faults())
	}
	if st := control(t, "DELETE", stats, "", nil); st != 204 || sb.Stats().Calls["ovh"] != 0 {
		t.Fatalf("DELETE stats: %d", st)
	}

	// Invalid rules and methods.
	for _, body := range []string{
		`{"kind":"explode"}`,
		`{"kind":"status","retry_after":"1"}`, // misspelt field
		`{"api":"github","kind":"reset"}`,
		`{"kind":"status","status":"503"}`,
		`not json`,
	} {
		var e struct{ Error string }
		if st := control(t, "POST", faults, body, &e); st != 400 || e.Error == "" {
			t.Errorf("POST %s: %d %q, want 400 with a message", body, st, e.Error)
		}
	}
	if st := control(t, "PUT", faults, "{}", nil); st != 405 {
		t.Errorf("PUT faults: %d, want 405", st)
	}
	if st := control(t, "POST", stats, "{}", nil); st != 405 {
		t.Errorf("POST stats: %d, want 405", st)
	}
	if len(sb.Faults()) != 0 {
		t.Fatalf("invalid rules were added: %+v", sb.Faults())
	}
}
