package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// onAppTestNow is the sandbox clock in these tests: a summer Saturday noon
// in the server's zone (+02:00).
var onAppTestNow = time.Date(2024, 6, 15, 12, 0, 0, 0, OnAppZone())

func newOnAppTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newOnApp(Config{Now: func() time.Time { return onAppTestNow }}))
	t.Cleanup(srv.Close)
	return srv
}

// onAppReply is what a test looks at in an answer.
type onAppReply struct {
	status      int
	contentType string
	header      http.Header
	body        string
}

// onAppGet sends a GET with an optional body, authenticated as OnAppUser
// unless an edit function changes it.
func onAppGet(t *testing.T, srv *httptest.Server, path, body string, edits ...func(*http.Request)) onAppReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(OnAppUser, OnAppAPIKey)
	switch {
	case strings.HasPrefix(body, "{"):
		req.Header.Set("Content-Type", "application/json")
	case strings.HasPrefix(body, "<"):
		req.Header.Set("Content-Type", "application/xml")
	}
	for _, edit := range edits {
		edit(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return onAppReply{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header, string(b)}
}

func withAuth(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func withoutAuth(r *http.Request) { r.Header.Del("Authorization") }

// onAppBandwidthJSON builds a JSON request body.
func onAppBandwidthJSON(start, end string, resources, locations []int, typ, groupBy string) string {
	params := map[string]any{"start": start, "end": end, "type": typ}
	if resources != nil {
		params["resources"] = resources
	}
	if locations != nil {
		params["locations"] = locations
	}
	if groupBy != "" {
		params["group_by"] = groupBy
	}
	b, _ := json.Marshal(map[string]any{"bandwidth": params})
	return string(b)
}

// onAppTestStat is a decoded JSON stat, grouped or not.
type onAppTestStat struct {
	Date      string                                  `json:"date"`
	Cached    json.RawMessage                         `json:"cached"`
	NonCached json.RawMessage                         `json:"non_cached"`
	Resources []map[string]map[string]json.RawMessage `json:"resources"`
	Locations []map[string]map[string]json.RawMessage `json:"locations"`
}

func decodeOnAppStats(t *testing.T, body string) []onAppTestStat {
	t.Helper()
	var entries []struct {
		Stat onAppTestStat `json:"stat"`
	}
	if err := json.Unmarshal([]byte(body), &entries); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
	out := make([]onAppTestStat, len(entries))
	for i, e := range entries {
		out[i] = e.Stat
	}
	return out
}

// onAppTestNumber reads a JSON number or numeric string.
func onAppTestNumber(t *testing.T, raw json.RawMessage) float64 {
	t.Helper()
	s := string(raw)
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %s", raw)
	}
	return v
}

// onAppGroupFigures reads a grouped stat's entries: key → (cached, non_cached).
func onAppGroupFigures(t *testing.T, st onAppTestStat) map[string][2]float64 {
	t.Helper()
	out := map[string][2]float64{}
	for _, list := range [][]map[string]map[string]json.RawMessage{st.Resources, st.Locations} {
		for _, wrapped := range list {
			for _, inner := range wrapped { // {"resource": {...}}
				for key, raw := range inner { // {"977655738": {...}}
					var pair struct{ Cached, NonCached json.RawMessage }
					var m map[string]json.RawMessage
					if err := json.Unmarshal(raw, &m); err != nil {
						t.Fatal(err)
					}
					pair.Cached, pair.NonCached = m["cached"], m["non_cached"]
					out[key] = [2]float64{onAppTestNumber(t, pair.Cached), onAppTestNumber(t, pair.NonCached)}
				}
			}
		}
	}
	return out
}

func onAppClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// expectedOnAppBucket recomputes a GB bucket from OnAppDailyGB, as a client
// test would: the days whose local midnight lies in [from, to).
func expectedOnAppBucket(from, to time.Time, refs, locs []int) (cached, nonCached float64) {
	zone := OnAppZone()
	y, m, d := from.In(zone).Date()
	for day := time.Date(y, m, d, 0, 0, 0, 0, zone); day.Before(to); day = day.AddDate(0, 0, 1) {
		if day.Before(from) {
			continue
		}
		for _, ref := range refs {
			for _, loc := range locs {
				c, nc := OnAppDailyGB(ref, loc, day)
				cached += c
				nonCached += nc
			}
		}
	}
	return cached, nonCached
}

func allOnAppRefs() []int {
	var out []int
	for _, r := range OnAppResources() {
		out = append(out, r.Reference)
	}
	return out
}

func allOnAppLocationIDs() []int {
	var out []int
	for _, l := range OnAppLocations() {
		out = append(out, l.ID)
	}
	return out
}

func TestOnAppAuth(t *testing.T) {
	srv := newOnAppTestServer(t)
	const (
		denied    = `{"errors":["Access denied"]}` + "\n"
		forbidden = `{"errors":["You do not have permissions for this action"]}` + "\n"
		deniedXML = "<errors>\n  <error>Access denied</error>\n</errors>\n"
		forbidXML = "<errors>\n  <error>You do not have permissions for this action</error>\n</errors>\n"
	)
	tests := []struct {
		name   string
		path   string
		edit   func(*http.Request)
		status int
		body   string // exact, when not empty
	}{
		{"valid user, bandwidth", "/cdn_resources/bandwidth.json", nil, 200, ""},
		{"valid user, reports", "/cdn/reports/bandwidth_statistics", nil, 200, ""},
		{"no credentials", "/cdn_resources/bandwidth.json", withoutAuth, 401, denied},
		{"no credentials, listing", "/cdn_resources.json", withoutAuth, 401, denied},
		{"wrong key", "/cdn_resources/bandwidth.json", withAuth(OnAppUser, "nope"), 401, denied},
		{"unknown user", "/edge_groups.json", withAuth("who@example.com", OnAppAPIKey), 401, denied},
		{"other user's key", "/cdn_resources/bandwidth.json", withAuth(OnAppUser, OnAppReadOnlyAPIKey), 401, denied},
		{"no credentials, XML", "/cdn_resources/bandwidth.xml", withoutAuth, 401, deniedXML},
		{"read-only user, bandwidth", "/cdn_resources/bandwidth.json", withAuth(OnAppReadOnlyUser, OnAppReadOnlyAPIKey), 403, forbidden},
		{"read-only user, bandwidth XML", "/cdn_resources/bandwidth.xml", withAuth(OnAppReadOnlyUser, OnAppReadOnlyAPIKey), 403, forbidXML},
		{"read-only user, reports", "/cdn/reports/bandwidth_statistics.json", withAuth(OnAppReadOnlyUser, OnAppReadOnlyAPIKey), 403, forbidden},
		{"read-only user, resources", "/cdn_resources.json", withAuth(OnAppReadOnlyUser, OnAppReadOnlyAPIKey), 200, ""},
		{"read-only user, edge groups", "/edge_groups.json", withAuth(OnAppReadOnlyUser, OnAppReadOnlyAPIKey), 200, ""},
		{"unknown path", "/cdn_resources/bandwidth.csv", nil, 404, ""},
		{"POST", "/cdn_resources/bandwidth.json", func(r *http.Request) { r.Method = http.MethodPost }, 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var edits []func(*http.Request)
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			got := onAppGet(t, srv, tc.path, "", edits...)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
			}
			if tc.body != "" && got.body != tc.body {
				t.Errorf("body %q, want %q", got.body, tc.body)
			}
			if tc.status == 401 && got.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestOnAppListings(t *testing.T) {
	srv := newOnAppTestServer(t)

	got := onAppGet(t, srv, "/cdn_resources.json", "")
	var resources []struct {
		CDNResource struct {
			ID           int    `json:"id"`
			CDNHostname  string `json:"cdn_hostname"`
			CDNReference int    `json:"cdn_reference"`
			ResourceType string `json:"resource_type"`
			Status       string `json:"status"`
			EdgeGroups   []struct {
				EdgeGroup struct {
					ID    int    `json:"id"`
					Label string `json:"label"`
				} `json:"edge_group"`
			} `json:"edge_groups"`
		} `json:"cdn_resource"`
	}
	if err := json.Unmarshal([]byte(got.body), &resources); err != nil {
		t.Fatal(err)
	}
	if len(resources) != len(OnAppResources()) || len(resources) != 5 {
		t.Fatalf("%d resources, want 5", len(resources))
	}
	refs := map[int]string{}
	for _, r := range resources {
		c := r.CDNResource
		refs[c.CDNReference] = c.CDNHostname
		if c.ID == 0 || c.CDNHostname == "" || c.ResourceType != "HTTP_PULL" || c.Status != "ACTIVE" || len(c.EdgeGroups) == 0 {
			t.Errorf("incomplete resource %+v", c)
		}
	}
	for _, ref := range []int{977655738, 389478438, 725618714} {
		if refs[ref] == "" {
			t.Errorf("documented reference %d missing", ref)
		}
	}
	if refs[977655738] != "static.example.com" {
		t.Errorf("977655738 is %q", refs[977655738])
	}

	one := onAppGet(t, srv, "/cdn_resources/101.json", "")
	if one.status != 200 || !strings.Contains(one.body, `"cdn_reference":977655738`) {
		t.Errorf("GET /cdn_resources/101.json: %d %s", one.status, one.body)
	}
	if missing := onAppGet(t, srv, "/cdn_resources/999.json", ""); missing.status != 404 {
		t.Errorf("GET /cdn_resources/999.json: %d", missing.status)
	}

	got = onAppGet(t, srv, "/edge_groups.json", "")
	var groups []struct {
		EdgeGroup struct {
			ID        int    `json:"id"`
			Label     string `json:"label"`
			Locations []struct {
				Location OnAppLocation `json:"location"`
			} `json:"locations"`
		} `json:"edge_group"`
	}
	if err := json.Unmarshal([]byte(got.body), &groups); err != nil {
		t.Fatal(err)
	}
	var locations []OnAppLocation
	for _, g := range groups {
		for _, l := range g.EdgeGroup.Locations {
			locations = append(locations, l.Location)
		}
	}
	if !reflect.DeepEqual(locations, OnAppLocations()) {
		t.Errorf("locations %+v, want %+v", locations, OnAppLocations())
	}
	for _, want := range []OnAppLocation{{532, "Paris", "France"}, {331, "London", "United Kingdom"}} {
		if !slices.Contains(locations, want) {
			t.Errorf("location %+v missing", want)
		}
	}
}

// The documented request: the doc's JSON and XML examples verbatim, and the
// same parameters as a query string and as a form body. Every transport must
// give the same answer, in both formats.
func TestOnAppParameterTransports(t *testing.T) {
	srv := newOnAppTestServer(t)
	const (
		docJSON = `{"bandwidth":{"start":"2014-11-25T18:25","end":"2014-11-27T11:43","resources":[977655738,389478438,725618714], "locations":[532,331],"type":"GB", "group_by":"location"}}`
		docXML  = `<bandwidth><type>GB</type><group_by>location</group_by><start>2014-11-25T18:25</start><end>2014-11-27T11:43</end><locations type="array"><location>532</location><location>331</location></locations><resources type = "array"><resource>977655738</resource><resource>389478438</resource><resource>725618714</resource></resources></bandwidth>`
		strJSON = `{"bandwidth":{"start":"2014-11-25T18:25:00","end":"2014-11-27 11:43:00","resources":["977655738","389478438","725618714"],"locations":["532","331"],"type":"GB","group_by":"location"}}`
		query   = "bandwidth[start]=2014-11-25T18:25&bandwidth[end]=2014-11-27T11:43&bandwidth[resources][]=977655738&bandwidth[resources][]=389478438&bandwidth[resources][]=725618714&bandwidth[locations][]=532&bandwidth[locations][]=331&bandwidth[type]=GB&bandwidth[group_by]=location"
	)
	form := func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }
	plusDates := strings.NewReplacer("2014-11-25T18:25", "2014-11-25+18:25:00", "2014-11-27T11:43", "2014-11-27+11:43:00").Replace(query)
	rfc3339 := strings.NewReplacer("2014-11-25T18:25", url.QueryEscape("2014-11-25T17:25:00Z"), "2014-11-27T11:43", url.QueryEscape("2014-11-27T11:43:00+01:00")).Replace(query)

	tests := []struct {
		name  string
		query string
		body  string
		edits []func(*http.Request)
	}{
		{"JSON body with strings", "", strJSON, nil},
		{"XML body", "", docXML, nil},
		{"XML body sent as a form (curl -d)", "", docXML, []func(*http.Request){form}},
		{"query string", query, "", nil},
		{"query string, + dates", plusDates, "", nil},
		{"query string, RFC 3339 dates", rfc3339, "", nil},
		{"form body", "", query, []func(*http.Request){form}},
		{"body wins over query", "bandwidth[type]=TB", docJSON, nil},
	}
	for _, suffix := range []string{".json", ".xml"} {
		path := "/cdn_resources/bandwidth" + suffix
		want := onAppGet(t, srv, path, docJSON)
		if want.status != 200 {
			t.Fatalf("reference request: %d %s", want.status, want.body)
		}
		if n := strings.Count(want.body, "<stat>") + strings.Count(want.body, `"stat"`); n != 2 {
			t.Fatalf("reference answer has %d stats, want 2:\n%s", n, want.body)
		}
		for _, tc := range tests {
			t.Run(tc.name+suffix, func(t *testing.T) {
				p := path
				if tc.query != "" {
					p += "?" + tc.query
				}
				got := onAppGet(t, srv, p, tc.body, tc.edits...)
				if got.status != 200 || got.body != want.body {
					t.Errorf("got %d\n%s\nwant\n%s", got.status, got.body, want.body)
				}
			})
		}
	}
}

// Small fixed cases against golden strings, in the documentation's exact
// structure (Rails-style indentation). The golden figures also pin the data
// generator: changing it changes every client test's expectations.
func TestOnAppXMLGolden(t *testing.T) {
	srv := newOnAppTestServer(t)
	tests := []struct {
		name string
		body string
		want string
	}{
		{
			name: "without group_by",
			body: onAppBandwidthJSON("2024-04-04T00:00", "2024-04-06T00:00", []int{977655738}, []int{532}, "GB", ""),
			want: `<stats type="array">
  <stat>
    <date type="datetime">2024-04-04T00:00:00+02:00</date>
    <cached type="float">2.096151473</cached>
    <non_cached type="float">0.302469832</non_cached>
  </stat>
  <stat>
    <date type="datetime">2024-04-05T00:00:00+02:00</date>
    <cached type="float">1.408366991</cached>
    <non_cached type="float">0.0</non_cached>
  </stat>
</stats>
`,
		},
		{
			// Like the documentation's example, newest first, and a resource
			// without traffic in a bucket is absent from it (977655738 was
			// idle on 3 April, 725618714 on 2 April).
			name: "grouped by resource",
			body: onAppBandwidthJSON("2024-04-02T00:00", "2024-04-04T00:00", []int{389478438, 977655738, 725618714}, []int{532}, "GB", "resource"),
			want: `<stats type="array">
  <stat>
    <date type="datetime">2024-04-03T00:00:00+02:00</date>
    <resources type="array">
      <resource>
        <725618714>
          <cached type="float">2.746819614</cached>
          <non_cached type="float">0.249969078</non_cached>
        </725618714>
      </resource>
      <resource>
        <389478438>
          <cached type="float">1.015833841</cached>
          <non_cached type="float">0.133823775</non_cached>
        </389478438>
      </resource>
    </resources>
  </stat>
  <stat>
    <date type="datetime">2024-04-02T00:00:00+02:00</date>
    <resources type="array">
      <resource>
        <977655738>
          <cached type="float">1.453993925</cached>
          <non_cached type="float">0.103477303</non_cached>
        </977655738>
      </resource>
      <resource>
        <389478438>
          <cached type="float">0.646023019</cached>
          <non_cached type="float">0.0</non_cached>
        </389478438>
      </resource>
    </resources>
  </stat>
</stats>
`,
		},
		{
			name: "grouped by location",
			body: onAppBandwidthJSON("2024-05-01T00:00", "2024-05-02T00:00", []int{977655738}, []int{532, 331}, "GB", "location"),
			want: `<stats type="array">
  <stat>
    <date type="datetime">2024-05-01T00:00:00+02:00</date>
    <locations type="array">
      <location>
        <532>
          <cached type="float">1.849148784</cached>
          <non_cached type="float">0.093461918</non_cached>
        </532>
      </location>
      <location>
        <331>
          <cached type="float">0.89384662</cached>
          <non_cached type="float">0.077415763</non_cached>
        </331>
      </location>
    </locations>
  </stat>
</stats>
`,
		},
		{
			name: "nothing in range",
			body: onAppBandwidthJSON("2024-05-01T00:00", "2024-05-01T00:00", nil, nil, "GB", ""),
			want: `<stats type="array"/>` + "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := onAppGet(t, srv, "/cdn_resources/bandwidth.xml", tc.body)
			if got.status != 200 || got.contentType != "application/xml; charset=utf-8" {
				t.Fatalf("%d %s: %s", got.status, got.contentType, got.body)
			}
			if got.body != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got.body, tc.want)
			}
		})
	}
}

// Grouped XML uses the ids as element names, exactly as documented, which
// a standard XML parser rejects.
func TestOnAppGroupedXMLNumericNames(t *testing.T) {
	srv := newOnAppTestServer(t)
	tests := []struct {
		groupBy string
		want    []string
	}{
		{"resource", []string{`<resources type="array">`, "<resource>", "<977655738>", "</977655738>", "<725618714>", "<389478438>"}},
		{"location", []string{`<locations type="array">`, "<location>", "<532>", "</532>", "<331>"}},
	}
	for _, tc := range tests {
		t.Run(tc.groupBy, func(t *testing.T) {
			body := onAppBandwidthJSON("2014-11-25T18:25", "2014-11-27T11:43", []int{977655738, 389478438, 725618714}, []int{532, 331}, "GB", tc.groupBy)
			got := onAppGet(t, srv, "/cdn_resources/bandwidth.xml", body)
			for _, w := range tc.want {
				if !strings.Contains(got.body, w) {
					t.Errorf("no %s in\n%s", w, got.body)
				}
			}
			var anything struct{}
			if err := xml.Unmarshal([]byte(got.body), &anything); err == nil {
				t.Error("encoding/xml accepted the grouped answer; numeric element names expected")
			}
		})
	}
}

func TestOnAppBuckets(t *testing.T) {
	srv := newOnAppTestServer(t)
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, OnAppZone())
	tests := []struct {
		name   string
		length time.Duration
		step   time.Duration
		points int
	}{
		{"1 day", 1 * 24 * time.Hour, 86400 * time.Second, 1},
		{"30 days", 30 * 24 * time.Hour, 86400 * time.Second, 30},
		{"30 days and a minute", 30*24*time.Hour + time.Minute, 604800 * time.Second, 5},
		{"31 days", 31 * 24 * time.Hour, 604800 * time.Second, 5},
		{"92 days", 92 * 24 * time.Hour, 604800 * time.Second, 14},
		{"93 days", 93 * 24 * time.Hour, 1209600 * time.Second, 7},
		{"94 days", 94 * 24 * time.Hour, 1209600 * time.Second, 7},
		{"400 days", 400 * 24 * time.Hour, 1209600 * time.Second, 29},
	}
	refs, locs := allOnAppRefs(), allOnAppLocationIDs()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			end := start.Add(tc.length)
			body := onAppBandwidthJSON(start.Format(time.RFC3339), end.Format(time.RFC3339), nil, nil, "GB", "")
			stats := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", body).body)
			if len(stats) != tc.points {
				t.Fatalf("%d points, want %d", len(stats), tc.points)
			}
			for k, st := range stats {
				date, err := time.Parse(time.RFC3339, st.Date)
				if err != nil {
					t.Fatal(err)
				}
				if want := start.Add(time.Duration(k) * tc.step); !date.Equal(want) {
					t.Fatalf("point %d at %s, want %s", k, date, want)
				}
				if _, off := date.Zone(); off != 3600 && off != 7200 {
					t.Errorf("point %d has offset %d s, want the Paris offset", k, off)
				}
				to := date.Add(tc.step)
				if to.After(end) {
					to = end
				}
				wantC, wantNC := expectedOnAppBucket(date, to, refs, locs)
				gotC, gotNC := onAppTestNumber(t, st.Cached), onAppTestNumber(t, st.NonCached)
				if !onAppClose(gotC, wantC) || !onAppClose(gotNC, wantNC) {
					t.Errorf("point %d: %v / %v, want %v / %v", k, gotC, gotNC, wantC, wantNC)
				}
			}
		})
	}
}

// Buckets are fixed numbers of seconds, as documented: across the spring
// DST change their stamps move by an hour of wall clock.
func TestOnAppBucketsAcrossDST(t *testing.T) {
	srv := newOnAppTestServer(t)
	body := onAppBandwidthJSON("2024-03-30T00:00", "2024-04-02T00:00", []int{977655738}, []int{532}, "GB", "")
	stats := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", body).body)
	var dates []string
	for _, st := range stats {
		dates = append(dates, st.Date)
	}
	want := []string{"2024-03-30T00:00:00+01:00", "2024-03-31T00:00:00+01:00", "2024-04-01T01:00:00+02:00"}
	if !slices.Equal(dates, want) {
		t.Errorf("dates %v, want %v", dates, want)
	}
}

func TestOnAppGrouping(t *testing.T) {
	srv := newOnAppTestServer(t)
	const start, end = "2024-04-01T06:00", "2024-04-20T06:00"
	refs := []int{977655738, 725618714, 389478438}
	locs := []int{532, 331, 207}
	total := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", onAppBandwidthJSON(start, end, refs, locs, "GB", "")).body)

	for _, groupBy := range []string{"resource", "location"} {
		t.Run(groupBy, func(t *testing.T) {
			grouped := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", onAppBandwidthJSON(start, end, refs, locs, "GB", groupBy)).body)
			if len(grouped) != len(total) {
				t.Fatalf("%d grouped points, %d ungrouped", len(grouped), len(total))
			}
			allowed := refs
			if groupBy == "location" {
				allowed = locs
			}
			for i, st := range grouped {
				// Grouped answers list the newest first, as the documentation's example.
				ref := total[len(total)-1-i]
				if st.Date != ref.Date {
					t.Fatalf("grouped point %d at %s, want %s", i, st.Date, ref.Date)
				}
				var c, nc float64
				for key, v := range onAppGroupFigures(t, st) {
					id, _ := strconv.Atoi(key)
					if !slices.Contains(allowed, id) {
						t.Errorf("group %s outside the filter", key)
					}
					c += v[0]
					nc += v[1]
				}
				if !onAppClose(c, onAppTestNumber(t, ref.Cached)) || !onAppClose(nc, onAppTestNumber(t, ref.NonCached)) {
					t.Errorf("%s: groups sum to %v / %v, total is %s / %s", st.Date, c, nc, ref.Cached, ref.NonCached)
				}
			}
		})
	}
}

// MBPS data exists for the last ten days only; figures are average rates.
func TestOnAppMBPS(t *testing.T) {
	srv := newOnAppTestServer(t)
	start := onAppTestNow.Add(-30 * 24 * time.Hour)
	cutoff := onAppTestNow.Add(-10 * 24 * time.Hour)
	refs, locs := []int{977655738}, []int{532, 331}

	gb := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", onAppBandwidthJSON(start.Format(time.RFC3339), onAppTestNow.Format(time.RFC3339), refs, locs, "GB", "")).body)
	if len(gb) != 30 {
		t.Errorf("GB: %d points, want 30", len(gb))
	}

	stats := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", onAppBandwidthJSON(start.Format(time.RFC3339), onAppTestNow.Format(time.RFC3339), refs, locs, "MBPS", "")).body)
	if len(stats) != 10 {
		t.Fatalf("MBPS: %d points, want 10", len(stats))
	}
	for _, st := range stats {
		date, _ := time.Parse(time.RFC3339, st.Date)
		if date.Add(24 * time.Hour).Before(cutoff) {
			t.Errorf("MBPS point %s older than ten days", st.Date)
		}
		// One day per bucket: its rate is its volume spread over 86400 s.
		c, nc := expectedOnAppBucket(date, date.Add(24*time.Hour), refs, locs)
		if got := onAppTestNumber(t, st.Cached); !onAppClose(got, c*8000/86400) {
			t.Errorf("%s: cached %v Mbit/s, want %v", st.Date, got, c*8000/86400)
		}
		if got := onAppTestNumber(t, st.NonCached); !onAppClose(got, nc*8000/86400) {
			t.Errorf("%s: non_cached %v Mbit/s, want %v", st.Date, got, nc*8000/86400)
		}
	}

	old := onAppGet(t, srv, "/cdn_resources/bandwidth.json", onAppBandwidthJSON("2024-04-01T00:00", "2024-05-01T00:00", nil, nil, "MBPS", ""))
	if old.status != 200 || old.body != "[]\n" {
		t.Errorf("MBPS older than ten days: %d %q, want an empty array", old.status, old.body)
	}

	// Over a weekly range (63 days) the rate is the mean over the days that
	// still exist: the last bucket, 8–14 June, has all seven.
	weekly := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", onAppBandwidthJSON("2024-04-13T00:00", "2024-06-15T00:00", refs, locs, "MBPS", "")).body)
	if len(weekly) != 2 {
		t.Fatalf("weekly MBPS: %d points, want 2 (1–7 June with two days left, 8–14 June)", len(weekly))
	}
	last := weekly[1]
	from, _ := time.Parse(time.RFC3339, last.Date)
	var sum float64
	for day := from; day.Before(from.AddDate(0, 0, 7)); day = day.AddDate(0, 0, 1) {
		for _, ref := range refs {
			for _, loc := range locs {
				c, _ := OnAppDailyGB(ref, loc, day)
				sum += c * 8000 / 86400
			}
		}
	}
	if got := onAppTestNumber(t, last.Cached); !onAppClose(got, sum/7) {
		t.Errorf("weekly MBPS %v, want the mean %v", got, sum/7)
	}
}

func TestOnAppValidation(t *testing.T) {
	srv := newOnAppTestServer(t)
	tests := []struct {
		name   string
		path   string
		body   string
		status int
		want   string
	}{
		{"unparseable start", ".json", `{"bandwidth":{"start":"yesterday"}}`, 422, `{"errors":{"start":["is invalid"]}}`},
		{"unparseable end", ".json", `{"bandwidth":{"end":"2024-13-01T00:00"}}`, 422, `{"errors":{"end":["is invalid"]}}`},
		{"start after end", ".json", `{"bandwidth":{"start":"2024-05-02T00:00","end":"2024-05-01T00:00"}}`, 422, `{"errors":{"start":["must be before end"]}}`},
		{"start after now, no end", ".json", `{"bandwidth":{"start":"2030-01-01T00:00"}}`, 422, `{"errors":{"start":["must be before end"]}}`},
		{"unknown type", ".json", `{"bandwidth":{"type":"TB"}}`, 422, `{"errors":{"type":["is invalid"]}}`},
		{"unknown group_by", ".json", `{"bandwidth":{"group_by":"city"}}`, 422, `{"errors":{"group_by":["is invalid"]}}`},
		{"non-numeric resource", ".json", `{"bandwidth":{"resources":["static"]}}`, 422, `{"errors":{"resources":["is invalid"]}}`},
		{"unknown resource", ".json", `{"bandwidth":{"resources":[977]}}`, 422, `{"errors":{"resources":["977 not found"]}}`},
		{"unknown location", ".json", `{"bandwidth":{"locations":[532,999]}}`, 422, `{"errors":{"locations":["999 not found"]}}`},
		{"several", ".json", `{"bandwidth":{"type":"TB","resources":[977]}}`, 422, `{"errors":{"resources":["977 not found"],"type":["is invalid"]}}`},
		{"query string", ".json?bandwidth[start]=soon", "", 422, `{"errors":{"start":["is invalid"]}}`},
		{"XML answer", ".xml", `{"bandwidth":{"type":"TB","resources":[977]}}`, 422, "<errors>\n  <error>resources 977 not found</error>\n  <error>type is invalid</error>\n</errors>"},
		{"malformed JSON body", ".json", `{"bandwidth":`, 400, `{"errors":["The request body could not be parsed"]}`},
		{"malformed XML body", ".json", `<bandwidth><start>`, 400, `{"errors":["The request body could not be parsed"]}`},
		{"lower-case values accepted", ".json", `{"bandwidth":{"type":"mbps","group_by":"Location"}}`, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := onAppGet(t, srv, "/cdn_resources/bandwidth"+tc.path, tc.body)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
			}
			if tc.want != "" && strings.TrimSpace(got.body) != tc.want {
				t.Errorf("body %s, want %s", got.body, tc.want)
			}
		})
	}
}

// Some figures arrive as numeric strings, to exercise the plugin's reader.
func TestOnAppJSONNumericStrings(t *testing.T) {
	srv := newOnAppTestServer(t)
	for _, groupBy := range []string{"", "resource"} {
		t.Run("group_by="+groupBy, func(t *testing.T) {
			body := onAppBandwidthJSON("2024-05-01T00:00", "2024-05-10T00:00", nil, nil, "GB", groupBy)
			got := onAppGet(t, srv, "/cdn_resources/bandwidth.json", body)
			var raw []map[string]map[string]any
			if err := json.Unmarshal([]byte(got.body), &raw); err != nil {
				t.Fatal(err)
			}
			var strs, nums int
			var count func(v any)
			count = func(v any) {
				switch v := v.(type) {
				case string:
					if _, err := strconv.ParseFloat(v, 64); err == nil {
						strs++
					}
				case float64:
					nums++
				case map[string]any:
					for _, x := range v {
						count(x)
					}
				case []any:
					for _, x := range v {
						count(x)
					}
				}
			}
			for _, e := range raw {
				count(e["stat"])
			}
			if strs == 0 || nums == 0 {
				t.Errorf("%d numeric strings and %d numbers; want some of each in %s", strs, nums, got.body)
			}
		})
	}
}

// The reports endpoint wraps the same stats in {"stats": …}; its XML is the
// legacy XML.
func TestOnAppReportsRoot(t *testing.T) {
	srv := newOnAppTestServer(t)
	body := onAppBandwidthJSON("2024-05-01T00:00", "2024-05-05T00:00", []int{977655738}, nil, "GB", "location")
	legacy := onAppGet(t, srv, "/cdn_resources/bandwidth.json", body)
	for _, path := range []string{"/cdn/reports/bandwidth_statistics", "/cdn/reports/bandwidth_statistics.json"} {
		got := onAppGet(t, srv, path, body)
		var root map[string]json.RawMessage
		if err := json.Unmarshal([]byte(got.body), &root); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(root) != 1 || string(root["stats"]) != strings.TrimSpace(legacy.body) {
			t.Errorf("%s: %s\nwant {\"stats\": %s}", path, got.body, legacy.body)
		}
	}
	legacyXML := onAppGet(t, srv, "/cdn_resources/bandwidth.xml", body)
	if got := onAppGet(t, srv, "/cdn/reports/bandwidth_statistics.xml", body); got.body != legacyXML.body {
		t.Errorf("reports XML differs:\n%s\nwant\n%s", got.body, legacyXML.body)
	}
}

// Without parameters: the last 30 days to now, GB, everything.
func TestOnAppDefaults(t *testing.T) {
	srv := newOnAppTestServer(t)
	stats := decodeOnAppStats(t, onAppGet(t, srv, "/cdn_resources/bandwidth.json", "").body)
	if len(stats) != 30 {
		t.Fatalf("%d points, want 30", len(stats))
	}
	if want := onAppTestNow.Add(-30 * 24 * time.Hour).Format(time.RFC3339); stats[0].Date != want {
		t.Errorf("first point %s, want %s", stats[0].Date, want)
	}
	if want := onAppTestNow.Add(-24 * time.Hour).Format(time.RFC3339); stats[29].Date != want {
		t.Errorf("last point %s, want %s", stats[29].Date, want)
	}
}

func TestOnAppDailyGB(t *testing.T) {
	zone := OnAppZone()
	day := time.Date(2024, 5, 2, 0, 0, 0, 0, zone)

	c1, n1 := OnAppDailyGB(977655738, 532, day)
	c2, n2 := OnAppDailyGB(977655738, 532, day.Add(23*time.Hour))
	if c1 != c2 || n1 != n2 || c1 <= 0 {
		t.Errorf("same day, different figures: %v/%v and %v/%v", c1, n1, c2, n2)
	}
	if c, n := OnAppDailyGB(389478438, 207, day); c != 0 || n != 0 {
		t.Errorf("downloads is not served in New York, got %v/%v", c, n)
	}
	if c, n := OnAppDailyGB(977, 532, day); c != 0 || n != 0 {
		t.Errorf("unknown resource: %v/%v", c, n)
	}

	// Over a year: byte precision, some idle days, some days without
	// origin traffic, and non-cached below cached.
	var idle, cacheOnly int
	for d := time.Date(2023, 1, 1, 0, 0, 0, 0, zone); d.Year() == 2023; d = d.AddDate(0, 0, 1) {
		c, n := OnAppDailyGB(725618714, 331, d)
		switch {
		case c == 0:
			idle++
		case n == 0:
			cacheOnly++
		}
		if n > c || c < 0 || math.Abs(c*1e9-math.Round(c*1e9)) > 1e-3 {
			t.Errorf("%s: %v/%v", d.Format(time.DateOnly), c, n)
		}
	}
	if idle == 0 || cacheOnly == 0 {
		t.Errorf("%d idle days and %d cache-only days in 2023; want some of each", idle, cacheOnly)
	}
}

func TestOnAppCatalogueCopies(t *testing.T) {
	r := OnAppResources()
	r[0].EdgeGroupIDs[0] = 99
	r[0].Reference = 1
	if again := OnAppResources(); again[0].Reference != 977655738 || again[0].EdgeGroupIDs[0] != 1 {
		t.Error("OnAppResources exposes the catalogue")
	}
}

func TestFormatOnAppFloat(t *testing.T) {
	for v, want := range map[float64]string{
		0:                   "0.0",
		2:                   "2.0",
		0.425808015:         "0.425808015",
		1.4193601249999999:  "1.4193601249999999",
		0.13193981700000001: "0.13193981700000001",
		1234567.5:           "1234567.5",
	} {
		if got := formatOnAppFloat(v); got != want {
			t.Errorf("formatOnAppFloat(%v) = %s, want %s", v, got, want)
		}
	}
}
