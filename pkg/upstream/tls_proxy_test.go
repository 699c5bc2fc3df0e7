package upstream

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/proxy"
)

func proxySettings(enable string) backend.DataSourceInstanceSettings {
	return backend.DataSourceInstanceSettings{
		UID: "ds-uid", Name: "Service Stats", Type: "opsdeck-servicestats-datasource",
		JSONData:                []byte(`{"enableSecureSocksProxy":` + enable + `,"basicAuth":true,"basicAuthUser":"u"}`),
		DecryptedSecureJSONData: map[string]string{"secureSocksProxyPassword": "proxy-pass-123"},
	}
}

func withGrafanaProxy(addr string) context.Context {
	return backend.WithGrafanaConfig(context.Background(), backend.NewGrafanaCfg(map[string]string{
		proxy.PluginSecureSocksProxyEnabled:       "true",
		proxy.PluginSecureSocksProxyProxyAddress:  addr,
		proxy.PluginSecureSocksProxyAllowInsecure: "true",
	}))
}

func TestHTTPClientOptionsProxyFromTheRequestsGrafanaConfig(t *testing.T) {
	o, err := HTTPClientOptions(withGrafanaProxy("10.0.0.1:1080"), proxySettings("true"))
	if err != nil {
		t.Fatal(err)
	}
	p := o.ProxyOptions
	if p == nil || !p.Enabled || p.ClientCfg == nil || p.ClientCfg.ProxyAddress != "10.0.0.1:1080" || !p.ClientCfg.AllowInsecure {
		t.Fatalf("proxy options %+v", p)
	}
	if p.Auth == nil || p.Auth.Username != "ds-uid" || p.Auth.Password != "proxy-pass-123" {
		t.Errorf("proxy auth %+v, want the data source's uid and secureSocksProxyPassword", p.Auth)
	}
	if o.Labels["datasource_uid"] != "ds-uid" || o.Labels["datasource_type"] != "opsdeck-servicestats-datasource" {
		t.Errorf("labels %v", o.Labels)
	}
	if got := sdkOptions(Options{HTTP: &o}); got.BasicAuth != nil || got.ProxyOptions != p {
		t.Errorf("the client's options: basic auth %+v, proxy %+v", got.BasicAuth, got.ProxyOptions)
	}
}

func TestHTTPClientOptionsProxyFromTheEnvironment(t *testing.T) {
	t.Setenv(proxy.PluginSecureSocksProxyEnabled, "true")
	t.Setenv(proxy.PluginSecureSocksProxyProxyAddress, "10.0.0.2:1080")
	t.Setenv(proxy.PluginSecureSocksProxyAllowInsecure, "true")

	o, err := HTTPClientOptions(context.Background(), proxySettings("true"))
	if err != nil {
		t.Fatal(err)
	}
	if p := o.ProxyOptions; p == nil || !p.Enabled || p.ClientCfg == nil || p.ClientCfg.ProxyAddress != "10.0.0.2:1080" {
		t.Fatalf("proxy options from the environment: %+v", p)
	}

	o, err = HTTPClientOptions(withGrafanaProxy("10.0.0.1:1080"), proxySettings("true"))
	if err != nil {
		t.Fatal(err)
	}
	if p := o.ProxyOptions; p == nil || p.ClientCfg == nil || p.ClientCfg.ProxyAddress != "10.0.0.1:1080" {
		t.Fatalf("the request's configuration must win over the environment: %+v", p)
	}

	o, err = HTTPClientOptions(context.Background(), proxySettings("false"))
	if err != nil {
		t.Fatal(err)
	}
	if o.ProxyOptions != nil {
		t.Fatalf("enableSecureSocksProxy false: %+v", o.ProxyOptions)
	}
}

func TestHTTPClientOptionsProxyOffInGrafana(t *testing.T) {
	t.Setenv(proxy.PluginSecureSocksProxyEnabled, "false")
	t.Setenv(proxy.PluginSecureSocksProxyProxyAddress, "10.0.0.2:1080")
	o, err := HTTPClientOptions(context.Background(), proxySettings("true"))
	if err != nil {
		t.Fatal(err)
	}
	if p := o.ProxyOptions; p != nil && p.ClientCfg != nil {
		t.Fatalf("Grafana does not enable the proxy, yet: %+v", p.ClientCfg)
	}
}

func TestSOCKSProxyThatDoesNotConnectIsNamed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more

	c := newClient(t, "http://192.0.2.10:8080", func(o *Options) {
		o.Source = "Pulse"
		o.HTTP = &httpclient.Options{ProxyOptions: &proxy.Options{Enabled: true,
			ClientCfg: &proxy.ClientCfg{ProxyAddress: addr, AllowInsecure: true},
			Auth:      &proxy.AuthOptions{Username: "ds-uid", Password: "secret-value-123"}}}
		o.Retry = &RetryPolicy{MaxAttempts: 1}
	})
	_, err = c.Do(context.Background(), Call{Path: "/x"})
	var ue *Error
	if !errors.As(err, &ue) || ue.Kind != KindNetwork {
		t.Fatalf("want a network error, got %T %v", err, err)
	}
	want := "Pulse: the Secure SOCKS proxy did not connect Grafana to 192.0.2.10:8080 ("
	if !strings.HasPrefix(ue.Message, want) || !strings.HasSuffix(ue.Message,
		") — check that the private data source connect agent runs and can reach 192.0.2.10:8080, or turn the Secure SOCKS proxy off (enableSecureSocksProxy)") {
		t.Fatalf("message %q", ue.Message)
	}
	if strings.Contains(ue.Message, "secret-value-123") {
		t.Fatalf("message holds the proxy password: %q", ue.Message)
	}
	if testing.Verbose() {
		t.Log(ue.Message)
	}
}

func TestHTTPClientOptionsUnreadableGrafanaProxySettings(t *testing.T) {
	ctx := backend.WithGrafanaConfig(context.Background(), backend.NewGrafanaCfg(map[string]string{
		proxy.PluginSecureSocksProxyEnabled:       "true",
		proxy.PluginSecureSocksProxyAllowInsecure: "maybe",
	}))
	o, err := HTTPClientOptions(ctx, proxySettings("false"))
	if err != nil || o.ProxyOptions != nil || o.Labels["datasource_uid"] != "ds-uid" {
		t.Fatalf("a data source without the proxy must not fail: %v %+v", err, o)
	}
	_, err = HTTPClientOptions(ctx, proxySettings("true"))
	want := "enableSecureSocksProxy is on, but Grafana's Secure SOCKS proxy settings cannot be read ("
	if err == nil || !strings.HasPrefix(err.Error(), want) ||
		!strings.HasSuffix(err.Error(), ") — check the secure_socks_datasource_proxy section of Grafana's configuration, or turn enableSecureSocksProxy off") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "proxy-pass-123") {
		t.Fatalf("the error holds the proxy password: %v", err)
	}
}

func TestHTTPClientThatCannotBeBuiltIsNamed(t *testing.T) {
	_, err := New(Options{Source: "Pulse", BaseURL: "https://pulse.example.com", HTTP: &httpclient.Options{
		ProxyOptions: &proxy.Options{Enabled: true, ClientCfg: &proxy.ClientCfg{ProxyAddress: "10.0.0.1:1080"}}, // TLS to the proxy, without its CA
	}})
	want := "Pulse: the HTTP client cannot be built ("
	if err == nil || !strings.HasPrefix(err.Error(), want) ||
		!strings.HasSuffix(err.Error(), ") — check the source's TLS settings and, with enableSecureSocksProxy on, the secure_socks_datasource_proxy section of Grafana's configuration") {
		t.Fatalf("error %v", err)
	}
}
