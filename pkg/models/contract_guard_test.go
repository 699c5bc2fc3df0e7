package models

// The contract guard: src/types.ts mirrors this package by hand, and users
// write both sides' names into provisioning files, dashboards and alert
// rules (docs/plugin-contract.md). These tests read types.ts (our own file,
// so simple regular expressions over its declarations suffice) and fail,
// naming both sides, when it and the Go models disagree on query types,
// query fields, metrics, timeframes, reports, enumerations, settings keys
// (jsonData and secureJsonData) and limits; and when the config editor's
// placeholders, which show the defaults, disagree with the Go defaults.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/ovh/go-ovh/ovh"
)

const typesTSPath = "../../src/types.ts"

// tsDecls is src/types.ts without its comments (which quote `{a,b}` and
// names of their own).
type tsDecls struct{ src string }

var (
	tsBlockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	tsLineComment  = regexp.MustCompile(`(?m)(^|\s)//.*$`)
	tsStringLit    = regexp.MustCompile(`'([^']*)'`)
)

func readTypesTS(t *testing.T) tsDecls {
	t.Helper()
	b, err := os.ReadFile(typesTSPath)
	if err != nil {
		t.Fatalf("the contract guard reads %s: %v", typesTSPath, err)
	}
	src := tsBlockComment.ReplaceAllString(string(b), "")
	return tsDecls{src: tsLineComment.ReplaceAllString(src, "$1")}
}

// constList is the string array of `export const NAME[: T] = [ … ];`.
func (d tsDecls) constList(t *testing.T, name string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)export const ` + name + `\b[^=]*=\s*\[(.*?)\]\s*;`).FindStringSubmatch(d.src)
	if m == nil {
		t.Fatalf("types.ts declares no array %s", name)
	}
	return stringLits(m[1])
}

// union is the string literals of `export type NAME = 'a' | 'b';`; every
// member must be a literal.
func (d tsDecls) union(t *testing.T, name string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)export type ` + name + `\s*=\s*(.*?);`).FindStringSubmatch(d.src)
	if m == nil {
		t.Fatalf("types.ts declares no type %s", name)
	}
	var out []string
	for _, part := range strings.Split(m[1], "|") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lit := regexp.MustCompile(`^'([^']*)'$`).FindStringSubmatch(part)
		if lit == nil {
			t.Fatalf("types.ts: type %s has the member %s, not a string literal", name, part)
		}
		out = append(out, lit[1])
	}
	return out
}

// scalar is the value of `export const NAME = <number or 'string'>;`.
func (d tsDecls) scalar(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`export const ` + name + `\s*=\s*('[^']*'|[0-9.]+)\s*;`).FindStringSubmatch(d.src)
	if m == nil {
		t.Fatalf("types.ts declares no constant %s", name)
	}
	return strings.Trim(m[1], "'")
}

// object is the body of `export const NAME[: T] = { … };`.
func (d tsDecls) object(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)export const ` + name + `\b[^=]*=\s*\{(.*?)\}\s*;`).FindStringSubmatch(d.src)
	if m == nil {
		t.Fatalf("types.ts declares no object %s", name)
	}
	return m[1]
}

var tsInterface = regexp.MustCompile(`(?s)(?:export\s+)?interface\s+(\w+)(?:\s+extends\s+([\w<>, ]+?))?\s*\{(.*?)\n\}`)

// fields is the property names of interface NAME, those of the interfaces
// of this file it extends included (Grafana's own, such as DataQuery, are
// not ours).
func (d tsDecls) fields(t *testing.T, name string) []string {
	t.Helper()
	for _, m := range tsInterface.FindAllStringSubmatch(d.src, -1) {
		if m[1] != name {
			continue
		}
		var out []string
		for _, p := range regexp.MustCompile(`(?m)^\s+(\w+)\??\s*:`).FindAllStringSubmatch(m[3], -1) {
			out = append(out, p[1])
		}
		for _, parent := range strings.Split(m[2], ",") {
			parent = strings.TrimSpace(parent)
			if parent != "" && d.declaresInterface(parent) {
				out = append(out, d.fields(t, parent)...)
			}
		}
		return out
	}
	t.Fatalf("types.ts declares no interface %s", name)
	return nil
}

func (d tsDecls) declaresInterface(name string) bool {
	for _, m := range tsInterface.FindAllStringSubmatch(d.src, -1) {
		if m[1] == name {
			return true
		}
	}
	return false
}

func stringLits(s string) []string {
	var out []string
	for _, m := range tsStringLit.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// jsonNames is the JSON field names of struct type typ, embedded structs
// included, json:"-" left out.
func jsonNames(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			out = append(out, jsonNames(f.Type)...)
		case name == "-" || !f.IsExported():
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// sameSet fails unless ts and gotGo hold the same names, each once; order
// is compared too when ordered (lists the editor shows in that order).
func sameSet(t *testing.T, what string, ts, gotGo []string, ordered bool) {
	t.Helper()
	for _, side := range []struct {
		name  string
		items []string
	}{{"types.ts", ts}, {"Go", gotGo}} {
		seen := map[string]bool{}
		for _, s := range side.items {
			if seen[s] {
				t.Errorf("%s: %s lists %q twice", what, side.name, s)
			}
			seen[s] = true
		}
	}
	var onlyTS, onlyGo []string
	for _, s := range ts {
		if !slices.Contains(gotGo, s) {
			onlyTS = append(onlyTS, s)
		}
	}
	for _, s := range gotGo {
		if !slices.Contains(ts, s) {
			onlyGo = append(onlyGo, s)
		}
	}
	if len(onlyTS) > 0 || len(onlyGo) > 0 {
		t.Errorf("%s: src/types.ts and pkg/models disagree: only in types.ts %q, only in Go %q", what, onlyTS, onlyGo)
		return
	}
	if ordered && !slices.Equal(ts, gotGo) {
		t.Errorf("%s: same names in another order: types.ts %q, Go %q", what, ts, gotGo)
	}
}

func TestContractQueryTypesAndEnumerations(t *testing.T) {
	ts := readTypesTS(t)
	sameSet(t, "query types (QUERY_TYPES / QueryTypes)", ts.constList(t, "QUERY_TYPES"), QueryTypes, true)
	sameSet(t, "query types (type QueryType / QueryTypes)", ts.union(t, "QueryType"), QueryTypes, false)
	sameSet(t, "telephony metrics (TELEPHONY_METRICS / TelephonyMetrics)", ts.constList(t, "TELEPHONY_METRICS"), TelephonyMetrics, true)
	sameSet(t, "telephony metrics (type TelephonyMetric)", ts.union(t, "TelephonyMetric"), TelephonyMetrics, false)
	sameSet(t, "timeframes (TIMEFRAMES / TelephonyTimeframes)", ts.constList(t, "TIMEFRAMES"), TelephonyTimeframes, true)
	sameSet(t, "timeframes (type Timeframe)", ts.union(t, "Timeframe"), TelephonyTimeframes, false)
	sameSet(t, "MOS scales (type MosScale)", ts.union(t, "MosScale"), []string{MOSScaleRaw, MOSScaleMOS}, false)
	sameSet(t, "CDN types (type CdnType)", ts.union(t, "CdnType"), []string{CDNTypeGB, CDNTypeMBPS}, false)
	sameSet(t, "CDN groupings (type CdnGroupBy)", ts.union(t, "CdnGroupBy"), []string{CDNGroupByNone, CDNGroupByLocation, CDNGroupByResource}, false)
	sameSet(t, "usage reports (USAGE_REPORTS / UsageReports)", ts.constList(t, "USAGE_REPORTS"), UsageReports, true)
	sameSet(t, "usage reports (type UsageReport)", ts.union(t, "UsageReport"), UsageReports, false)
	sameSet(t, "aggregate reports (AGGREGATE_REPORTS)", ts.constList(t, "AGGREGATE_REPORTS"),
		[]string{UsageReportRequests, UsageReportComplexity, UsageReportDevices, UsageReportRoutes}, false)
	sameSet(t, "derived reports (DERIVED_REPORTS)", ts.constList(t, "DERIVED_REPORTS"),
		[]string{UsageReportRequestRate, UsageReportLatency}, false)
	sameSet(t, "usage splits (type UsageSplitBy / UsageSplits)", ts.union(t, "UsageSplitBy"), UsageSplits, false)
	sameSet(t, "OVHcloud auth methods (type OvhAuthMethod)", ts.union(t, "OvhAuthMethod"), []string{OVHAuthKeys, OVHAuthOAuth2}, false)
	sameSet(t, "OnApp APIs (type OnAppApi)", ts.union(t, "OnAppApi"), []string{OnAppAPILegacy, OnAppAPIReports}, false)
	sameSet(t, "TLS key prefixes (type TlsSource / tlsPrefixes)", ts.union(t, "TlsSource"), tlsPrefixes, false)

	if got := ts.scalar(t, "ALL"); got != All {
		t.Errorf("the every-account/every-line value: types.ts ALL = %q, Go All = %q", got, All)
	}
	for name, want := range map[string]int{"DEFAULT_USAGE_LIMIT": DefaultUsageLimit, "MAX_USAGE_LIMIT": MaxUsageLimit} {
		if got := ts.scalar(t, name); got != strconv.Itoa(want) {
			t.Errorf("page-size limit: types.ts %s = %s, Go %d", name, got, want)
		}
	}
	// The bounds are those Validate enforces.
	for limit, ok := range map[int]bool{1: true, MaxUsageLimit: true, MaxUsageLimit + 1: false, -1: false} {
		q := UsageQuery{Limit: limit}
		if err := q.Validate(); (err == nil) != ok {
			t.Errorf("UsageQuery.Validate with limit %d: %v, want accepted %v", limit, err, ok)
		}
	}

	// OnApp's answer formats have no Go constants: each one types.ts names
	// must pass OnAppSettings.Check, the default among them.
	formats := ts.union(t, "OnAppFormat")
	base := func(format string) OnAppSettings {
		return OnAppSettings{URL: "https://cp.example.com", User: "u", APIKey: "k", API: OnAppAPILegacy, TimeZone: "UTC", Format: format}
	}
	for _, f := range formats {
		if err := base(f).Check(); err != nil {
			t.Errorf("types.ts OnAppFormat %q is refused by Go: %v", f, err)
		}
	}
	if err := base("yaml").Check(); err == nil {
		t.Errorf("OnAppSettings.Check accepts any format: the check above proves nothing")
	}
	s, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(formats, s.OnApp.Format) {
		t.Errorf("Go's default onappFormat %q is not in types.ts OnAppFormat %q", s.OnApp.Format, formats)
	}

	// OVHcloud endpoint names and URLs: those go-ovh resolves.
	record := map[string]string{}
	for _, m := range regexp.MustCompile(`'([^']+)'\s*:\s*'([^']+)'`).FindAllStringSubmatch(ts.object(t, "OVH_ENDPOINTS"), -1) {
		record[m[1]] = m[2]
	}
	if !reflect.DeepEqual(record, ovh.Endpoints) {
		t.Errorf("OVHcloud endpoints: types.ts OVH_ENDPOINTS %v, go-ovh ovh.Endpoints %v", record, ovh.Endpoints)
	}
	var goNames []string
	for n := range ovh.Endpoints {
		goNames = append(goNames, n)
	}
	sameSet(t, "OVHcloud endpoint names (type OvhEndpointName)", ts.union(t, "OvhEndpointName"), goNames, false)
	for _, n := range ts.constList(t, "OVH_OAUTH2_ENDPOINTS") {
		if _, ok := ovh.Endpoints[n]; !ok {
			t.Errorf("types.ts OVH_OAUTH2_ENDPOINTS names %q, which is no go-ovh endpoint", n)
		}
	}
}

func TestContractQueryFields(t *testing.T) {
	ts := readTypesTS(t)
	for _, c := range []struct {
		iface string
		model any
	}{
		{"TelephonyQuery", TelephonyQuery{}},
		{"CdnBandwidthQuery", CDNQuery{}},
		{"UsageQuery", UsageQuery{}},
	} {
		// queryType is backend.DataQuery.QueryType, not a field of the model.
		var fields []string
		for _, f := range ts.fields(t, c.iface) {
			if f != "queryType" {
				fields = append(fields, f)
			}
		}
		sameSet(t, "fields of "+c.iface, fields, jsonNames(reflect.TypeOf(c.model)), false)
	}

	// A query saved without a field means what the editor's new query
	// means: Validate's defaults are the DEFAULT_*_QUERY values.
	fieldValue := regexp.MustCompile(`(\w+)\s*:\s*('[^']*'|\w+)`)
	defaults := func(name string) map[string]string {
		out := map[string]string{}
		for _, m := range fieldValue.FindAllStringSubmatch(ts.object(t, name), -1) {
			v := strings.Trim(m[2], "'")
			if m[2] == "DEFAULT_USAGE_LIMIT" {
				v = ts.scalar(t, "DEFAULT_USAGE_LIMIT")
			}
			out[m[1]] = v
		}
		return out
	}
	tel := TelephonyQuery{}
	_ = tel.Validate() // fills the defaults before it refuses the empty account
	cdn := CDNQuery{}
	if err := cdn.Validate(); err != nil {
		t.Fatal(err)
	}
	usage := UsageQuery{}
	if err := usage.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		object string
		goSide map[string]string
	}{
		{"DEFAULT_TELEPHONY_QUERY", map[string]string{"queryType": QueryTypeTelephony, "timeframe": tel.Timeframe, "mosScale": tel.MOSScale}},
		{"DEFAULT_CDN_QUERY", map[string]string{"queryType": QueryTypeCDNBandwidth, "type": cdn.Type, "groupBy": cdn.GroupBy}},
		{"DEFAULT_USAGE_QUERY", map[string]string{"queryType": QueryTypeUsage, "report": usage.Report, "limit": strconv.Itoa(usage.Limit), "enterpriseId": usage.EnterpriseID}},
	} {
		got := defaults(c.object)
		for k, want := range c.goSide {
			if v, ok := got[k]; !ok || v != want {
				t.Errorf("%s.%s: types.ts %q, Go's default %q", c.object, k, v, want)
			}
		}
	}
}

// goSwitchKeys is the boolean jsonData keys switches reads, composed as it
// composes them.
func goSwitchKeys() []string {
	keys := []string{EnableSecureSocksProxyKey}
	for _, p := range tlsPrefixes {
		keys = append(keys, p+TLSSkipVerifyKey, p+TLSAuthWithCACertKey, p+TLSAuthKey)
	}
	return keys
}

// goSecureKeys is every secureJsonData key the package reads: the literal
// keys of sec[…] in its sources, and the TLS PEM keys loadTLS composes.
func goSecureKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ix, ok := n.(*ast.IndexExpr)
			if !ok {
				return true
			}
			if id, ok := ix.X.(*ast.Ident); !ok || id.Name != "sec" {
				return true
			}
			switch k := ix.Index.(type) {
			case *ast.BasicLit:
				v, err := strconv.Unquote(k.Value)
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, v)
			case *ast.BinaryExpr: // prefix + TLS…Key
				suffix, ok := k.Y.(*ast.Ident)
				if !ok {
					t.Fatalf("%s: sec[%T]: the guard cannot tell which key this reads", fset.Position(ix.Pos()), k.Y)
				}
				for _, p := range tlsPrefixes {
					keys = append(keys, p+map[string]string{
						"TLSCACertKey": TLSCACertKey, "TLSClientCertKey": TLSClientCertKey, "TLSClientKeyKey": TLSClientKeyKey,
					}[suffix.Name])
				}
			default:
				t.Fatalf("%s: sec[%T]: the guard cannot tell which key this reads", fset.Position(ix.Pos()), k)
			}
			return true
		})
	}
	if len(keys) == 0 {
		t.Fatal("found no secureJsonData read (sec[…]) in pkg/models: the guard no longer sees them")
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// sdkSecureKeys are secureJsonData keys of Grafana's SDK that the plugin
// reads but does not declare: Grafana's own editor components write them.
var sdkSecureKeys = []string{"secureSocksProxyPassword"}

func TestContractSettingsKeys(t *testing.T) {
	ts := readTypesTS(t)
	goJSON := append(jsonNames(reflect.TypeOf(jsonData{})), goSwitchKeys()...)
	sameSet(t, "jsonData keys (ServiceStatsOptions / jsonData, switches)", ts.fields(t, "ServiceStatsOptions"), goJSON, false)

	goSecure := slices.DeleteFunc(goSecureKeys(t), func(k string) bool { return slices.Contains(sdkSecureKeys, k) })
	tsSecure := ts.fields(t, "ServiceStatsSecureJsonData")
	sameSet(t, "secureJsonData keys (ServiceStatsSecureJsonData / sec[…])", tsSecure, goSecure, false)

	// Every secure key types.ts declares reaches the settings as a secret
	// (Secrets, what logs and errors are scrubbed of).
	sec := map[string]string{}
	for i, k := range tsSecure {
		sec[k] = fmt.Sprintf("secret-value-%02d", i)
	}
	s, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{}`), DecryptedSecureJSONData: sec})
	if err != nil {
		t.Fatal(err)
	}
	secrets := s.Secrets()
	for k, v := range sec {
		if !slices.Contains(secrets, v) {
			t.Errorf("secureJsonData %s (types.ts) does not reach Settings.Secrets: Go does not read it", k)
		}
	}

	// Every boolean key types.ts declares outside the jsonData struct is
	// read by switches.
	var raw []string
	for _, k := range goSwitchKeys() {
		raw = append(raw, strconv.Quote(k)+":true")
	}
	flags, err := switches([]byte("{" + strings.Join(raw, ",") + "}"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range goSwitchKeys() {
		if !flags[k].v {
			t.Errorf("switches does not read %s", k)
		}
	}
}

// The config editor's placeholders show the defaults ("Leave a field empty
// to keep its default"): they are Go's.
func TestContractEditorDefaults(t *testing.T) {
	files, err := filepath.Glob("../../src/components/config/*.tsx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no config editor sources under src/components/config (%v)", err)
	}
	placeholders := map[string]string{}
	setting := regexp.MustCompile(`\bsetting="(\w+)"`)
	placeholder := regexp.MustCompile(`\bplaceholder="([^"]*)"`)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// One chunk per JSX element: from one `<Component` to the next.
		for _, el := range regexp.MustCompile(`<[A-Z]`).Split(string(b), -1) {
			s, p := setting.FindStringSubmatch(el), placeholder.FindStringSubmatch(el)
			if s != nil && p != nil {
				placeholders[s[1]] = p[1]
			}
		}
	}
	s, err := Load(backend.DataSourceInstanceSettings{JSONData: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"timeoutSeconds":       strconv.Itoa(int(s.Timeout.Seconds())),
		"maxPages":             strconv.Itoa(s.MaxPages),
		"ovhRequestsPerMinute": strconv.Itoa(s.OVHRequestsPerMinute),
		"ovhAlertingShare":     strconv.FormatFloat(s.OVHAlertingShare, 'f', -1, 64),
		"maxResponseBytes":     strconv.FormatInt(s.MaxResponseBytes, 10),
		"sharedCacheReplicas":  strconv.Itoa(s.Shared.Replicas),
		"onappTimeZone":        s.OnApp.TimeZone,
	} {
		got, ok := placeholders[key]
		switch {
		case !ok:
			t.Errorf("the config editor shows no placeholder for %s (Go's default %s)", key, want)
		case got != want:
			t.Errorf("the config editor's placeholder for %s is %q, Go's default %q", key, got, want)
		}
	}
}
