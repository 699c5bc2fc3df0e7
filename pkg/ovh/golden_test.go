package ovh

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// goldenCase is testdata/<case>.query.json: the query model as the frontend
// sends it, the dashboard's time range and the fake API's clock.
type goldenCase struct {
	Now       time.Time `json:"now"`
	TimeRange struct {
		From time.Time `json:"from"`
		To   time.Time `json:"to"`
	} `json:"timeRange"`
	Query json.RawMessage `json:"query"`
}

// TestGolden answers each case from testdata/<case>.upstream.json (canned
// answers by request URI) and compares the response with
// testdata/<case>.golden.jsonc. Beside it, the outgoing statistics calls
// must be exactly those the case expects, in query order (the fake checks
// every signature).
func TestGolden(t *testing.T) {
	cases := []string{"one_line_one_metric", "lines_x_metrics", "nulls", "mos_scale", "empty", "older_than_a_year"}
	testutil.Golden(t, "testdata", cases, func(t *testing.T, name string) backend.DataResponse {
		var c goldenCase
		readJSON(t, name+".query.json", &c)
		var answers map[string]json.RawMessage
		readJSON(t, name+".upstream.json", &answers)
		f := newFake(t, answers)
		f.set(func(f *fakeOVH) { f.now = c.Now })
		src := newTestSource(t, f)

		q := backend.DataQuery{RefID: "A", QueryType: "telephony", JSON: c.Query,
			TimeRange: backend.TimeRange{From: c.TimeRange.From, To: c.TimeRange.To}}
		resp := src.HandleQuery(context.Background(), q)

		var want, got []string
		for uri := range answers {
			if strings.Contains(uri, "/statistics?") {
				want = append(want, uri)
			}
		}
		for _, c := range f.statsCalls() {
			if c.Method != "GET" {
				t.Errorf("method %s, want GET", c.Method)
			}
			got = append(got, c.URI)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("statistics calls\n got %q\nwant %q", got, want)
		}
		return resp
	})
}
