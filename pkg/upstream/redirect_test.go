package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// newRecorder is another host on loopback ("127.0.0.2:0") or another port
// ("127.0.0.1:0") that records every request it gets and answers 200.
func newRecorder(t *testing.T, addr string) *testutil.OtherHost {
	return testutil.ListenOther(t, addr, okJSON)
}

// redirectTo answers every request with status and a Location.
func redirectTo(status int, location string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(status)
	}
}

// TestRedirectsAreNeverFollowed: whatever the status, and whether the
// Location names another host, another port of the same address, or the
// same origin, the call stops at the redirect: the other end gets nothing,
// the error names where the upstream wanted the call to go (without its
// user-info or query), and the call is not retried.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	other := newRecorder(t, "127.0.0.2:0")
	otherPort := newRecorder(t, "127.0.0.1:0")
	cases := []struct {
		name     string
		status   int
		location func(self string) string
		want     func(self string) string // in the message
	}{
		{"302 to another host", 302, func(string) string { return other.URL + "/stats?x=1" }, func(string) string { return "redirected the call to " + other.URL + "/stats —" }},
		{"301 to another host", 301, func(string) string { return other.URL + "/" }, func(string) string { return "redirected the call to " + other.URL + "/ —" }},
		{"303 to another host", 303, func(string) string { return other.URL }, func(string) string { return "redirected the call to " + other.URL + "/ —" }},
		{"307 to the same address on another port", 307, func(string) string { return otherPort.URL + "/x" }, func(string) string { return "redirected the call to " + otherPort.URL + "/x —" }},
		{"308 with user-info and a query", 308, func(string) string {
			return "http://admin:pw-in-location@" + testutil.HostOf(t, other.URL) + "/p?token=q-secret#frag"
		}, func(string) string { return "redirected the call to " + other.URL + "/p —" }},
		{"302 to the same origin", 302, func(string) string { return "/elsewhere" }, func(self string) string {
			return "redirected the call to " + self + "/elsewhere — set the URL in the data source settings to the address the API answers on"
		}},
		{"302 from http to https on the same host", 302, func(self string) string { return "https://" + testutil.HostOf(t, self) + "/x" }, func(self string) string {
			return "redirected the call to https://" + testutil.HostOf(t, self) + "/x —"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var loc atomic.Value
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { redirectTo(tc.status, loc.Load().(string))(w, r) })
			loc.Store(tc.location(s.URL))
			c := newClient(t, s.URL)
			_, err := c.Do(context.Background(), Call{Path: "/stats"})
			var ue *Error
			if !errors.As(err, &ue) || ue.Kind != KindRedirect || ue.Status != tc.status {
				t.Fatalf("got %#v", err)
			}
			if want := "Test API: " + testutil.HostOf(t, s.URL) + " redirected the call to "; !strings.HasPrefix(ue.Message, want) {
				t.Errorf("message %q does not start with %q", ue.Message, want)
			}
			if want := tc.want(s.URL); !strings.Contains(ue.Message, want) {
				t.Errorf("message %q lacks %q", ue.Message, want)
			}
			for _, hidden := range []string{"pw-in-location", "q-secret", "admin", "frag", "no answer from"} {
				if strings.Contains(ue.Message, hidden) {
					t.Errorf("message %q holds %q", ue.Message, hidden)
				}
			}
			if got := ue.DataStatus(); got != 502 {
				t.Errorf("data status %d, want 502", got)
			}
			if s.calls.Load() != 1 {
				t.Errorf("%d calls: a redirect must not be retried", s.calls.Load())
			}
			if got := append(other.Requests(), otherPort.Requests()...); len(got) > 0 {
				t.Fatalf("the redirect was followed: %q", got)
			}
		})
	}
}

// TestRedirectOfLibraryCalls: go-ovh and x/oauth2 make their own calls with
// HTTPClient(): those stop at a redirect too, with the same error, and the
// form of an OAuth2 token request (the client secret) never reaches the
// other host.
func TestRedirectOfLibraryCalls(t *testing.T) {
	other := newRecorder(t, "127.0.0.2:0")
	s := newServer(t, redirectTo(307, other.URL+"/auth/oauth2/token"))
	c := newClient(t, s.URL)
	resp, err := c.HTTPClient().PostForm(s.URL+"/auth/oauth2/token", url.Values{"client_secret": {"secret-value-123"}})
	if err == nil {
		resp.Body.Close()
		t.Fatal("the token request was redirected without an error")
	}
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindRedirect || !strings.Contains(ue.Message, "redirected the call to "+other.URL+"/auth/oauth2/token") {
		t.Fatalf("got %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/auth/time", nil)
	req.Header.Set("X-Ovh-Application", "app-key")
	if resp, err := c.HTTPClient().Do(req); err == nil || !errors.As(err, &ue) || ue.Kind != KindRedirect {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("GET /auth/time: %v", err)
	}
	if got := other.Requests(); len(got) > 0 {
		t.Fatalf("the other host got %q", got)
	}
}

// TestRedirectToAnAddressThatIsNotAURL: net/http fails on such a Location
// before asking CheckRedirect; the call is refused the same way, not
// reported as "no answer".
func TestRedirectToAnAddressThatIsNotAURL(t *testing.T) {
	s := newServer(t, redirectTo(302, "http://%zz/x"))
	c := newClient(t, s.URL)
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindRedirect || ue.Status != 302 ||
		!strings.Contains(ue.Message, `redirected the call to an address that is not a URL (http://%zz/x) — set the URL`) {
		t.Fatalf("got %v", err)
	}
}

// TestRedirectWithoutLocationIsAnAnswer: a 3xx without Location is not a
// redirect net/http follows; it is answered as the status it is.
func TestRedirectWithoutLocationIsAnAnswer(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(302) })
	c := newClient(t, s.URL)
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindHTTP || ue.Status != 302 {
		t.Fatalf("got %v", err)
	}
}

// TestGivenHTTPClientIsNotChanged: the client of Options.HTTPClient is
// copied, never modified; its transport is still the one used underneath.
func TestGivenHTTPClientIsNotChanged(t *testing.T) {
	var used atomic.Int64
	base := http.DefaultTransport
	given := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return base.RoundTrip(r)
	})}
	before := *given
	s := newServer(t, okJSON)
	c := newClient(t, s.URL, func(o *Options) { o.HTTPClient = given })
	if _, err := c.Do(context.Background(), Call{Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	if given.CheckRedirect != nil || fmt.Sprintf("%p", given.Transport) != fmt.Sprintf("%p", before.Transport) {
		t.Fatal("the given client was modified")
	}
	if used.Load() != 1 || c.HTTPClient() == given {
		t.Fatalf("transport used %d times; own client %v", used.Load(), c.HTTPClient() != given)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRedirectMessageIsScrubbed: a Location echoing a secret in its path
// shows it redacted.
func TestRedirectMessageIsScrubbed(t *testing.T) {
	other := newRecorder(t, "127.0.0.2:0")
	s := newServer(t, redirectTo(302, other.URL+"/keep/secret-value-123/x"))
	c := newClient(t, s.URL)
	_, err := c.Do(context.Background(), Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || !strings.Contains(ue.Message, other.URL+"/keep/[redacted]/x") || strings.Contains(ue.Message, "secret-value-123") {
		t.Fatalf("got %v", err)
	}
}
