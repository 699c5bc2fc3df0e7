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

// launchOwn starts a plugin process of the test's own, apart from the
// shared one (for a test that measures the process's memory, or whose
// hostile answers must spoil no other test); the caller closes it.
func launchOwn(tb testing.TB, env ...string) *Host {
	tb.Helper()
	bin, err := BinaryPath()
	if err != nil {
		tb.Fatal(err)
	}
	h, err := Launch(bin, env...)
	if err != nil {
		tb.Fatal(err)
	}
	return h
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
