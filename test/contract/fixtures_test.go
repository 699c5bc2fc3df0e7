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

// sandboxDataSource is the tests' name for SandboxDataSource.
var sandboxDataSource = SandboxDataSource
