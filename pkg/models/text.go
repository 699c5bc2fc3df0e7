package models

// How the models quote what users wrote: every value a message repeats is
// bounded (a 1 MB line name must not come back whole in an error), valid
// UTF-8 once quoted, and a URL is shown without the credentials it may carry.

import (
	"strconv"
	"strings"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// MaxQuotedValue is how many characters of a user's value a message repeats.
const MaxQuotedValue = 64

// Quote returns v as a Go-quoted string for a message: at most
// MaxQuotedValue characters, cut on a character boundary and marked with
// "…", control characters and invalid UTF-8 escaped.
func Quote(v string) string { return strconv.Quote(upstream.Shorten(v, MaxQuotedValue)) }

// RedactURL returns raw fit to be quoted in a message: its user-info
// (user:password@), query string and fragment replaced by "[redacted]", and
// the whole bounded and quoted like Quote. It works on the text, not on a
// parsed URL, since the URLs it is for are often those url.Parse refuses (a
// bad port, a %zz escape).
func RedactURL(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "//"); i >= 0 && !strings.ContainsAny(raw[:i], "/?#@") {
		prefix, rest = raw[:i+2], raw[i+2:]
	}
	authority, path := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		authority = "[redacted]@" + authority[at+1:]
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i+1] + "[redacted]"
	}
	return Quote(prefix + authority + path)
}
