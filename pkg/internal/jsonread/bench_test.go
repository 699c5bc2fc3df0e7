package jsonread

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// page is a Pulse page of n log rows (≈280 bytes a row), the answer the
// reader's doc comment weighs jsoniter on.
func page(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"requestId":"req-%016x","entreprise":{"id":"ent-acme","name":"Acme Corp"},"device":[{"id":"dev-acme-gw-0%d","name":"Acme Paris Gateway"}],`+
			`"route":"/api/v1/orders","method":"GET","timestamp":"2026-09-23T08:%02d:%02d.000Z","executionTime":%d,"responseSize":2600,"complexityScore":6.5}`,
			i, i%4, i/60%60, i%60, i%700)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// tokens reads every token of one value with the Reader, iteratively:
// each string's and key's bytes (kept once, as the sources keep them) and
// each number as a float64; it returns how many values it read.
func tokens(r *Reader) (n int) {
	var value func()
	value = func() {
		n++
		switch r.Kind() {
		case ArrayKind:
			r.Array(value)
		case ObjectKind:
			r.Object(func(key []byte) { r.Text(key); value() })
		case StringKind:
			r.Str()
		case NumberKind:
			r.Float()
		default:
			r.Skip()
		}
	}
	value()
	return n
}

// rawTokens is tokens without converting: strings and keys as their raw
// bytes, numbers as their token.
func rawTokens(r *Reader) (n int) {
	var value func()
	value = func() {
		n++
		switch r.Kind() {
		case ArrayKind:
			r.Array(value)
		case ObjectKind:
			r.Object(func([]byte) { value() })
		case StringKind:
			r.RawString()
		case NumberKind:
			r.Number()
		default:
			r.Skip()
		}
	}
	value()
	return n
}

// BenchmarkTokens: every token of a 5,000-row page read once, by the
// Reader (strings kept once, numbers as float64; -raw: neither converted)
// and by jsoniter (testutil.JSONFloor: every string a new one, numbers as
// float64) — the measurement the doc comment of reader.go reports. (tokens recurses per level: fine for this page, not for an
// answer.)
func BenchmarkTokens(b *testing.B) {
	body := page(5000)
	b.Run("jsonread", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			r := New(body)
			r.Intern()
			if tokens(&r); r.Err() != nil || !r.AtEnd() {
				b.Fatal(r.Err())
			}
		}
	})
	b.Run("jsonread-raw", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			r := New(body)
			if rawTokens(&r); r.Err() != nil || !r.AtEnd() {
				b.Fatal(r.Err())
			}
		}
	})
	b.Run("jsoniter", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := testutil.JSONFloor(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
