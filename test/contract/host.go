// Package contract launches the built plugin binary the way Grafana does —
// hashicorp go-plugin, the SDK's handshake (protocol version 2, magic cookie
// grafana_plugin_type=datasource), gRPC — and calls it. Its tests are how we
// know the plugin works inside Grafana; the benchmarks reuse the same host.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// PluginID is the id Grafana registers the plugin under.
const PluginID = "opsdeck-servicestats-datasource"

// BinaryPath returns dist/gpx_servicestats_<os>_<arch> below the repository
// root, or $SERVICESTATS_PLUGIN_BINARY when set.
func BinaryPath() (string, error) {
	if p := os.Getenv("SERVICESTATS_PLUGIN_BINARY"); p != "" {
		return p, nil
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	p := filepath.Join(root, "dist", fmt.Sprintf("gpx_servicestats_%s_%s", runtime.GOOS, runtime.GOARCH))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("plugin binary %s not found: build it first (npm run build:backend, or mage build:linux): %w", p, err)
	}
	return p, nil
}

// Host is a running plugin process, as Grafana holds it.
type Host struct {
	client      *goplugin.Client
	data        pluginv2.DataClient
	diagnostics pluginv2.DiagnosticsClient
	resource    pluginv2.ResourceClient
	logs        *syncBuffer
}

// Launch starts the plugin binary with extra environment variables
// ("KEY=value") and completes the go-plugin handshake.
func Launch(binary string, env ...string) (*Host, error) {
	logs := &syncBuffer{}
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), env...)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"data":        &grpcplugin.DataGRPCPlugin{},
			},
		},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "plugin", Output: logs, Level: hclog.Trace, JSONFormat: true,
		}),
		SyncStdout:   logs,
		SyncStderr:   logs,
		StartTimeout: 30 * time.Second,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("go-plugin handshake: %w\n%s", err, logs.String())
	}
	h := &Host{client: client, logs: logs}
	for name, target := range map[string]any{"data": &h.data, "diagnostics": &h.diagnostics, "resource": &h.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			client.Kill()
			return nil, fmt.Errorf("dispense %s: %w", name, err)
		}
		switch t := target.(type) {
		case *pluginv2.DataClient:
			*t = raw.(pluginv2.DataClient)
		case *pluginv2.DiagnosticsClient:
			*t = raw.(pluginv2.DiagnosticsClient)
		case *pluginv2.ResourceClient:
			*t = raw.(pluginv2.ResourceClient)
		}
	}
	return h, nil
}

// Close stops the plugin process.
func (h *Host) Close() { h.client.Kill() }

// Logs returns everything the plugin wrote (its log lines and output).
func (h *Host) Logs() string { return h.logs.String() }

// PID is the plugin process id (for memory measurements).
func (h *Host) PID() int {
	if rc := h.client.ReattachConfig(); rc != nil && rc.Pid != 0 {
		return rc.Pid
	}
	return 0
}

// DataSource is a data source's settings as Grafana would send them.
type DataSource struct {
	UID      string
	JSONData map[string]any
	Secure   map[string]string
	Updated  time.Time
}

func (ds DataSource) pluginContext() (*pluginv2.PluginContext, error) {
	jd, err := json.Marshal(ds.JSONData)
	if err != nil {
		return nil, err
	}
	uid := ds.UID
	if uid == "" {
		uid = "servicestats"
	}
	updated := ds.Updated
	if updated.IsZero() {
		updated = time.Unix(1700000000, 0)
	}
	pc := backend.PluginContext{
		OrgID:    1,
		PluginID: PluginID,
		User:     &backend.User{Login: "admin", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: 1, UID: uid, Name: "Service Stats", Type: PluginID,
			JSONData: jd, DecryptedSecureJSONData: ds.Secure, Updated: updated,
		},
	}
	return backend.ToProto().PluginContext(pc), nil
}

// CheckHealth calls the plugin's health check.
func (h *Host) CheckHealth(ctx context.Context, ds DataSource) (*backend.CheckHealthResult, error) {
	pc, err := ds.pluginContext()
	if err != nil {
		return nil, err
	}
	resp, err := h.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: pc})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(resp), nil
}

// Query is one query of a request: its JSON model and time range.
type Query struct {
	RefID         string
	QueryType     string
	JSON          any // marshalled as the query model
	From, To      time.Time
	Interval      time.Duration
	MaxDataPoints int64
}

// QueryData sends one request holding the queries.
func (h *Host) QueryData(ctx context.Context, ds DataSource, queries ...Query) (*backend.QueryDataResponse, error) {
	return h.QueryDataWithHeaders(ctx, ds, nil, queries...)
}

// AlertHeaders are the request headers Grafana's alerting engine sends with
// a rule's evaluation.
var AlertHeaders = map[string]string{backend.FromAlertHeaderName: "true"}

// QueryDataWithHeaders sends one request holding the queries, with request
// headers (AlertHeaders for an alert rule's evaluation).
func (h *Host) QueryDataWithHeaders(ctx context.Context, ds DataSource, headers map[string]string, queries ...Query) (*backend.QueryDataResponse, error) {
	pc, err := ds.pluginContext()
	if err != nil {
		return nil, err
	}
	req := &backend.QueryDataRequest{Headers: headers}
	for _, q := range queries {
		raw, err := json.Marshal(q.JSON)
		if err != nil {
			return nil, err
		}
		if q.Interval == 0 {
			q.Interval = time.Minute
		}
		if q.MaxDataPoints == 0 {
			q.MaxDataPoints = 1000
		}
		req.Queries = append(req.Queries, backend.DataQuery{
			RefID: q.RefID, QueryType: q.QueryType, JSON: raw,
			TimeRange: backend.TimeRange{From: q.From, To: q.To},
			Interval:  q.Interval, MaxDataPoints: q.MaxDataPoints,
		})
	}
	preq := backend.ToProto().QueryDataRequest(req)
	preq.PluginContext = pc
	resp, err := h.data.QueryData(ctx, preq)
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(resp)
}

// ResourceResponse is a resource call's complete answer.
type ResourceResponse struct {
	Status int
	Body   []byte
}

// CallResource calls a resource route ("telephony/lines?billingAccount=x").
func (h *Host) CallResource(ctx context.Context, ds DataSource, method, pathAndQuery string) (*ResourceResponse, error) {
	pc, err := ds.pluginContext()
	if err != nil {
		return nil, err
	}
	path, _, _ := strings.Cut(pathAndQuery, "?")
	stream, err := h.resource.CallResource(ctx, &pluginv2.CallResourceRequest{
		PluginContext: pc, Method: method, Path: path, Url: pathAndQuery,
	})
	if err != nil {
		return nil, err
	}
	out := &ResourceResponse{}
	var body bytes.Buffer
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if msg.Code != 0 {
			out.Status = int(msg.Code)
		}
		body.Write(msg.Body)
	}
	out.Body = body.Bytes()
	return out, nil
}

// syncBuffer is a bytes.Buffer safe for the concurrent writers go-plugin uses.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
