package pulse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// pagesInFlight bounds the pages of one report fetched at once. Pulse gives
// no total, so pages past the end may be asked for; their answers are thrown
// away, and the result is the same as reading one page after another.
const pagesInFlight = 4

// pageRequest is one paginated report: path and filters without page/limit.
type pageRequest struct {
	client   *upstream.Client
	path     string
	params   url.Values
	limit    int
	maxPages int
	inFlight int    // pages fetched at once; 0 means pagesInFlight
	what     string // for messages: "the logs", "the requests report"
	partial  string // what is not shown when a later page fails: "table", "series"
	// from and to are the dashboard's range the dates of params come from,
	// so that a refresh of a relative range can reuse a cached answer
	// (upstream.Window); zero when unknown.
	from, to time.Time
}

// pageSummary tells how a paginated read ended.
type pageSummary struct {
	pages int  // pages read, the last one included
	rows  int  // rows read
	cut   bool // maxPages was reached on a full page: more rows may exist
}

// call returns the upstream call of one page.
func (r *pageRequest) call(page int) upstream.Call {
	q := url.Values{}
	for k, v := range r.params {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	q.Set("limit", strconv.Itoa(r.limit))
	c := upstream.Call{Path: r.path, Query: q}
	if !r.from.IsZero() || !r.to.IsZero() {
		rest := url.Values{}
		for k, v := range q {
			if k != "startDate" && k != "endDate" {
				rest[k] = v
			}
		}
		c.Window = &upstream.Window{From: r.from, To: r.to, Key: r.path + "?" + rest.Encode()}
	}
	return c
}

// pageResult is one page's decoded rows, or the error that stopped it.
type pageResult[T any] struct {
	rows T
	n    int // rows in the page
	err  error
}

// decoder reads one page's answer into T and counts its rows.
type decoder[T any] func(resp *upstream.Response) (rows T, n int, err error)

// readPages reads the report page after page, from page 1, until a page is
// shorter than the limit or maxPages pages have been read, and hands each
// page's rows to consume in page order. Page 1 is read alone, since most
// answers fit in it; after a full page, the next ones are fetched ahead (up
// to inFlight at once). Each page is decoded by the goroutine that fetched
// it and its bytes dropped right away, so only the decoded rows of the pages
// in flight are held besides what consume keeps.
//
// A page that fails fails the whole read: no partial answer is returned.
func readPages[T any](ctx context.Context, r *pageRequest, decode decoder[T], consume func(page int, rows T)) (pageSummary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the fetches ahead past the last page
	inFlight := r.inFlight
	if inFlight <= 0 {
		inFlight = pagesInFlight
	}

	pending := map[int]chan pageResult[T]{}
	next, window := 1, 1
	var sum pageSummary
	for page := 1; ; page++ {
		for ; next <= r.maxPages && next < page+window; next++ {
			pending[next] = startPage(ctx, r, next, decode)
		}
		res := <-pending[page]
		delete(pending, page)
		if res.err == nil && res.n > r.limit {
			res.err = r.overfull(res.n)
		}
		if res.err != nil {
			return sum, r.pageError(page, res.err)
		}
		consume(page, res.rows)
		sum.pages, sum.rows = page, sum.rows+res.n
		switch {
		case res.n < r.limit:
			return sum, nil
		case page == r.maxPages:
			sum.cut = true
			return sum, nil
		}
		window = min(window*2, inFlight)
	}
}

// startPage starts fetching one page; its result arrives on the channel.
func startPage[T any](ctx context.Context, r *pageRequest, page int, decode decoder[T]) chan pageResult[T] {
	ch := make(chan pageResult[T], 1) // never blocks: a page nobody waits for any more still ends
	go func() {
		var res pageResult[T]
		resp, err := r.client.Do(ctx, r.call(page))
		if err == nil {
			res.rows, res.n, err = decode(resp)
		}
		res.err = err
		ch <- res
	}()
	return ch
}

// overfull is the error for a page longer than the limit asked for: Pulse
// is not paging as documented, so the next pages could repeat this one or
// skip rows, and the plugin cannot tell which.
func (r *pageRequest) overfull(n int) error {
	return &upstream.Error{Source: "Pulse", Kind: upstream.KindDecode, Message: fmt.Sprintf(
		"Pulse sent %d rows for a page of at most %d: it does not page %s as documented, so the answer could miss or repeat rows — check that the Pulse URL points at the Pulse API",
		n, r.limit, r.path)}
}

// pageError names the failing page once rows have been read before it, so
// that nobody takes the missing rows for an empty answer.
func (r *pageRequest) pageError(page int, err error) error {
	if page == 1 {
		return err
	}
	var ue *upstream.Error
	if !errors.As(err, &ue) {
		return fmt.Errorf("Pulse failed on page %d of %s: %w; no partial %s is shown", page, r.what, err, r.partial)
	}
	named := *ue
	named.Message = fmt.Sprintf("Pulse failed on page %d of %s: %s; no partial %s is shown",
		page, r.what, strings.TrimPrefix(ue.Message, "Pulse: "), r.partial)
	return &named
}
