package onapp

// The CDN resources and edge locations: the editor's and variables' lists,
// and the names of grouped series. Both lists change rarely, so each is
// cached for a while, and concurrent misses share one upstream call.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/servicestats/pkg/internal/jsonread"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// defaultCatalogTTL is how long the lists are kept unless cacheTTLSeconds
// says otherwise.
const defaultCatalogTTL = 10 * time.Minute

// catalog is one list: the options in text order, and the short name of
// each value for series names (hostname, city).
type catalog struct {
	options []source.Option
	names   map[string]string
}

func (c catalog) name(value string) string { return c.names[value] }

// cache keeps one value for ttl (never when ttl ≤ 0) and lets concurrent
// callers share one fetch. The fetch does not belong to any one caller: it
// outlives a caller that gives up, bounded by the client's own timeout. A
// failed fetch is not kept.
type cache[T any] struct {
	ttl   time.Duration
	now   func() time.Time
	fetch func(context.Context) (T, error)

	mu      sync.Mutex
	val     T
	at      time.Time
	have    bool
	pending upstream.Flights[T]
}

func (c *cache[T]) get(ctx context.Context) (T, error) {
	if v, ok := c.fresh(); ok {
		return v, nil
	}
	v, _, err := c.pending.Do(ctx, "", func(ctx context.Context) (T, error) {
		if v, ok := c.fresh(); ok { // a fetch that ended since the caller looked
			return v, nil
		}
		// Not recorded in the query's ExecutedQueryString: the lists only name series.
		v, err := c.fetch(upstream.WithRecorder(ctx, nil))
		if err == nil {
			c.put(v)
		}
		return v, err
	})
	return v, err
}

// fresh returns the value while it is younger than ttl.
func (c *cache[T]) fresh() (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.have && c.ttl > 0 && c.now().Sub(c.at) < c.ttl {
		return c.val, true
	}
	var zero T
	return zero, false
}

// put stores a value fetched elsewhere (the health check's call).
func (c *cache[T]) put(v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.val, c.at, c.have = v, c.now(), true
}

// readResources reads GET /cdn_resources.json: [{"cdn_resource": {…}}], bare
// objects, or a {"cdn_resources": […]} root. A resource without a
// cdn_reference cannot be asked for, so it is left out.
func readResources(doc any) (catalog, error) {
	items, err := listOf(doc, "cdn_resource")
	if err != nil {
		return catalog{}, err
	}
	c := catalog{names: map[string]string{}}
	for _, item := range items {
		m, ok := unwrap(item, "cdn_resource").(map[string]any)
		if !ok {
			continue
		}
		ref := idText(m["cdn_reference"])
		if ref == "" || c.names[ref] != "" {
			continue
		}
		host := text(m["cdn_hostname"])
		if host == "" {
			host = ref
		}
		c.names[ref] = host
		c.options = append(c.options, source.Option{Value: ref, Text: host, Description: "cdn_reference " + ref})
	}
	sortOptions(c.options)
	return c, nil
}

// readLocations reads GET /edge_groups.json: edge groups, each with its
// locations. A location serving several groups is listed once, described
// by all its groups.
func readLocations(doc any) (catalog, error) {
	groups, err := listOf(doc, "edge_group")
	if err != nil {
		return catalog{}, err
	}
	type location struct {
		text, city string
		groups     []string
	}
	byID := map[string]*location{}
	var order []string
	for _, g := range groups {
		gm, ok := unwrap(g, "edge_group").(map[string]any)
		if !ok {
			continue
		}
		label := text(gm["label"])
		locs, err := listOf(gm["locations"], "location")
		if err != nil {
			continue // a group without a readable location list names nothing
		}
		for _, l := range locs {
			lm, ok := unwrap(l, "location").(map[string]any)
			if !ok {
				continue
			}
			id := idText(lm["id"])
			if id == "" {
				continue
			}
			loc := byID[id]
			if loc == nil {
				loc = &location{text: placeText(text(lm["city"]), text(lm["country"]), id), city: text(lm["city"])}
				byID[id] = loc
				order = append(order, id)
			}
			if label != "" && !slices.Contains(loc.groups, label) {
				loc.groups = append(loc.groups, label)
			}
		}
	}
	c := catalog{names: map[string]string{}}
	for _, id := range order {
		loc := byID[id]
		c.names[id] = cmp.Or(loc.city, loc.text)
		c.options = append(c.options, source.Option{Value: id, Text: loc.text, Description: strings.Join(loc.groups, ", ")})
	}
	sortOptions(c.options)
	return c, nil
}

// listOf finds the list of a listing: a bare array, {"<root>s": […]}, or one
// object ({"<root>": {…}}) standing for a list of one.
func listOf(doc any, root string) ([]any, error) {
	switch t := doc.(type) {
	case []any:
		return t, nil
	case nil:
		return nil, nil
	case string:
		if strings.TrimSpace(t) == "" {
			return nil, nil
		}
	case map[string]any:
		for _, key := range []string{root + "s", root} {
			if inner, ok := t[key]; ok {
				if list, ok := inner.([]any); ok {
					return list, nil
				}
				return []any{map[string]any{root: inner}}, nil
			}
		}
		if len(t) == 0 { // not an empty list: a health check must not say "0 CDN resources visible"
			return nil, fmt.Errorf("expected a list of %ss, found an empty object {}", root)
		}
		return []any{t}, nil
	}
	return nil, fmt.Errorf("expected a list of %ss, found %s", root, kindOf(doc))
}

func placeText(city, country, id string) string {
	switch {
	case city != "" && country != "":
		return city + ", " + country
	case city != "" || country != "":
		return city + country
	}
	return "location " + id
}

// idText reads an id given as a number or a string of digits.
func idText(v any) string {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	}
	if !isDigits(s) {
		return ""
	}
	return s
}

func text(v any) string {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	}
	return ""
}

func sortOptions(opts []source.Option) {
	slices.SortStableFunc(opts, func(a, b source.Option) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Text), strings.ToLower(b.Text)), compareIDs(a.Value, b.Value))
	})
}

// compareIDs orders ids as numbers (without parsing, so any length works).
func compareIDs(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

// kindOf names a value of the generic tree the listings are read into.
func kindOf(v any) string {
	switch t := v.(type) {
	case string:
		return kindText(kText, []byte(t))
	case json.Number:
		return kindText(kNumber, []byte(t))
	case bool:
		return strconv.FormatBool(t)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// decodeJSON decodes one JSON value into the generic tree the listings
// (catalog.go) are read from, keeping numbers as written (json.Number).
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil { // depth-limited: nothing here recurses past jsonread.MaxDepth
		return nil, jsonread.Plain(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("JSON answer has data after its end")
	}
	return doc, nil
}

// unwrap returns the object inside {"<name>": {…}}, OnApp's way of wrapping
// list items, or v itself (for the listings' generic tree).
func unwrap(v any, name string) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if inner, ok := m[name].(map[string]any); ok {
			return inner
		}
	}
	return v
}
