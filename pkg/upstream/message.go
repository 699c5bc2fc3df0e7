package upstream

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// The bounds of what the plugin says: upstream text quoted inside a message,
// and a whole message (query error, notice, health line, resource error).
const (
	MaxQuoted  = 200  // characters of upstream text in one message
	MaxMessage = 1024 // bytes of a whole message
)

// Clean makes any text fit to be shown or logged: secrets scrubbed, valid
// UTF-8, at most MaxMessage bytes, cut on a character boundary.
func Clean(msg string, secrets []string) string {
	msg = Scrub(strings.ToValidUTF8(msg, "\uFFFD"), secrets)
	return Scrub(ShortenBytes(msg, MaxMessage), secrets)
}

// Quote is upstream text made fit to stand inside a message: valid UTF-8 and
// at most MaxQuoted characters.
func Quote(s string) string { return Shorten(strings.ToValidUTF8(s, "\uFFFD"), MaxQuoted) }

// Scrub replaces each secret found in s by "[redacted]".
func Scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
			if esc := url.QueryEscape(sec); esc != sec {
				s = strings.ReplaceAll(s, esc, "[redacted]")
			}
		}
	}
	return s
}

// Shorten cuts s to at most n characters (runes), marking the cut with "…".
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i] + "…"
}

// ShortenBytes cuts s to at most n bytes on a character boundary, the cut
// marked with "…" (which the n bytes include).
func ShortenBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
