package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
	"github.com/grafana/grafana-plugin-sdk-go/backend/proxy"
)

// HTTPClientOptions returns the data source's HTTP client options from
// Grafana (settings.HTTPClientOptions), for Options.HTTP: the Secure SOCKS
// proxy when the data source asks for it (enableSecureSocksProxy) and
// Grafana allows it, and the labels of the SDK's metrics.
//
// Grafana gives the proxy's configuration with each request (the
// GF_SECURE_SOCKS_DATASOURCE_PROXY_* entries of its configuration); older
// Grafana versions gave the same entries as the plugin's environment
// instead. The SDK reads the environment only where the data source's
// client does not reach (proxy.Options without a client configuration
// leave the proxy off), so when the request carries no proxy configuration
// the environment's entries stand in for it, read by the SDK's own parser.
//
// Grafana's proxy configuration is read even for a data source that does
// not use the proxy: when it cannot be read, such a data source keeps the
// options without the proxy; one that asked for the proxy gets the error,
// in plain words.
func HTTPClientOptions(ctx context.Context, settings backend.DataSourceInstanceSettings) (httpclient.Options, error) {
	opts, err := settings.HTTPClientOptions(withProxyFromEnv(ctx))
	if err == nil {
		return opts, nil
	}
	if opts.Labels == nil { // the SDK could not read the settings at all
		return opts, fmt.Errorf("the data source's HTTP settings cannot be read (%s)", Quote(err.Error()))
	}
	var jd map[string]any
	_ = json.Unmarshal(settings.JSONData, &jd)
	if !proxy.SecureSocksProxyEnabledOnDS(jd) {
		opts.ProxyOptions = nil
		return opts, nil
	}
	return opts, fmt.Errorf("enableSecureSocksProxy is on, but Grafana's Secure SOCKS proxy settings cannot be read (%s) — check the secure_socks_datasource_proxy section of Grafana's configuration, or turn enableSecureSocksProxy off",
		Quote(err.Error()))
}

// proxyKeys are the Grafana configuration entries of the Secure SOCKS
// proxy, which are also the names of the environment variables.
var proxyKeys = []string{
	proxy.PluginSecureSocksProxyEnabled,
	proxy.PluginSecureSocksProxyClientCert, //nolint:staticcheck // the file paths older Grafana versions give
	proxy.PluginSecureSocksProxyClientCertContents,
	proxy.PluginSecureSocksProxyClientKey, //nolint:staticcheck
	proxy.PluginSecureSocksProxyClientKeyContents,
	proxy.PluginSecureSocksProxyRootCAs, //nolint:staticcheck
	proxy.PluginSecureSocksProxyRootCAsContents,
	proxy.PluginSecureSocksProxyProxyAddress,
	proxy.PluginSecureSocksProxyServerName,
	proxy.PluginSecureSocksProxyAllowInsecure,
}

// withProxyFromEnv returns ctx with a Grafana configuration holding the
// environment's Secure SOCKS proxy entries added to the request's
// own, when the request's configuration has none and the environment
// enables the proxy; else ctx as it is.
func withProxyFromEnv(ctx context.Context) context.Context {
	cfg := backend.GrafanaConfigFromContext(ctx)
	if cfg.Get(proxy.PluginSecureSocksProxyEnabled) != "" {
		return ctx
	}
	if v, ok := os.LookupEnv(proxy.PluginSecureSocksProxyEnabled); !ok || v != "true" {
		return ctx
	}
	entries := maps.Clone(cfg.Config())
	if entries == nil {
		entries = map[string]string{}
	}
	for _, k := range proxyKeys {
		if v, ok := os.LookupEnv(k); ok {
			entries[k] = v
		}
	}
	return backend.WithGrafanaConfig(ctx, backend.NewGrafanaCfg(entries))
}
