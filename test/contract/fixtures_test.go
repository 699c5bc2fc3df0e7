package contract

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// host is the one plugin process the tests of this package share, as Grafana
// shares one process between all data sources of a plugin.
var host *Host

func TestMain(m *testing.M) {
	bin, err := BinaryPath()
	if err != nil {
		println(err.Error())
		os.Exit(1)
	}
	host, err = Launch(bin)
	if err != nil {
		println(err.Error())
		os.Exit(1)
	}
	code := m.Run()
	host.Close()
	os.Exit(code)
}

// startSandbox serves the three imitated APIs on loopback for one test.
func startSandbox(t testing.TB, cfg sandbox.Config) (*sandbox.Sandbox, string) {
	t.Helper()
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv.URL
}

// sandboxDataSource configures all three sources against a sandbox at base,
// with the sandbox's valid credentials. uid separates instances (and so
// caches) between tests.
func sandboxDataSource(uid, base string) DataSource {
	return DataSource{
		UID: uid,
		JSONData: map[string]any{
			"ovhEndpoint":       base + sandbox.OVHPrefix,
			"ovhAuthMethod":     "keys",
			"ovhApplicationKey": sandbox.OVHAppKey,
			"onappUrl":          base + sandbox.OnAppPrefix,
			"onappUser":         sandbox.OnAppUser,
			"onappApi":          "legacy",
			"onappTimeZone":     "Europe/Paris",
			"pulseUrl":          base + sandbox.PulsePrefix,
			"timeoutSeconds":    10,
		},
		Secure: map[string]string{
			"ovhApplicationSecret": sandbox.OVHAppSecret,
			"ovhConsumerKey":       sandbox.OVHConsumerKey,
			"onappApiKey":          sandbox.OnAppAPIKey,
			"pulseToken":           sandbox.PulseToken,
		},
	}
}
