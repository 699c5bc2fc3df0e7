// Package sandbox imitates the three upstream APIs the plugin reads (OVHcloud
// telephony, OnApp CDN, Pulse usage) on a local address, with the real
// services' authentication, deterministic data and switchable faults.
//
// It is written independently of the plugin's clients (pkg/ovh, pkg/onapp,
// pkg/pulse): its own signature check, its own XML writer, its own paging.
// Nothing under pkg/ may import it; tests and cmd/sandbox do.
//
// Each API is mounted under its own prefix, so one listener serves all three:
//
//	/ovh/1.0/...  OVHcloud API (base URL for the plugin's custom OVH endpoint)
//	/onapp/...    OnApp CDN API
//	/pulse/...    Pulse usage API
//	/_sandbox/... control API: faults and call statistics
//
// Every call to an API goes through the same middleware, in this order: it is
// counted (see [Stats]), delayed by [Config.Latency], then the fault rules
// (see [Fault]) decide whether the API answers normally or misbehaves. The
// control API is neither counted, delayed nor subject to faults.
//
// A Sandbox is safe for concurrent use.
package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Mount prefixes of the three APIs.
const (
	OVHPrefix   = "/ovh/1.0"
	OnAppPrefix = "/onapp"
	PulsePrefix = "/pulse"
	// ControlPrefix is the prefix of the control API (faults and stats).
	ControlPrefix = "/_sandbox"
)

// Names of the three APIs, as used in [Fault.API] and in [Stats].
const (
	APIOVH   = "ovh"
	APIOnApp = "onapp"
	APIPulse = "pulse"
)

// Credentials the sandbox accepts. They are demo values, not secrets.
const (
	OVHAppKey             = "sandbox-app-key"
	OVHAppSecret          = "sandbox-app-secret"
	OVHConsumerKey        = "sandbox-consumer-key"         // access rule GET /telephony/*
	OVHConsumerKeyLimited = "sandbox-consumer-key-limited" // access rule GET /telephony only
	OVHConsumerKeyExpired = "sandbox-consumer-key-expired" // INVALID_CREDENTIAL
	OVHClientID           = "sandbox-client-id"            // OAuth2, IAM allows telephony
	OVHClientIDNoIAM      = "sandbox-client-noiam"         // OAuth2, IAM denies line statistics
	OVHClientSecret       = "sandbox-client-secret"        // secret of both OAuth2 clients

	OnAppUser   = "sre@example.com"
	OnAppAPIKey = "sandbox-onapp-key"

	PulseToken = "sandbox-pulse-token"
)

// Config sets up a sandbox. The zero value is usable.
type Config struct {
	// Now is the sandbox's clock; data is generated relative to it, and the
	// OVH signature timestamps are checked against it. Defaults to time.Now.
	Now func() time.Time
	// Latency is added to every API call (not to /_sandbox), e.g. 30ms to
	// imitate a real round trip in benchmarks.
	Latency time.Duration
	// PulseRowsPerDay is the density of the Pulse log population over its
	// 90 days. Defaults to DefaultPulseRowsPerDay.
	PulseRowsPerDay int
	// OVHRequestsPerMinute, when > 0, limits each OVH consumer key (all
	// OAuth2 tokens count as one consumer, "oauth2") to that many accepted
	// calls in any sliding 60-second window; the calls beyond get 429 with a
	// Retry-After header. OVHcloud documents no limit but asks for fair use
	// of about 60 requests per minute.
	//
	// The window is measured on the real clock, not on Now: tests usually
	// freeze Now to get deterministic data, and a frozen clock would never
	// let a window slide.
	OVHRequestsPerMinute int

	// wallNow replaces time.Now for the sliding windows (rate limit and
	// stats). Only this package's tests set it.
	wallNow func() time.Time
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// wall is the real clock used for sliding windows, see OVHRequestsPerMinute.
func (c Config) wall() time.Time {
	if c.wallNow != nil {
		return c.wallNow()
	}
	return time.Now()
}

// Sandbox is the http.Handler serving the three APIs and the control API.
type Sandbox struct {
	cfg    Config
	mux    *http.ServeMux
	ovh    http.Handler
	onapp  http.Handler
	pulse  http.Handler
	faults *faultSet
	stats  *statsRecorder
}

// New builds a sandbox.
func New(cfg Config) *Sandbox {
	s := &Sandbox{
		cfg:    cfg,
		mux:    http.NewServeMux(),
		faults: &faultSet{},
		stats:  newStatsRecorder(cfg.wall),
	}
	s.ovh = newOVH(cfg)
	s.onapp = newOnApp(cfg)
	s.pulse = newPulse(cfg)
	s.mount(APIOVH, OVHPrefix, s.ovh)
	s.mount(APIOnApp, OnAppPrefix, s.onapp)
	s.mount(APIPulse, PulsePrefix, s.pulse)
	s.mountControl()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// AddFault adds a fault rule; it applies to the matching calls from now on.
// It panics if the rule is invalid (unknown kind or API, negative numbers):
// rules written in Go are constants of a test, and a typo must not go unseen.
// The control API (POST /_sandbox/faults) answers 400 instead.
func (s *Sandbox) AddFault(f Fault) {
	if err := f.validate(); err != nil {
		panic("sandbox: AddFault: " + err.Error())
	}
	s.faults.add(f)
}

// ClearFaults removes every fault rule.
func (s *Sandbox) ClearFaults() { s.faults.clear() }

// Faults lists the active fault rules in the order they were added. For a
// rule added with Times > 0, Times is the number of calls it still applies to;
// a rule that has been used up is no longer listed.
func (s *Sandbox) Faults() []Fault { return s.faults.list() }

// Stats returns a snapshot of the call statistics.
func (s *Sandbox) Stats() Stats { return s.stats.snapshot() }

// ResetStats sets every counter back to zero.
func (s *Sandbox) ResetStats() { s.stats.reset() }

// mount serves api below prefix, behind the counting, latency and fault
// middleware. The handler and the middleware see the path below the prefix;
// r.RequestURI still holds the full path the client asked for.
func (s *Sandbox) mount(api, prefix string, h http.Handler) {
	s.mux.Handle(prefix+"/", http.StripPrefix(prefix, s.middleware(api, h)))
}

// middleware counts the call, waits cfg.Latency, then lets the fault rules
// decide how the API answers.
func (s *Sandbox) middleware(api string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.stats.record(api, r)
		if !sleep(r.Context(), s.cfg.Latency) {
			return // the client gave up; nobody is listening any more
		}
		s.serveWithFaults(api, w, r, next)
	})
}

// mountControl registers the control API. The method-qualified patterns let
// ServeMux answer 405 with an Allow header for the other methods.
func (s *Sandbox) mountControl() {
	s.mux.HandleFunc("GET "+ControlPrefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	s.mux.HandleFunc("POST "+ControlPrefix+"/faults", s.postFault)
	s.mux.HandleFunc("DELETE "+ControlPrefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET "+ControlPrefix+"/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	s.mux.HandleFunc("DELETE "+ControlPrefix+"/stats", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
}

// postFault decodes one fault rule, strictly (a misspelt field is an error,
// not a silently ignored setting), validates it and adds it.
func (s *Sandbox) postFault(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var f Fault
	if err := dec.Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{fmt.Sprintf("invalid fault rule: %v", err)})
		return
	}
	if err := f.validate(); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{"invalid fault rule: " + err.Error()})
		return
	}
	s.faults.add(f)
	writeJSON(w, http.StatusCreated, f)
}

// controlError is the body of the control API's 400 answers.
type controlError struct {
	Error string `json:"error"`
}
