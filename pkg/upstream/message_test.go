package upstream

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

// noPartOf fails t when out holds any 6-byte piece of sec.
func noPartOf(t *testing.T, out, sec string) {
	t.Helper()
	for i := 0; i+6 <= len(sec); i++ {
		if strings.Contains(out, sec[i:i+6]) {
			t.Fatalf("%q of the secret is visible in %q", sec[i:i+6], out)
		}
	}
}

func TestScrubCatchesEveryFormOfASecret(t *testing.T) {
	sec := `p@ss/wo+rd<&>é "q"`
	for _, form := range secretEncodings(sec) {
		out := Scrub("before "+form+" after", []string{sec})
		if out != "before [redacted] after" {
			t.Errorf("form %q: %q", form, out)
		}
	}
	for _, form := range []string{"p%40ss%2fwo%2brd%3c%26%3e%c3%a9+%22q%22", `p@ss\/wo+rd\u003c\u0026\u003eé \"q\"`, `p@ss/wo+rd<&>é \"q\"`} {
		if out := Scrub("x"+form+"y", []string{sec}); out != "x[redacted]y" {
			t.Errorf("form %q: %q", form, out)
		}
	}
}

func TestScrubLeavesShortValuesAndOrdinaryText(t *testing.T) {
	if out := Scrub("the key abc is short", []string{"abc", ""}); out != "the key abc is short" {
		t.Errorf("%q", out)
	}
	if out := Scrub("nothing secret here", []string{"s3cr3t-value"}); out != "nothing secret here" {
		t.Errorf("%q", out)
	}
}

func TestBasicAuthSecretCoversTheHeader(t *testing.T) {
	user, key := "sre@example.com", "onapp-api-key-5d2e"
	header := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+key))
	if out := Scrub(header, []string{key}); out != header {
		t.Fatalf("the key alone was expected not to match the header (the test would prove nothing): %q", out)
	}
	if out := Scrub(header, []string{key, BasicAuthSecret(user, key)}); out != "Authorization: Basic [redacted]" {
		t.Errorf("%q", out)
	}
	if BasicAuthSecret(user, "") != "" {
		t.Error("no key, no secret")
	}
}

func TestScrubURLPasswords(t *testing.T) {
	for in, want := range map[string]string{
		"see ftp://admin:pw@files.example.com/x":         "see ftp://admin:[redacted]@files.example.com/x",
		"https://u:p@host:badport":                       "https://u:[redacted]@host:badport",
		`parse "http://a:b@%zz/": invalid URL escape`:    `parse "http://a:[redacted]@%zz/": invalid URL escape`,
		"two: https://a:1@x and https://b:2@y.":          "two: https://a:[redacted]@x and https://b:[redacted]@y.",
		"at in password https://u:p@ss@host/":            "at in password https://u:[redacted]@host/",
		"https://user@host/ and https://host:8080/a@b":   "https://user@host/ and https://host:8080/a@b",
		"https://u:@host/ (empty password)":              "https://u:@host/ (empty password)",
		"already https://u:[redacted]@host/":             "already https://u:[redacted]@host/",
		"ipv6 http://u:p@[::1]:8080/":                    "ipv6 http://u:[redacted]@[::1]:8080/",
		"custom+scheme://root:toor@10.0.0.1, then prose": "custom+scheme://root:[redacted]@10.0.0.1, then prose",
	} {
		if out := Scrub(in, nil); out != want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", in, out, want)
		}
		if out := Clean(in, nil); out != want {
			t.Errorf("Clean(%q) = %q", in, out)
		}
	}
}

func TestCleanScrubsBeforeCutting(t *testing.T) {
	sec := "pulse-token-c4a8-0123456789abcdef"
	// The 401 body that echoes the token after ~180 characters, in a
	// message cut at 200: cutting first would show part of the token.
	body := strings.Repeat("é", 90) + " invalid token " + sec + " for this tenant"
	out := Clean(Shorten(body, 200), []string{sec})
	noPartOf(t, out, sec)
	for _, at := range []int{0, 1, MaxMessage - 20, MaxMessage - 10, MaxMessage - 4, MaxMessage} {
		in := strings.Repeat("x", at) + sec + strings.Repeat("y", 2*MaxMessage)
		out := Clean(in, []string{sec})
		noPartOf(t, out, sec)
		if len(out) > MaxMessage || !strings.HasSuffix(out, "…") {
			t.Errorf("at %d: %d bytes, %q", at, len(out), out[max(0, len(out)-20):])
		}
	}
}

func TestCleanMakesValidUTF8WithoutControlCharacters(t *testing.T) {
	for in, want := range map[string]string{
		"bad \xff\xfe bytes":        "bad \uFFFD\uFFFD bytes",
		"nul\x00 bell\a cr\r end":   "nul  bell  cr  end",
		"lines\nand\ttabs stay":     "lines\nand\ttabs stay",
		"cut rune \xe2\x82":         "cut rune \uFFFD\uFFFD",
		"valid é € 😀 is kept":       "valid é € 😀 is kept",
		"escape \x1b[31mred\x1b[0m": "escape  [31mred [0m",
	} {
		if out := Clean(in, nil); out != want {
			t.Errorf("Clean(%q) = %q, want %q", in, out, want)
		}
	}
}

func TestCleanBoundsHugeMessages(t *testing.T) {
	sec := "s3cr3t-T0ken-abcdef"
	for name, in := range map[string]string{
		"ascii":          strings.Repeat("a", 10<<20),
		"multibyte":      strings.Repeat("€", 4<<20),
		"invalid":        strings.Repeat("\xff", 10<<20),
		"secrets":        strings.Repeat(sec, 1<<20),
		"secret at end":  strings.Repeat("z", 10<<20) + sec,
		"base64 secrets": strings.Repeat(base64.StdEncoding.EncodeToString([]byte(sec))+" ", 1<<18),
	} {
		out := Clean(in, []string{sec})
		if len(out) > MaxMessage || !utf8.ValidString(out) {
			t.Errorf("%s: %d bytes, valid %v", name, len(out), utf8.ValidString(out))
		}
		noPartOf(t, out, sec)
		if Clean(out, []string{sec}) != out {
			t.Errorf("%s: not idempotent", name)
		}
	}
}

func TestCleanNeverShowsASecretCutByItsWindow(t *testing.T) {
	// Texts made mostly of secrets shrink when scrubbed, so what Clean
	// shows reaches the end of the window it reads: a secret or URL
	// password straddling that end must not show its first half.
	sec := strings.Repeat("0123456789", 10)
	for shift := 0; shift < 120; shift += 7 {
		in := strings.Repeat("x", shift) + strings.Repeat(sec+"-", 200)
		noPartOf(t, Clean(in, []string{sec}), sec)
	}
	pw := "hunter2-hunter2-hunter2"
	for shift := 0; shift < 80; shift += 3 {
		in := strings.Repeat("x", 4*MaxMessage+64-shift) + " https://admin:" + pw + "@host/"
		out := Clean(in, nil)
		noPartOf(t, out, pw)
	}
}

func TestCleanWhenReplacementsSpellASecretAgain(t *testing.T) {
	// "[redacted]Q" holds "ed]Q": one replacement is not enough.
	for _, c := range []struct{ in, sec string }{
		{"ed]QQ", "ed]Q"},
		{"x ed]Qed]QQ y", "ed]Q"},
		{"see dact here", "dact"}, // a part of "[redacted]" itself
		{"[redacted] and redacted", "redacted"},
		{"******", "****"},
	} {
		out := Clean(c.in, []string{c.sec})
		if strings.Contains(out, c.sec) || Clean(out, []string{c.sec}) != out {
			t.Errorf("Clean(%q, %q) = %q", c.in, c.sec, out)
		}
	}
}

func TestCleanCutMarkNeverCompletesASecret(t *testing.T) {
	sec := "abc…"
	in := strings.Repeat("y", MaxMessage-6) + "abc" + strings.Repeat("z", 100)
	out := Clean(in, []string{sec})
	if strings.Contains(out, sec) || len(out) > MaxMessage || Clean(out, []string{sec}) != out {
		t.Errorf("%q", out[len(out)-10:])
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 500)
	if q := Quote(long); utf8.RuneCountInString(q) != MaxQuoted+1 || !strings.HasSuffix(q, "…") {
		t.Errorf("%d runes", utf8.RuneCountInString(q))
	}
	if q := Quote("a\x00b\xffc"); q != "a b\uFFFDc" {
		t.Errorf("%q", q)
	}
	if q := Quote("http://u:p@h/"); q != "http://u:[redacted]@h/" {
		t.Errorf("%q", q)
	}
	// A URL the bound cuts through had its password redacted before.
	q := Quote(strings.Repeat("x", MaxQuoted-10) + " https://u:longpassword@host/")
	if strings.Contains(q, "longp") || strings.Contains(q, "long") {
		t.Errorf("%q", q)
	}
	if q := Quote(strings.Repeat("\xff", 10<<20)); !utf8.ValidString(q) || len(q) > MaxQuoted*utf8.UTFMax+3 {
		t.Errorf("%d bytes", len(q))
	}
}

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello", 5, "hello"}, {"hello", 3, "hel…"}, {"héllo", 2, "hé…"}, {"abc", 0, "…"}, {"", 0, ""}, {"abc", -1, "…"},
	} {
		if got := Shorten(c.in, c.n); got != c.want {
			t.Errorf("Shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"}, {"hello", 4, "h…"}, {"héllo", 5, "h…"}, {"hello", 2, "he"}, {"héllo", 2, "h"}, {"hello", 0, ""}, {"€€", 4, "…"},
	} {
		if got := ShortenBytes(c.in, c.n); got != c.want {
			t.Errorf("ShortenBytes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func BenchmarkClean(b *testing.B) {
	secrets := []string{"ovh-application-secret-7f3a", "ovh-consumer-key-91bc", "onapp-api-key-5d2e", "pulse-token-c4a8", BasicAuthSecret("sre@example.com", "onapp-api-key-5d2e")}
	for name, msg := range map[string]string{
		"short": "Pulse answered 503 Service Unavailable: the service is down for maintenance — try again later",
		"10MB":  strings.Repeat("upstream error text ", 1<<19),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				Clean(msg, secrets)
			}
		})
	}
}

func TestQuoteScrubsRegisteredSecretsBeforeCutting(t *testing.T) {
	sec := "Zq8Lm3Vx7Rt2Kp9Wn4Hs"
	body := strings.Repeat("abcd ", 37) + sec + " is not valid"
	if q := Quote(body); !strings.Contains(q, sec[:6]) {
		t.Fatalf("unregistered, the secret was expected in the cut (the test would prove nothing): %q", q)
	}
	release := RegisterSecrets([]string{sec, "abc"})
	again := RegisterSecrets([]string{sec}) // a second data source with the same secret
	q := Quote(body)
	noPartOf(t, q, sec)
	noPartOf(t, Clean(body, nil), sec)
	if !strings.HasSuffix(q, "[redacted] is n…") {
		t.Errorf("%q", q[len(q)-30:])
	}
	release()
	release() // twice: no effect
	noPartOf(t, Quote(body), sec)
	again()
	if q := Quote(body); !strings.Contains(q, sec[:6]) {
		t.Errorf("released, the secret is still scrubbed: %q", q)
	}
}
