package onapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/pkg/source"
)

func TestResourceRoutes(t *testing.T) {
	cases := []struct {
		path string
		want []source.Option
	}{
		{"/resources", []source.Option{
			{Value: "389478438", Text: "downloads.example.com", Description: "cdn_reference 389478438"},
			{Value: "977655738", Text: "static.example.com", Description: "cdn_reference 977655738"},
		}},
		{"/locations", []source.Option{
			{Value: "418", Text: "Frankfurt, Germany", Description: "Premium"},
			{Value: "331", Text: "London, United Kingdom", Description: "Europe"},
			{Value: "532", Text: "Paris, France", Description: "Europe, Premium"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			fake := newFakeOnApp(t)
			src := newTestSource(t, fake.URL, nil)
			rec := callResource(t, src, tc.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got []source.Option
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, got) != mustJSON(t, tc.want) {
				t.Errorf("got  %s\nwant %s", mustJSON(t, got), mustJSON(t, tc.want))
			}
		})
	}
}

func TestUnknownResourceRoute(t *testing.T) {
	src := newTestSource(t, newFakeOnApp(t).URL, nil)
	if rec := callResource(t, src, "/nothing"); rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
}

// TestListsAreCachedTenMinutes: the lists are fetched once for ten
// minutes, by the routes and the series names alike, then again.
func TestListsAreCachedTenMinutes(t *testing.T) {
	fake := newFakeOnApp(t)
	src := newTestSource(t, fake.URL, nil)
	var now atomic.Pointer[time.Time]
	start := testNow
	now.Store(&start)
	src.now = func() time.Time { return *now.Load() }

	for range 3 {
		callResource(t, src, "/locations")
	}
	fake.handle("/cdn_resources/bandwidth.json", serveFile(t, "testdata/grouped_location_json.upstream.json"))
	if resp := src.HandleQuery(ctxT(t), dataQuery(t, map[string]any{"groupBy": "location"}, testNow.Add(-48*time.Hour), testNow)); resp.Error != nil {
		t.Fatal(resp.Error)
	}
	if n := len(fake.requests(edgeGroupsPath)); n != 1 {
		t.Fatalf("%d calls within the TTL, want 1", n)
	}
	later := start.Add(defaultCatalogTTL + time.Second)
	now.Store(&later)
	callResource(t, src, "/locations")
	if n := len(fake.requests(edgeGroupsPath)); n != 2 {
		t.Fatalf("%d calls after the TTL, want 2", n)
	}
}

func TestCacheTTLSetting(t *testing.T) {
	for _, tc := range []struct {
		seconds any
		calls   int
	}{{0, 3}, {3600, 1}} {
		fake := newFakeOnApp(t)
		src := newTestSource(t, fake.URL, map[string]any{"cacheTTLSeconds": tc.seconds})
		for range 3 {
			callResource(t, src, "/resources")
		}
		if n := len(fake.requests(resourcesPath)); n != tc.calls {
			t.Errorf("cacheTTLSeconds %v: %d calls, want %d", tc.seconds, n, tc.calls)
		}
	}
}

// TestConcurrentMissesShareOneCall: panels loading together make one call.
func TestConcurrentMissesShareOneCall(t *testing.T) {
	fake := newFakeOnApp(t)
	release := make(chan struct{})
	inner := serveFile(t, "testdata/cdn_resources.json")
	fake.handle(resourcesPath, func(w http.ResponseWriter, r *http.Request) { <-release; inner(w, r) })
	src := newTestSource(t, fake.URL, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if rec := callResource(t, src, "/resources"); rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := len(fake.requests(resourcesPath)); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

// TestCallerGivingUpDoesNotFailOthers: the shared fetch outlives a caller
// whose context ends.
func TestCallerGivingUpDoesNotFailOthers(t *testing.T) {
	release := make(chan struct{})
	c := &cache[int]{ttl: time.Minute, now: time.Now, fetch: func(ctx context.Context) (int, error) {
		<-release
		return 42, ctx.Err()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	close(release)
	if v, err := c.get(context.Background()); v != 42 || err != nil {
		t.Fatalf("got %d %v, want 42", v, err)
	}
}

func TestHealth(t *testing.T) {
	fake := newFakeOnApp(t)
	src := newTestSource(t, fake.URL, nil)
	detail, err := src.CheckHealth(ctxT(t))
	if err != nil || detail != "2 CDN resources visible" {
		t.Fatalf("got %q %v", detail, err)
	}
	callResource(t, src, "/resources") // served from what the health check read
	if n := len(fake.requests(resourcesPath)); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}

	fake.handle(resourcesPath, func(w http.ResponseWriter, _ *http.Request) {
		writeBody(w, 200, "application/json", `{"cdn_resources": [{"cdn_reference": 1, "cdn_hostname": "a.example.com"}]}`)
	})
	if detail, _ := src.CheckHealth(ctxT(t)); detail != "1 CDN resource visible" {
		t.Errorf("got %q", detail)
	}

	fake.handle(resourcesPath, nil)
	_, err = src.CheckHealth(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "check that onappUrl is the OnApp control panel's address") {
		t.Errorf("a 404 on the listing: %v", err)
	}
}

// TestListingShapes: the readers take the documented-looking shapes and
// the variants OnApp versions and proxies produce.
func TestListingShapes(t *testing.T) {
	cases := []struct {
		name, body string
		read       func(any) (catalog, error)
		want       string // value=text|… in text order
	}{
		{"resources wrapped", `[{"cdn_resource":{"cdn_reference":977655738,"cdn_hostname":"b.example.com"}},{"cdn_resource":{"cdn_reference":"12","cdn_hostname":"a.example.com"}}]`, readResources, "12=a.example.com|977655738=b.example.com"},
		{"resources bare", `[{"cdn_reference":5,"cdn_hostname":"x"}]`, readResources, "5=x"},
		{"resources rooted", `{"cdn_resources":[{"cdn_resource":{"cdn_reference":5,"cdn_hostname":"x"}}]}`, readResources, "5=x"},
		{"one resource object", `{"cdn_resource":{"cdn_reference":5,"cdn_hostname":"x"}}`, readResources, "5=x"},
		{"resource without hostname or reference", `[{"cdn_reference":5},{"cdn_hostname":"no-ref"},{"cdn_reference":"abc"}]`, readResources, "5=5"},
		{"duplicate references", `[{"cdn_reference":5,"cdn_hostname":"x"},{"cdn_reference":"5","cdn_hostname":"y"}]`, readResources, "5=x"},
		{"empty list", `[]`, readResources, ""},
		{"locations bare", `[{"id":1,"label":"EU","locations":[{"id":532,"city":"Paris","country":"France"}]}]`, readLocations, "532=Paris, France"},
		{"location without city", `[{"edge_group":{"locations":[{"location":{"id":7,"country":"Chile"}},{"location":{"id":8}}]}}]`, readLocations, "7=Chile|8=location 8"},
		{"group without locations", `[{"edge_group":{"id":1,"label":"Empty"}}]`, readLocations, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := decodeJSON([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			c, err := tc.read(doc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range c.options {
				got = append(got, o.Value+"="+o.Text)
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("got %q, want %q", strings.Join(got, "|"), tc.want)
			}
		})
	}
	if _, err := readResources(json.Number("3")); err == nil {
		t.Error("a number is not a listing")
	}
	for _, read := range []func(any) (catalog, error){readResources, readLocations} {
		if _, err := read(map[string]any{}); err == nil || !strings.Contains(err.Error(), "found an empty object {}") {
			t.Errorf("{} is not an empty listing: %v", err)
		}
	}
}

// TestHealthOfAnAnswerOfTheWrongShape: {} for the resources is not "0 CDN
// resources visible" but a failed health check.
func TestHealthOfAnAnswerOfTheWrongShape(t *testing.T) {
	fake := newFakeOnApp(t)
	fake.handle(resourcesPath, func(w http.ResponseWriter, _ *http.Request) { writeBody(w, 200, "application/json", `{}`) })
	src := newTestSource(t, fake.URL, nil)
	if detail, err := src.CheckHealth(ctxT(t)); err == nil || !strings.Contains(err.Error(), "expected a list of cdn_resources, found an empty object {}") {
		t.Errorf("got %q %v", detail, err)
	}
}
