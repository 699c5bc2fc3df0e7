package testutil

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestUpstreamRecordsAndAnswers(t *testing.T) {
	u := NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // the handler still reads the body
		w.Header().Set("X-Test", "q")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, r.Method+":"+string(body))
	}))

	call := func(method, target, body string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest(method, u.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := u.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, _ := call("GET", "/a?x=1", ""); code != 201 || body != "GET:" {
		t.Errorf("first answer %d %q, want the handler's", code, body)
	}
	if code, body, h := call("POST", "/b%2Fc?y=2&y=3", "payload"); code != 201 || body != "POST:payload" || h.Get("X-Test") != "q" {
		t.Errorf("second answer %d %q %v, want the handler's", code, body, h)
	}
	if code, body, _ := call("PUT", "/a", "again"); code != 201 || body != "PUT:again" {
		t.Errorf("third answer %d %q, want the handler's", code, body)
	}

	got := u.Requests()
	if len(got) != 3 {
		t.Fatalf("%d requests recorded, want 3", len(got))
	}
	r := got[1]
	if r.Method != "POST" || r.Path != "/b/c" || r.RequestURI != "/b%2Fc?y=2&y=3" || r.RawQuery != "y=2&y=3" ||
		strings.Join(r.Query()["y"], ",") != "2,3" || r.Body != "payload" || r.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("recorded %+v", r)
	}
	if n := len(u.RequestsTo("/a")); n != 2 {
		t.Errorf("%d requests to /a, want 2", n)
	}
	if s := r.String(); !strings.Contains(s, "POST /b%2Fc?y=2&y=3") || !strings.Contains(s, `"payload"`) {
		t.Errorf("String() = %s", s)
	}

	none := NewUpstream(t, nil)
	resp, err := none.Client().Get(none.URL + "/none")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || len(none.Requests()) != 1 {
		t.Errorf("no handler: %d, %d recorded; want 404, 1", resp.StatusCode, len(none.Requests()))
	}
}

// Concurrent requests are all recorded (run with -race).
func TestUpstreamConcurrent(t *testing.T) {
	u := NewUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := u.Client().Get(u.URL + "/p")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	for range 5 {
		wg.Go(func() { _ = u.Requests() })
	}
	wg.Wait()
	if n := len(u.RequestsTo("/p")); n != 20 {
		t.Errorf("%d requests recorded, want 20", n)
	}
}
