package upstream

// How the plugin builds what it says. Every message it emits (query errors,
// notices, health lines, resource errors, log lines) passes through Clean:
// secrets and URL passwords scrubbed, valid UTF-8 without control
// characters, bounded, cut on a character boundary, and scrubbed again after
// the cut, so that nothing of a secret stays visible where the text was cut.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The bounds of what the plugin says: upstream text quoted inside a message,
// and a whole message (query error, notice, health line, resource error).
const (
	MaxQuoted  = 200  // characters of upstream text in one message
	MaxMessage = 1024 // bytes of a whole message
)

// Redacted is what stands in a message where a secret or a URL password was.
const Redacted = "[redacted]"

// fallbackRedacted stands for secrets when one of them is itself a part of
// "[redacted]" (a secret "dact" would otherwise reappear in every
// replacement). It is shorter than any secret Scrub considers.
const fallbackRedacted = "***"

// minSecret is the length under which a configured value is not scrubbed:
// shorter values are too likely to be ordinary words of a message.
const minSecret = 4

// maxPasses bounds the scrubbing passes. One pass removes every secret;
// another is needed only when a replacement and the text around it happen
// to spell a secret again, which takes secrets that share characters with
// "[redacted]". When the passes run out the whole text is withheld.
const maxPasses = 4

const ellipsis = "…"

// Clean makes any text fit to be shown or logged: secrets (those given and
// the registered ones, in every form Scrub knows) and URL passwords
// scrubbed, valid UTF-8 (each invalid byte becomes U+FFFD), control
// characters other than line breaks and tabs replaced by spaces, at most
// MaxMessage bytes cut on a character boundary, and no secret visible after
// the cut. Clean is idempotent.
func Clean(msg string, secrets []string) string { return CleanN(msg, secrets, MaxMessage) }

// CleanN is Clean with another bound, in bytes, for texts that are not
// messages but must be clean all the same (a frame's executed query).
func CleanN(msg string, secrets []string, maxBytes int) string {
	return clean(msg, formsOf(secrets), maxBytes, false)
}

// Quote is upstream text made fit to stand inside a message: valid UTF-8
// without control characters, the secrets of every data source the process
// serves (RegisterSecrets) and URL passwords redacted, then at most
// MaxQuoted characters (a cut is marked with "…"). Scrubbing comes first:
// quoted text is cut before the message it stands in reaches Clean, and a
// secret cut in two is no longer one Clean can find.
func Quote(s string) string { return clean(s, formsOf(nil), MaxQuoted, true) }

// registry holds the secrets of the data sources the process serves, with
// how many of them hold each. Every Scrub, Clean and Quote scrubs them, on
// top of the secrets it is given.
var registry secretRegistry

type secretRegistry struct {
	sync.Mutex
	counts map[string]int
	list   []string // the keys of counts, sorted
	gen    uint64   // changes with list
}

// changed rebuilds the list after counts changed; the caller holds the lock.
func (r *secretRegistry) changed() {
	r.list = make([]string, 0, len(r.counts))
	for s := range r.counts {
		r.list = append(r.list, s)
	}
	slices.Sort(r.list)
	r.gen++
}

// RegisterSecrets adds secrets to those every Scrub, Clean and Quote
// scrubs, until release is called (when the data source holding them is
// disposed). Registering is counted: two data sources with the same secret
// each release their own.
func RegisterSecrets(secrets []string) (release func()) {
	registry.Lock()
	defer registry.Unlock()
	if registry.counts == nil {
		registry.counts = map[string]int{}
	}
	var held []string
	for _, s := range secrets {
		if len(s) >= minSecret {
			registry.counts[s]++
			held = append(held, s)
		}
	}
	registry.changed()
	var once sync.Once
	return func() {
		once.Do(func() {
			registry.Lock()
			defer registry.Unlock()
			for _, s := range held {
				if registry.counts[s]--; registry.counts[s] <= 0 {
					delete(registry.counts, s)
				}
			}
			registry.changed()
		})
	}
}

// Scrub replaces each secret found in s (those given and every registered
// one, see RegisterSecrets) by "[redacted]", in each form a
// secret takes on its way into a message: as is, URL-encoded (query and
// path escaping, either case of hex digits), JSON-escaped and base64 (std,
// URL, with or without padding); and the password of every URL in s
// ("scheme://user:pass@host" becomes "scheme://user:[redacted]@host"), even
// of URLs that do not parse. Values shorter than 4 bytes are not secrets
// Scrub looks for. Scrub neither validates nor shortens s: Clean does.
func Scrub(s string, secrets []string) string {
	f := formsOf(secrets)
	out, ok := scrubPasses(s, f, len(s))
	if !ok {
		return f.marker
	}
	return out
}

// BasicAuthSecret is the secret to add to a source's secrets when it sends
// key in HTTP basic auth as user: the header carries the base64 of
// "user:key", which holds no base64 form of the key alone, so Scrub must
// know the pair. It is "" when key is empty.
func BasicAuthSecret(user, key string) string {
	if key == "" {
		return ""
	}
	return user + ":" + key
}

// Shorten cuts s to at most n characters (runes), marking the cut with "…".
func Shorten(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return s[:runePrefix(s, n)] + ellipsis
}

// ShortenBytes cuts s to at most n bytes on a character boundary, the cut
// marked with "…" (which the n bytes include; below 3 bytes there is no
// room for the mark and the cut is bare).
func ShortenBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < len(ellipsis) {
		return s[:bytePrefix(s, max(n, 0))]
	}
	return s[:bytePrefix(s, n-len(ellipsis))] + ellipsis
}

// clean is Clean and Quote: limit is in runes when inRunes, else in bytes.
func clean(msg string, f *forms, limit int, inRunes bool) string {
	limit = max(limit, 0)
	limitBytes := limit
	if inRunes {
		limitBytes = limit * utf8.UTFMax
	}
	// Only the start of a long text can be shown: read a window of it,
	// large enough for the bound once secrets are replaced. What is cut
	// off may hold the rest of a secret or URL password begun in the
	// window, so the window's tail that could hold such a beginning is
	// dropped after scrubbing (see emit).
	window := 4*limitBytes + 4*f.longest + 64
	truncated := false
	if len(msg) > window {
		cut := window
		for i := 0; i < utf8.UTFMax && cut > 0 && !utf8.RuneStart(msg[cut]); i++ {
			cut--
		}
		msg, truncated = msg[:cut], true
	}
	s := sanitize(msg)
	s, ok := scrubWindow(s, f, truncated)
	if !ok {
		return f.marker
	}
	return cutClean(s, f, limit, inRunes, truncated)
}

// cutClean bounds s, already scrubbed, marking a cut with "…" — unless the
// mark itself would complete a secret, then the cut stays bare: a prefix of
// a scrubbed text holds no secret, a prefix plus "…" might.
func cutClean(s string, f *forms, limit int, inRunes, truncated bool) string {
	var prefix int
	switch {
	case inRunes && (truncated || utf8.RuneCountInString(s) > limit):
		prefix = runePrefix(s, limit)
	case !inRunes && (truncated || len(s) > limit):
		if limit < len(ellipsis) {
			return s[:bytePrefix(s, min(limit, len(s)))]
		}
		prefix = bytePrefix(s, min(limit-len(ellipsis), len(s)))
	default:
		return s
	}
	marked := s[:prefix] + ellipsis
	if f.found(marked) {
		return s[:prefix]
	}
	return marked
}

// runePrefix is the byte length of the first n runes of s.
func runePrefix(s string, n int) int {
	count := 0
	for i := range s {
		if count == n {
			return i
		}
		count++
	}
	return len(s)
}

// bytePrefix is the longest prefix of s of at most n bytes that ends on a
// character boundary.
func bytePrefix(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// ValidUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as encoding/json writes such bytes; s itself when it
// is valid (no copy).
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// sanitize returns s as valid UTF-8 (each invalid byte replaced by U+FFFD,
// like ValidUTF8) with every C0 control character but "\n" and "\t"
// replaced by a space. Valid text without control characters is returned as
// is.
func sanitize(s string) string {
	i := 0
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if b < 0x20 && b != '\n' && b != '\t' {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' {
				c = ' '
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// forms are the texts Scrub looks for: every form of every secret, longest
// first, and the replacement that none of them is part of.
type forms struct {
	list    []string
	longest int
	marker  string
}

var noForms = &forms{marker: Redacted}

// formsCache keeps the forms of each list of secrets: a data source's
// secrets are the same on every message. It is emptied when it grows past a
// bound (settings changed many times).
var formsCache struct {
	sync.Mutex
	m map[string]*forms
}

const formsCacheMax = 256

// formsOf returns the forms of secrets and of every registered secret.
func formsOf(secrets []string) *forms {
	registry.Lock()
	gen, registered := registry.gen, registry.list
	registry.Unlock()
	if len(secrets) == 0 && len(registered) == 0 {
		return noForms
	}
	key := strconv.FormatUint(gen, 10) + "\x00" + strings.Join(secrets, "\x00")
	formsCache.Lock()
	defer formsCache.Unlock()
	if f, ok := formsCache.m[key]; ok {
		return f
	}
	if formsCache.m == nil || len(formsCache.m) >= formsCacheMax {
		formsCache.m = map[string]*forms{}
	}
	f := buildForms(append(slices.Clone(secrets), registered...))
	formsCache.m[key] = f
	return f
}

func buildForms(secrets []string) *forms {
	f := &forms{marker: Redacted}
	for _, sec := range secrets {
		if len(sec) >= minSecret {
			f.list = append(f.list, encodedForms(sec)...)
		}
	}
	if len(f.list) == 0 {
		return noForms
	}
	slices.SortFunc(f.list, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	f.list = slices.Compact(f.list)
	f.longest = len(f.list[0])
	for _, form := range f.list {
		if strings.Contains(Redacted, form) {
			f.marker = fallbackRedacted
		}
	}
	return f
}

// encodedForms are the ways sec can be written in a message or an echoed
// request: as is, URL-encoded, JSON-escaped, base64, and each of these as
// sanitize leaves it (a secret holding a control character).
func encodedForms(sec string) []string {
	set := map[string]bool{sec: true}
	add := func(s string) {
		if len(s) >= minSecret {
			set[s] = true
		}
	}
	for _, esc := range []string{url.QueryEscape(sec), url.PathEscape(sec)} {
		add(esc)
		add(lowerHexEscapes(esc))
	}
	var buf bytes.Buffer
	for _, html := range []bool{true, false} {
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		if enc.Encode(sec) == nil {
			js := strings.TrimSuffix(strings.TrimSpace(buf.String()), `"`)
			js = strings.TrimPrefix(js, `"`)
			add(js)
			add(strings.ReplaceAll(js, "/", `\/`)) // JSON writers that escape "/"
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		add(enc.EncodeToString([]byte(sec)))
	}
	list := make([]string, 0, 2*len(set))
	for s := range set {
		list = append(list, s)
		if c := sanitize(s); c != s {
			list = append(list, c)
		}
	}
	return list
}

// lowerHexEscapes writes the hex digits of each %XX escape in lower case.
func lowerHexEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// span is a part of a text to replace, [lo, hi).
type span struct{ lo, hi int }

// found reports whether s holds a secret form or a URL password.
func (f *forms) found(s string) bool {
	for _, form := range f.list {
		if strings.Contains(s, form) {
			return true
		}
	}
	found := false
	urlPasswords(s, f.marker, func(span) { found = true })
	return found
}

// spans returns the merged, sorted parts of s that hold a secret form or a
// URL password; parts that touch are merged, so that two replacements
// never stand side by side.
func (f *forms) spans(s string) []span {
	var out []span
	for _, form := range f.list {
		cur := span{-1, -1}
		for i := 0; i <= len(s)-len(form); {
			j := strings.Index(s[i:], form)
			if j < 0 {
				break
			}
			lo := i + j
			if lo <= cur.hi {
				cur.hi = lo + len(form) // overlapping occurrences
			} else {
				if cur.lo >= 0 {
					out = append(out, cur)
				}
				cur = span{lo, lo + len(form)}
			}
			i = lo + 1
		}
		if cur.lo >= 0 {
			out = append(out, cur)
		}
	}
	urlPasswords(s, f.marker, func(sp span) { out = append(out, sp) })
	if len(out) < 2 {
		return out
	}
	slices.SortFunc(out, func(a, b span) int { return a.lo - b.lo })
	merged := out[:1]
	for _, sp := range out[1:] {
		last := &merged[len(merged)-1]
		if sp.lo <= last.hi {
			last.hi = max(last.hi, sp.hi)
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// scrubWindow scrubs s, the start of a longer text when truncated.
func scrubWindow(s string, f *forms, truncated bool) (string, bool) {
	cutoff := len(s)
	if truncated {
		// A secret begun in the last longest-1 bytes may end past the
		// window, and a URL whose user-info reaches the window's end may
		// have its password there: neither is shown.
		cutoff = max(0, len(s)-max(f.longest-1, 0))
		if open := openUserInfo(s); open >= 0 {
			cutoff = min(cutoff, open)
		}
		cutoff = bytePrefix(s, cutoff)
	}
	return scrubPasses(s, f, cutoff)
}

// scrubPasses replaces the spans of s until none is left (usually one pass,
// and a second that finds nothing), keeping only what lies before cutoff.
// It reports false when the passes ran out.
func scrubPasses(s string, f *forms, cutoff int) (string, bool) {
	for pass := 0; pass < maxPasses; pass++ {
		spans := f.spans(s)
		if len(spans) == 0 {
			if cutoff < len(s) {
				s = s[:cutoff]
			}
			return s, true
		}
		s = emit(s, spans, f.marker, cutoff)
		cutoff = len(s)
	}
	if len(f.spans(s)) == 0 {
		return s, true
	}
	return "", false
}

// emit writes s with each span replaced by marker, up to cutoff: a span
// that begins before cutoff is replaced whole.
func emit(s string, spans []span, marker string, cutoff int) string {
	var b strings.Builder
	b.Grow(min(len(s), cutoff) + len(spans)*len(marker))
	pos := 0
	for _, sp := range spans {
		if sp.lo >= cutoff {
			break
		}
		b.WriteString(s[pos:sp.lo])
		b.WriteString(marker)
		pos = sp.hi
	}
	if pos < cutoff {
		b.WriteString(s[pos:cutoff])
	}
	return b.String()
}

// urlPasswords calls yield with the password of each URL in s written with
// user-info ("scheme://user:pass@host"). The text is scanned, not parsed:
// the URLs that matter most are those url.Parse refuses (a bad port, a %zz
// escape, an unknown scheme). A password that is already marker is left.
func urlPasswords(s, marker string, yield func(span)) {
	for i := 0; ; {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			return
		}
		start := i + j + 3
		end := start + authorityEnd(s[start:])
		auth := s[start:end]
		if at := strings.LastIndexByte(auth, '@'); at > 0 {
			if colon := strings.IndexByte(auth[:at], ':'); colon >= 0 {
				lo, hi := start+colon+1, start+at
				if hi > lo && s[lo:hi] != marker {
					yield(span{lo, hi})
				}
			}
		}
		i = max(end, start)
	}
}

// openUserInfo is where the password of a URL at the very end of s would
// begin (just after the user name's ":"), or -1: s was cut and the rest of
// that URL, password included, is not in s.
func openUserInfo(s string) int {
	j := strings.LastIndex(s, "://")
	if j < 0 {
		return -1
	}
	start := j + 3
	if start+authorityEnd(s[start:]) < len(s) {
		return -1 // the authority ends within s
	}
	if colon := strings.IndexByte(s[start:], ':'); colon >= 0 {
		return start + colon + 1
	}
	return -1
}

// authorityEnd is the length of the authority at the start of s: up to a
// path, query or fragment, a space, or a quote or angle bracket around the
// URL.
func authorityEnd(s string) int {
	if i := strings.IndexAny(s, "/?#\\ \t\r\n\"'<>`"); i >= 0 {
		return i
	}
	return len(s)
}
