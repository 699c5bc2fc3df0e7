package contract

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/opsdeck/servicestats/internal/sandbox"

	"github.com/opsdeck/servicestats/internal/testutil"
)

// tlsSandbox serves the sandbox over HTTPS with a certificate for 127.0.0.1
// that ca signed; with clientCA, it requires a client certificate that
// clientCA signed.
func tlsSandbox(t *testing.T, ca *testutil.CA, clientCA *testutil.CA) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(sandbox.New(sandbox.Config{}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, []string{"127.0.0.1"}).TLS}}
	if clientCA != nil {
		pool := x509.NewCertPool()
		pool.AddCert(clientCA.Cert)
		srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
	}
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// only keeps the settings of one source (by key prefix) of a sandbox data
// source, so that health and queries concern that source alone.
func only(ds DataSource, prefix string) DataSource {
	out := DataSource{UID: ds.UID, JSONData: map[string]any{}, Secure: map[string]string{}}
	for k, v := range ds.JSONData {
		if strings.HasPrefix(k, prefix) || k == "timeoutSeconds" {
			out.JSONData[k] = v
		}
	}
	for k, v := range ds.Secure {
		if strings.HasPrefix(k, prefix) {
			out.Secure[k] = v
		}
	}
	return out
}

// tlsSeen collects every answer, health detail and resource body of a test,
// to search them for the PEMs.
type tlsSeen struct{ strings.Builder }

func (s *tlsSeen) add(v any) {
	b, _ := json.Marshal(v)
	s.Write(b)
	s.WriteByte('\n')
}

// checkHealthLine runs the health check and returns the source's line; ok
// says whether the line must be OK.
func checkHealthLine(t *testing.T, seen *tlsSeen, ds DataSource, source string) (string, bool) {
	t.Helper()
	h, err := host.CheckHealth(ctxT(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	seen.add(h.Message) // as text: the JSON of the result would hold the details in base64
	seen.Write(h.JSONDetails)
	var details struct {
		Sources []struct {
			Source  string `json:"source"`
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(h.JSONDetails, &details); err != nil {
		t.Fatal(err)
	}
	for _, s := range details.Sources {
		if s.Source == source {
			if s.OK != (h.Status == backend.HealthStatusOk) {
				t.Fatalf("health %v but the line says ok=%v: %q", h.Status, s.OK, h.Message)
			}
			return s.Message, s.OK
		}
	}
	t.Fatalf("no health line for %s: %s", source, h.JSONDetails)
	return "", false
}

// queryOne sends one query and returns its answer.
func queryOne(t *testing.T, seen *tlsSeen, ds DataSource, q Query) backend.DataResponse {
	t.Helper()
	now := time.Now()
	q.From, q.To = now.Add(-2*time.Hour), now
	resp, err := host.QueryData(ctxT(t), ds, q)
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses[q.RefID]
	if r.Error != nil {
		seen.add(r.Error.Error())
	}
	for _, f := range r.Frames {
		seen.add(f)
	}
	return r
}

var (
	tlsUsageQuery     = Query{RefID: "U", QueryType: "usage", JSON: map[string]any{"report": "requests"}}
	tlsCDNQuery       = Query{RefID: "C", QueryType: "cdnBandwidth", JSON: map[string]any{"type": "GB", "groupBy": "resource"}}
	tlsTelephonyQuery = Query{RefID: "T", QueryType: "telephony", JSON: map[string]any{"billingAccount": "ab12345-ovh-1", "lines": []string{"0033123456789"}, "metrics": []string{"rtpMos"}}}
)

// wantFailure checks a query's error and the source's health line.
func wantFailure(t *testing.T, seen *tlsSeen, ds DataSource, q Query, healthName, want string) {
	t.Helper()
	r := queryOne(t, seen, ds, q)
	if r.Error == nil || r.Error.Error() != want {
		t.Errorf("query error:\n got %v\nwant %q", r.Error, want)
	}
	line, ok := checkHealthLine(t, seen, ds, healthName)
	_, rest, _ := strings.Cut(want, ": ")
	if wantLine := healthName + ": " + rest; ok || line != wantLine {
		t.Errorf("health line:\n got %q\nwant %q", line, wantLine)
	}
}

// wantSuccess checks that a query answers and the health line is OK.
func wantSuccess(t *testing.T, seen *tlsSeen, ds DataSource, q Query, healthName string) {
	t.Helper()
	if r := queryOne(t, seen, ds, q); r.Error != nil || len(r.Frames) == 0 {
		t.Errorf("query: %v (%d frames)", r.Error, len(r.Frames))
	}
	if line, ok := checkHealthLine(t, seen, ds, healthName); !ok {
		t.Errorf("health: %q", line)
	}
}

// noPEMPiece fails when any 8-character piece of the PEMs' base64 lines
// appears in text (the BEGIN and END lines are the format's, not secret).
func noPEMPiece(t *testing.T, where, text string, pems ...string) {
	t.Helper()
	for _, p := range pems {
		for _, line := range strings.Split(p, "\n") {
			if strings.HasPrefix(line, "-----") {
				continue
			}
			for i := 0; i+8 <= len(line); i++ {
				if strings.Contains(text, line[i:i+8]) {
					j := strings.Index(text, line[i:i+8])
					t.Fatalf("%s holds %q, a piece of a PEM secret: …%s…", where, line[i:i+8], text[max(j-200, 0):min(j+200, len(text))])
				}
			}
		}
	}
}

// TestTLSPulseWithTheCompanyCA reaches a Pulse server whose certificate a
// CA made in the test signed: with pulseTlsAuthWithCACert and the CA the
// queries and the health check answer; without it both fail in plain words.
func TestTLSPulseWithTheCompanyCA(t *testing.T) {
	ca := testutil.NewCA(t, "Company CA")
	base := tlsSandbox(t, ca, nil)
	var seen tlsSeen

	with := only(sandboxDataSource("tls-pulse-ca", base), "pulse")
	with.JSONData["pulseTlsAuthWithCACert"] = true
	with.Secure["pulseTlsCACert"] = ca.PEM
	wantSuccess(t, &seen, with, tlsUsageQuery, "Usage (Pulse)")
	if res, err := host.CallResource(ctxT(t), with, "GET", "usage/enterprises"); err != nil || res.Status != http.StatusOK {
		t.Errorf("resource: %v %+v", err, res)
	} else {
		seen.Write(res.Body)
	}

	without := only(sandboxDataSource("tls-pulse-noca", base), "pulse")
	wantFailure(t, &seen, without, tlsUsageQuery, "Usage (Pulse)",
		"Pulse: the server's certificate is signed by an unknown authority — set the CA certificate under Usage → TLS")
	res, err := host.CallResource(ctxT(t), without, "GET", "usage/enterprises")
	if err != nil {
		t.Fatal(err)
	}
	if want := "the server's certificate is signed by an unknown authority"; res.Status != http.StatusBadGateway || !strings.Contains(string(res.Body), want) {
		t.Errorf("resource: %d %s, want 502 saying %q", res.Status, res.Body, want)
	}

	other := only(sandboxDataSource("tls-pulse-otherca", base), "pulse")
	other.JSONData["pulseTlsAuthWithCACert"] = true
	other.Secure["pulseTlsCACert"] = testutil.NewCA(t, "Other CA").PEM
	wantFailure(t, &seen, other, tlsUsageQuery, "Usage (Pulse)",
		"Pulse: the server's certificate is signed by an unknown authority — set the CA certificate under Usage → TLS")

	noPEMPiece(t, "an answer", seen.String(), ca.PEM, other.Secure["pulseTlsCACert"])
	noPEMPiece(t, "the plugin log", host.Logs(), ca.PEM, other.Secure["pulseTlsCACert"])
}

// TestTLSOnAppClientCertificate reaches an OnApp server that requires a
// client certificate: with onappTlsAuth and the pair the queries and health
// answer; without a certificate, or with one it does not accept, they fail
// in plain words.
func TestTLSOnAppClientCertificate(t *testing.T) {
	serverCA, clientCA := testutil.NewCA(t, "Server CA"), testutil.NewCA(t, "Client CA")
	base := tlsSandbox(t, serverCA, clientCA)
	client := clientCA.Issue(t, nil)
	var seen tlsSeen

	ds := only(sandboxDataSource("tls-onapp-cert", base), "onapp")
	ds.JSONData["onappTlsAuthWithCACert"] = true
	ds.JSONData["onappTlsAuth"] = true
	ds.Secure["onappTlsCACert"] = serverCA.PEM
	ds.Secure["onappTlsClientCert"] = client.CertPEM
	ds.Secure["onappTlsClientKey"] = client.KeyPEM
	wantSuccess(t, &seen, ds, tlsCDNQuery, "CDN bandwidth (OnApp)")
	if res, err := host.CallResource(ctxT(t), ds, "GET", "cdn/resources"); err != nil || res.Status != http.StatusOK {
		t.Errorf("resource: %v %+v", err, res)
	} else {
		seen.Write(res.Body)
	}

	none := only(sandboxDataSource("tls-onapp-nocert", base), "onapp")
	none.JSONData["onappTlsAuthWithCACert"] = true
	none.Secure["onappTlsCACert"] = serverCA.PEM
	wantFailure(t, &seen, none, tlsCDNQuery, "CDN bandwidth (OnApp)",
		"OnApp CDN: the server requires a client certificate — turn on client authentication and set the client certificate and key under CDN bandwidth → TLS")

	stranger := testutil.NewCA(t, "Stranger CA").Issue(t, nil)
	wrong := only(sandboxDataSource("tls-onapp-wrongcert", base), "onapp")
	wrong.JSONData["onappTlsAuthWithCACert"] = true
	wrong.JSONData["onappTlsAuth"] = true
	wrong.Secure["onappTlsCACert"] = serverCA.PEM
	wrong.Secure["onappTlsClientCert"] = stranger.CertPEM
	wrong.Secure["onappTlsClientKey"] = stranger.KeyPEM
	wantFailure(t, &seen, wrong, tlsCDNQuery, "CDN bandwidth (OnApp)",
		"OnApp CDN: the server requires a client certificate from a CA it accepts, and the one under CDN bandwidth → TLS is not from one, so none was sent — set the client certificate and key issued by the server's client CA")

	// A key that does not parse fails the CDN source alone, naming the key.
	broken := only(sandboxDataSource("tls-onapp-badkey", base), "onapp")
	for k, v := range ds.JSONData {
		broken.JSONData[k] = v
	}
	for k, v := range ds.Secure {
		broken.Secure[k] = v
	}
	// Not a key (base64 of "not a key at all, just text here"); the PEM markers
	// are joined at run time so that secret scanners do not flag the file.
	broken.Secure["onappTlsClientKey"] = "-----BEGIN " + "PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbCwganVzdCB0ZXh0IGhlcmU=\n-----END " + "PRIVATE KEY-----\n"
	pulse := only(sandboxDataSource("tls-onapp-badkey", tlsSandbox(t, serverCA, nil)), "pulse")
	for k, v := range pulse.JSONData {
		broken.JSONData[k] = v
	}
	for k, v := range pulse.Secure {
		broken.Secure[k] = v
	}
	broken.JSONData["pulseTlsAuthWithCACert"] = true
	broken.Secure["pulseTlsCACert"] = serverCA.PEM
	r := queryOne(t, &seen, broken, tlsCDNQuery)
	want := "CDN bandwidth (OnApp) cannot start: onappTlsClientCert and onappTlsClientKey do not make a pair: the private key cannot be read, or does not belong to the certificate — paste the key of that certificate (unencrypted PEM)"
	if r.Error == nil || r.Error.Error() != want {
		t.Errorf("a broken key:\n got %v\nwant %q", r.Error, want)
	}
	if r := queryOne(t, &seen, broken, tlsUsageQuery); r.Error != nil {
		t.Errorf("the Usage source fails with the CDN's broken key: %v", r.Error)
	}
	if line, _ := checkHealthLine(t, &seen, broken, "CDN bandwidth (OnApp)"); line != want {
		t.Errorf("health line of the broken key:\n got %q\nwant %q", line, want)
	}

	pems := []string{serverCA.PEM, client.CertPEM, client.KeyPEM, stranger.CertPEM, stranger.KeyPEM, broken.Secure["onappTlsClientKey"]}
	noPEMPiece(t, "an answer", seen.String(), pems...)
	noPEMPiece(t, "the plugin log", host.Logs(), pems...)
}

// TestTLSOVHSkipVerifyOnACustomEndpoint reaches the OVH sandbox behind TLS
// at a custom ovhEndpoint: with ovhTlsSkipVerify the query answers (the
// signed calls and the API clock alike); without it the query fails in
// plain words.
func TestTLSOVHSkipVerifyOnACustomEndpoint(t *testing.T) {
	base := tlsSandbox(t, testutil.NewCA(t, "Unknown CA"), nil)
	var seen tlsSeen

	skip := only(sandboxDataSource("tls-ovh-skip", base), "ovh")
	skip.JSONData["ovhTlsSkipVerify"] = true
	wantSuccess(t, &seen, skip, tlsTelephonyQuery, "Telephony QoS (OVHcloud)")

	strict := only(sandboxDataSource("tls-ovh-strict", base), "ovh")
	wantFailure(t, &seen, strict, tlsTelephonyQuery, "Telephony QoS (OVHcloud)",
		"OVHcloud: the server's certificate is signed by an unknown authority — set the CA certificate under Telephony QoS → TLS")
}
