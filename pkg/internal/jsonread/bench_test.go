package jsonread

import (
	"testing"

	"github.com/opsdeck/servicestats/internal/testutil"
)

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
	body := testutil.PulseLogPage(5000) // the answer the doc comment weighs jsoniter on
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
