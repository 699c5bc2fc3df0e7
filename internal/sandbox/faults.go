package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind names a way for an API to misbehave.
type FaultKind string

// The fault kinds. Latency and IgnoreBody alter the call and then let the API
// answer; the others replace the answer.
const (
	// FaultLatency waits DelayMs, then serves normally.
	FaultLatency FaultKind = "latency"
	// FaultStatus answers Status (default 500) with a body in the API's error
	// format, and a Retry-After header when RetryAfter is set.
	FaultStatus FaultKind = "status"
	// FaultReset closes the connection without answering: the client sees a
	// connection reset.
	FaultReset FaultKind = "reset"
	// FaultMalformed answers 200 with the API's content type and a body that
	// is not valid JSON (or XML).
	FaultMalformed FaultKind = "malformed"
	// FaultTruncated serves normally but sends only the first half of the
	// body, with an honest Content-Length.
	FaultTruncated FaultKind = "truncated"
	// FaultOversized answers 200 with a valid-looking body of Bytes bytes
	// (default 20 MB).
	FaultOversized FaultKind = "oversized"
	// FaultContentType answers 200 with an HTML page, as a misconfigured
	// proxy would.
	FaultContentType FaultKind = "contentType"
	// FaultTimeout never answers: it waits until the client gives up (or
	// DelayMs, at most 5 minutes), then closes the connection.
	FaultTimeout FaultKind = "timeout"
	// FaultIgnoreBody drops the request body before the API reads it, as a
	// proxy that drops the bodies of GET requests would.
	FaultIgnoreBody FaultKind = "ignoreBody"
)

// Defaults and bounds of the fault parameters.
const (
	defaultFaultStatus    = http.StatusInternalServerError
	defaultOversizedBytes = 20_000_000
	maxFaultDelay         = 5 * time.Minute
)

// contentTypeFaultBody is what FaultContentType answers.
const contentTypeFaultBody = "<html><body>502 Bad Gateway</body></html>"

// Fault is a fault rule: the calls it matches misbehave as Kind says. Its JSON
// form is what POST /_sandbox/faults takes.
//
// A call matches when every non-empty selector matches. When several rules
// match one call, every matching latency and ignoreBody rule applies, then
// the first matching rule of another kind (in the order they were added)
// replaces the answer. Each rule applied to a call counts towards its Times.
type Fault struct {
	// API selects the API: "ovh", "onapp", "pulse", or "" for all.
	API string `json:"api,omitempty"`
	// Path selects calls whose path below the API's mount prefix contains it
	// (decoded or as sent, e.g. "/statistics" or "%2F").
	Path string `json:"path,omitempty"`
	// Query selects calls whose raw query string contains it, e.g.
	// "timeframe=yearly".
	Query string `json:"query,omitempty"`
	// Kind is the misbehaviour; required.
	Kind FaultKind `json:"kind"`
	// Status is the status FaultStatus answers; default 500.
	Status int `json:"status,omitempty"`
	// RetryAfter is the Retry-After header FaultStatus sends, if any:
	// seconds ("1") or an HTTP date.
	RetryAfter string `json:"retryAfter,omitempty"`
	// DelayMs is the delay of FaultLatency, and the wait of FaultTimeout
	// before it closes the connection (0: until the client gives up).
	// At most 5 minutes.
	DelayMs int `json:"delayMs,omitempty"`
	// Bytes is the body size of FaultOversized; default 20 MB.
	Bytes int `json:"bytes,omitempty"`
	// Times is the number of matching calls the rule applies to, after which
	// it disappears; 0 means until the rules are cleared.
	Times int `json:"times,omitempty"`
}

// validate reports the first thing wrong with the rule.
func (f Fault) validate() error {
	switch f.Kind {
	case FaultLatency, FaultStatus, FaultReset, FaultMalformed, FaultTruncated,
		FaultOversized, FaultContentType, FaultTimeout, FaultIgnoreBody:
	case "":
		return errors.New("kind is required")
	default:
		return fmt.Errorf("unknown kind %q", f.Kind)
	}
	switch f.API {
	case "", APIOVH, APIOnApp, APIPulse:
	default:
		return fmt.Errorf("unknown api %q (want ovh, onapp, pulse or empty)", f.API)
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return fmt.Errorf("status %d is not an HTTP status", f.Status)
	}
	if f.DelayMs < 0 || time.Duration(f.DelayMs)*time.Millisecond > maxFaultDelay {
		return fmt.Errorf("delayMs %d is outside 0..%d", f.DelayMs, maxFaultDelay.Milliseconds())
	}
	if f.Bytes < 0 {
		return fmt.Errorf("bytes %d is negative", f.Bytes)
	}
	if f.Times < 0 {
		return fmt.Errorf("times %d is negative", f.Times)
	}
	return nil
}

// matches reports whether the rule selects this call to api.
func (f Fault) matches(api string, r *http.Request) bool {
	if f.API != "" && f.API != api {
		return false
	}
	if f.Path != "" && !strings.Contains(r.URL.Path, f.Path) && !strings.Contains(r.URL.EscapedPath(), f.Path) {
		return false
	}
	return f.Query == "" || strings.Contains(r.URL.RawQuery, f.Query)
}

// modifies reports whether the kind alters the call and then lets the API
// answer, rather than replacing the answer.
func (k FaultKind) modifies() bool {
	return k == FaultLatency || k == FaultIgnoreBody
}

// faultSet holds the active rules. One mutex guards the list and the counts,
// so that a rule with Times n applies to exactly n calls however many arrive
// at once.
type faultSet struct {
	mu    sync.Mutex
	rules []Fault // Times holds the remaining count of counted rules
}

func (fs *faultSet) add(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = append(fs.rules, f)
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rules = nil
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]Fault{}, fs.rules...) // never nil: the control API lists []
}

// claim picks the rules that apply to this call and counts them: every
// matching modifier, then at most one rule that replaces the answer
// (terminal). Used-up rules are removed.
func (fs *faultSet) claim(api string, r *http.Request) (modifiers []Fault, terminal *Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	kept := fs.rules[:0]
	for _, f := range fs.rules {
		apply := f.matches(api, r) && (f.Kind.modifies() || terminal == nil)
		if apply {
			if f.Kind.modifies() {
				modifiers = append(modifiers, f)
			} else {
				t := f
				terminal = &t
			}
			if f.Times > 0 {
				f.Times--
				if f.Times == 0 {
					continue // used up: drop it
				}
			}
		}
		kept = append(kept, f)
	}
	clear(fs.rules[len(kept):]) // let dropped rules be collected
	fs.rules = kept
	return modifiers, terminal
}

// serveWithFaults serves the call through next, altered or replaced by the
// fault rules that match it.
func (s *Sandbox) serveWithFaults(api string, w http.ResponseWriter, r *http.Request, next http.Handler) {
	modifiers, terminal := s.faults.claim(api, r)
	if len(modifiers) > 0 || terminal != nil {
		// Read the body first: Go's server notices a client that has gone
		// only once the request body is consumed, so a latency or timeout
		// fault on a GET with a body (OnApp) would otherwise outlive it.
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	for _, f := range modifiers {
		switch f.Kind {
		case FaultLatency:
			if !sleep(r.Context(), time.Duration(f.DelayMs)*time.Millisecond) {
				return
			}
		case FaultIgnoreBody:
			r = r.WithContext(r.Context()) // a copy: the caller's request stays intact
			r.Body = http.NoBody
			r.ContentLength = 0
			r.Header = r.Header.Clone()
			r.Header.Del("Content-Length")
		}
	}
	if terminal == nil {
		next.ServeHTTP(w, r)
		return
	}
	f := *terminal
	switch f.Kind {
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = defaultFaultStatus
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeAPIError(api, w, r, status, fmt.Sprintf("%d %s (sandbox fault)", status, http.StatusText(status)))
	case FaultReset:
		dropConnection(w, true)
	case FaultMalformed:
		serveMalformed(w, r)
	case FaultTruncated:
		serveTruncated(w, r, next)
	case FaultOversized:
		size := f.Bytes
		if size == 0 {
			size = defaultOversizedBytes
		}
		serveOversized(w, r, size)
	case FaultContentType:
		w.Header().Set("Content-Type", contentTypeHTML)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, contentTypeFaultBody)
	case FaultTimeout:
		wait := maxFaultDelay
		if f.DelayMs > 0 {
			wait = time.Duration(f.DelayMs) * time.Millisecond
		}
		sleep(r.Context(), wait)
		dropConnection(w, false)
	}
}

// writeAPIError answers status with a body in the API's own error format:
// OVHcloud's {"class","message"}, XML for OnApp's .xml routes, otherwise
// {"errors": [message]}.
func writeAPIError(api string, w http.ResponseWriter, r *http.Request, status int, message string) {
	switch {
	case api == APIOVH:
		writeOVHError(w, status, ovhClassError(status, message))
	case isXMLPath(r):
		w.Header().Set("Content-Type", contentTypeXML)
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors type=\"array\"><error>%s</error></errors>\n", message)
	default:
		writeJSON(w, status, map[string][]string{"errors": {message}})
	}
}

// serveMalformed answers 200 with the expected content type and a body that
// starts well but is not valid JSON or XML.
func serveMalformed(w http.ResponseWriter, r *http.Request) {
	body := `{"unit": "s", "values": [{"timestamp": 1732406400, "value": 0.0123}, {"timestamp": 1732406460, "value": NaN`
	w.Header().Set("Content-Type", contentTypeJSON)
	if isXMLPath(r) {
		body = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<stats type="array"><stat><date type="datetime">2014-11-25T18:25:00+02:00</dat><cached type="float">2.0`
		w.Header().Set("Content-Type", contentTypeXML)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, body)
}

// serveTruncated lets next answer into a buffer, then sends the status, the
// headers and the first half of the body, with a Content-Length that says so.
func serveTruncated(w http.ResponseWriter, r *http.Request, next http.Handler) {
	buf := newBufferedResponse()
	next.ServeHTTP(buf, r)
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	body := buf.body.Bytes()
	body = body[:len(body)/2]
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(body)
}

// serveOversized answers 200 with a body of exactly size bytes that looks
// like a normal answer repeated: statistics points in JSON, or OnApp stats in
// XML for the .xml routes. It is streamed, never held in memory.
func serveOversized(w http.ResponseWriter, r *http.Request, size int) {
	prefix, item, sep, suffix := `{"unit":"","values":[`, `{"timestamp":1732406400,"value":4123.0}`, ",", "]}\n"
	w.Header().Set("Content-Type", contentTypeJSON)
	if isXMLPath(r) {
		prefix = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<stats type="array">`
		item = `<stat><date type="datetime">2014-11-25T18:25:00+02:00</date>` +
			`<cached type="float">2.039</cached><non_cached type="float">0.226</non_cached></stat>`
		sep, suffix = "\n", "</stats>\n"
		w.Header().Set("Content-Type", contentTypeXML)
	}
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	_ = writeRepeated(w, size, prefix, item, sep, suffix)
}

// writeRepeated writes prefix, then as many items (separated by sep) as fit,
// then spaces, then suffix: exactly size bytes. When even one item does not
// fit, it writes spaces then as much of "{}" as fits.
func writeRepeated(w io.Writer, size int, prefix, item, sep, suffix string) error {
	n := (size - len(prefix) - len(suffix) + len(sep)) / (len(item) + len(sep))
	if n < 1 {
		prefix, item, sep, suffix, n = "", "", "", "{}", 0
		if size < len(suffix) {
			suffix = suffix[:size]
		}
	}
	pad := size - len(prefix) - len(suffix) - n*len(item) - max(n-1, 0)*len(sep)

	// Write in chunks of about 64 KiB, stopping at the first error (the
	// client stopped reading).
	const chunk = 64 << 10
	buf := make([]byte, 0, chunk+len(prefix)+len(sep)+len(item))
	buf = append(buf, prefix...)
	flush := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for i := range n {
		if i > 0 {
			buf = append(buf, sep...)
		}
		buf = append(buf, item...)
		if len(buf) >= chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for range pad {
		buf = append(buf, ' ')
		if len(buf) >= chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	buf = append(buf, suffix...)
	return flush()
}
