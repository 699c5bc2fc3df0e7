package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// pulseTestNow is the sandbox clock in these tests: off the grid, with
// milliseconds, so window edges are exercised.
var pulseTestNow = time.Date(2025, 6, 15, 12, 34, 56, 789_000_000, time.UTC)

// pulseTestDay is a whole UTC day well inside the window.
var pulseTestDay = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newPulseTestServer(t testing.TB, cfg Config) *httptest.Server {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedClock(pulseTestNow)
	}
	srv := httptest.NewServer(newPulse(cfg))
	t.Cleanup(srv.Close)
	return srv
}

// pulseCall sends GET path?query with header Authorization: auth ("" for none).
func pulseCall(t testing.TB, srv *httptest.Server, method, path string, query url.Values, auth string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path+"?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// pulseGet sends an authorized GET, requires a 200 and decodes the answer.
func pulseGet[T any](t testing.TB, srv *httptest.Server, path string, query url.Values) T {
	t.Helper()
	status, body := pulseCall(t, srv, http.MethodGet, path, query, "Bearer "+PulseToken)
	if status != http.StatusOK {
		t.Fatalf("GET %s?%s: %d %s", path, query.Encode(), status, body)
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s?%s: %v in %.200s", path, query.Encode(), err, body)
	}
	return v
}

// pulseWire is a RequestLog as served, its varying fields left raw.
type pulseWire struct {
	RequestID       string          `json:"requestId"`
	Entreprise      json.RawMessage `json:"entreprise"`
	Enterprise      json.RawMessage `json:"enterprise"`
	Device          json.RawMessage `json:"device"`
	Route           string          `json:"route"`
	Method          string          `json:"method"`
	Timestamp       json.RawMessage `json:"timestamp"`
	ExecutionTime   int             `json:"executionTime"`
	ResponseSize    int             `json:"responseSize"`
	ComplexityScore int             `json:"complexityScore"`
}

// pulseLog is a RequestLog read tolerantly, with the form each varying
// field came in.
type pulseLog struct {
	pulseWire
	enterpriseID, enterpriseForm string
	deviceID, deviceForm         string
	time                         time.Time
	timeForm                     string
}

func readPulseLogs(t testing.TB, wire []pulseWire) []pulseLog {
	t.Helper()
	logs := make([]pulseLog, len(wire))
	for i, w := range wire {
		l := pulseLog{pulseWire: w}
		// The first byte of each raw value tells its form.
		var err error
		var ent PulseEnterprise
		switch {
		case pulseFirst(w.Entreprise) == '"':
			l.enterpriseForm, err = "entreprise: id", json.Unmarshal(w.Entreprise, &l.enterpriseID)
		case pulseFirst(w.Entreprise) == '{':
			l.enterpriseForm, err = "entreprise: object", json.Unmarshal(w.Entreprise, &ent)
		case pulseFirst(w.Enterprise) == '{':
			l.enterpriseForm, err = "enterprise: object", json.Unmarshal(w.Enterprise, &ent)
		}
		if ent.ID != "" {
			l.enterpriseID = ent.ID
		}
		if err != nil || l.enterpriseID == "" {
			t.Fatalf("row %d: no enterprise in %s %s (%v)", i, w.Entreprise, w.Enterprise, err)
		}

		var devs []PulseDevice
		switch pulseFirst(w.Device) {
		case '[':
			err = json.Unmarshal(w.Device, &devs)
		case '{':
			devs = make([]PulseDevice, 1)
			l.deviceForm, err = "object", json.Unmarshal(w.Device, &devs[0])
		}
		switch {
		case err != nil || len(devs) > 1 || (len(devs) == 1 && devs[0].ID == ""):
			t.Fatalf("row %d: device %s (%v)", i, w.Device, err)
		case len(devs) == 0:
			l.deviceForm = "none"
		case l.deviceForm == "":
			l.deviceID, l.deviceForm = devs[0].ID, "array"
		default:
			l.deviceID = devs[0].ID
		}

		if pulseFirst(w.Timestamp) == '"' {
			l.time, err = time.Parse(`"`+time.RFC3339Nano+`"`, string(w.Timestamp))
			l.timeForm = "iso"
		} else {
			var ms int64
			if ms, err = strconv.ParseInt(string(w.Timestamp), 10, 64); ms < 1e11 {
				err = fmt.Errorf("not epoch milliseconds")
			}
			l.time, l.timeForm = time.UnixMilli(ms), "epoch ms"
		}
		if err != nil {
			t.Fatalf("row %d: timestamp %s: %v", i, w.Timestamp, err)
		}
		logs[i] = l
	}
	return logs
}

// pulseFirst returns the first byte of a raw JSON value, 0 when absent.
func pulseFirst(raw json.RawMessage) byte {
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// pulseWalk reads every page of /stats for query with the given page size,
// stopping at the first short page as the plugin does.
func pulseWalk(t testing.TB, srv *httptest.Server, query url.Values, limit int) []pulseLog {
	t.Helper()
	var all []pulseWire
	for page := 1; ; page++ {
		q := cloneValues(query)
		q.Set("page", strconv.Itoa(page))
		q.Set("limit", strconv.Itoa(limit))
		rows := pulseGet[[]pulseWire](t, srv, "/stats", q)
		all = append(all, rows...)
		if len(rows) < limit {
			return readPulseLogs(t, all)
		}
	}
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func rfc3339(t time.Time) string { return t.Format(time.RFC3339Nano) }

func TestPulseAuth(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	tests := []struct {
		name, auth     string
		status         int
		error, message string
	}{
		{"missing", "", 401, "Unauthorized", "Missing bearer token"},
		{"other scheme", "Basic " + PulseToken, 401, "Unauthorized", "Missing bearer token"},
		{"empty bearer", "Bearer ", 401, "Unauthorized", "Missing bearer token"},
		{"wrong token", "Bearer nope", 401, "Unauthorized", "Invalid token"},
		{"revoked token", "Bearer " + PulseTokenRevoked, 403, "Forbidden", "Token revoked"},
		{"valid", "Bearer " + PulseToken, 200, "", ""},
		{"valid, scheme in lower case", "bearer " + PulseToken, 200, "", ""},
	}
	for _, path := range []string{"/stats", "/stats/requests", "/stats/complexity", "/stats/devices", "/stats/routes"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				status, body := pulseCall(t, srv, http.MethodGet, path, nil, tt.auth)
				if status != tt.status {
					t.Fatalf("status %d, want %d: %s", status, tt.status, body)
				}
				if tt.status == 200 {
					return
				}
				var e pulseError
				if err := json.Unmarshal(body, &e); err != nil || e.Error != tt.error || e.Message != tt.message {
					t.Errorf("body %s, want error %q message %q", body, tt.error, tt.message)
				}
			})
		}
	}
}

func TestPulseRouting(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/stats/", 200},
		{http.MethodGet, "/stats/unknown", 404},
		{http.MethodGet, "/", 404},
		{http.MethodPost, "/stats", 405},
		{http.MethodDelete, "/stats/routes", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, body := pulseCall(t, srv, tt.method, tt.path, nil, "Bearer "+PulseToken)
			if status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
		})
	}
}

func TestPulseValidation(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	tests := []struct {
		name, query string // raw query string
		message     string // "" for a 200
	}{
		{"RFC 3339", "startDate=2025-06-01T00:00:00Z&endDate=2025-06-02T00:00:00Z", ""},
		{"fractional seconds", "startDate=2025-06-01T00:00:00.123Z&endDate=2025-06-01T01:00:00.5Z", ""},
		{"nanoseconds", "startDate=2025-06-01T00:00:00.123456789Z", ""},
		{"offset", "startDate=2025-06-01T02:00:00%2B02:00&endDate=2025-06-01T10:00:00-05:00", ""},
		{"date only", "startDate=2025-06-01&endDate=2025-06-02", ""},
		{"empty values count as absent", "startDate=&endDate=&page=&limit=&enterpriseId=", ""},
		{"end before start", "startDate=2025-06-02T00:00:00Z&endDate=2025-06-01T00:00:00Z", ""},
		{"limit bounds", "limit=1", ""},
		{"limit max", "limit=5000", ""},
		{"far page", "page=2147483647&limit=5000", ""},
		{"start not a date", "startDate=yesterday", "Invalid startDate"},
		{"start with a space", "startDate=2025-06-01+00:00:00", "Invalid startDate"},
		{"start with an unescaped plus", "startDate=2025-06-01T02:00:00+02:00", "Invalid startDate"},
		{"start impossible", "startDate=2025-02-30T00:00:00Z", "Invalid startDate"},
		{"end not a date", "endDate=1717200000", "Invalid endDate"},
		{"page 0", "page=0", "Invalid page"},
		{"page negative", "page=-1", "Invalid page"},
		{"page not a number", "page=two", "Invalid page"},
		{"page fractional", "page=1.5", "Invalid page"},
		{"page huge", "page=99999999999999999999", "Invalid page"},
		{"limit 0", "limit=0", "Invalid limit"},
		{"limit above max", "limit=5001", "Invalid limit"},
		{"limit not a number", "limit=all", "Invalid limit"},
	}
	for _, path := range []string{"/stats", "/stats/requests", "/stats/complexity", "/stats/devices", "/stats/routes"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				q, err := url.ParseQuery(tt.query)
				if err != nil {
					t.Fatal(err)
				}
				status, body := pulseCall(t, srv, http.MethodGet, path, q, "Bearer "+PulseToken)
				if tt.message == "" {
					if status != 200 {
						t.Errorf("status %d, want 200: %s", status, body)
					}
					return
				}
				var e pulseError
				if status != 400 || json.Unmarshal(body, &e) != nil || e.Error != "Bad Request" || e.Message != tt.message {
					t.Errorf("got %d %s, want 400 %q", status, body, tt.message)
				}
			})
		}
	}
}

func TestPulsePaging(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	day := url.Values{"startDate": {rfc3339(pulseTestDay)}, "endDate": {rfc3339(pulseTestDay.AddDate(0, 0, 1))}}
	all := readPulseLogs(t, pulseGet[[]pulseWire](t, srv, "/stats", withParams(day, "limit", "5000")))
	if len(all) != DefaultPulseRowsPerDay {
		t.Fatalf("one day holds %d rows, want %d", len(all), DefaultPulseRowsPerDay)
	}
	if first := all[0].time; !first.Equal(pulseTestDay) {
		t.Errorf("first row at %v, want the inclusive start %v", first, pulseTestDay)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].time.After(all[i-1].time) {
			t.Fatalf("row %d at %v, not after %v", i, all[i].time, all[i-1].time)
		}
	}

	tests := []struct {
		name      string
		query     url.Values
		wantSizes []int // sizes of pages 1, 2, …; the page after is checked empty
		wantRows  []pulseLog
	}{
		{"default page size", day, nil, all[:PulseDefaultLimit]},
		{"limit 700", withParams(day, "limit", "700"), []int{700, 700, 700, 300}, all},
		{"limit 2400, exact", withParams(day, "limit", "2400"), []int{2400}, all},
		{"limit 1, near the end", withParams(day, "startDate", rfc3339(all[2396].time), "limit", "1"), []int{1, 1, 1, 1}, all[2396:]},
		{"enterprise", withParams(day, "enterpriseId", "ent-globex", "limit", "150"), nil, filterLogs(all, "ent-globex")},
		{"unknown enterprise", withParams(day, "enterpriseId", "ent-nobody", "limit", "10"), []int{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantSizes == nil && tt.query.Get("limit") == "" {
				// No page and no limit: page 1 of the default size.
				got := readPulseLogs(t, pulseGet[[]pulseWire](t, srv, "/stats", tt.query))
				sameLogs(t, got, tt.wantRows[:min(len(tt.wantRows), PulseDefaultLimit)])
				return
			}
			limit, _ := strconv.Atoi(tt.query.Get("limit"))
			var got []pulseLog
			for page := 1; ; page++ {
				rows := pulseGet[[]pulseWire](t, srv, "/stats", withParams(tt.query, "page", strconv.Itoa(page)))
				if tt.wantSizes != nil && page <= len(tt.wantSizes) && len(rows) != tt.wantSizes[page-1] {
					t.Errorf("page %d has %d rows, want %d", page, len(rows), tt.wantSizes[page-1])
				}
				if len(rows) == 0 {
					break
				}
				if len(rows) > limit {
					t.Fatalf("page %d has %d rows, above the limit %d", page, len(rows), limit)
				}
				got = append(got, readPulseLogs(t, rows)...)
			}
			sameLogs(t, got, tt.wantRows)
		})
	}

	// A page far beyond the end is an empty array, not null.
	if _, body := pulseCall(t, srv, http.MethodGet, "/stats", withParams(day, "page", "1000"), "Bearer "+PulseToken); string(bytes.TrimSpace(body)) != "[]" {
		t.Errorf("page beyond the end: %s, want []", body)
	}
}

func TestPulseDateBounds(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	step := 24 * time.Hour / DefaultPulseRowsPerDay
	at := pulseTestDay.Add(100 * step) // a row's exact time
	tests := []struct {
		name       string
		start, end time.Time
		want       []time.Time
	}{
		{"start inclusive", at, at.Add(step), []time.Time{at}},
		{"end exclusive", at.Add(-step), at, []time.Time{at.Add(-step)}},
		{"start one ms after a row", at.Add(time.Millisecond), at.Add(step + time.Millisecond), []time.Time{at.Add(step)}},
		{"start one ns after a row", at.Add(time.Nanosecond), at.Add(step + time.Nanosecond), []time.Time{at.Add(step)}},
		{"end one ns after a row", at.Add(-time.Millisecond), at.Add(time.Nanosecond), []time.Time{at}},
		{"empty range", at, at, nil},
		{"in another time zone", at.In(time.FixedZone("", 2*3600)), at.Add(step).In(time.FixedZone("", -5*3600)), []time.Time{at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"startDate": {rfc3339(tt.start)}, "endDate": {rfc3339(tt.end)}}
			logs := readPulseLogs(t, pulseGet[[]pulseWire](t, srv, "/stats", q))
			var got []time.Time
			for _, l := range logs {
				got = append(got, l.time.UTC())
			}
			if !slices.EqualFunc(got, tt.want, time.Time.Equal) {
				t.Errorf("rows at %v, want %v", got, tt.want)
			}
			if n := PulseRowCount(Config{Now: fixedClock(pulseTestNow)}, "", tt.start, tt.end); n != len(tt.want) {
				t.Errorf("PulseRowCount = %d, want %d", n, len(tt.want))
			}
		})
	}
}

func TestPulseDeterminism(t *testing.T) {
	later := pulseTestNow.Add(7*time.Hour + 13*time.Second)
	a := newPulseTestServer(t, Config{})
	b := newPulseTestServer(t, Config{Now: fixedClock(later)})
	// Both windows hold these rows; the grid is absolute, so both servers
	// and both calls must serve the same bytes.
	q := url.Values{
		"startDate": {rfc3339(pulseTestNow.Add(-10 * 24 * time.Hour))},
		"endDate":   {rfc3339(pulseTestNow)},
		"limit":     {"3000"},
		"page":      {"3"},
	}
	for _, path := range []string{"/stats", "/stats/requests", "/stats/complexity", "/stats/devices", "/stats/routes"} {
		t.Run(path, func(t *testing.T) {
			q := q
			if path != "/stats" {
				q = withParams(q, "page", "", "limit", "") // every aggregate row
			}
			_, first := pulseCall(t, a, http.MethodGet, path, q, "Bearer "+PulseToken)
			_, again := pulseCall(t, a, http.MethodGet, path, q, "Bearer "+PulseToken)
			_, moved := pulseCall(t, b, http.MethodGet, path, q, "Bearer "+PulseToken)
			if !bytes.Equal(first, again) {
				t.Error("two identical calls differ")
			}
			if !bytes.Equal(first, moved) {
				t.Error("a later clock changes rows both windows hold")
			}
			if len(first) < 10 {
				t.Errorf("suspiciously short answer %s", first)
			}
		})
	}
}

// TestPulseAggregates checks every aggregate against the /stats rows over the
// same filters, and the row counts against PulseRowCount.
func TestPulseAggregates(t *testing.T) {
	cfg := Config{Now: fixedClock(pulseTestNow)}
	srv := newPulseTestServer(t, cfg)
	partialStart := pulseTestDay.Add(-30*time.Hour + 17*time.Minute + 4*time.Second + 321*time.Millisecond)
	partialEnd := pulseTestDay.Add(50*time.Hour + 55*time.Minute)
	tests := []struct {
		name, enterpriseID string
		start, end         time.Time // zero: no bound
	}{
		{"whole days, all enterprises", "", pulseTestDay, pulseTestDay.AddDate(0, 0, 3)},
		{"partial days, all enterprises", "", partialStart, partialEnd},
		{"partial days, ent-acme", "ent-acme", partialStart, partialEnd},
		{"partial days, ent-initech (bare ids)", "ent-initech", partialStart, partialEnd},
		{"partial days, ent-umbrella (other spelling)", "ent-umbrella", partialStart, partialEnd},
		{"open start, ent-globex", "ent-globex", time.Time{}, pulseTestNow.Add(-80 * 24 * time.Hour)},
		{"open end, all enterprises", "", pulseTestNow.Add(-36 * time.Hour), time.Time{}},
		{"unknown enterprise", "ent-nobody", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			if tt.enterpriseID != "" {
				q.Set("enterpriseId", tt.enterpriseID)
			}
			if !tt.start.IsZero() {
				q.Set("startDate", rfc3339(tt.start))
			}
			if !tt.end.IsZero() {
				q.Set("endDate", rfc3339(tt.end))
			}
			logs := pulseWalk(t, srv, q, PulseMaxLimit)
			if want := PulseRowCount(cfg, tt.enterpriseID, tt.start, tt.end); len(logs) != want {
				t.Errorf("/stats has %d rows, PulseRowCount %d", len(logs), want)
			}
			checkAggregates(t, srv, q, logs)
		})
	}
}

// checkAggregates compares the four aggregates for query with the rows logs.
func checkAggregates(t *testing.T, srv *httptest.Server, query url.Values, logs []pulseLog) {
	t.Helper()
	requests := map[string]int{}
	complexity := map[string]int{}
	devices := map[string]int{}
	routes := map[string]int{}
	for _, l := range logs {
		requests[l.enterpriseID]++
		complexity[l.enterpriseID] += l.ComplexityScore
		if l.deviceID != "" {
			devices[l.deviceID]++
		}
		routes[l.Route]++
	}
	avgComplexity := map[string]int{}
	for e, n := range requests {
		avgComplexity[e] = int(math.Round(float64(complexity[e]) / float64(n)))
	}

	type entCount struct {
		Enterprise    PulseEnterprise `json:"enterprise"`
		TotalRequests int             `json:"totalRequests"`
	}
	type entComplexity struct {
		Enterprise        PulseEnterprise `json:"enterprise"`
		AverageComplexity int             `json:"averageComplexity"`
	}
	type devCount struct {
		Device        PulseDevice `json:"device"`
		TotalRequests int         `json:"totalRequests"`
	}
	type routeCount struct {
		Route         string `json:"route"`
		TotalRequests int    `json:"totalRequests"`
	}
	names := map[string]string{}
	for _, e := range PulseEnterprises() {
		names[e.ID] = e.Name
	}
	for _, d := range PulseDevices() {
		names[d.ID] = d.Name
	}

	compare := func(what string, got, want map[string]int) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) { // fmt sorts map keys
			t.Errorf("%s: aggregate %v, rows %v", what, got, want)
		}
	}
	gotRequests := map[string]int{}
	for _, r := range pulseGet[[]entCount](t, srv, "/stats/requests", query) {
		gotRequests[r.Enterprise.ID] = r.TotalRequests
		if r.Enterprise.Name != names[r.Enterprise.ID] {
			t.Errorf("/stats/requests: enterprise %+v", r.Enterprise)
		}
	}
	compare("/stats/requests", gotRequests, requests)

	gotComplexity := map[string]int{}
	for _, r := range pulseGet[[]entComplexity](t, srv, "/stats/complexity", query) {
		gotComplexity[r.Enterprise.ID] = r.AverageComplexity
	}
	compare("/stats/complexity", gotComplexity, avgComplexity)

	gotDevices := map[string]int{}
	for _, r := range pulseGet[[]devCount](t, srv, "/stats/devices", query) {
		gotDevices[r.Device.ID] = r.TotalRequests
		if r.Device.Name != names[r.Device.ID] {
			t.Errorf("/stats/devices: device %+v", r.Device)
		}
	}
	compare("/stats/devices", gotDevices, devices)

	gotRoutes := map[string]int{}
	for _, r := range pulseGet[[]routeCount](t, srv, "/stats/routes", query) {
		gotRoutes[r.Route] = r.TotalRequests
	}
	compare("/stats/routes", gotRoutes, routes)
}

func TestPulseAggregatePaging(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	type devCount struct {
		Device        PulseDevice `json:"device"`
		TotalRequests int         `json:"totalRequests"`
	}
	all := pulseGet[[]devCount](t, srv, "/stats/devices", nil)
	if len(all) != len(PulseDevices()) {
		t.Fatalf("%d devices without paging, want every one of %d", len(all), len(PulseDevices()))
	}
	tests := []struct {
		page, limit string
		want        []devCount
	}{
		{"1", "5", all[0:5]},
		{"2", "5", all[5:10]},
		{"3", "5", all[10:12]}, // the last page is shorter
		{"4", "5", all[12:12]},
		{"", "3", all[0:3]},                // page defaults to 1
		{"1", "", all},                     // limit defaults to 100
		{"2", "", all[12:12]},              // …so page 2 is empty
		{"2147483647", "5000", all[12:12]}, // no overflow
	}
	for _, tt := range tests {
		t.Run("page="+tt.page+"&limit="+tt.limit, func(t *testing.T) {
			q := url.Values{}
			if tt.page != "" {
				q.Set("page", tt.page)
			}
			if tt.limit != "" {
				q.Set("limit", tt.limit)
			}
			got := pulseGet[[]devCount](t, srv, "/stats/devices", q)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPulseUnknownEnterprise(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	q := url.Values{"enterpriseId": {"ent-nobody"}}
	for _, path := range []string{"/stats", "/stats/requests", "/stats/complexity", "/stats/devices", "/stats/routes"} {
		status, body := pulseCall(t, srv, http.MethodGet, path, q, "Bearer "+PulseToken)
		if status != 200 || string(bytes.TrimSpace(body)) != "[]" {
			t.Errorf("%s: %d %s, want 200 []", path, status, body)
		}
	}
}

// TestPulseShapes checks that every documented or tolerated form occurs, and
// that the fields are plausible.
func TestPulseShapes(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	q := url.Values{"startDate": {rfc3339(pulseTestDay)}, "endDate": {rfc3339(pulseTestDay.AddDate(0, 0, 1))}}
	logs := pulseWalk(t, srv, q, PulseMaxLimit)

	forms := map[string]int{}
	allowed := map[string][]string{
		"/graphql":           {"GET", "POST"},
		"/api/v1/orders":     {"GET", "POST", "PUT", "DELETE"},
		"/api/v1/devices":    {"GET", "POST", "PUT", "DELETE"},
		"/api/v1/auth/login": {"POST"},
		"/api/v1/reports":    {"GET", "POST"},
		"/api/v1/billing":    {"GET"},
	}
	deviceOwner := map[string]string{}
	for _, d := range PulseDevices() {
		deviceOwner[d.ID] = d.EnterpriseID
	}
	requestIDs := map[string]bool{}
	for i, l := range logs {
		forms[l.enterpriseForm]++
		forms["device: "+l.deviceForm]++
		forms["timestamp: "+l.timeForm]++
		switch {
		case l.RequestID == "" || requestIDs[l.RequestID]:
			t.Errorf("row %d: requestId %q missing or repeated", i, l.RequestID)
		case !slices.Contains(allowed[l.Route], l.Method):
			t.Errorf("row %d: %s %s", i, l.Method, l.Route)
		case l.ExecutionTime < 5 || l.ExecutionTime > 2000:
			t.Errorf("row %d: executionTime %d", i, l.ExecutionTime)
		case l.ResponseSize <= 0 || l.ComplexityScore < 1:
			t.Errorf("row %d: responseSize %d, complexityScore %d", i, l.ResponseSize, l.ComplexityScore)
		case l.deviceID != "" && deviceOwner[l.deviceID] != l.enterpriseID:
			t.Errorf("row %d: device %s of %s", i, l.deviceID, l.enterpriseID)
		}
		requestIDs[l.RequestID] = true
	}
	for _, form := range []string{
		"entreprise: object", "enterprise: object", "entreprise: id",
		"device: array", "device: object", "device: none",
		"timestamp: iso", "timestamp: epoch ms",
	} {
		if forms[form] == 0 {
			t.Errorf("no row with %s among %v", form, forms)
		}
	}
	// The deliberate variations stay the exception.
	if n := forms["device: array"]; n < len(logs)/2 {
		t.Errorf("only %d of %d rows with the documented device array", n, len(logs))
	}
	if n := forms["timestamp: iso"]; n < len(logs)/2 {
		t.Errorf("only %d of %d rows with an ISO timestamp", n, len(logs))
	}

	// Routes' median execution times differ as configured: reports are slow.
	byRoute := map[string][]int{}
	for _, l := range logs {
		byRoute[l.Route] = append(byRoute[l.Route], l.ExecutionTime)
	}
	median := func(route string) int {
		v := slices.Sorted(slices.Values(byRoute[route]))
		return v[len(v)/2]
	}
	if median("/api/v1/reports") <= 2*median("/api/v1/devices") {
		t.Errorf("median execution times: reports %d, devices %d", median("/api/v1/reports"), median("/api/v1/devices"))
	}
}

// TestPulseFullWindow walks the whole 90 days at the largest page size.
func TestPulseFullWindow(t *testing.T) {
	cfg := Config{Now: fixedClock(pulseTestNow)}
	srv := newPulseTestServer(t, cfg)
	logs := pulseWalk(t, srv, nil, PulseMaxLimit)

	want := 90 * DefaultPulseRowsPerDay
	if n := len(logs); n < want-DefaultPulseRowsPerDay || n > want+DefaultPulseRowsPerDay {
		t.Errorf("%d rows over 90 days, want %d ± %d", n, want, DefaultPulseRowsPerDay)
	}
	if n := PulseRowCount(cfg, "", time.Time{}, time.Time{}); n != len(logs) {
		t.Errorf("PulseRowCount = %d, /stats walk %d", n, len(logs))
	}
	oldest := pulseTestNow.Add(-PulseRetention)
	if first, last := logs[0].time, logs[len(logs)-1].time; first.Before(oldest) || last.After(pulseTestNow) {
		t.Errorf("rows from %v to %v, outside [%v, %v]", first, last, oldest, pulseTestNow)
	}
	checkAggregates(t, srv, nil, logs)
}

func TestPulseRowsPerDay(t *testing.T) {
	// 7000 does not divide a day's milliseconds: the step rounds down to
	// whole milliseconds, and a day holds 7000 or 7001 rows.
	for _, perDay := range []int{240, 1000, 7000, 17_280} {
		t.Run(strconv.Itoa(perDay), func(t *testing.T) {
			cfg := Config{Now: fixedClock(pulseTestNow), PulseRowsPerDay: perDay}
			srv := newPulseTestServer(t, cfg)
			q := url.Values{"startDate": {rfc3339(pulseTestDay)}, "endDate": {rfc3339(pulseTestDay.AddDate(0, 0, 1))}}
			rows := pulseWalk(t, srv, q, PulseMaxLimit)
			if len(rows) < perDay || len(rows) > perDay+1 {
				t.Errorf("%d rows in a day, want %d", len(rows), perDay)
			}
			if n := PulseRowCount(cfg, "", pulseTestDay, pulseTestDay.AddDate(0, 0, 1)); n != len(rows) {
				t.Errorf("PulseRowCount = %d, /stats walk %d", n, len(rows))
			}
			checkAggregates(t, srv, q, rows)
		})
	}
}

func TestPulseExportedLists(t *testing.T) {
	if n := len(PulseEnterprises()); n != 4 {
		t.Errorf("%d enterprises", n)
	}
	if n := len(PulseDevices()); n < 10 {
		t.Errorf("%d devices", n)
	}
	if got := PulseRoutes(); len(got) != 6 || got[0] != "/graphql" {
		t.Errorf("routes %v", got)
	}
	// The lists are copies.
	PulseEnterprises()[0].Name = "changed"
	if PulseEnterprises()[0].Name == "changed" {
		t.Error("PulseEnterprises exposes the sandbox's own list")
	}
}

// TestPulseConcurrentCalls has concurrent first uses of the day summaries
// agree (run with -race).
func TestPulseConcurrentCalls(t *testing.T) {
	srv := newPulseTestServer(t, Config{})
	q := url.Values{"enterpriseId": {"ent-umbrella"}, "page": {"20"}, "limit": {"1000"}}
	bodies := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/stats?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+PulseToken)
			if resp, err := srv.Client().Do(req); err == nil {
				bodies[i], _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	for i := range bodies {
		if len(bodies[i]) < 1000 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("call %d answered %d bytes, differing from call 0 (%d bytes)", i, len(bodies[i]), len(bodies[0]))
		}
	}
}

// BenchmarkPulsePage measures one filtered page of 1000 rows, the slow
// path of a plugin paging through the window (speed is measured, not asserted).
func BenchmarkPulsePage(b *testing.B) {
	srv := newPulseTestServer(b, Config{})
	q := url.Values{"enterpriseId": {"ent-globex"}, "page": {"40"}, "limit": {"1000"}}
	for b.Loop() {
		pulseCall(b, srv, http.MethodGet, "/stats", q, "Bearer "+PulseToken)
	}
}

// withParams returns a copy of v with the name/value pairs set.
func withParams(v url.Values, kv ...string) url.Values {
	c := cloneValues(v)
	for i := 0; i+1 < len(kv); i += 2 {
		c.Set(kv[i], kv[i+1])
	}
	return c
}

func filterLogs(logs []pulseLog, enterpriseID string) []pulseLog {
	var out []pulseLog
	for _, l := range logs {
		if l.enterpriseID == enterpriseID {
			out = append(out, l)
		}
	}
	return out
}

func sameLogs(t *testing.T, got, want []pulseLog) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].RequestID != want[i].RequestID || !got[i].time.Equal(want[i].time) {
			t.Fatalf("row %d is %s at %v, want %s at %v", i, got[i].RequestID, got[i].time, want[i].RequestID, want[i].time)
		}
	}
}
