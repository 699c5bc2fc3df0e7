package pulse

// Tolerant readers of Pulse's rows. The source document never defines
// Entreprise or Device and spells the enterprise key two ways, so every
// variant seen or inferred is read (docs/upstream-apis.md §3):
//
//   - the keys "entreprise" and "enterprise", in any letter case;
//   - an enterprise or device as an object {id|_id, name} or a bare id
//     (string or number);
//   - device as one object, an array of them (all are kept), or absent,
//     null or empty;
//   - timestamps as ISO 8601 strings (with or without fraction, Z or an
//     offset) or epoch numbers (milliseconds above 1e11, else seconds);
//   - numbers as JSON numbers or numeric strings.
//
// Unknown fields are ignored. A field of an unexpected type reads as absent
// rather than failing the page: one odd row must not hide the others.
//
// The logs and the aggregates are read by the scanner of scan.go, straight
// into their columns and rows.

import (
	"bytes"
	"math"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
)

// entity is an enterprise or a device: an id and, when Pulse gives one, a name.
type entity struct {
	ID, Name string
}

// deviceList is a row's devices: one object or id, an array of them, or none.
type deviceList []entity

// number is a JSON number or numeric string; ok is false when absent, null or
// not a number.
type number struct {
	v  float64
	ok bool
}

// stamp is a row's timestamp. raw keeps what was sent when it could not be
// read, for the notice that counts the skipped rows.
type stamp struct {
	t   time.Time
	ok  bool
	raw string
}

// epochMillisAbove is where epoch numbers switch from seconds to
// milliseconds: 1e11 seconds is the year 5138, 1e11 ms is March 1973.
const epochMillisAbove = 1e11

// isoLayouts are the ISO 8601 forms read beside the usual one, which
// parseISO reads by hand. time.Parse accepts a fractional second after the
// seconds whatever the layout says. A time without a zone is read as UTC.
var isoLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	time.DateOnly,
}

// parseISO reads an ISO 8601 time. The form Pulse is expected to send,
// "2026-11-23T08:00:36.000Z", is read without allocating; others go through
// time.Parse.
func parseISO(b []byte) (time.Time, bool) {
	if t, ok := parseUTC(b); ok {
		return t, true
	}
	s := string(bytes.TrimSpace(b))
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseUTC reads exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z.
func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(20, len(b)-1)
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		ns = n
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d { // 2026-02-30 does not exist
		return time.Time{}, false
	}
	return t, true
}

// parseEpoch reads epoch seconds or milliseconds.
func parseEpoch(b []byte) (time.Time, bool) {
	ms, ok := jsonread.ParseFloat(b)
	if !ok || ms <= 0 {
		return time.Time{}, false
	}
	if ms <= epochMillisAbove {
		ms *= 1000
	}
	if ms >= 1e15 { // past the year 33658: no overflow below
		return time.Time{}, false
	}
	return time.UnixMicro(int64(math.Round(ms * 1000))).UTC(), true
}

// wireLog is one RequestLog as read from Pulse.
type wireLog struct {
	Enterprise      entity
	Device          deviceList
	Route, Method   string
	Timestamp       stamp
	ExecutionTime   number
	ResponseSize    number
	ComplexityScore number
}

// logRow reads one RequestLog; a value that is not an object reads as a row
// without a timestamp (raw keeps it).
func (s *scanner) logRow() wireLog {
	var w wireLog
	if s.Kind() != jsonread.ObjectKind {
		w.Timestamp.raw = jsonread.Excerpt(s.Skip(), false)
		return w
	}
	var other entity // the "enterprise" spelling; the document's "entreprise" wins
	w.Timestamp.raw = "(none)"
	s.Object(func(key []byte) {
		switch string(s.fold(key)) { // in any letter case, the last of a repeated key winning
		case "entreprise":
			w.Enterprise = s.entity()
		case "enterprise":
			other = s.entity()
		case "device":
			w.Device = s.devices()
		case "route":
			w.Route = s.scalar()
		case "method":
			w.Method = s.scalar()
		case "timestamp":
			w.Timestamp = s.stamp()
		case "executiontime":
			w.ExecutionTime = s.number()
		case "responsesize":
			w.ResponseSize = s.number()
		case "complexityscore":
			w.ComplexityScore = s.number()
		default:
			s.Skip()
		}
	})
	if w.Enterprise == (entity{}) {
		w.Enterprise = other
	}
	return w
}

// wireAggregate is one row of /stats/requests, /stats/complexity,
// /stats/devices or /stats/routes, as aggregateRow reads it.
type wireAggregate struct {
	Entreprise, Enterprise           entity
	Device                           deviceList
	Route                            string
	TotalRequests, AverageComplexity number
}
