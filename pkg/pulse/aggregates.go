package pulse

import (
	"container/heap"
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// aggregateSpec describes one of Pulse's aggregate reports and its
// numeric-long frame: one string column per identity, one number.
//
// The identity column holds the id, not the name: alert rules make one
// instance per label set, and ids are unique and stable where names may
// repeat or be renamed. Enterprises and devices also get a name column
// ("enterpriseName", "deviceName"): numeric-long turns every string column
// into a label, so the name rides along as a readable label without
// changing which rows are distinct (one id, one name).
type aggregateSpec struct {
	path  string
	key   string // the identity column: "enterprise", "device" or "route"
	named bool   // add "<key>Name"
	value string // "totalRequests" or "averageComplexity"
	unit  string
	count string // the rows, for notices: "enterprises", "devices", "routes"
}

var aggregateSpecs = map[string]aggregateSpec{
	models.UsageReportRequests:   {path: "/stats/requests", key: "enterprise", named: true, value: "totalRequests", unit: "short", count: "enterprises"},
	models.UsageReportComplexity: {path: "/stats/complexity", key: "enterprise", named: true, value: "averageComplexity", unit: "none", count: "enterprises"},
	models.UsageReportDevices:    {path: "/stats/devices", key: "device", named: true, value: "totalRequests", unit: "short", count: "devices"},
	models.UsageReportRoutes:     {path: "/stats/routes", key: "route", value: "totalRequests", unit: "short", count: "routes"},
}

// aggRow is one aggregate row: identity, name and number.
type aggRow struct {
	id, name string
	v        number
}

// row reads one wire row the way this report reads it.
func (s aggregateSpec) row(w *wireAggregate) aggRow {
	var r aggRow
	switch s.key {
	case "enterprise":
		e := w.Entreprise
		if e.ID == "" && e.Name == "" {
			e = w.Enterprise
		}
		r.id, r.name = e.ID, e.Name
	case "device":
		if len(w.Device) > 0 { // one device per row; an array of one is read too
			r.id, r.name = w.Device[0].ID, w.Device[0].Name
		}
	case "route":
		r.id = string(w.Route)
	}
	if r.id == "" { // an entity Pulse names but gives no id: the name is its identity
		r.id = r.name
	}
	r.v = w.TotalRequests
	if s.value == "averageComplexity" {
		r.v = w.AverageComplexity
	}
	return r
}

// ranks reports whether row a comes before row b: the larger number first
// (absent numbers last), ties by id.
func ranks(a, b aggRow) bool {
	switch {
	case a.v.ok != b.v.ok:
		return a.v.ok
	case a.v.v != b.v.v:
		return a.v.v > b.v.v
	}
	return a.id < b.id
}

// rank orders the rows by number, largest first (absent numbers last), ties
// by id, and drops repeated ids: two rows with one label set would make two
// alert instances fight over one identity. It returns how many were dropped.
func rank(rows []aggRow) ([]aggRow, int) {
	r := newRanking(0)
	for _, row := range rows {
		r.add(row)
	}
	return r.sorted(), r.repeated
}

// ranking keeps, while the rows are read, what the frame shows: the first
// row of each id, and of those the topN that rank first (all when topN is
// 0). With topN it holds topN rows and a hash of each id seen, whatever
// the answer's length: sorting every row of a 50 MB answer to keep ten
// made the process ten times the answer's size.
type ranking struct {
	topN     int
	seed     maphash.Seed
	seen     map[uint64]struct{} // the ids' hashes: 64 bits make a collision among a million ids a chance in 10^7
	rows     []aggRow            // every row kept; with topN, a heap whose root ranks last
	distinct int                 // the distinct ids read
	repeated int                 // the rows dropped for an id already read
}

func newRanking(topN int) *ranking {
	return &ranking{topN: topN, seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}}
}

// add reads one row, in the answer's order.
func (r *ranking) add(row aggRow) {
	h := maphash.String(r.seed, row.id)
	if _, dup := r.seen[h]; dup {
		r.repeated++
		return
	}
	r.seen[h] = struct{}{}
	r.distinct++
	switch {
	case r.topN == 0:
		r.rows = append(r.rows, row)
	case len(r.rows) < r.topN:
		heap.Push((*lastFirst)(&r.rows), row)
	case ranks(row, r.rows[0]):
		r.rows[0] = row
		heap.Fix((*lastFirst)(&r.rows), 0)
	}
}

// sorted is the rows kept, in rank order.
func (r *ranking) sorted() []aggRow {
	slices.SortFunc(r.rows, func(a, b aggRow) int {
		if ranks(a, b) {
			return -1
		}
		if ranks(b, a) {
			return 1
		}
		return 0
	})
	return r.rows
}

// lastFirst is a heap of rows whose root is the one that ranks last.
type lastFirst []aggRow

func (h lastFirst) Len() int           { return len(h) }
func (h lastFirst) Less(i, j int) bool { return ranks(h[j], h[i]) }
func (h lastFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *lastFirst) Push(x any)        { *h = append(*h, x.(aggRow)) }
func (h *lastFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// aggregateFrame builds the numeric-long frame of an aggregate, keeping the
// topN largest rows when topN > 0.
func aggregateFrame(report string, s aggregateSpec, rows []aggRow, topN int) *data.Frame {
	r := newRanking(topN)
	for _, row := range rows {
		r.add(row)
	}
	return r.frame(report, s)
}

// frame builds the numeric-long frame of the rows kept.
func (r *ranking) frame(report string, s aggregateSpec) *data.Frame {
	rows := r.sorted()
	var notices []data.Notice
	if r.repeated > 0 {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"Pulse listed %d %s more than once; the first value of each is shown", r.repeated, s.count)})
	}
	if r.topN > 0 && r.distinct > r.topN {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(
			"showing the top %d of %d %s (topN)", r.topN, r.distinct, s.count)})
	}

	ids := make([]string, len(rows))
	names := make([]string, len(rows))
	for i, r := range rows {
		ids[i], names[i] = r.id, r.name
	}
	f := data.NewFrame(report, data.NewField(s.key, nil, ids))
	if s.named {
		f.Fields = append(f.Fields, data.NewField(s.key+"Name", nil, names))
	}
	value := valueField(s.value, rows)
	value.SetConfig(&data.FieldConfig{Unit: s.unit})
	f.Fields = append(f.Fields, value)
	f.Meta = &data.FrameMeta{Type: data.FrameTypeNumericLong, TypeVersion: data.FrameTypeVersion{0, 1}, Notices: notices}
	return f
}

// decodeAggregates returns the decoder of an aggregate report's pages:
// each row read straight from the scanner's tokens into an aggRow.
func decodeAggregates(c *upstream.Client, spec aggregateSpec) decoder[[]aggRow] {
	return func(resp *upstream.Response) ([]aggRow, int, error) {
		if err := c.CheckJSON(resp); err != nil {
			return nil, 0, err
		}
		s := newScanner(resp.Body, false)
		var rows []aggRow
		var w wireAggregate
		n := 0
		err := s.rows(func() {
			if n++; n > models.MaxUsageLimit { // more than any page may hold (overfull): counted, not kept
				s.Skip()
				return
			}
			rows = append(rows, spec.row(s.aggregateRow(&w)))
		})
		if err != nil {
			return nil, 0, c.DecodeError(resp, err)
		}
		return rows, n, nil
	}
}

// aggregateRow reads one row of an aggregate report. Keys are matched in
// any case, and the last of a repeated key wins, as encoding/json matches
// them; null is a row of nothing, and anything but an object an error.
func (s *scanner) aggregateRow(w *wireAggregate) *wireAggregate {
	*w = wireAggregate{}
	if s.Null() {
		return w
	}
	if s.Peek() != '{' {
		if raw := s.Skip(); s.Err() == nil { // a bad or too deep value says so first, as encoding/json does
			s.Fail("expected a row object, found %s", jsonread.Describe(raw))
		}
		return w
	}
	s.Object(func(key []byte) {
		switch string(s.fold(key)) {
		case "entreprise":
			w.Entreprise = s.entity()
		case "enterprise":
			w.Enterprise = s.entity()
		case "device":
			w.Device = s.devices()
		case "route":
			w.Route = s.scalar()
		case "totalrequests":
			w.TotalRequests = s.number()
		case "averagecomplexity":
			w.AverageComplexity = s.number()
		default:
			s.Skip()
		}
	})
	return w
}

// valueField is the number column: whole counts as int64, the average
// complexity as float64; nullable only when Pulse left a number out.
func valueField(name string, rows []aggRow) *data.Field {
	whole := name == "totalRequests"
	nulls := slices.ContainsFunc(rows, func(r aggRow) bool { return !r.v.ok })
	switch {
	case whole && nulls:
		v := make([]*int64, len(rows))
		for i, r := range rows {
			if r.v.ok {
				n := int64(math.Round(r.v.v))
				v[i] = &n
			}
		}
		return data.NewField(name, nil, v)
	case whole:
		v := make([]int64, len(rows))
		for i, r := range rows {
			v[i] = int64(math.Round(r.v.v))
		}
		return data.NewField(name, nil, v)
	case nulls:
		v := make([]*float64, len(rows))
		for i, r := range rows {
			if r.v.ok {
				v[i] = &rows[i].v.v
			}
		}
		return data.NewField(name, nil, v)
	}
	v := make([]float64, len(rows))
	for i, r := range rows {
		v[i] = r.v.v
	}
	return data.NewField(name, nil, v)
}
