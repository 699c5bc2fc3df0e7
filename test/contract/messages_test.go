package contract

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/internal/sandbox"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Secrets planted in the source a hostile upstream answers for: distinctive
// enough that any 6 characters of them found in an answer are a leak.
const (
	msgPulseToken  = "Zq8Lm3Vx7Rt2Kp9Wn4Hs"
	msgOnAppKey    = "Yb5Nc8Xd2Qf7Gj3Mk6Pr"
	msgOVHConsumer = "Ck4Tw9Ez1Ua6Io3Lv8Ye"
	msgOVHSecret   = "As2Dg5Fh8Jk1Lz4Xc7Vb"
)

// msgSecrets are the planted secrets and the Authorization header OnApp
// sends with its key (basic auth: the base64 of user:key).
var msgSecrets = []string{msgPulseToken, msgOnAppKey, msgOVHConsumer, msgOVHSecret,
	base64.StdEncoding.EncodeToString([]byte(sandbox.OnAppUser + ":" + msgOnAppKey))}

// msgHostile answers every call below /<mode>/ the way mode says:
//
//	401, 401text  a 401 whose body (JSON or plain text) holds invalid
//	              UTF-8 and echoes the credential after 185 characters
//	500, 500text  a 500 with a 10 MB message, invalid UTF-8 and echoed
//	              credentials in it
//	routes        a Pulse routes report whose route names hold invalid
//	              UTF-8 (and an empty one for any other Pulse report)
func msgHostile(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if strings.HasSuffix(r.URL.Path, "/auth/time") { // the OVH clock, so that the signed calls are made
			fmt.Fprint(w, time.Now().Unix())
			return
		}
		// The credential the plugin sent, echoed where a message cut at 200
		// characters before scrubbing would show its first 15.
		cred := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, key, ok := r.BasicAuth(); ok {
			cred = key
		}
		if c := r.Header.Get("X-Ovh-Consumer"); c != "" {
			cred = c
		}
		echo := cred + " is not valid (you sent " + r.Header.Get("Authorization") + ") — réessayez \xff\xfe end"
		if strings.HasSuffix(mode, "text") {
			echo += "\x00\x1b[2J" // control characters: JSON cannot carry them raw, plain text can
		}
		text := strings.Repeat("abcd ", 37) + echo // the echo starts at character (and byte) 185
		if strings.HasPrefix(mode, "500") {
			var b strings.Builder
			b.WriteString(text)
			for b.Len() < 10<<20 {
				b.WriteString(" ça \xe2\x82 casse" + echo)
			}
			text = b.String()
		}
		switch mode {
		case "401", "500":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(map[string]int{"401": 401, "500": 500}[mode])
			fmt.Fprintf(w, `{"message":"%s","errors":["%s"]}`, text, text[:min(len(text), 300)])
		case "401text", "500text":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(map[string]int{"401text": 401, "500text": 500}[mode])
			fmt.Fprint(w, text)
		case "routes":
			w.Header().Set("Content-Type", "application/json")
			if !strings.HasSuffix(r.URL.Path, "/stats/routes") || r.URL.Query().Get("page") > "1" {
				fmt.Fprint(w, `[]`)
				return
			}
			fmt.Fprint(w, "[{\"route\":\"/api/caf\xe9/menu\",\"totalRequests\":5},{\"route\":\"/api/\xff\xfe\",\"totalRequests\":4},{\"route\":\"/ok\",\"totalRequests\":3}]")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// msgDataSource configures every source against the sandbox but one, kind,
// against the hostile upstream in mode, with planted secrets.
func msgDataSource(kind, mode, sandboxBase, hostile string) DataSource {
	ds := sandboxDataSource("messages-"+kind+"-"+mode, sandboxBase)
	ds.Updated = time.Now()
	base := hostile + "/" + mode
	switch kind {
	case "usage":
		ds.JSONData["pulseUrl"] = base
		ds.Secure["pulseToken"] = msgPulseToken
	case "cdnBandwidth":
		ds.JSONData["onappUrl"] = base
		ds.Secure["onappApiKey"] = msgOnAppKey
	case "telephony":
		ds.JSONData["ovhEndpoint"] = base
		ds.Secure["ovhConsumerKey"] = msgOVHConsumer
		ds.Secure["ovhApplicationSecret"] = msgOVHSecret
	}
	return ds
}

// msgQuery is one query of a type, over a range the sandbox has data for.
func msgQuery(refID, kind string) Query {
	from, to := usageRange(2 * time.Hour)
	q := Query{RefID: refID, QueryType: kind, From: from, To: to}
	switch kind {
	case "usage":
		q.JSON = map[string]any{"report": "requests"}
	case "cdnBandwidth":
		q.JSON = map[string]any{"type": "GB", "groupBy": "resource"}
	case "telephony":
		q.JSON = map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"rtpMos"}}
	}
	return q
}

// checkMsgText fails t unless text is valid UTF-8, at most limit bytes
// (none when 0), and holds no 6 characters of a planted secret.
func checkMsgText(t *testing.T, what, text string, limit int) {
	t.Helper()
	if !utf8.ValidString(text) {
		t.Errorf("%s is not valid UTF-8: %.200q", what, text)
	}
	if limit > 0 && len(text) > limit {
		t.Errorf("%s: %d bytes, more than %d", what, len(text), limit)
	}
	for _, sec := range msgSecrets {
		for i := 0; i+6 <= len(sec); i++ {
			if at := strings.Index(text, sec[i:i+6]); at >= 0 {
				t.Errorf("%s shows %q of secret %q: …%.300q", what, sec[i:i+6], sec, text[max(0, at-150):])
				break
			}
		}
	}
}

// checkMsgFrames checks every frame of an answer: its JSON (values, names,
// labels, meta) valid and free of secrets, each notice bounded.
func checkMsgFrames(t *testing.T, what string, frames data.Frames) {
	t.Helper()
	for i, f := range frames {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatalf("%s frame %d: %v", what, i, err)
		}
		checkMsgText(t, fmt.Sprintf("%s frame %d", what, i), string(b), 0)
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				checkMsgText(t, what+" notice", n.Text, upstream.MaxMessage)
			}
		}
	}
}

func TestMessagesFromHostileUpstreams(t *testing.T) {
	_, sbBase := startSandbox(t, sandbox.Config{})
	hostile := msgHostile(t)
	sibling := map[string]string{"usage": "cdnBandwidth", "cdnBandwidth": "usage", "telephony": "usage"}
	for _, kind := range []string{"usage", "cdnBandwidth", "telephony"} {
		for _, mode := range []string{"401", "401text", "500", "500text"} {
			t.Run(kind+"/"+mode, func(t *testing.T) {
				ds := msgDataSource(kind, mode, sbBase, hostile)
				ctx := ctxT(t)
				resp, err := host.QueryData(ctx, ds, msgQuery("bad", kind), msgQuery("sibling", sibling[kind]))
				if err != nil {
					t.Fatalf("the whole request failed: %v", err)
				}
				bad, sib := resp.Responses["bad"], resp.Responses["sibling"]
				if sib.Error != nil || len(sib.Frames) == 0 {
					t.Errorf("the sibling %s query did not answer: %v", sibling[kind], sib.Error)
				}
				if bad.Error == nil && !msgAnyNotice(bad.Frames) {
					t.Fatalf("the hostile upstream's answer was taken as data: %d frames", len(bad.Frames))
				}
				if bad.Error != nil {
					t.Logf("query error: %.400s", bad.Error)
					checkMsgText(t, "query error", bad.Error.Error(), upstream.MaxMessage)
					if bad.ErrorSource != backend.ErrorSourceDownstream {
						t.Errorf("error source %q, want downstream: %s", bad.ErrorSource, bad.Error)
					}
				}
				checkMsgFrames(t, "hostile answer", bad.Frames)

				h, err := host.CheckHealth(ctx, ds)
				if err != nil {
					t.Fatalf("the health check failed whole: %v", err)
				}
				if h.Status != backend.HealthStatusError {
					t.Errorf("health %v: %s", h.Status, h.Message)
				}
				checkMsgText(t, "health message", h.Message, upstream.MaxMessage)
				checkMsgText(t, "health details", string(h.JSONDetails), 0)
				if strings.Count(h.Message, ": OK") != 2 {
					t.Errorf("the two sandbox sources should be OK:\n%s", h.Message)
				}
			})
		}
	}
	checkMsgText(t, "the plugin's log", host.Logs(), 0)
}

func msgAnyNotice(frames data.Frames) bool {
	for _, f := range frames {
		if f.Meta != nil && len(f.Meta.Notices) > 0 {
			return true
		}
	}
	return false
}

func TestMessagesInvalidUTF8RouteNames(t *testing.T) {
	_, sbBase := startSandbox(t, sandbox.Config{})
	ds := msgDataSource("usage", "routes", sbBase, msgHostile(t))
	from, to := usageRange(2 * time.Hour)
	resp, err := host.QueryData(ctxT(t), ds,
		Query{RefID: "R", QueryType: "usage", JSON: map[string]any{"report": "routes"}, From: from, To: to},
		msgQuery("sibling", "cdnBandwidth"))
	if err != nil {
		t.Fatalf("the whole request failed: %v", err)
	}
	if sib := resp.Responses["sibling"]; sib.Error != nil || len(sib.Frames) == 0 {
		t.Errorf("the sibling query did not answer: %v", sib.Error)
	}
	r := resp.Responses["R"]
	if r.Error != nil || len(r.Frames) != 1 {
		t.Fatalf("%v, %d frames", r.Error, len(r.Frames))
	}
	f := r.Frames[0]
	var routes []string
	for _, field := range f.Fields {
		for i := 0; i < field.Len(); i++ {
			switch v := field.At(i).(type) {
			case string:
				routes = append(routes, v)
			case *string:
				if v != nil {
					routes = append(routes, *v)
				}
			}
		}
	}
	for _, v := range routes {
		if !utf8.ValidString(v) {
			t.Errorf("route %q is not valid UTF-8", v)
		}
	}
	for _, want := range []string{"/api/caf\uFFFD/menu", "/api/\uFFFD\uFFFD", "/ok"} {
		if !strings.Contains(strings.Join(routes, "\n"), want) {
			t.Errorf("route %q missing from %q", want, routes)
		}
	}
	var notice string
	if f.Meta != nil {
		for _, n := range f.Meta.Notices {
			if strings.Contains(n.Text, "UTF-8") {
				notice = n.Text
			}
		}
	}
	t.Logf("notice: %s", notice)
	if !strings.Contains(notice, "2 values") || !strings.Contains(notice, "not valid UTF-8") || !strings.Contains(notice, "\uFFFD") {
		t.Errorf("no notice counting the 2 values replaced: %+v", f.Meta)
	}

	res, err := host.CallResource(ctxT(t), ds, "GET", "usage/routes")
	if err != nil {
		t.Fatal(err)
	}
	var options []struct{ Value string }
	if err := json.Unmarshal(res.Body, &options); err != nil || res.Status != 200 || !utf8.Valid(res.Body) {
		t.Fatalf("%d %v %q", res.Status, err, res.Body)
	}
	// The variable's values are the frame's values, byte for byte.
	for i, want := range []string{"/api/caf\uFFFD/menu", "/api/\uFFFD\uFFFD", "/ok"} {
		if i >= len(options) || options[i].Value != want || !strings.Contains(strings.Join(routes, "\n"), options[i].Value) {
			t.Errorf("option %d: %+v, want %q", i, options, want)
		}
	}
}
