package source

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// MaxExecuted bounds a frame's Meta.ExecutedQueryString, in bytes: the
// upstream calls of a query, one per line, which Grafana shows in the query
// inspector. It is longer than a message, since a paginated or fanned-out
// query makes many calls, but bounded all the same.
const MaxExecuted = 16 << 10

// Secrets returns every value of the settings that messages must not show:
// the secure settings, and the basic-auth pair of OnApp (whose base64 is
// what an echoed Authorization header holds).
func Secrets(s *models.Settings) []string {
	out := s.Secrets()
	if pair := upstream.BasicAuthSecret(s.OnApp.User, s.OnApp.APIKey); pair != "" {
		out = append(out, pair)
	}
	return out
}

type secretsKey struct{}

// WithSecrets returns a context carrying the data source's secrets, for
// Handle and the resource helpers to scrub what they emit.
func WithSecrets(ctx context.Context, secrets []string) context.Context {
	return context.WithValue(ctx, secretsKey{}, secrets)
}

// SecretsFrom returns the secrets WithSecrets stored in ctx, or nil.
func SecretsFrom(ctx context.Context) []string {
	s, _ := ctx.Value(secretsKey{}).([]string)
	return s
}

// CleanResources wraps the resource handler of a data source so that the
// answers WriteError and WriteFailure write are scrubbed of its secrets.
func CleanResources(h http.Handler, secrets []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&secretsWriter{ResponseWriter: w, secrets: secrets}, r.WithContext(WithSecrets(r.Context(), secrets)))
	})
}

// secretsWriter is a resource answer that knows the secrets to scrub.
type secretsWriter struct {
	http.ResponseWriter
	secrets []string
}

func (w *secretsWriter) Secrets() []string { return w.secrets }

// Unwrap lets http.ResponseController reach the writer below.
func (w *secretsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// secretsOf returns the secrets of a resource answer: those CleanResources
// gave it, or none.
func secretsOf(w http.ResponseWriter) []string {
	for depth := 0; w != nil && depth < 16; depth++ { // bounded: a writer may unwrap to itself
		if s, ok := w.(interface{ Secrets() []string }); ok {
			return s.Secrets()
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// CleanResponse makes a query's answer fit to leave the plugin: its error
// message cleaned (status and error source kept), and every notice and
// executed-query text of its frames cleaned, whatever produced them.
func CleanResponse(r backend.DataResponse, secrets []string) backend.DataResponse {
	if r.Error != nil {
		msg := r.Error.Error()
		if clean := upstream.Clean(msg, secrets); clean != msg {
			r.Error = cleanError{msg: clean, err: r.Error}
		}
	}
	var memo textMemo
	for _, f := range r.Frames {
		if f != nil && f.Meta != nil {
			cleanMeta(f.Meta, secrets, &memo)
		}
	}
	return r
}

// cleanError is an error whose message was cleaned; errors.Is and As still
// reach the original.
type cleanError struct {
	msg string
	err error
}

func (e cleanError) Error() string { return e.msg }
func (e cleanError) Unwrap() error { return e.err }

// textMemo remembers the last text cleaned: the frames of one query mostly
// share their executed-query text, which is long.
type textMemo struct{ in, out string }

func (m *textMemo) clean(s string, secrets []string, maxBytes int) string {
	if s == "" {
		return s
	}
	if s != m.in || m.out == "" {
		m.in, m.out = s, upstream.CleanN(s, secrets, maxBytes)
	}
	return m.out
}

// cleanMeta cleans the texts of a frame's metadata that are messages: its
// notices and executed query. A text is written only when cleaning changed
// it, so frames shared between answers are left alone when clean.
func cleanMeta(m *data.FrameMeta, secrets []string, memo *textMemo) {
	if m.ExecutedQueryString != "" {
		if c := memo.clean(m.ExecutedQueryString, secrets, MaxExecuted); c != m.ExecutedQueryString {
			m.ExecutedQueryString = c
		}
	}
	for i := range m.Notices {
		n := &m.Notices[i]
		if c := upstream.Clean(n.Text, secrets); c != n.Text {
			n.Text = c
		}
		if n.Link != "" {
			if c := upstream.Clean(n.Link, secrets); c != n.Link {
				n.Link = c
			}
		}
	}
}

// invalidText counts, for one frame, the values that held bytes that are
// not UTF-8, and where they were.
type invalidText struct {
	count  int
	places []string
}

func (t *invalidText) fix(s *string, place string) {
	if utf8.ValidString(*s) {
		return
	}
	*s = upstream.ValidUTF8(*s)
	t.count++
	if !slices.Contains(t.places, place) {
		t.places = append(t.places, place)
	}
}

// maxPlaces is how many places a notice about invalid UTF-8 names.
const maxPlaces = 3

// notice is the frame's warning about the values replaced, or nil.
func (t *invalidText) notice() *data.Notice {
	if t.count == 0 {
		return nil
	}
	places := t.places
	more := ""
	if len(places) > maxPlaces {
		places, more = places[:maxPlaces], fmt.Sprintf(" and %d more", len(t.places)-maxPlaces)
	}
	what := fmt.Sprintf("%d values from the upstream (in %s%s) held bytes that are not valid UTF-8: those bytes are shown as \uFFFD",
		t.count, strings.Join(places, ", "), more)
	if t.count == 1 {
		what = fmt.Sprintf("1 value from the upstream (in %s) held bytes that are not valid UTF-8: those bytes are shown as \uFFFD",
			strings.Join(places, ", "))
	}
	return &data.Notice{Severity: data.NoticeSeverityWarning, Text: what}
}

// CleanFrames makes frames fit for Arrow and the gRPC answer: every string
// they hold (string and nullable string values, field and frame names,
// labels, display names) valid UTF-8, each invalid byte replaced by U+FFFD
// as encoding/json does (so a value matches the same value in a resource
// answer) and counted in one warning notice per frame; and their notices
// and executed query cleaned of secrets and bounded. Valid strings are not
// copied.
func CleanFrames(frames data.Frames, secrets []string) {
	var memo textMemo
	for _, f := range frames {
		if f == nil {
			continue
		}
		var bad invalidText
		fixFrame(f, &bad)
		if f.Meta == nil && bad.count == 0 {
			continue
		}
		if f.Meta == nil {
			f.Meta = &data.FrameMeta{}
		}
		cleanMeta(f.Meta, secrets, &memo)
		if n := bad.notice(); n != nil {
			// Clip: frames of one answer may share one notices array.
			f.Meta.Notices = append(slices.Clip(f.Meta.Notices), *n)
		}
	}
}

func fixFrame(f *data.Frame, bad *invalidText) {
	bad.fix(&f.Name, "the frame name")
	bad.fix(&f.RefID, "the refId")
	for i, field := range f.Fields {
		if field == nil {
			continue
		}
		bad.fix(&field.Name, "field names")
		place := fieldPlace(field, i)
		for k, v := range field.Labels {
			if utf8.ValidString(k) && utf8.ValidString(v) {
				continue
			}
			nk, nv := k, v
			bad.fix(&nk, "labels")
			bad.fix(&nv, "labels")
			delete(field.Labels, k)
			field.Labels[nk] = nv
		}
		if c := field.Config; c != nil {
			bad.fix(&c.DisplayName, "display names")
			bad.fix(&c.DisplayNameFromDS, "display names")
			bad.fix(&c.Description, "field descriptions")
			bad.fix(&c.Unit, "units")
		}
		fixValues(field, place, bad)
	}
}

// fieldPlace names a field in the notice: by its name, else its position.
func fieldPlace(field *data.Field, i int) string {
	if field.Name != "" {
		return "field " + strconv.Quote(upstream.Shorten(field.Name, 40))
	}
	return fmt.Sprintf("field %d", i+1)
}

// fixValues replaces invalid UTF-8 in the values of a string field.
func fixValues(field *data.Field, place string, bad *invalidText) {
	n := field.Len()
	switch field.Type() {
	case data.FieldTypeString:
		for i := 0; i < n; i++ {
			bad.fix(field.PointerAt(i).(*string), place)
		}
	case data.FieldTypeNullableString:
		for i := 0; i < n; i++ {
			if p := *field.PointerAt(i).(**string); p != nil && !utf8.ValidString(*p) {
				v := *p // a copy: the pointer may be shared with other values
				bad.fix(&v, place)
				field.Set(i, &v)
			}
		}
	}
}
