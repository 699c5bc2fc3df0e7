// Command server serves the editors' browser harness (tests/browser/page, built into
// dist-harness/) the way Grafana would serve the plugin's editors: the
// sandbox of the three upstream APIs runs in-process, the BUILT plugin binary
// is launched over gRPC with test/contract's host, and the harness page's
// requests reach it through Grafana's own URLs:
//
//	GET  /api/datasources/uid/servicestats/resources/<path>  → CallResource
//	POST /api/ds/query                                       → QueryData
//	GET  /harness/settings                                   the data source's jsonData (no secrets)
//	GET  /public/fonts/...                                   Grafana's web fonts, from Debian's font packages
//	GET  /...                                                dist-harness/ (the page and its bundle)
//
// The data source is configured against the sandbox with the contract
// tests' settings (contract.SandboxDataSource), as if saved in Grafana.
//
//	npm run build:harness && go run ./tests/browser/server
//
// It prints "harness: http://127.0.0.1:PORT" once ready and serves until
// SIGINT or SIGTERM, or until its standard input is closed when that is a
// pipe (so that a test driving it never leaves it behind).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
	"github.com/opsdeck/servicestats/test/contract"
)

// DataSourceUID is the uid the harness page's DataSource is constructed with.
const DataSourceUID = "servicestats"

const resourcesPrefix = "/api/datasources/uid/" + DataSourceUID + "/resources/"

func main() {
	log.SetFlags(0)
	log.SetPrefix("harness: ")

	addr := flag.String("addr", "127.0.0.1:0", "listen address of the harness (port 0: any free port)")
	static := flag.String("static", "dist-harness", "directory of the built harness page (npm run build:harness)")
	binary := flag.String("plugin", "", "plugin binary (default: $SERVICESTATS_PLUGIN_BINARY, else dist/gpx_servicestats_<os>_<arch>)")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()

	if err := run(*addr, *static, *binary, *verbose); err != nil {
		log.Fatal(err)
	}
}

func run(addr, static, binary string, verbose bool) error {
	if _, err := os.Stat(filepath.Join(static, "index.html")); err != nil {
		return fmt.Errorf("harness page not built (npm run build:harness): %w", err)
	}
	if binary == "" {
		var err error
		if binary, err = contract.BinaryPath(); err != nil {
			return err
		}
	}

	// The sandbox, on its own loopback listener: the plugin calls it over HTTP like the real APIs.
	sbLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sbSrv := &http.Server{Handler: sandbox.New(sandbox.Config{}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = sbSrv.Serve(sbLn) }()
	defer sbSrv.Close()
	sandboxURL := "http://" + sbLn.Addr().String()

	host, err := contract.Launch(binary)
	if err != nil {
		return fmt.Errorf("launch %s: %w", binary, err)
	}
	defer host.Close()

	ds := contract.SandboxDataSource(DataSourceUID, sandboxURL)
	h := &handler{host: host, ds: ds, files: http.FileServer(http.Dir(static))}
	var root http.Handler = h.routes()
	if verbose {
		root = logRequests(root)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: root, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("harness: http://%s (sandbox %s, plugin %s pid %d)\n", ln.Addr(), sandboxURL, binary, host.PID())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdinClosed := watchStdin()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	case <-stdinClosed:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	return nil
}

// watchStdin is closed when standard input, if it is a pipe, reaches its end.
// A terminal or /dev/null is not watched (Ctrl-C or a signal stops the server).
func watchStdin() <-chan struct{} {
	done := make(chan struct{})
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return done
	}
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(done)
	}()
	return done
}

type handler struct {
	host  *contract.Host
	ds    contract.DataSource
	files http.Handler
}

func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(resourcesPrefix, h.resource)
	mux.HandleFunc("POST /api/ds/query", h.query)
	mux.HandleFunc("GET /harness/settings", h.settings)
	mux.HandleFunc("GET /public/fonts/", fonts)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "not served by the harness: " + r.URL.Path})
	})
	mux.Handle("/", h.files)
	return mux
}

// resource forwards a resource call to the plugin as Grafana does: the path
// below .../resources/ and the raw query string.
func (h *handler) resource(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "the editors only read resources"})
		return
	}
	pathAndQuery := strings.TrimPrefix(r.URL.EscapedPath(), resourcesPrefix)
	if r.URL.RawQuery != "" {
		pathAndQuery += "?" + r.URL.RawQuery
	}
	resp, err := h.host.CallResource(r.Context(), h.ds, r.Method, pathAndQuery)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "CallResource: " + err.Error()})
		return
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(resp.Body)
}

// queryRequest is the body of Grafana's POST /api/ds/query.
type queryRequest struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Queries []json.RawMessage `json:"queries"`
}

// query runs the queries through the plugin's QueryData and answers the
// SDK's JSON form ({"results": {"A": {"frames": [...]}}}), which is Grafana's.
func (h *handler) query(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad request: " + err.Error()})
		return
	}
	from, errFrom := epochMillis(req.From)
	to, errTo := epochMillis(req.To)
	if err := errors.Join(errFrom, errTo); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	queries := make([]contract.Query, 0, len(req.Queries))
	for _, raw := range req.Queries {
		var q struct {
			RefID         string  `json:"refId"`
			QueryType     string  `json:"queryType"`
			IntervalMs    float64 `json:"intervalMs"`
			MaxDataPoints int64   `json:"maxDataPoints"`
		}
		if err := json.Unmarshal(raw, &q); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "bad query: " + err.Error()})
			return
		}
		queries = append(queries, contract.Query{
			RefID: q.RefID, QueryType: q.QueryType, JSON: raw, From: from, To: to,
			Interval: time.Duration(q.IntervalMs * float64(time.Millisecond)), MaxDataPoints: q.MaxDataPoints,
		})
	}
	resp, err := h.host.QueryData(r.Context(), h.ds, queries...)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"message": "QueryData: " + err.Error()})
		return
	}
	body, err := json.Marshal(resp)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func epochMillis(s string) (time.Time, error) {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time range: %q is not epoch milliseconds", s)
	}
	return time.UnixMilli(ms), nil
}

// settings answers the data source's jsonData, for the page's DataSource
// instance settings (the secrets stay here, as in Grafana).
func (h *handler) settings(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"uid": h.ds.UID, "jsonData": h.ds.JSONData})
}

// fontFiles maps the web fonts @grafana/ui's GlobalStyles declares (Grafana
// serves them from public/fonts/) to Debian's packages: Inter from
// fonts-inter; Roboto Mono, which Debian does not package, is stood in for
// by DejaVu Sans Mono. Chromium recognises the font format by its content, so
// OpenType data under a .woff2 name is fine.
var fontFiles = map[string][]string{
	"inter/Inter-Regular.woff2":      {"/usr/share/fonts/opentype/inter/Inter-Regular.otf"},
	"inter/Inter-Medium.woff2":       {"/usr/share/fonts/opentype/inter/Inter-Medium.otf"},
	"inter/Inter-Italic.woff2":       {"/usr/share/fonts/opentype/inter/Inter-Italic.otf"},
	"inter/Inter-MediumItalic.woff2": {"/usr/share/fonts/opentype/inter/Inter-MediumItalic.otf"},
	"roboto/": {
		"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
		"/usr/share/fonts/TTF/DejaVuSansMono.ttf",
	},
}

func fonts(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/public/fonts/")
	candidates, ok := fontFiles[name]
	if !ok && strings.HasPrefix(name, "roboto/") {
		candidates, ok = fontFiles["roboto/"]
	}
	for _, file := range candidates {
		if _, err := os.Stat(file); err == nil {
			w.Header().Set("Cache-Control", "max-age=3600")
			http.ServeFile(w, r, file)
			return
		}
	}
	if ok {
		log.Printf("font %s: none of %v is installed (apt-get install fonts-inter)", name, candidates)
	}
	http.NotFound(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Printf("%s %s → %d in %s", r.Method, r.URL.RequestURI(), rec.status, time.Since(start).Round(time.Millisecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
