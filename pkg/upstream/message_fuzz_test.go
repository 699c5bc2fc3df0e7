package upstream

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// secretEncodings are the forms a test expects Clean to remove, computed
// here on their own rather than taken from message.go.
func secretEncodings(sec string) []string {
	out := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
	if js, err := json.Marshal(sec); err == nil {
		out = append(out, string(js[1:len(js)-1])) // without the quotes around it
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(sec)))
	}
	return out
}

// checkClean fails t unless out is what Clean may return for any input
// holding sec: valid UTF-8, bounded, without control characters, without
// the secret in any form, and unchanged by another Clean.
func checkClean(t *testing.T, in, out, sec string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("not valid UTF-8: %q", out)
	}
	if len(out) > MaxMessage {
		t.Fatalf("%d bytes, more than MaxMessage", len(out))
	}
	for _, c := range []byte(out) {
		if c < 0x20 && c != '\n' && c != '\t' {
			t.Fatalf("control character %#x in %q", c, out)
		}
	}
	for i, form := range secretEncodings(sec) {
		if len(form) >= minSecret && strings.Contains(out, form) {
			t.Fatalf("form %d of secret %q (%q) left in %q\ninput %q", i, sec, form, out, in)
		}
	}
	if again := Clean(out, []string{sec}); again != out {
		t.Fatalf("Clean is not idempotent:\nonce  %q\ntwice %q", out, again)
	}
}

// FuzzClean inserts a secret, as is or in one of its encoded forms, anywhere
// in any text (in the middle of a character too) and checks what Clean
// makes of it, and Quote with the secret registered.
func FuzzClean(f *testing.F) {
	seeds := []struct {
		text, secret string
		pos          uint
		form         uint8
	}{
		{"upstream said: unauthorized", "s3cr3t-T0ken", 15, 0},
		{strings.Repeat("é", 180) + " the token was ", "pulse-token-c4a8/+=?&", 400, 0},
		{strings.Repeat("x", MaxMessage+50), "abcdefgh", MaxMessage - 6, 0},
		{strings.Repeat("x", MaxMessage+50), "abc…", MaxMessage - 6, 0},
		{"Authorization: Basic ", "user@example.com:key", 21, 4},
		{"a \xff\xfe b \x00 c", "tok\x01en", 3, 0},
		{"ed]QQ", "ed]Q", 0, 0},
		{"see dact here", "dact", 4, 0},
		{"https://u:pw@host:badport/", "<&>secret", 10, 3},
		{strings.Repeat("\xe2\x80", 3000), "k€y-k€y", 5000, 2},
		{"", "****", 0, 0},
		{"https://u:pw@host:badport/", "<>00\x80\x00\x00\"", 10, 3},
	}
	for _, s := range seeds {
		f.Add(s.text, s.secret, s.pos, s.form)
	}
	f.Fuzz(func(t *testing.T, text, secret string, pos uint, form uint8) {
		secret = strings.ToValidUTF8(secret, "\uFFFD") // settings are protobuf strings: always UTF-8
		if len(secret) < minSecret {
			return
		}
		forms := secretEncodings(secret)
		ins := forms[int(form)%len(forms)]
		at := int(pos % uint(len(text)+1))
		in := text[:at] + ins + text[at:]
		checkClean(t, in, Clean(in, []string{secret}), secret)

		// Quote knows the secret only from the registry.
		release := RegisterSecrets([]string{secret})
		q := Quote(in)
		release()
		if !utf8.ValidString(q) || utf8.RuneCountInString(q) > MaxQuoted+1 {
			t.Fatalf("Quote: %d runes, valid %v", utf8.RuneCountInString(q), utf8.ValidString(q))
		}
		for _, form := range secretEncodings(secret) {
			if len(form) >= minSecret && strings.Contains(q, form) {
				t.Fatalf("Quote left %q in %q", form, q)
			}
		}
	})
}
