package upstream

import (
	"fmt"
	"net/url"
	"strings"
)

// Path joins path segments into an escaped URL path ("/a/b%2Fc"). Every
// segment is escaped, so a value taken from a query or a template variable
// can never climb out of its place: "../x" or "a/b" stay one segment, and the
// dot segments "." and "..", which servers would still resolve, are refused.
func Path(segments ...string) (string, error) {
	var b strings.Builder
	for _, s := range segments {
		if s == "" || s == "." || s == ".." {
			return "", fmt.Errorf("%q is not a valid path segment", s)
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String(), nil
}
