package testutil

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
)

// UpdateGoldenEnv is the one switch that rewrites golden files from the
// current output:
//
//	SERVICESTATS_UPDATE_GOLDEN=1 go test ./pkg/...
//
// A rewriting run still fails where the output changed (and writes the new
// file); review the diff, then run again without it.
const UpdateGoldenEnv = "SERVICESTATS_UPDATE_GOLDEN"

// goldenSuffix ends a golden file's name: <case>.golden.jsonc.
const goldenSuffix = ".golden.jsonc"

// UpdatingGolden reports whether this run rewrites golden files.
func UpdatingGolden() bool { return os.Getenv(UpdateGoldenEnv) == "1" }

// CheckGolden compares resp with dir/<name>.golden.jsonc, the plugin SDK's
// golden form of a data response (frames as Grafana receives them, with a
// readable table above). A missing file fails, unless the run rewrites them.
func CheckGolden(t *testing.T, dir, name string, resp *backend.DataResponse) {
	t.Helper()
	experimental.CheckGoldenJSONResponse(t, dir, name+".golden", resp, UpdatingGolden())
}

// Golden runs one subtest per case: run answers the case (and checks what
// else the case expects, such as the calls made), and the response is
// compared with dir/<case>.golden.jsonc. A golden file in dir that no case
// names fails the test, so that a case dropped from the list does not leave
// a file that looks tested.
func Golden(t *testing.T, dir string, cases []string, run func(t *testing.T, name string) backend.DataResponse) {
	t.Helper()
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			resp := run(t, name)
			CheckGolden(t, dir, name, &resp)
		})
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"+goldenSuffix))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), goldenSuffix); !slices.Contains(cases, name) {
			t.Errorf("%s: no golden case named %q checks it; add the case or remove the file", f, name)
		}
	}
}

// ReplaceInExecuted replaces old by new in the ExecutedQueryString of every
// frame of resp: a fake server's address, which changes from run to run,
// by a fixed one.
func ReplaceInExecuted(resp *backend.DataResponse, old, new string) {
	for _, f := range resp.Frames {
		if f.Meta != nil {
			f.Meta.ExecutedQueryString = strings.ReplaceAll(f.Meta.ExecutedQueryString, old, new)
		}
	}
}
