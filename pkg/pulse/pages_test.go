package pulse

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// pagedLogs serves total log rows, one per second from 08:00, honouring page
// and limit; page failPage (when > 0) answers 500.
func pagedLogs(total, failPage int) http.HandlerFunc {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	return func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if page == failPage {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"Internal Server Error","message":"database unavailable"}`))
			return
		}
		var rows []string
		for i := (page - 1) * limit; i < min(page*limit, total); i++ {
			rows = append(rows, fmt.Sprintf(`{"entreprise":{"id":"ent-%d","name":"E"},"route":"/r","method":"GET","timestamp":%q,"executionTime":%d}`,
				i%3, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[" + strings.Join(rows, ",") + "]"))
	}
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name            string
		total, failPage int
		maxPages        int
		pages           []string // pages asked for, one page at a time
		rows            int
		notice, err     string
	}{
		{name: "no rows", total: 0, pages: []string{"1"}},
		{name: "fewer than a page", total: 2, pages: []string{"1"}, rows: 2},
		{name: "exactly three pages: an empty fourth is read", total: 9, pages: []string{"1", "2", "3", "4"}, rows: 9},
		{name: "nine pages, the last short", total: 25, pages: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, rows: 25},
		{name: "cap reached", total: 9, maxPages: 2, pages: []string{"1", "2"}, rows: 6,
			notice: "the answer was cut after 2 pages (6 rows); narrow the range or raise maxPages"},
		{name: "cap reached on the last full page", total: 6, maxPages: 2, pages: []string{"1", "2"}, rows: 6,
			notice: "the answer was cut after 2 pages (6 rows)"},
		{name: "a page fails in the middle", total: 9, failPage: 2, pages: []string{"1", "2"},
			err: "Pulse failed on page 2 of the logs: Pulse failed (500 Internal Server Error: database unavailable) — the service has a problem on its side; try again later; no partial table is shown"},
		{name: "page 1 fails: no page named", total: 9, failPage: 1, pages: []string{"1"},
			err: "Pulse failed (500 Internal Server Error: database unavailable)"},
		{name: "a failing page past the last changes nothing", total: 4, failPage: 3, pages: []string{"1", "2"}, rows: 4},
	}
	// A server that ignores page and limit sends everything every time.
	t.Run("a page longer than the limit", func(t *testing.T) {
		srv := newFakePulse(t, func(w http.ResponseWriter, r *http.Request) {
			r.URL.RawQuery = "page=1&limit=5"
			pagedLogs(5, 0)(w, r)
		})
		resp := newTestSource(t, srv.URL).HandleQuery(ctxT(t), usageQuery(map[string]any{"report": "logs", "limit": 3}))
		want := "Pulse sent 5 rows for a page of at most 3: it does not page /stats as documented"
		if resp.Error == nil || !strings.Contains(resp.Error.Error(), want) || len(resp.Frames) != 0 {
			t.Errorf("got %v, want %q", resp.Error, want)
		}
	})
	for _, tt := range tests {
		for _, inFlight := range []int{1, pagesInFlight} {
			t.Run(fmt.Sprintf("%s/%d in flight", tt.name, inFlight), func(t *testing.T) {
				srv := newFakePulse(t, pagedLogs(tt.total, tt.failPage))
				maxPages := tt.maxPages
				if maxPages == 0 {
					maxPages = 100
				}
				src := newTestSource(t, srv.URL, withMaxPages(maxPages), withInFlight(inFlight))
				resp := src.HandleQuery(ctxT(t), usageQuery(map[string]any{"report": "logs", "limit": 3}))
				checkPages(t, srv.pages(), tt.pages, inFlight, maxPages)
				if tt.err != "" {
					if resp.Error == nil || !strings.Contains(resp.Error.Error(), tt.err) {
						t.Fatalf("error %v, want %q", resp.Error, tt.err)
					}
					if len(resp.Frames) != 0 {
						t.Errorf("a failed read shows %d frames", len(resp.Frames))
					}
					return
				}
				if resp.Error != nil {
					t.Fatal(resp.Error)
				}
				f := resp.Frames[0]
				checkRowsInOrder(t, f, tt.rows)
				switch notices := f.Meta.Notices; {
				case tt.notice == "" && len(notices) > 0:
					t.Errorf("unexpected notices %+v", notices)
				case tt.notice != "" && (len(notices) != 1 || !strings.Contains(notices[0].Text, tt.notice) || notices[0].Severity != data.NoticeSeverityWarning):
					t.Errorf("notices %+v, want a warning %q", notices, tt.notice)
				}
			})
		}
	}
}

// checkPages compares the pages asked for: exactly want one at a time;
// with fetching ahead, want in order and at most inFlight−1 more pages past
// it, never past maxPages.
func checkPages(t *testing.T, got, want []string, inFlight, maxPages int) {
	t.Helper()
	if inFlight == 1 {
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v", got, want)
		}
		return
	}
	seen := map[string]bool{}
	for _, p := range got {
		n, _ := strconv.Atoi(p)
		if seen[p] || n > maxPages || n > len(want)+inFlight-1 {
			t.Errorf("pages %v: page %s repeated, past maxPages or too far ahead of %v", got, p, want)
		}
		seen[p] = true
	}
	for _, p := range want {
		if !seen[p] {
			t.Errorf("pages %v lack page %s", got, p)
		}
	}
}

// checkRowsInOrder checks that the table holds rows 0…n−1, in order.
func checkRowsInOrder(t *testing.T, f *data.Frame, n int) {
	t.Helper()
	if f.Rows() != n {
		t.Fatalf("%d rows, want %d", f.Rows(), n)
	}
	exec, _ := f.FieldByName("executionTime")
	for i := range n {
		if v, _ := exec.FloatAt(i); v != float64(i) {
			t.Fatalf("row %d is row %v: pages out of order", i, v)
		}
	}
}

func TestExecutedQueryStringSummarisesPages(t *testing.T) {
	srv := newFakePulse(t, pagedLogs(25, 0))
	resp := newTestSource(t, srv.URL).HandleQuery(ctxT(t), usageQuery(map[string]any{"report": "logs", "limit": 3}))
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	got := strings.ReplaceAll(resp.Frames[0].Meta.ExecutedQueryString, srv.URL, "http://pulse.example")
	q := "?endDate=2026-11-23T09%3A00%3A00.000Z&limit=3&page=%d&startDate=2026-11-23T08%3A00%3A00.000Z"
	want := strings.Join([]string{
		"GET http://pulse.example/stats" + strings.Replace(q, "%d", "1", 1),
		"… pages 2 to 8 alike …",
		"GET http://pulse.example/stats" + strings.Replace(q, "%d", "9", 1),
		"9 pages of 3 rows at most, 25 rows read; the last page was shorter than the limit",
	}, "\n")
	if got != want {
		t.Errorf("ExecutedQueryString\n%s\nwant\n%s", got, want)
	}
	noSecret(t, "ExecutedQueryString", got)
}
