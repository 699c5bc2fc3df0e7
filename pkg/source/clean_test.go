package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// testQuery is a query model for Handle: its run function is the test's.
type testQuery struct{ Name string }

func (q *testQuery) Validate() error {
	if q.Name == "invalid" {
		return errors.New("name must not be invalid")
	}
	return nil
}

const secret = "pulse-token-c4a8-0123456789"

func handle(t *testing.T, run func(context.Context, *testQuery) (data.Frames, error)) backend.DataResponse {
	t.Helper()
	ctx := WithSecrets(context.Background(), []string{secret})
	return Handle[testQuery](ctx, backend.DataQuery{RefID: "A", JSON: []byte(`{"Name":"x"}`)}, run)
}

// checkValid fails t when any string of the frames is not UTF-8.
func checkValid(t *testing.T, frames data.Frames) {
	t.Helper()
	for _, f := range frames {
		if _, err := f.MarshalArrow(); err != nil {
			t.Fatal(err)
		}
		b, err := f.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) {
			t.Fatalf("frame JSON not UTF-8")
		}
		for _, field := range f.Fields {
			for i := 0; i < field.Len(); i++ {
				switch v := field.At(i).(type) {
				case string:
					if !utf8.ValidString(v) {
						t.Fatalf("%s[%d] = %q", field.Name, i, v)
					}
				case *string:
					if v != nil && !utf8.ValidString(*v) {
						t.Fatalf("%s[%d] = %q", field.Name, i, *v)
					}
				}
			}
			for k, v := range field.Labels {
				if !utf8.ValidString(k) || !utf8.ValidString(v) {
					t.Fatalf("label %q=%q", k, v)
				}
			}
		}
	}
}

func TestHandleReplacesInvalidUTF8AndSaysSo(t *testing.T) {
	bad, good := "route-\xff\xfe/x", "route-ok"
	badp := "\xc3(" // a cut two-byte character
	resp := handle(t, func(context.Context, *testQuery) (data.Frames, error) {
		f := data.NewFrame("requests \xe2\x82",
			data.NewField("route", nil, []string{good, bad, bad + "2"}),
			data.NewField("owner", data.Labels{"host\xff": "v\xfe", "ok": "fine"}, []*string{&good, nil, &badp}),
			data.NewField("value", data.Labels{"route": "a"}, []float64{1, 2, 3}).SetConfig(&data.FieldConfig{DisplayNameFromDS: "total \xff"}),
		)
		f.Meta = &data.FrameMeta{Notices: []data.Notice{{Severity: data.NoticeSeverityInfo, Text: "page 2 said \xff " + secret}}}
		return data.Frames{f, data.NewFrame("clean", data.NewField("route", nil, []string{good}))}, nil
	})
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	checkValid(t, resp.Frames)
	f := resp.Frames[0]
	if got := f.Fields[0].At(1).(string); got != "route-\uFFFD\uFFFD/x" {
		t.Errorf("route = %q", got)
	}
	if got := *f.Fields[1].At(2).(*string); got != "\uFFFD(" {
		t.Errorf("owner = %q", got)
	}
	if *f.Fields[1].At(0).(*string) != good || good != "route-ok" {
		t.Error("a valid value changed")
	}
	if f.Fields[1].Labels["host\uFFFD"] != "v\uFFFD" || f.Fields[1].Labels["ok"] != "fine" {
		t.Errorf("labels %v", f.Fields[1].Labels)
	}
	if f.Name != "requests \uFFFD\uFFFD" || f.Fields[2].Config.DisplayNameFromDS != "total \uFFFD" {
		t.Errorf("names %q %q", f.Name, f.Fields[2].Config.DisplayNameFromDS)
	}
	notices := f.Meta.Notices
	if len(notices) != 2 || notices[0].Text != "page 2 said \uFFFD [redacted]" {
		t.Fatalf("notices %+v", notices)
	}
	want := "7 values from the upstream (in the frame name, field \"route\", labels and 2 more) held bytes that are not valid UTF-8: those bytes are shown as \uFFFD"
	if notices[1].Text != want || notices[1].Severity != data.NoticeSeverityWarning {
		t.Errorf("notice %q, want %q", notices[1].Text, want)
	}
	if n := resp.Frames[1].Meta.Notices; len(n) != 0 {
		t.Errorf("a clean frame got notices %+v", n)
	}
}

func TestHandleNoticeForOneValue(t *testing.T) {
	resp := handle(t, func(context.Context, *testQuery) (data.Frames, error) {
		return data.Frames{data.NewFrame("", data.NewField("", nil, []string{"a\xff"}))}, nil
	})
	n := resp.Frames[0].Meta.Notices
	want := "1 value from the upstream (in field 1) held bytes that are not valid UTF-8: those bytes are shown as \uFFFD"
	if len(n) != 1 || n[0].Text != want {
		t.Errorf("%+v", n)
	}
}

func TestHandleNoticesOfSharedArraysStayApart(t *testing.T) {
	shared := make([]data.Notice, 1, 4)
	shared[0] = data.Notice{Text: "shared"}
	resp := handle(t, func(context.Context, *testQuery) (data.Frames, error) {
		a := data.NewFrame("a", data.NewField("v", nil, []string{"\xff"}))
		b := data.NewFrame("b", data.NewField("w", nil, []string{"\xfe", "\xfd"}))
		a.Meta = &data.FrameMeta{Notices: shared}
		b.Meta = &data.FrameMeta{Notices: shared}
		return data.Frames{a, b}, nil
	})
	a, b := resp.Frames[0].Meta.Notices, resp.Frames[1].Meta.Notices
	if len(a) != 2 || len(b) != 2 || !strings.Contains(a[1].Text, `"v"`) || !strings.Contains(b[1].Text, `"w"`) {
		t.Errorf("a %+v\nb %+v", a, b)
	}
}

func TestHandleCleansErrorsExecutedQueryAndPanics(t *testing.T) {
	huge := strings.Repeat("é", 5<<20)
	resp := handle(t, func(context.Context, *testQuery) (data.Frames, error) {
		return nil, &upstream.Error{Source: "Pulse", Kind: upstream.KindHTTP, Status: 401, Message: "Pulse: " + huge[:181] + secret + "\xff" + huge}
	})
	msg := resp.Error.Error()
	if len(msg) > upstream.MaxMessage || !utf8.ValidString(msg) || strings.Contains(msg, secret[:8]) {
		t.Errorf("%d bytes: %q", len(msg), msg[:50])
	}
	if resp.Status != backend.StatusUnauthorized || resp.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("status %d, source %s", resp.Status, resp.ErrorSource)
	}

	resp = handle(t, func(context.Context, *testQuery) (data.Frames, error) {
		f := data.NewFrame("x")
		f.Meta = &data.FrameMeta{ExecutedQueryString: "GET https://u:pw@pulse/x?token=" + secret + "\n" + strings.Repeat("GET /page\n", 10000)}
		return data.Frames{f, nil}, nil
	})
	if len(resp.Frames) != 1 {
		t.Fatalf("the nil frame was kept: %d frames", len(resp.Frames))
	}
	ex := resp.Frames[0].Meta.ExecutedQueryString
	if strings.Contains(ex, secret) || strings.Contains(ex, ":pw@") || len(ex) > MaxExecuted || !strings.HasPrefix(ex, "GET https://u:[redacted]@pulse/x?token=[redacted]\nGET /page\n") {
		t.Errorf("%d bytes: %q", len(ex), ex[:80])
	}

	resp = handle(t, func(context.Context, *testQuery) (data.Frames, error) {
		panic(fmt.Sprintf("index out of range in %s\xff", secret))
	})
	if resp.Status != backend.StatusInternal || !strings.Contains(resp.Error.Error(), "see the Grafana server log") {
		t.Errorf("%d %v", resp.Status, resp.Error)
	}
}

func TestHandleBadQuery(t *testing.T) {
	resp := Handle[testQuery](context.Background(), backend.DataQuery{JSON: []byte(`{"Name":"invalid"}`)}, nil)
	if resp.Status != backend.StatusBadRequest || resp.Error.Error() != "invalid query: name must not be invalid" {
		t.Errorf("%d %v", resp.Status, resp.Error)
	}
}

func TestCleanResponseKeepsStatusAndSource(t *testing.T) {
	orig := &upstream.Error{Kind: upstream.KindTimeout, Message: "late " + secret}
	r := CleanResponse(backend.DataResponse{Error: orig, Status: backend.StatusTimeout, ErrorSource: backend.ErrorSourceDownstream}, []string{secret})
	if r.Error.Error() != "late [redacted]" || r.Status != backend.StatusTimeout || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("%+v", r)
	}
	var ue *upstream.Error
	if !errors.As(r.Error, &ue) {
		t.Error("the cleaned error no longer wraps the original")
	}
	if r := CleanResponse(backend.DataResponse{Error: errors.New("fine")}, nil); r.Error.Error() != "fine" {
		t.Error(r.Error)
	}
}

func TestResourceErrorsAreCleaned(t *testing.T) {
	h := CleanResources(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain":
			WriteFailure(w, fmt.Errorf("dial https://admin:pw@host: %s \xff %s", secret, strings.Repeat("x", 10<<20)))
		case "/upstream":
			WriteFailure(w, &upstream.Error{Kind: upstream.KindHTTP, Status: 401, Message: "bad token " + secret})
		case "/ctx":
			WriteError(w, 400, strings.Join(SecretsFrom(r.Context()), ""))
		}
	}), []string{secret})
	for path, want := range map[string]string{
		"/upstream": `{"message":"bad token [redacted]"}`,
		"/ctx":      `{"message":"[redacted]"}`,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("%s: %s", path, got)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/plain", nil))
	body := rec.Body.String()
	if rec.Code != 500 || len(body) > upstream.MaxMessage+20 || strings.Contains(body, secret) || strings.Contains(body, ":pw@") || !utf8.ValidString(body) {
		t.Errorf("%d, %d bytes: %.100s", rec.Code, len(body), body)
	}
}
