// Package jsonread holds what the JSON readers of the three sources share:
// the nesting limit every answer is held to and the plain words for an
// answer past it.
//
// Nesting is what an answer decides and a reader cannot: a reader that
// recurses once per level lets a few megabytes of "[" grow the goroutine
// stack past its limit, a fatal error no recover catches, which kills the
// plugin process and every query in flight with it. So no reader of
// upstream bytes recurses per level of the answer, and every one stops at
// MaxDepth, the limit encoding/json has.
package jsonread

import (
	"encoding/json"
	"errors"
	"strings"
)

// MaxDepth is the deepest nesting of arrays and objects read, as in
// encoding/json: 10,000 levels are read, 10,001 are an error. No answer of
// the APIs nests more than a handful.
const MaxDepth = 10_000

// ErrTooDeep is the error for an answer past MaxDepth.
var ErrTooDeep = errors.New("the answer nests deeper than 10,000 levels: not an answer this API sends")

// Plain returns ErrTooDeep for encoding/json's own depth error ("exceeded
// max depth"), which says nothing to a reader of a panel, and err itself
// for any other.
func Plain(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && strings.Contains(se.Error(), "exceeded max depth") {
		return ErrTooDeep
	}
	return err
}
