package sandbox

// The Pulse usage API (docs/upstream-apis.md §3), below its mount
// prefix:
//
//	GET /stats             [RequestLog], one page of the log rows by timestamp
//	GET /stats/requests    [{"enterprise", "totalRequests"}]
//	GET /stats/complexity  [{"enterprise", "averageComplexity"}]
//	GET /stats/devices     [{"device", "totalRequests"}]
//	GET /stats/routes      [{"route", "totalRequests"}]
//
// All take the filters enterpriseId, startDate, endDate, page and limit, and a
// Bearer token. The rows are those of pulse_data.go; the aggregates count the
// same filtered rows /stats pages through, so an enterprise's totalRequests is
// the number of its /stats rows over the same range.

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PulseTokenRevoked is a token Pulse knows but has revoked: 403.
const PulseTokenRevoked = "sandbox-pulse-readonly-revoked"

const (
	// PulseDefaultLimit is the page size when a request gives none. The
	// document gives no default; 100 is inferred.
	PulseDefaultLimit = 100
	// PulseMaxLimit is the largest page size accepted.
	PulseMaxLimit = 5000
)

// pulseAPI serves the Pulse API over one log population.
type pulseAPI struct {
	pop    *pulsePopulation
	routes map[string]func(http.ResponseWriter, *pulseQuery)
}

// newPulse serves the Pulse API below its mount prefix.
func newPulse(cfg Config) http.Handler {
	a := &pulseAPI{pop: newPulsePopulation(cfg)}
	a.routes = map[string]func(http.ResponseWriter, *pulseQuery){
		"/stats":            a.serveLogs,
		"/stats/requests":   a.serveRequests,
		"/stats/complexity": a.serveComplexity,
		"/stats/devices":    a.serveDevices,
		"/stats/routes":     a.serveRoutes,
	}
	return a
}

// pulseError is Pulse's error body.
type pulseError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func pulseFail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, pulseError{Error: http.StatusText(status), Message: message})
}

// ServeHTTP routes, then checks the token, the method and the filters, in
// that order.
func (a *pulseAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve, ok := a.routes[strings.TrimSuffix(r.URL.Path, "/")]
	if !ok {
		pulseFail(w, http.StatusNotFound, "Cannot "+r.Method+" "+r.URL.Path)
		return
	}
	if !pulseAuthorize(w, r) {
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		pulseFail(w, http.StatusMethodNotAllowed, "Cannot "+r.Method+" "+r.URL.Path)
		return
	}
	q, msg := a.parseQuery(r.URL.Query())
	if msg != "" {
		pulseFail(w, http.StatusBadRequest, msg)
		return
	}
	serve(w, q)
}

// pulseAuthorize checks the Bearer token, answering 401 or 403 when it fails.
func pulseAuthorize(w http.ResponseWriter, r *http.Request) bool {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	switch {
	case !strings.EqualFold(scheme, "Bearer") || token == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="pulse"`)
		pulseFail(w, http.StatusUnauthorized, "Missing bearer token")
		return false
	case token == PulseTokenRevoked:
		pulseFail(w, http.StatusForbidden, "Token revoked")
		return false
	case token != PulseToken:
		w.Header().Set("WWW-Authenticate", `Bearer realm="pulse", error="invalid_token"`)
		pulseFail(w, http.StatusUnauthorized, "Invalid token")
		return false
	}
	return true
}

// pulseQuery is a request's validated filters.
type pulseQuery struct {
	ent      int   // index into pulseEnterprises, pulseAll or pulseNobody
	kLo, kHi int64 // grid rows in the date range and the visible window
	page     int   // from 1
	limit    int
	paged    bool // page or limit given
}

// offset is the position of the page's first row among the filtered ones.
func (q *pulseQuery) offset() int64 {
	return int64(q.page-1) * int64(q.limit)
}

// parseQuery validates the filters, returning the error message otherwise.
// An empty parameter counts as absent.
func (a *pulseAPI) parseQuery(v url.Values) (*pulseQuery, string) {
	q := &pulseQuery{ent: pulseAll, page: 1, limit: PulseDefaultLimit}

	// Unknown enterprises are not an error: they simply have no rows.
	if id := v.Get("enterpriseId"); id != "" {
		if q.ent = pulseEnterpriseIndex(id); q.ent < 0 {
			q.ent = pulseNobody
		}
	}

	// startDate is inclusive and endDate exclusive: a row stamped exactly at
	// endDate belongs to the next range, so consecutive ranges never count a
	// row twice. A range ending before it starts is empty, not an error.
	startMs, endMs := int64(-1<<63), int64(1<<63-1)
	for _, p := range []struct {
		name string
		ms   *int64
	}{{"startDate", &startMs}, {"endDate", &endMs}} {
		if s := v.Get(p.name); s != "" {
			t, ok := pulseParseDate(s)
			if !ok {
				return nil, "Invalid " + p.name
			}
			*p.ms = pulseCeilMs(t) // rows have whole milliseconds
		}
	}
	q.kLo, q.kHi = a.pop.gridRange(startMs, endMs)

	for _, p := range []struct {
		name     string
		n        *int
		min, max int
	}{{"page", &q.page, 1, 1<<31 - 1}, {"limit", &q.limit, 1, PulseMaxLimit}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < p.min || n > p.max {
				return nil, "Invalid " + p.name
			}
			*p.n, q.paged = n, true
		}
	}
	return q, ""
}

// pulseParseDate reads an ISO 8601 date: RFC 3339 with or without fractional
// seconds, with Z or an offset, or a bare date (midnight UTC). An offset's "+"
// must be escaped in the query string (%2B): unescaped it reads as a space, and
// the date is rejected, which catches a client that forgets to escape it.
func pulseParseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// serveLogs answers GET /stats: rows [(page−1)·limit, page·limit) of the
// filtered rows, by timestamp ascending; without page and limit, page 1 of
// PulseDefaultLimit rows (inferred: the document gives no default).
func (a *pulseAPI) serveLogs(w http.ResponseWriter, q *pulseQuery) {
	var ks []int64
	if off := q.offset(); off < q.kHi-q.kLo { // else beyond the last row
		ks = a.pop.page(q.kLo, q.kHi, q.ent, int(off), q.limit)
	}
	b := make([]byte, 0, 64+len(ks)*320)
	b = append(b, '[')
	for i, k := range ks {
		if i > 0 {
			b = append(b, ',')
		}
		b = a.appendLog(b, k)
	}
	b = append(b, "]\n"...)

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// JSON fragments of the constant parts of a RequestLog, encoded once.
var (
	// pulseEntrepriseJSON is each enterprise's key and value. The shape
	// varies deliberately, as the documents leave it open: the document's
	// spelling "entreprise" with an object for most enterprises, the other
	// spelling "enterprise" for ent-umbrella, and a bare id for ent-initech.
	pulseEntrepriseJSON = func() (frags [len(pulseEnterprises)][]byte) {
		for i, e := range pulseEnterprises {
			switch e.ID {
			case "ent-umbrella":
				frags[i] = append([]byte(`"enterprise":`), pulseMustJSON(e)...)
			case "ent-initech":
				frags[i] = append([]byte(`"entreprise":`), pulseMustJSON(e.ID)...)
			default:
				frags[i] = append([]byte(`"entreprise":`), pulseMustJSON(e)...)
			}
		}
		return frags
	}()
	pulseDeviceJSON = func() (frags [len(pulseDevices)][]byte) {
		for i, d := range pulseDevices {
			frags[i] = pulseMustJSON(d)
		}
		return frags
	}()
	pulseRouteJSON = func() (frags [len(pulseRoutes)][]byte) {
		for i, r := range pulseRoutes {
			frags[i] = pulseMustJSON(r.path)
		}
		return frags
	}()
	pulseMethodJSON = func() (frags [len(pulseMethods)][]byte) {
		for i, m := range pulseMethods {
			frags[i] = pulseMustJSON(m)
		}
		return frags
	}()
)

// appendLog appends grid row k as a RequestLog, with a field the document
// does not list ("requestId") as a real server's extra fields would be.
func (a *pulseAPI) appendLog(b []byte, k int64) []byte {
	r := pulseRowAt(k)

	b = append(b, `{"requestId":"req-`...)
	b = hex.AppendEncode(b, binary.BigEndian.AppendUint64(nil, r.requestID))
	b = append(b, `",`...)
	b = append(b, pulseEntrepriseJSON[r.ent]...)

	b = append(b, `,"device":`...)
	switch r.devForm {
	case pulseDeviceNone:
		b = append(b, "[]"...)
	case pulseDeviceObject:
		b = append(b, pulseDeviceJSON[r.dev]...)
	default:
		b = append(b, '[')
		b = append(b, pulseDeviceJSON[r.dev]...)
		b = append(b, ']')
	}

	b = append(b, `,"route":`...)
	b = append(b, pulseRouteJSON[r.route]...)
	b = append(b, `,"method":`...)
	b = append(b, pulseMethodJSON[r.method]...)

	// Mostly an ISO 8601 UTC string; sometimes epoch milliseconds.
	ms := k * a.pop.stepMs
	b = append(b, `,"timestamp":`...)
	if r.epochTS {
		b = strconv.AppendInt(b, ms, 10)
	} else {
		b = append(b, '"')
		b = time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	}

	b = append(b, `,"executionTime":`...)
	b = strconv.AppendInt(b, int64(r.execMs), 10)
	b = append(b, `,"responseSize":`...)
	b = strconv.AppendInt(b, int64(r.size), 10)
	b = append(b, `,"complexityScore":`...)
	b = strconv.AppendInt(b, int64(r.complexity), 10)
	return append(b, '}')
}

// Aggregate rows.
type (
	pulseEnterpriseRequests struct {
		Enterprise    PulseEnterprise `json:"enterprise"`
		TotalRequests int             `json:"totalRequests"`
	}
	pulseEnterpriseComplexity struct {
		Enterprise        PulseEnterprise `json:"enterprise"`
		AverageComplexity int             `json:"averageComplexity"`
	}
	pulseDeviceRequests struct {
		Device        PulseDevice `json:"device"`
		TotalRequests int         `json:"totalRequests"`
	}
	pulseRouteRequests struct {
		Route         string `json:"route"`
		TotalRequests int    `json:"totalRequests"`
	}
)

// serveAggregate answers an aggregate: rows built from the tally of the
// filtered log rows, each keeping only entities that have rows, sorted by id
// (the upstream order is unknown), and paged only when page or limit is given.
func serveAggregate[T any](a *pulseAPI, w http.ResponseWriter, q *pulseQuery, build func(t *pulseTally, keep func(ent int) bool) []T) {
	rows := []T{}
	if q.ent != pulseNobody {
		keep := func(ent int) bool { return q.ent == pulseAll || q.ent == ent }
		rows = append(rows, build(a.pop.tally(q.kLo, q.kHi), keep)...)
	}
	if q.paged {
		off := int(min(q.offset(), int64(len(rows))))
		rows = rows[off:min(off+q.limit, len(rows))]
	}
	writeJSON(w, http.StatusOK, rows)
}

func (a *pulseAPI) serveRequests(w http.ResponseWriter, q *pulseQuery) {
	serveAggregate(a, w, q, func(t *pulseTally, keep func(int) bool) (rows []pulseEnterpriseRequests) {
		for e, n := range t.requests {
			if n > 0 && keep(e) {
				rows = append(rows, pulseEnterpriseRequests{pulseEnterprises[e], n})
			}
		}
		return rows
	})
}

func (a *pulseAPI) serveComplexity(w http.ResponseWriter, q *pulseQuery) {
	serveAggregate(a, w, q, func(t *pulseTally, keep func(int) bool) (rows []pulseEnterpriseComplexity) {
		for e, n := range t.requests {
			if n > 0 && keep(e) {
				avg := (2*t.complexity[e] + n) / (2 * n) // rounded half up
				rows = append(rows, pulseEnterpriseComplexity{pulseEnterprises[e], avg})
			}
		}
		return rows
	})
}

func (a *pulseAPI) serveDevices(w http.ResponseWriter, q *pulseQuery) {
	serveAggregate(a, w, q, func(t *pulseTally, keep func(int) bool) (rows []pulseDeviceRequests) {
		for d, n := range t.devices {
			if n > 0 && keep(pulseEnterpriseIndex(pulseDevices[d].EnterpriseID)) {
				rows = append(rows, pulseDeviceRequests{pulseDevices[d], n})
			}
		}
		return rows
	})
}

func (a *pulseAPI) serveRoutes(w http.ResponseWriter, q *pulseQuery) {
	serveAggregate(a, w, q, func(t *pulseTally, keep func(int) bool) (rows []pulseRouteRequests) {
		for r := range pulseRoutes {
			n := 0
			for e := range t.routes {
				if keep(e) {
					n += t.routes[e][r]
				}
			}
			if n > 0 {
				rows = append(rows, pulseRouteRequests{pulseRoutes[r].path, n})
			}
		}
		slices.SortFunc(rows, func(x, y pulseRouteRequests) int { return strings.Compare(x.Route, y.Route) })
		return rows
	})
}
