package pulse

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
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

// rank orders the rows by number, largest first (absent numbers last), ties
// by id, and drops repeated ids: two rows with one label set would make two
// alert instances fight over one identity. It returns how many were dropped.
func rank(rows []aggRow) ([]aggRow, int) {
	seen := make(map[string]bool, len(rows))
	kept := rows[:0]
	for _, r := range rows {
		if !seen[r.id] {
			seen[r.id] = true
			kept = append(kept, r)
		}
	}
	slices.SortFunc(kept, func(a, b aggRow) int {
		switch {
		case a.v.ok != b.v.ok:
			if a.v.ok {
				return -1
			}
			return 1
		case a.v.v != b.v.v:
			return cmp.Compare(b.v.v, a.v.v)
		}
		return cmp.Compare(a.id, b.id)
	})
	return kept, len(rows) - len(kept)
}

// aggregateFrame builds the numeric-long frame of an aggregate, keeping the
// topN largest rows when topN > 0.
func aggregateFrame(report string, s aggregateSpec, rows []aggRow, topN int) *data.Frame {
	rows, repeated := rank(rows)
	var notices []data.Notice
	if repeated > 0 {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
			"Pulse listed %d %s more than once; the first value of each is shown", repeated, s.count)})
	}
	if topN > 0 && len(rows) > topN {
		notices = append(notices, data.Notice{Severity: data.NoticeSeverityInfo, Text: fmt.Sprintf(
			"showing the top %d of %d %s (topN)", topN, len(rows), s.count)})
		rows = rows[:topN]
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
