package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"google.golang.org/protobuf/proto"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// hostileSource says what a hostile upstream makes a source say: huge
// messages holding invalid UTF-8 and the configured secrets; or panics.
type hostileSource struct {
	msg   string
	panic bool
}

func (h *hostileSource) HandleQuery(_ context.Context, q backend.DataQuery) backend.DataResponse {
	if h.panic {
		panic("source bug: " + h.msg[:100])
	}
	if q.RefID == "frames" {
		f := data.NewFrame("f", data.NewField("v", nil, []float64{1}))
		f.Meta = &data.FrameMeta{ExecutedQueryString: "GET /x " + h.msg, Notices: []data.Notice{{Text: h.msg}}}
		return backend.DataResponse{Frames: data.Frames{f}}
	}
	return backend.ErrDataResponseWithSource(backend.StatusUnauthorized, backend.ErrorSourceDownstream, h.msg)
}

func (h *hostileSource) CheckHealth(context.Context) (string, error) {
	if h.panic {
		panic("source bug: " + h.msg[:100])
	}
	return "", errors.New(h.msg)
}

func (h *hostileSource) Resources() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if h.panic {
			panic("source bug")
		}
		source.WriteFailure(w, errors.New(h.msg))
	})
}

func (h *hostileSource) Dispose() {}

// hostileMessage is 10 MB of upstream text that holds invalid UTF-8, a NUL,
// a URL password and every secret of allConfigured (one of them after ~180
// characters, where a cut at 200 would split it), base64 of the OnApp pair
// included.
func hostileMessage() string {
	var b strings.Builder
	b.WriteString("Pulse: " + strings.Repeat("é", 86) + " token top-secret-pulse-token rejected \xff\xfe\x00 ")
	b.WriteString("see https://admin:hunter2@%zz/ and Basic c3JlQGV4YW1wbGUuY29tOnRvcC1zZWNyZXQtb25hcHAta2V5 ")
	b.WriteString("top-secret-ovh-as top-secret-ovh-ck top-secret-onapp-key ")
	for b.Len() < 10<<20 {
		b.WriteString("\xe2\x82 more text ")
	}
	return b.String()
}

var allSecrets = []string{"top-secret-ovh-as", "top-secret-ovh-ck", "top-secret-onapp-key", "top-secret-pulse-token", "hunter2", "c3JlQGV4YW1wbGUuY29tOnRvcC1zZWNyZXQtb25hcHAta2V5"}

func checkMessage(t *testing.T, what, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) || len(msg) > upstream.MaxMessage || strings.ContainsRune(msg, 0) {
		t.Errorf("%s: %d bytes, valid %v", what, len(msg), utf8.ValidString(msg))
	}
	for _, s := range allSecrets {
		if strings.Contains(msg, s[:min(len(s), 8)]) {
			t.Errorf("%s shows %q: %.300s", what, s, msg)
		}
	}
}

func hostileDatasource(t *testing.T, h *hostileSource) *Datasource {
	t.Helper()
	specs := make([]sourceSpec, len(sourceSpecs))
	copy(specs, sourceSpecs)
	for i := range specs {
		specs[i].factory = func(*models.Settings, source.Deps) (source.Source, error) { return h, nil }
	}
	d, err := newDatasource(allConfigured, specs)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestQueryDataCleansEveryAnswer(t *testing.T) {
	d := hostileDatasource(t, &hostileSource{msg: hostileMessage()})
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "err", QueryType: "usage"}, {RefID: "frames", QueryType: "usage"},
		{RefID: "odd", QueryType: strings.Repeat("\xff", 1<<20)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e := resp.Responses["err"]
	checkMessage(t, "query error", e.Error.Error())
	if e.Status != backend.StatusUnauthorized || e.ErrorSource != backend.ErrorSourceDownstream {
		t.Errorf("status %d, source %s", e.Status, e.ErrorSource)
	}
	checkMessage(t, "unknown query type", resp.Responses["odd"].Error.Error())
	meta := resp.Responses["frames"].Frames[0].Meta
	checkMessage(t, "notice", meta.Notices[0].Text)
	if len(meta.ExecutedQueryString) > source.MaxExecuted || strings.Contains(meta.ExecutedQueryString, "top-secret") {
		t.Errorf("executed query: %d bytes", len(meta.ExecutedQueryString))
	}
	// What Grafana receives: the gRPC answer marshals.
	p, err := backend.ToProto().QueryDataResponse(backend.DataFrameFormat_ARROW, resp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proto.Marshal(p); err != nil {
		t.Fatalf("the answer would not reach Grafana: %v", err)
	}
}

func TestHealthIsCleaned(t *testing.T) {
	d := hostileDatasource(t, &hostileSource{msg: hostileMessage()})
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, "health message", res.Message)
	if strings.Count(res.Message, "\n") != 2 {
		t.Errorf("one line per source expected:\n%.400s", res.Message)
	}
	var details struct{ Sources []sourceHealth }
	if err := json.Unmarshal(res.JSONDetails, &details); err != nil || len(details.Sources) != 3 {
		t.Fatalf("%v %s", err, res.JSONDetails)
	}
	for _, s := range details.Sources {
		checkMessage(t, s.Source, s.Message)
	}
	if _, err := proto.Marshal(backend.ToProto().CheckHealthResponse(res)); err != nil {
		t.Fatal(err)
	}
}

func TestResourceErrorsAreCleaned(t *testing.T) {
	d := hostileDatasource(t, &hostileSource{msg: hostileMessage()})
	for _, path := range []string{"usage/routes", "cdn/resources"} {
		var got *backend.CallResourceResponse
		err := d.CallResource(context.Background(), &backend.CallResourceRequest{Method: "GET", Path: path, URL: path},
			backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Message string }
		if err := json.Unmarshal(got.Body, &body); err != nil {
			t.Fatalf("%s: %v %.200s", path, err, got.Body)
		}
		checkMessage(t, path, body.Message)
	}
}

func TestSourcePanicsFailOnlyTheirQuery(t *testing.T) {
	d := hostileDatasource(t, &hostileSource{msg: hostileMessage(), panic: true})
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		{RefID: "A", QueryType: "usage"}, {RefID: "B", QueryType: "bogus"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Responses["A"]; r.Status != backend.StatusInternal || !strings.Contains(r.Error.Error(), "Grafana server log") {
		t.Errorf("%d %v", r.Status, r.Error)
	}
	if r := resp.Responses["B"]; r.Status != backend.StatusBadRequest {
		t.Errorf("the sibling: %d %v", r.Status, r.Error)
	}
	res, err := d.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil || res.Status != backend.HealthStatusError || !strings.Contains(res.Message, "internal error while checking this source") {
		t.Errorf("%v %+v", err, res)
	}
}
