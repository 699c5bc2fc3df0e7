package jsonread

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// checkParse compares ParseFloat and ParseInt with strconv's, the
// reference: the same finite float64, bit for bit (-0 too), the same int64,
// and no number where strconv has none or an infinity or NaN.
func checkParse(t *testing.T, text string) {
	t.Helper()
	want, err := strconv.ParseFloat(text, 64)
	wantOK := err == nil && !math.IsInf(want, 0) && !math.IsNaN(want)
	if got, ok := ParseFloat([]byte(text)); ok != wantOK || ok && math.Float64bits(got) != math.Float64bits(want) {
		t.Errorf("ParseFloat(%q) = %v %v, strconv %v %v", text, got, ok, want, err)
	}
	wantInt, err := strconv.ParseInt(text, 10, 64)
	if got, ok := ParseInt([]byte(text)); ok != (err == nil) || got != wantInt {
		t.Errorf("ParseInt(%q) = %v %v, strconv %v %v", text, got, ok, wantInt, err)
	}
}

var numberSeeds = []string{
	"0", "-0", "-0.0", "0.012", "4100", "-5", "1e400", "-1e400", "1.7976931348623157e308", "1e308", "5e-324", "1e-400",
	"NaN", "nan", "Inf", "-Infinity", "+5", "0x10", "0x1p-2", "1_0", " 1", "1 ", "1.", ".5", "-.5", "00012", "-", "", ".", "--1", "1-",
	"123456789012345", "1234567890123456", "0.123456789012345", "9007199254740993", "999999999999999999", "-999999999999999999",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "1.5e3", "1E3", "18446744073709551616.5",
	"0.2260000000000000", "1.0000000000000002", "9007199254740992.5", "0.9007199254740993", "-9007199254740.992", "+0.5", "1.0000000000000000000001", "0.0000000000000000000001", "9999999999999999999",
}

func TestParseNumbersAreStrconvs(t *testing.T) {
	for _, text := range numberSeeds {
		checkParse(t, text)
	}
}

func FuzzParseNumbers(f *testing.F) {
	for _, seed := range numberSeeds {
		f.Add(seed)
	}
	f.Fuzz(checkParse)
}

// checkIs compares Fold with encoding/json's matching of a key to a field
// named name.
func checkIs(t *testing.T, key, name string) {
	t.Helper()
	quoted, _ := json.Marshal(key) // escapes and all, as an answer may send it
	for _, raw := range []string{string(quoted[1 : len(quoted)-1]), strings.ReplaceAll(key, `"`, ``)} {
		doc := `{"` + raw + `":1}`
		var v map[string]json.RawMessage
		if json.Unmarshal([]byte(doc), &v) != nil {
			continue
		}
		var decoded string
		for k := range v {
			decoded = k
		}
		want := strings.EqualFold(decoded, name) // what encoding/json's foldName matches
		if got := string(Fold(nil, []byte(raw))) == strings.ToLower(name); got != want {
			t.Errorf("Fold(%q) = %q, against %q: %v; encoding/json reads the key as %q", raw, Fold(nil, []byte(raw)), name, got, decoded)
		}
	}
}

func TestFoldMatchesAsEncodingJSON(t *testing.T) {
	for _, name := range []string{"route", "entreprise", "id", "_id", "executionTime", "key"} {
		for _, key := range []string{name, strings.ToUpper(name), "ROUTe", "rout", "routes", "r\u006fute", "entrepri\u017fe", "\u212a", "\u212aEY", "id\x00", "\xff", "éxecutionTime", ""} {
			checkIs(t, key, name)
		}
	}
	for _, raw := range []string{`r\u006fute`, `\u0052OUTE`, `rout\u0065`, `r\oute`, `route\`} {
		if got, want := string(Fold([]byte("x"), []byte(raw))) == "xroute", !strings.Contains(raw, `\o`) && !strings.HasSuffix(raw, `\`); got != want {
			t.Errorf("Fold(%q) = %q", raw, Fold(nil, []byte(raw)))
		}
	}
}

// TestField: a key as it is, or folded as Fold folds it, is the index of
// its name; any other key is -1.
func TestField(t *testing.T) {
	var buf []byte
	for key, want := range map[string]int{"unit": 0, "values": 1, "VALUES": 1, `\u0075nit`: 0, "Unit": 0, "\u212anit": -1, "units": -1, "": -1, "\xff": -1} {
		if got := Field([]byte(key), &buf, "unit", "values"); got != want {
			t.Errorf("Field(%q) = %d, want %d", key, got, want)
		}
	}
	if got := Field([]byte("\u212aey"), &buf, "key"); got != 0 {
		t.Errorf("the Kelvin sign is k, as encoding/json folds it: %d", got)
	}
}

func FuzzFold(f *testing.F) {
	for _, seed := range []string{"route", "ROUTE", "entrepri\u017fe", "\u212ad", "r\\u006fute", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, name := range []string{"route", "entreprise", "id", "complexityScore", "key"} {
			checkIs(t, key, name)
		}
	})
}

func TestKindAndStrings(t *testing.T) {
	r := New([]byte(` ["a\u00e9", "a\u00e9", 1, {}, [], true, "x\ty"]`))
	r.Intern()
	if r.Kind() != ArrayKind {
		t.Fatal(r.Kind())
	}
	var kinds []Kind
	var strs []string
	r.Array(func() {
		kinds = append(kinds, r.Kind())
		if r.Kind() == StringKind {
			strs = append(strs, r.Str())
		} else {
			r.Skip()
		}
	})
	want := []Kind{StringKind, StringKind, NumberKind, ObjectKind, ArrayKind, OtherKind, StringKind}
	if r.Kind() != NoValue || len(kinds) != len(want) || !errors.Is(r.Err(), nil) {
		t.Fatalf("%v %v", kinds, r.Err())
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("%v, want %v", kinds, want)
		}
	}
	if len(strs) != 3 || strs[0] != "aé" || strs[2] != "x\ty" {
		t.Fatalf("%q", strs)
	}
	if unsafe.StringData(strs[1]) != unsafe.StringData(strs[0]) || unsafe.StringData(r.Keep("aé")) != unsafe.StringData(strs[0]) ||
		unsafe.StringData(r.Text([]byte("x\ty"))) != unsafe.StringData(strs[2]) {
		t.Fatal("not kept once")
	}
	r = New([]byte(`"caf\u00e9"`))
	if raw := r.PlainString(); r.Err() == nil {
		t.Fatalf("%q read as plain", raw)
	}
}

func TestDescribeAndExcerpt(t *testing.T) {
	for doc, want := range map[string]string{
		``: "an empty answer", `{}`: "an empty object {}", `[1]`: "an array", `"x"`: "a string", `null`: "null", `true`: "true or false", `-1`: "a number",
		`{"data":[],"b\xff":1}`:                       `an object with the keys "data", "b\\xff"`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}`: `an object with the keys "a", "b", "c", "d", "e", …`,
	} {
		if got := Describe([]byte(doc)); got != want {
			t.Errorf("%s: %s, want %s", doc, got, want)
		}
	}
	long := strings.Repeat("é", 100)
	if got := Excerpt([]byte(long), true); got != strconv.Quote(strings.Repeat("é", 40)+"…") {
		t.Errorf("%s", got)
	}
	r := New([]byte(`{"data":[]}`))
	if err := r.Rows(errors.New("expected rows"), func() { r.Skip() }); err == nil || err.Error() != `expected rows, found an object with the keys "data"` {
		t.Errorf("%v", err)
	}
}

// TestExactDecimalIsStrconvs: the figures exactDecimal reads without
// strconv (most of an answer's: 16 or 17 digits, written shortest, as
// OnApp and Rails write them, or with a few decimals) are bit for bit what
// strconv reads, and it takes a good share of them.
func TestExactDecimalIsStrconvs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"0", "-0", "+0", "0.0", "1.", ".5", "+.5", "007.50", "2.0390744709999997", "0.22656379899999998",
		"9007199254740992", "9007199254740993", "1.4193601249999999", "123456789012345678901", "1e3", "-", ".", "", "1_0", "0x10", "1.2.3"}
	for range 200_000 {
		v := r.Float64() * math.Pow(10, float64(r.IntN(20)-10))
		if r.IntN(2) == 0 {
			v = -v
		}
		inputs = append(inputs, strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(v, 'f', r.IntN(12), 64))
	}
	took := 0
	for _, in := range inputs {
		got, ok := exactDecimal([]byte(in))
		if !ok {
			continue
		}
		took++
		want, err := strconv.ParseFloat(in, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v (%x), strconv reads %v (%x, %v)", in, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	}
	if took < len(inputs)/3 {
		t.Errorf("only %d of %d figures read without strconv", took, len(inputs))
	}
}
