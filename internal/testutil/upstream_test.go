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
		Answer{ContentType: "text/plain", Body: "handler:" + string(body)}.ServeHTTP(w, r)
	}))
	u.Enqueue(Answer{Status: 503, Body: "first"}, Answer{Status: 201, Body: "second", Header: http.Header{"X-Test": {"q"}}})

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
	if code, body, _ := call("GET", "/a?x=1", ""); code != 503 || body != "first" {
		t.Errorf("first answer %d %q, want the first queued", code, body)
	}
	if code, body, h := call("POST", "/b%2Fc?y=2&y=3", "payload"); code != 201 || body != "second" || h.Get("X-Test") != "q" {
		t.Errorf("second answer %d %q %v, want the second queued", code, body, h)
	}
	if code, body, _ := call("PUT", "/a", "again"); code != 200 || body != "handler:again" {
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

	u.Handle(nil)
	if code, _, _ := call("GET", "/none", ""); code != http.StatusNotFound {
		t.Errorf("no handler: %d, want 404", code)
	}
}

// Concurrent requests are all recorded (run with -race).
func TestUpstreamConcurrent(t *testing.T) {
	u := NewUpstream(t, Answer{Body: "ok"})
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
