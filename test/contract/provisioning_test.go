package contract

// The provisioning an SRE adopts as-is (provisioning/): every file parses,
// every panel, variable and alert query speaks the plugin's public contract
// (docs: plugin-contract.md) against the provisioned data source, and every
// one of them answers through the plugin binary against the sandbox. The
// alert rules are evaluated the way Grafana would (an alerting request, then
// reduce, then threshold) and the MOS, jitter and delay rules must fire for
// exactly the sandbox's degraded line. Neither the rules nor the NOC wall
// name a line (lines ["*"]), every rule says what to do (summary,
// description, a runbook_url into the README's Runbook), and the wall shows
// what the rules read.

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"go.yaml.in/yaml/v3"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// allValue is the contract's "every account" / "every line" (pkg/models All).
const allValue = "*"

// The provisioned data source every dashboard and rule must use.
const (
	provisionedUID  = "servicestats"
	expressionUID   = "__expr__"
	provisionFolder = "Service Stats"
)

// ---------------------------------------------------------------------------
// The contract, written out: query types, their fields and allowed values.
// ---------------------------------------------------------------------------

type fieldKind int

const (
	kindString fieldKind = iota
	kindStrings
	kindInt
	kindBool
	kindDatasource
)

// grafanaQueryFields are the fields Grafana itself puts into a panel target,
// plus the contract's common noCache.
var grafanaQueryFields = map[string]fieldKind{
	"refId": kindString, "queryType": kindString, "datasource": kindDatasource,
	"hide": kindBool, "key": kindString, "noCache": kindBool,
}

// ruleQueryFields are the extra fields of an alert query's model.
var ruleQueryFields = map[string]fieldKind{"intervalMs": kindInt, "maxDataPoints": kindInt}

// contractFields are the fields of each query type's model.
var contractFields = map[string]map[string]fieldKind{
	"telephony": {
		"billingAccount": kindString, "lines": kindStrings, "metrics": kindStrings,
		"timeframe": kindString, "mosScale": kindString,
	},
	"cdnBandwidth": {
		"type": kindString, "groupBy": kindString, "resources": kindStrings, "locations": kindStrings,
	},
	"usage": {
		"report": kindString, "enterpriseId": kindString, "limit": kindInt, "topN": kindInt, "splitBy": kindString,
	},
}

// contractRequired are the fields a query of the type cannot do without.
var contractRequired = map[string][]string{
	"telephony":    {"billingAccount", "lines", "metrics"},
	"cdnBandwidth": {"type"},
	"usage":        {"report"},
}

// contractValues are the allowed values of the enumerated fields.
var contractValues = map[string]map[string][]string{
	"telephony": {
		"metrics":   {"maxDelay", "maxJitter", "rtpMos", "sumRtpLost"},
		"timeframe": {"auto", "hourly", "daily", "weekly", "monthly", "yearly"},
		"mosScale":  {"raw", "mos"},
	},
	"cdnBandwidth": {
		"type":    {"GB", "MBPS"},
		"groupBy": {"", "location", "resource"},
	},
	"usage": {
		"report":  {"logs", "requests", "complexity", "devices", "routes", "requestRate", "latency"},
		"splitBy": {"", "route", "enterprise", "device"},
	},
}

// variableKindRoutes maps the variable query model's kinds to the resource
// routes that list their values (docs/plugin-contract.md, "Variables and resource routes").
var variableKindRoutes = map[string]string{
	"billingAccounts": "telephony/billing-accounts",
	"lines":           "telephony/lines",
	"metrics":         "telephony/metrics",
	"cdnResources":    "cdn/resources",
	"cdnLocations":    "cdn/locations",
	"enterprises":     "usage/enterprises",
	"devices":         "usage/devices",
	"routes":          "usage/routes",
}

// variableQueryFields are the fields of the variable query model.
var variableQueryFields = []string{"refId", "kind", "billingAccount"}

// variableRef matches $name, ${name} and ${name:format}.
var variableRef = regexp.MustCompile(`\$(\w+)|\$\{(\w+)(?::[^}]*)?\}`)

// ---------------------------------------------------------------------------
// The files.
// ---------------------------------------------------------------------------

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaDashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Refresh       string `json:"refresh"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []templateVariable `json:"list"`
	} `json:"templating"`
	Panels []dashboardPanel `json:"panels"`
}

type templateVariable struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Hide       int            `json:"hide"`
	Datasource *dsRef         `json:"datasource"`
	Query      map[string]any `json:"query"`
	Multi      bool           `json:"multi"`
	IncludeAll bool           `json:"includeAll"`
	AllValue   *string        `json:"allValue"`
}

type gridPos struct{ X, Y, W, H int }

type dashboardPanel struct {
	ID          int              `json:"id"`
	Type        string           `json:"type"`
	Title       string           `json:"title"`
	GridPos     gridPos          `json:"gridPos"`
	Datasource  *dsRef           `json:"datasource"`
	Targets     []map[string]any `json:"targets"`
	TimeFrom    string           `json:"timeFrom"`
	Panels      []dashboardPanel `json:"panels"` // a collapsed row's panels
	Options     map[string]any   `json:"options"`
	FieldConfig struct {
		Defaults struct {
			Custom     map[string]any `json:"custom"`
			Decimals   *int           `json:"decimals"`
			Min        *float64       `json:"min"`
			Max        *float64       `json:"max"`
			Thresholds *struct {
				Steps []struct {
					Color string   `json:"color"`
					Value *float64 `json:"value"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

// queryless are the panel types that ask no data source (Grafana's own
// alert list, text).
var queryless = []string{"alertlist", "text", "dashlist", "news"}

// dataPanels returns the panels that query, rows' panels included.
func (d *grafanaDashboard) dataPanels() []dashboardPanel {
	var out []dashboardPanel
	for _, p := range d.Panels {
		switch {
		case p.Type == "row":
			out = append(out, p.Panels...)
		case !slices.Contains(queryless, p.Type):
			out = append(out, p)
		}
	}
	return out
}

type rulesFile struct {
	APIVersion int         `yaml:"apiVersion"`
	Groups     []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	OrgID    int         `yaml:"orgId"`
	Name     string      `yaml:"name"`
	Folder   string      `yaml:"folder"`
	Interval string      `yaml:"interval"`
	Rules    []alertRule `yaml:"rules"`
}

type alertRule struct {
	UID          string            `yaml:"uid"`
	Title        string            `yaml:"title"`
	Condition    string            `yaml:"condition"`
	Data         []ruleQuery       `yaml:"data"`
	For          string            `yaml:"for"`
	NoDataState  string            `yaml:"noDataState"`
	ExecErrState string            `yaml:"execErrState"`
	Labels       map[string]string `yaml:"labels"`
	Annotations  map[string]string `yaml:"annotations"`
	DashboardUID string            `yaml:"dashboardUid"`
	PanelID      int               `yaml:"panelId"`
}

type ruleQuery struct {
	RefID             string `yaml:"refId"`
	QueryType         string `yaml:"queryType"`
	RelativeTimeRange struct {
		From int64 `yaml:"from"`
		To   int64 `yaml:"to"`
	} `yaml:"relativeTimeRange"`
	DatasourceUID string         `yaml:"datasourceUid"`
	Model         map[string]any `yaml:"model"`
}

func (q ruleQuery) isExpression() bool { return q.DatasourceUID == expressionUID }

// data returns the rule's data item refID.
func (r alertRule) data(refID string) (ruleQuery, bool) {
	for _, q := range r.Data {
		if q.RefID == refID {
			return q, true
		}
	}
	return ruleQuery{}, false
}

type contactPointsFile struct {
	ContactPoints []struct {
		Name      string `yaml:"name"`
		Receivers []struct {
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			Settings map[string]any `yaml:"settings"`
		} `yaml:"receivers"`
	} `yaml:"contactPoints"`
}

type policyRoute struct {
	Receiver       string        `yaml:"receiver"`
	ObjectMatchers [][]string    `yaml:"object_matchers"`
	Routes         []policyRoute `yaml:"routes"`
}

type policiesFile struct {
	Policies []policyRoute `yaml:"policies"`
}

type dashboardProvidersFile struct {
	Providers []struct {
		Name    string `yaml:"name"`
		Type    string `yaml:"type"`
		Folder  string `yaml:"folder"`
		Options struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// provisioningDir is provisioning/ at the repository root.
func provisioningDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "provisioning")
}

func readYAML(t *testing.T, rel string, into any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(provisioningDir(), rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// loadDashboards reads every dashboard JSON file, by file name.
func loadDashboards(t *testing.T) map[string]*grafanaDashboard {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(provisioningDir(), "dashboards", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboards found: %v", err)
	}
	out := map[string]*grafanaDashboard{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d := &grafanaDashboard{}
		if err := json.Unmarshal(raw, d); err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
		out[filepath.Base(p)] = d
	}
	return out
}

func loadRules(t *testing.T) []alertRule {
	t.Helper()
	var f rulesFile
	readYAML(t, "alerting/rules.yaml", &f)
	var rules []alertRule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("rules.yaml holds no rule")
	}
	return rules
}

// ---------------------------------------------------------------------------
// (a) Every file parses.
// ---------------------------------------------------------------------------

func TestProvisioningFilesParse(t *testing.T) {
	var seen int
	err := filepath.WalkDir(provisioningDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(provisioningDir(), path)
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch filepath.Ext(path) {
		case ".yaml", ".yml":
			var doc map[string]any
			if err := yaml.Unmarshal(raw, &doc); err != nil {
				t.Errorf("%s: %v", rel, err)
			} else if doc["apiVersion"] != 1 {
				t.Errorf("%s: apiVersion %v, want 1", rel, doc["apiVersion"])
			}
		case ".json":
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Errorf("%s: %v", rel, err)
			}
		case ".md":
			// Grafana reads no Markdown; the alerting directory must not hold any (below).
		default:
			t.Errorf("%s: unexpected file type in provisioning/", rel)
		}
		// Grafana refuses to start when provisioning/alerting holds a file
		// that is neither YAML nor JSON.
		if filepath.Dir(rel) == "alerting" && !slices.Contains([]string{".yaml", ".yml", ".json"}, filepath.Ext(path)) {
			t.Errorf("%s: Grafana accepts only .yaml, .yml and .json in provisioning/alerting", rel)
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 8 {
		t.Errorf("only %d files under provisioning/", seen)
	}
}

func TestProvisioningDashboardsAreWellFormed(t *testing.T) {
	var providers dashboardProvidersFile
	readYAML(t, "dashboards/dashboards.yaml", &providers)
	if len(providers.Providers) != 1 {
		t.Fatalf("want one dashboard provider, got %d", len(providers.Providers))
	}
	p := providers.Providers[0]
	if p.Type != "file" || p.Folder != provisionFolder || p.Options.FoldersFromFilesStructure ||
		p.Options.Path != "/etc/grafana/provisioning/dashboards" {
		t.Errorf("provider %+v: want type file, folder %q, foldersFromFilesStructure false, the path docker-compose mounts", p, provisionFolder)
	}

	uids := map[string]string{}
	for name, d := range loadDashboards(t) {
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q title %q: both are needed", name, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share the uid %q", name, other, d.UID)
		}
		uids[d.UID] = name
		if d.SchemaVersion < 39 {
			t.Errorf("%s: schemaVersion %d, want 39 or later", name, d.SchemaVersion)
		}
		ids := map[int]bool{}
		for _, p := range d.Panels {
			for _, q := range append([]dashboardPanel{p}, p.Panels...) {
				if ids[q.ID] {
					t.Errorf("%s: panel id %d used twice", name, q.ID)
				}
				ids[q.ID] = true
				if g := q.GridPos; g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 {
					t.Errorf("%s: panel %q gridPos %+v does not fit 24 columns", name, q.Title, g)
				}
			}
		}
	}
	for _, want := range []string{"noc-wall.json", "telephony.json", "cdn.json", "usage.json"} {
		if !slices.Contains(slices.Collect(maps.Values(uids)), want) {
			t.Errorf("dashboard %s is missing", want)
		}
	}
}

// ---------------------------------------------------------------------------
// (b) Every query speaks the contract, against the provisioned data source.
// ---------------------------------------------------------------------------

func TestProvisioningDataSourceIsTheOneDashboardsUse(t *testing.T) {
	var f struct {
		Datasources []struct {
			Type string `yaml:"type"`
			UID  string `yaml:"uid"`
		} `yaml:"datasources"`
	}
	readYAML(t, "datasources/servicestats.yaml", &f)
	if len(f.Datasources) != 1 || f.Datasources[0].UID != provisionedUID || f.Datasources[0].Type != PluginID {
		t.Fatalf("provisioned data sources %+v, want one of type %s with uid %s", f.Datasources, PluginID, provisionedUID)
	}
}

func TestProvisioningDashboardQueriesFollowTheContract(t *testing.T) {
	for name, d := range loadDashboards(t) {
		defined := map[string]bool{}
		for _, v := range d.Templating.List {
			defined[v.Name] = true
			checkVariable(t, name, v)
		}
		panels := d.dataPanels()
		if len(panels) == 0 {
			t.Errorf("%s: no panel", name)
		}
		for _, p := range panels {
			where := fmt.Sprintf("%s / %q", name, p.Title)
			checkDatasource(t, where, p.Datasource)
			if len(p.Targets) == 0 {
				t.Errorf("%s: no query", where)
			}
			for _, target := range p.Targets {
				checkQueryModel(t, where, target, false)
				for _, ref := range variableNames(target) {
					if !defined[ref] {
						t.Errorf("%s: uses $%s, which the dashboard does not define", where, ref)
					}
				}
			}
		}
	}
}

func TestProvisioningRuleQueriesFollowTheContract(t *testing.T) {
	for _, r := range loadRules(t) {
		if r.UID == "" || r.Title == "" || r.For == "" {
			t.Errorf("rule %q: uid %q, title and for are needed", r.Title, r.UID)
		}
		if _, ok := r.data(r.Condition); !ok {
			t.Errorf("rule %q: condition %q is no refId of its data", r.Title, r.Condition)
		}
		for _, q := range r.Data {
			where := fmt.Sprintf("rule %q / %s", r.Title, q.RefID)
			if q.Model["refId"] != q.RefID {
				t.Errorf("%s: model refId %v differs from the item's", where, q.Model["refId"])
			}
			if q.isExpression() {
				checkExpression(t, where, r, q)
				continue
			}
			if q.DatasourceUID != provisionedUID {
				t.Errorf("%s: datasourceUid %q, want %q", where, q.DatasourceUID, provisionedUID)
			}
			// Grafana sends the item's queryType to the plugin; the model's is
			// what the editor shows. Both must name the query type.
			if q.QueryType == "" || q.QueryType != q.Model["queryType"] {
				t.Errorf("%s: queryType %q on the item, %v in the model: both must be set and equal", where, q.QueryType, q.Model["queryType"])
			}
			if q.RelativeTimeRange.From <= q.RelativeTimeRange.To {
				t.Errorf("%s: relativeTimeRange %+v is empty", where, q.RelativeTimeRange)
			}
			checkQueryModel(t, where, q.Model, true)
			if refs := variableNames(q.Model); len(refs) > 0 {
				t.Errorf("%s: alert queries get no template variables, found $%s", where, strings.Join(refs, ", $"))
			}
		}
	}
}

func checkDatasource(t *testing.T, where string, ds any) {
	t.Helper()
	var ref *dsRef
	switch v := ds.(type) {
	case *dsRef:
		ref = v
	case map[string]any:
		ref = &dsRef{}
		ref.Type, _ = v["type"].(string)
		ref.UID, _ = v["uid"].(string)
	}
	if ref == nil || ref.Type != PluginID || ref.UID != provisionedUID {
		t.Errorf("%s: datasource %+v, want {type %s, uid %s}", where, ds, PluginID, provisionedUID)
	}
}

// checkQueryModel checks one query's fields, their types and values against
// the contract.
func checkQueryModel(t *testing.T, where string, model map[string]any, rule bool) {
	t.Helper()
	qt, _ := model["queryType"].(string)
	fields, ok := contractFields[qt]
	if !ok {
		t.Errorf("%s: queryType %q is not one of the contract's", where, qt)
		return
	}
	where = fmt.Sprintf("%s (%s %v)", where, qt, model["refId"])
	checkDatasource(t, where, model["datasource"])
	for key, value := range model {
		kind, ok := fields[key]
		if !ok {
			kind, ok = grafanaQueryFields[key]
		}
		if !ok && rule {
			kind, ok = ruleQueryFields[key]
		}
		if !ok {
			t.Errorf("%s: field %q is not part of the %s query model", where, key, qt)
			continue
		}
		if err := checkKind(value, kind); err != nil {
			t.Errorf("%s: field %q: %v", where, key, err)
			continue
		}
		allowed := contractValues[qt][key]
		for _, s := range stringsOf(value) {
			if allowed != nil && !variableRef.MatchString(s) && !slices.Contains(allowed, s) {
				t.Errorf("%s: %s %q is not one of %q", where, key, s, allowed)
			}
		}
	}
	for _, key := range contractRequired[qt] {
		if v, ok := model[key]; !ok || len(stringsOf(v)) == 0 || slices.Contains(stringsOf(v), "") {
			t.Errorf("%s: %s is required", where, key)
		}
	}
	if qt == "cdnBandwidth" {
		for _, key := range []string{"resources", "locations"} {
			for _, s := range stringsOf(model[key]) {
				if _, err := strconv.ParseUint(s, 10, 64); err != nil && !variableRef.MatchString(s) {
					t.Errorf("%s: %s holds %q, neither a number nor a variable", where, key, s)
				}
			}
		}
	}
}

func checkKind(v any, kind fieldKind) error {
	ok := false
	switch kind {
	case kindString:
		_, ok = v.(string)
	case kindStrings:
		list, isList := v.([]any)
		ok = isList
		for _, e := range list {
			if _, isString := e.(string); !isString {
				ok = false
			}
		}
	case kindInt:
		switch n := v.(type) {
		case float64:
			ok = n == math.Trunc(n)
		case int:
			ok = true
		}
	case kindBool:
		_, ok = v.(bool)
	case kindDatasource:
		_, ok = v.(map[string]any)
	}
	if !ok {
		return fmt.Errorf("%v (%T) has the wrong type", v, v)
	}
	return nil
}

// stringsOf returns a string field's value, or a list field's elements.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// variableNames lists the template variables a query model refers to.
func variableNames(model map[string]any) []string {
	var out []string
	for key, v := range model {
		if key == "datasource" {
			continue
		}
		for _, s := range stringsOf(v) {
			for _, m := range variableRef.FindAllStringSubmatch(s, -1) {
				out = append(out, m[1]+m[2])
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func checkVariable(t *testing.T, dashboard string, v templateVariable) {
	t.Helper()
	where := fmt.Sprintf("%s / variable %s", dashboard, v.Name)
	if v.Type != "query" {
		return // custom, constant, interval… variables ask no data source
	}
	checkDatasource(t, where, v.Datasource)
	kind, _ := v.Query["kind"].(string)
	if _, ok := variableKindRoutes[kind]; !ok {
		t.Errorf("%s: kind %q is not a variable kind of the plugin", where, kind)
	}
	for key := range v.Query {
		if !slices.Contains(variableQueryFields, key) {
			t.Errorf("%s: field %q is not part of the variable query model", where, key)
		}
	}
	if ba, _ := v.Query["billingAccount"].(string); kind == "lines" && ba == "" {
		t.Errorf("%s: kind lines needs a billingAccount", where)
	}
	// "All" of an account or line variable is the contract's "*", read when
	// the panels run: Grafana's default (every value listed when the
	// dashboard loaded) would miss a line added since.
	if (kind == "billingAccounts" || kind == "lines") && v.IncludeAll && (v.AllValue == nil || *v.AllValue != allValue) {
		t.Errorf("%s: includeAll with allValue %v, want %q", where, v.AllValue, allValue)
	}
}

func checkExpression(t *testing.T, where string, r alertRule, q ruleQuery) {
	t.Helper()
	typ, _ := q.Model["type"].(string)
	if !slices.Contains([]string{"reduce", "threshold", "math", "classic_conditions", "resample"}, typ) {
		t.Errorf("%s: unknown expression type %q", where, typ)
	}
	if ds, _ := q.Model["datasource"].(map[string]any); ds != nil && ds["uid"] != expressionUID {
		t.Errorf("%s: an expression's datasource uid must be %s", where, expressionUID)
	}
	if in, _ := q.Model["expression"].(string); typ != "math" && typ != "classic_conditions" {
		if _, ok := r.data(in); !ok {
			t.Errorf("%s: expression input %q is no refId of the rule", where, in)
		}
	}
}

// ---------------------------------------------------------------------------
// (c) Every panel, variable and rule answers through the plugin binary.
// ---------------------------------------------------------------------------

// sandboxValues is what the dashboards' template variables stand for in
// these tests: two billing accounts (a multi-value variable, sent as "a,b")
// and all of their lines, every CDN resource and location, and "All"
// enterprises (the variable's all value is a blank, which the plugin reads
// as no filter).
func sandboxValues() map[string][]string {
	values := map[string][]string{"enterprise": {""}}
	for _, account := range sandbox.OVHAccounts()[:2] {
		values["billingAccount"] = append(values["billingAccount"], account.BillingAccount)
		for _, l := range account.Lines {
			values["line"] = append(values["line"], l.ServiceName)
		}
	}
	for _, r := range sandbox.OnAppResources() {
		values["resource"] = append(values["resource"], strconv.Itoa(r.Reference))
	}
	for _, l := range sandbox.OnAppLocations() {
		values["location"] = append(values["location"], strconv.Itoa(l.ID))
	}
	return values
}

// substitute replaces template variables in a query model as the plugin's
// frontend does: a list element naming a variable expands to every value,
// a single value takes the variable's only value.
func substitute(model map[string]any, values map[string][]string) (map[string]any, error) {
	out := map[string]any{}
	var missing []string
	lookup := func(name string) []string {
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	}
	for key, v := range model {
		switch v := v.(type) {
		case string:
			out[key] = variableRef.ReplaceAllStringFunc(v, func(ref string) string {
				m := variableRef.FindStringSubmatch(ref)
				return strings.Join(lookup(m[1]+m[2]), ",")
			})
		case []any:
			var list []any
			for _, e := range v {
				s, ok := e.(string)
				if m := variableRef.FindStringSubmatch(s); ok && m != nil && m[0] == s {
					for _, value := range lookup(m[1] + m[2]) {
						list = append(list, value)
					}
					continue
				}
				list = append(list, e)
			}
			out[key] = list
		default:
			out[key] = v
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no sandbox value for $%s", strings.Join(missing, ", $"))
	}
	return out, nil
}

// provisioningDataSource is the sandbox data source of these tests. Its rate
// guard is raised: the tests send every panel of four dashboards and every
// rule at once, which a real Grafana spreads over refreshes, and the guard
// has its own tests.
func provisioningDataSource(t *testing.T) DataSource {
	_, base := startSandbox(t, sandbox.Config{})
	ds := sandboxDataSource("provisioning-"+t.Name(), base)
	ds.JSONData["ovhRequestsPerMinute"] = 100000
	return ds
}

func provisioningCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// relativeDuration parses Grafana's "now-6h" and a panel's "30d".
func relativeDuration(s string) (time.Duration, error) {
	s = strings.TrimPrefix(s, "now-")
	if len(s) < 2 {
		return 0, fmt.Errorf("time %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("time %q: unit not handled by this test", s)
	}
	return time.Duration(n) * unit, nil
}

// queryFor builds the host query Grafana sends for a target: its queryType,
// its model and the time range, with an interval of about 1000 points.
func queryFor(model map[string]any, from, to time.Time) Query {
	ref, _ := model["refId"].(string)
	qt, _ := model["queryType"].(string)
	return Query{
		RefID: ref, QueryType: qt, JSON: model, From: from, To: to,
		Interval: max(to.Sub(from)/1000, time.Second), MaxDataPoints: 1000,
	}
}

// checkAnswer fails unless the response answered without error, without an
// error notice, and with data.
func checkAnswer(t *testing.T, where string, r backend.DataResponse) {
	t.Helper()
	if r.Error != nil {
		t.Errorf("%s: %v (status %d)", where, r.Error, r.Status)
		return
	}
	rows := 0
	for _, f := range r.Frames {
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				if n.Severity == data.NoticeSeverityError {
					t.Errorf("%s: error notice: %s", where, n.Text)
				}
			}
		}
		if len(f.Fields) > 0 {
			rows += f.Fields[0].Len()
		}
	}
	if rows == 0 {
		t.Errorf("%s: answered no data (%d frames)", where, len(r.Frames))
	}
}

func TestProvisioningEveryPanelAnswers(t *testing.T) {
	ds := provisioningDataSource(t)
	ctx := provisioningCtx(t)
	values := sandboxValues()
	for name, d := range loadDashboards(t) {
		dashFrom, err := relativeDuration(d.Time.From)
		if err != nil || d.Time.To != "now" {
			t.Fatalf("%s: time %+v: %v", name, d.Time, err)
		}
		for _, p := range d.dataPanels() {
			t.Run(strings.TrimSuffix(name, ".json")+"/"+p.Title, func(t *testing.T) {
				span := dashFrom
				if p.TimeFrom != "" { // the panel's own relative time
					override, err := relativeDuration(p.TimeFrom)
					if err != nil {
						t.Fatal(err)
					}
					span = override
				}
				to := time.Now()
				from := to.Add(-span)
				var queries []Query
				for _, target := range p.Targets {
					model, err := substitute(target, values)
					if err != nil {
						t.Fatal(err)
					}
					queries = append(queries, queryFor(model, from, to))
				}
				resp, err := host.QueryData(ctx, ds, queries...)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range queries {
					checkAnswer(t, q.RefID, resp.Responses[q.RefID])
				}
			})
		}
	}
}

func TestProvisioningEveryVariableAnswers(t *testing.T) {
	ds := provisioningDataSource(t)
	ctx := provisioningCtx(t)
	values := sandboxValues()
	for name, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			t.Run(strings.TrimSuffix(name, ".json")+"/"+v.Name, func(t *testing.T) {
				query, err := substitute(v.Query, values)
				if err != nil {
					t.Fatal(err)
				}
				path := variableKindRoutes[query["kind"].(string)]
				if ba, _ := query["billingAccount"].(string); ba != "" {
					path += "?billingAccount=" + ba
				}
				res, err := host.CallResource(ctx, ds, "GET", path)
				if err != nil {
					t.Fatal(err)
				}
				var options []struct{ Value, Text string }
				if res.Status != 200 || json.Unmarshal(res.Body, &options) != nil || len(options) == 0 {
					t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
				}
				// The values the other tests stand in for the variable are
				// among the ones it offers.
				offered := map[string]bool{}
				for _, o := range options {
					offered[o.Value] = true
				}
				for _, want := range values[v.Name] {
					if want != "" && !offered[want] {
						t.Errorf("GET %s does not offer %q: %s", path, want, res.Body)
					}
				}
			})
		}
	}
}

func TestProvisioningEveryRuleAnswers(t *testing.T) {
	ds := provisioningDataSource(t)
	ctx := provisioningCtx(t)
	for _, r := range loadRules(t) {
		t.Run(r.Title, func(t *testing.T) {
			now := time.Now()
			for _, q := range r.Data {
				if q.isExpression() {
					continue
				}
				// As Grafana's alerting sends it: a line that cannot be fetched fails the query.
				resp, err := host.QueryDataWithHeaders(ctx, ds, AlertHeaders, ruleHostQuery(q, now))
				if err != nil {
					t.Fatal(err)
				}
				checkAnswer(t, q.RefID, resp.Responses[q.RefID])
			}
		})
	}
}

// ruleHostQuery is the query Grafana's alerting sends for a rule's data item:
// the item's queryType, the model, and the relative time range ending now.
func ruleHostQuery(q ruleQuery, now time.Time) Query {
	interval := time.Second
	if ms, ok := q.Model["intervalMs"].(int); ok && ms > 0 {
		interval = time.Duration(ms) * time.Millisecond
	}
	maxPoints := int64(43200)
	if n, ok := q.Model["maxDataPoints"].(int); ok && n > 0 {
		maxPoints = int64(n)
	}
	return Query{
		RefID: q.RefID, QueryType: q.QueryType, JSON: q.Model,
		From:     now.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second),
		To:       now.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second),
		Interval: interval, MaxDataPoints: maxPoints,
	}
}

// ---------------------------------------------------------------------------
// (d) The call-quality rule fires for exactly the degraded line.
// ---------------------------------------------------------------------------

// ruleChain is a rule of the shape threshold(reduce(query)), read from the
// rule itself.
type ruleChain struct {
	query     ruleQuery
	reducer   string // last, mean, min, max, sum, count
	mode      string // "" (strict), dropNN, replaceNN
	replaceNN float64
	evaluator string // gt, lt, within_range, outside_range
	params    []float64
}

func readChain(r alertRule) (ruleChain, error) {
	var c ruleChain
	cond, ok := r.data(r.Condition)
	if !ok || cond.Model["type"] != "threshold" {
		return c, fmt.Errorf("condition %q is not a threshold expression", r.Condition)
	}
	conditions, _ := cond.Model["conditions"].([]any)
	if len(conditions) != 1 {
		return c, fmt.Errorf("threshold %s: want one condition, got %d", cond.RefID, len(conditions))
	}
	evaluator, _ := conditions[0].(map[string]any)["evaluator"].(map[string]any)
	c.evaluator, _ = evaluator["type"].(string)
	params, _ := evaluator["params"].([]any)
	for _, p := range params {
		f, err := toFloat(p)
		if err != nil {
			return c, fmt.Errorf("threshold %s: %w", cond.RefID, err)
		}
		c.params = append(c.params, f)
	}
	if len(c.params) == 0 {
		return c, fmt.Errorf("threshold %s has no parameter", cond.RefID)
	}

	reduceRef, _ := cond.Model["expression"].(string)
	reduce, ok := r.data(reduceRef)
	if !ok || reduce.Model["type"] != "reduce" {
		return c, fmt.Errorf("threshold input %q is not a reduce expression", reduceRef)
	}
	c.reducer, _ = reduce.Model["reducer"].(string)
	settings, _ := reduce.Model["settings"].(map[string]any)
	c.mode, _ = settings["mode"].(string)
	if c.mode == "replaceNN" {
		c.replaceNN, _ = toFloat(settings["replaceWithValue"])
	}

	queryRef, _ := reduce.Model["expression"].(string)
	c.query, ok = r.data(queryRef)
	if !ok || c.query.isExpression() {
		return c, fmt.Errorf("reduce input %q is not a data source query", queryRef)
	}
	return c, nil
}

func toFloat(v any) (float64, error) {
	switch n := v.(type) {
	case int:
		return float64(n), nil
	case float64:
		return n, nil
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}

// reduceSeries reduces one series as Grafana's reduce expression does.
func (c ruleChain) reduceSeries(values []*float64) float64 {
	var kept []float64
	for _, v := range values {
		switch {
		case v != nil && !math.IsNaN(*v):
			kept = append(kept, *v)
		case c.mode == "dropNN":
		case c.mode == "replaceNN":
			kept = append(kept, c.replaceNN)
		default: // strict: one null or NaN makes the result NaN
			return math.NaN()
		}
	}
	if c.reducer == "count" {
		return float64(len(kept))
	}
	if len(kept) == 0 {
		return math.NaN()
	}
	switch c.reducer {
	case "last":
		return kept[len(kept)-1]
	case "min":
		return slices.Min(kept)
	case "max":
		return slices.Max(kept)
	case "sum", "mean":
		sum := 0.0
		for _, v := range kept {
			sum += v
		}
		if c.reducer == "mean" {
			return sum / float64(len(kept))
		}
		return sum
	}
	return math.NaN()
}

// fires applies the threshold as Grafana's threshold expression does.
func (c ruleChain) fires(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	p := c.params
	switch c.evaluator {
	case "gt":
		return v > p[0]
	case "lt":
		return v < p[0]
	case "within_range":
		return len(p) == 2 && v > p[0] && v < p[1]
	case "outside_range":
		return len(p) == 2 && (v < p[0] || v > p[1])
	}
	return false
}

// alertInstance is one alert instance: its labels and reduced value.
type alertInstance struct {
	labels data.Labels
	value  float64
}

// evaluateRule runs the rule's query through the plugin as Grafana's alerting
// does (an alerting request, FromAlert) and applies its reduce and threshold:
// the instances, and the ones firing.
func evaluateRule(t *testing.T, ctx context.Context, ds DataSource, c ruleChain) (all, firing []alertInstance) {
	t.Helper()
	resp, err := host.QueryDataWithHeaders(ctx, ds, AlertHeaders, ruleHostQuery(c.query, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	r := resp.Responses[c.query.RefID]
	if r.Error != nil {
		t.Fatalf("query %s: %v", c.query.RefID, r.Error)
	}
	seen := map[string]bool{}
	for _, f := range r.Frames {
		for _, field := range f.Fields {
			if !field.Type().Numeric() {
				continue
			}
			key := field.Labels.String()
			if seen[key] {
				t.Errorf("two series with the labels %s: Grafana would merge their alert instances", key)
			}
			seen[key] = true
			values := make([]*float64, field.Len())
			for i := range values {
				if values[i], err = field.NullableFloatAt(i); err != nil {
					t.Fatal(err)
				}
			}
			in := alertInstance{labels: field.Labels, value: c.reduceSeries(values)}
			all = append(all, in)
			if c.fires(in.value) {
				firing = append(firing, in)
			}
		}
	}
	return all, firing
}

// telephonyRules returns the rules of the shape threshold(reduce(telephony
// query of one metric)) for that metric.
func telephonyRules(t *testing.T, metric string) map[string]ruleChain {
	t.Helper()
	out := map[string]ruleChain{}
	for _, r := range loadRules(t) {
		c, err := readChain(r)
		if err != nil {
			t.Errorf("rule %q: %v", r.Title, err)
			continue
		}
		if c.query.QueryType == "telephony" && slices.Equal(stringsOf(c.query.Model["metrics"]), []string{metric}) {
			out[r.Title] = c
		}
	}
	return out
}

// sandboxLines returns the "billingAccount/line" pairs a query's
// billingAccount stands for in the sandbox: one account, several separated
// by commas, or "*" for every account that serves statistics (the plugin
// leaves a retired one out of "*", with a notice).
func sandboxLines(billingAccount string) []string {
	wanted := map[string]bool{}
	for _, a := range strings.Split(billingAccount, ",") {
		wanted[strings.TrimSpace(a)] = true
	}
	var out []string
	for _, account := range sandbox.OVHAccounts() {
		named := wanted[account.BillingAccount]
		if !named && (!wanted[allValue] || account.StatisticsRetired) {
			continue
		}
		for _, l := range account.Lines {
			out = append(out, account.BillingAccount+"/"+l.ServiceName)
		}
	}
	slices.Sort(out)
	return out
}

// instanceLines returns the instances' "billingAccount/line" pairs, sorted.
func instanceLines(instances []alertInstance) []string {
	var out []string
	for _, in := range instances {
		out = append(out, in.labels["billingAccount"]+"/"+in.labels["line"])
	}
	slices.Sort(out)
	return out
}

// qualityRules are the rules whose sandbox data separates the degraded line
// from the healthy ones (internal/sandbox/ovh_data.go): each must fire for
// that line only.
var qualityRules = []struct {
	metric    string
	evaluator string
	scale     [2]float64 // the threshold's plausible range, in the query's unit
}{
	{"rtpMos", "lt", [2]float64{1, 5}},          // MOS 1–5 (mosScale mos)
	{"maxJitter", "gt", [2]float64{0.005, 0.1}}, // seconds
	{"maxDelay", "gt", [2]float64{0.05, 0.4}},   // seconds
}

func TestProvisioningQualityRulesFireForTheDegradedLineOnly(t *testing.T) {
	ds := provisioningDataSource(t)
	ctx := provisioningCtx(t)
	for _, want := range qualityRules {
		rules := telephonyRules(t, want.metric)
		if len(rules) == 0 {
			t.Errorf("no %s rule in rules.yaml", want.metric)
			continue
		}
		// Every line of the sandbox's accounts that answer statistics is watched.
		watched := map[string]bool{}
		var firing []string
		for title, c := range rules {
			if c.evaluator != want.evaluator {
				t.Errorf("rule %q: want evaluator %s, has %q", title, want.evaluator, c.evaluator)
			}
			if c.reducer != "mean" || c.mode != "dropNN" {
				t.Errorf("rule %q: reduce %s/%s, want the mean of the window without nulls (mean/dropNN)", title, c.reducer, c.mode)
			}
			if want.metric == "rtpMos" && c.query.Model["mosScale"] != "mos" {
				t.Errorf("rule %q: mosScale %v, want mos (thresholds on the 1–5 scale operators read)", title, c.query.Model["mosScale"])
			}
			if th := c.params[0]; th < want.scale[0] || th > want.scale[1] {
				t.Errorf("rule %q: threshold %v outside %v for %s", title, th, want.scale, want.metric)
			}
			all, fired := evaluateRule(t, ctx, ds, c)
			account, _ := c.query.Model["billingAccount"].(string)
			if got, lines := instanceLines(all), sandboxLines(account); !slices.Equal(got, lines) {
				t.Errorf("rule %q: alert instances for %q, want one per line of %s: %q", title, got, account, lines)
			}
			for _, in := range all {
				if in.labels["metric"] != want.metric {
					t.Errorf("rule %q: an alert instance with the labels %s", title, in.labels)
				}
				watched[in.labels["line"]] = true
				t.Logf("rule %q: line %s %s %v (threshold %s %v)", title, in.labels["line"], want.metric, in.value, c.evaluator, c.params[0])
			}
			for _, in := range fired {
				firing = append(firing, in.labels["line"])
			}
		}
		for _, account := range sandbox.OVHAccounts() {
			if account.BillingAccount == sandbox.OVHRetiredAccount {
				continue
			}
			for _, l := range account.Lines {
				if !watched[l.ServiceName] {
					t.Errorf("line %s of %s is watched by no %s rule", l.ServiceName, account.BillingAccount, want.metric)
				}
			}
		}
		if !slices.Equal(firing, []string{sandbox.OVHDegradedLine}) {
			t.Errorf("%s: firing lines %q, want exactly the degraded line %s", want.metric, firing, sandbox.OVHDegradedLine)
		}
	}
}

func TestProvisioningPacketLossRuleReadsFiveMinutesPerLine(t *testing.T) {
	rules := telephonyRules(t, "sumRtpLost")
	if len(rules) == 0 {
		t.Fatal("no sumRtpLost rule in rules.yaml")
	}
	ds := provisioningDataSource(t)
	ctx := provisioningCtx(t)
	for title, c := range rules {
		if c.evaluator != "gt" {
			t.Errorf("rule %q: a packet-loss rule should fire above its threshold (gt), has %q", title, c.evaluator)
		}
		// One minute's value flaps: the rule reads a few minutes, summed or averaged.
		if !slices.Contains([]string{"mean", "sum"}, c.reducer) || c.mode != "dropNN" {
			t.Errorf("rule %q: reduce %s/%s, want mean or sum without nulls", title, c.reducer, c.mode)
		}
		if w := c.query.RelativeTimeRange.From - c.query.RelativeTimeRange.To; w < 180 || w > 900 {
			t.Errorf("rule %q: a window of %d s, want about 5 minutes", title, w)
		}
		all, fired := evaluateRule(t, ctx, ds, c)
		account, _ := c.query.Model["billingAccount"].(string)
		if got, lines := instanceLines(all), sandboxLines(account); !slices.Equal(got, lines) {
			t.Errorf("rule %q: alert instances for %q, want one per line of %s: %q", title, got, account, lines)
		}
		degraded := false
		for _, in := range all {
			if math.IsNaN(in.value) {
				t.Errorf("rule %q: line %s reduces to no value", title, in.labels["line"])
			}
			if in.labels["line"] == sandbox.OVHDegradedLine {
				degraded = true
				if !c.fires(in.value) {
					t.Errorf("rule %q: the degraded line loses %v packets a minute and does not fire", title, in.value)
				}
			}
		}
		if !degraded {
			t.Errorf("rule %q: the degraded line %s is not watched", title, sandbox.OVHDegradedLine)
		}
		// The healthy lines' losses are random bursts: which of them fires
		// varies, so only log it.
		t.Logf("rule %q: %d instances, %d above %v", title, len(all), len(fired), c.params[0])
	}
}

// ---------------------------------------------------------------------------
// No hard-coded line: rules and the wall read every line of their accounts.
// ---------------------------------------------------------------------------

func TestProvisioningRulesAndWallNameNoLine(t *testing.T) {
	check := func(where string, model map[string]any) {
		if model["queryType"] != "telephony" {
			return
		}
		if lines := stringsOf(model["lines"]); !slices.Equal(lines, []string{allValue}) {
			t.Errorf("%s: lines %q, want [%q]: a line added to the account would go unwatched", where, lines, allValue)
		}
	}
	for _, r := range loadRules(t) {
		for _, q := range r.Data {
			if !q.isExpression() {
				check(fmt.Sprintf("rule %q / %s", r.Title, q.RefID), q.Model)
			}
		}
	}
	wall := loadDashboards(t)["noc-wall.json"]
	if wall == nil {
		t.Fatal("noc-wall.json is missing")
	}
	for _, p := range wall.dataPanels() {
		for _, q := range p.Targets {
			check(fmt.Sprintf("NOC wall / %q", p.Title), q)
		}
	}
}

// ---------------------------------------------------------------------------
// Alerting references resolve: folder, dashboards, contact points, labels,
// runbooks.
// ---------------------------------------------------------------------------

// readmeAnchors returns the anchors GitHub gives README.md's headings.
func readmeAnchors(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(provisioningDir(), "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		slug := githubSlug(strings.TrimLeft(line, "#"))
		for n := 1; anchors[slug]; n++ { // GitHub numbers repeated headings
			slug = fmt.Sprintf("%s-%d", githubSlug(strings.TrimLeft(line, "#")), n)
		}
		anchors[slug] = true
	}
	return anchors
}

// githubSlug is GitHub's anchor of a heading: lower case, punctuation
// dropped, spaces as hyphens.
func githubSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestProvisioningRulesSayWhatToDo(t *testing.T) {
	anchors := readmeAnchors(t)
	if !anchors["runbook"] {
		t.Error("README.md has no Runbook section")
	}
	for _, r := range loadRules(t) {
		for _, key := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[key]) == "" {
				t.Errorf("rule %q: annotation %s is missing", r.Title, key)
			}
		}
		for _, key := range []string{"summary", "description"} {
			if !strings.Contains(r.Annotations[key], "{{ $labels.line }}") {
				t.Errorf("rule %q: annotation %s does not name the line", r.Title, key)
			}
		}
		// The value in words an operator reads: formatted, not a raw float.
		if d := r.Annotations["description"]; !regexp.MustCompile(`\{\{ (printf "%\.\df"|humanize\w*) \$values\.B\.Value \}\}`).MatchString(d) {
			t.Errorf("rule %q: description does not give the value humanised (printf or humanize of $values.B.Value): %s", r.Title, d)
		}
		u := r.Annotations["runbook_url"]
		anchor, ok := strings.CutPrefix(u, "https://github.com/opsdeck/servicestats#")
		if !ok || !anchors[anchor] {
			t.Errorf("rule %q: runbook_url %q is not an anchor of README.md (headings: %d)", r.Title, u, len(anchors))
		}
	}
}

func TestProvisioningAlertingReferencesResolve(t *testing.T) {
	var rules rulesFile
	readYAML(t, "alerting/rules.yaml", &rules)
	var contacts contactPointsFile
	readYAML(t, "alerting/contact-points.yaml", &contacts)
	var policies policiesFile
	readYAML(t, "alerting/policies.yaml", &policies)
	dashboards := map[string]*grafanaDashboard{}
	for _, d := range loadDashboards(t) {
		dashboards[d.UID] = d
	}

	uids := map[string]bool{}
	for _, g := range rules.Groups {
		if g.Folder != provisionFolder || g.Interval == "" || g.Name == "" {
			t.Errorf("group %q: folder %q interval %q, want folder %q and an interval", g.Name, g.Folder, g.Interval, provisionFolder)
		}
		for _, r := range g.Rules {
			if uids[r.UID] {
				t.Errorf("rule uid %q used twice", r.UID)
			}
			uids[r.UID] = true
			if r.Labels["team"] == "" || r.Labels["severity"] == "" {
				t.Errorf("rule %q: labels %v need team and severity", r.Title, r.Labels)
			}
			// A failure to fetch a line must show, never read as Normal.
			if r.ExecErrState != "Error" {
				t.Errorf("rule %q: execErrState %q, want Error", r.Title, r.ExecErrState)
			}
			if !slices.Contains([]string{"NoData", "OK", "Alerting", "KeepLast"}, r.NoDataState) {
				t.Errorf("rule %q: noDataState %q is not one Grafana knows", r.Title, r.NoDataState)
			}
			if d := dashboards[r.DashboardUID]; r.DashboardUID != "" && (d == nil || !slices.ContainsFunc(d.dataPanels(), func(p dashboardPanel) bool { return p.ID == r.PanelID })) {
				t.Errorf("rule %q: dashboard %s panel %d does not exist", r.Title, r.DashboardUID, r.PanelID)
			}
		}
	}

	receivers := map[string]bool{}
	for _, cp := range contacts.ContactPoints {
		receivers[cp.Name] = len(cp.Receivers) > 0
	}
	if len(policies.Policies) != 1 {
		t.Fatalf("want one policy tree, got %d", len(policies.Policies))
	}
	var walk func(r policyRoute)
	routed := false
	walk = func(r policyRoute) {
		if !receivers[r.Receiver] {
			t.Errorf("policy routes to %q, which contact-points.yaml does not define", r.Receiver)
		}
		for _, m := range r.ObjectMatchers {
			if slices.Equal(m, []string{"team", "=", "voice"}) {
				routed = true
			}
		}
		for _, child := range r.Routes {
			walk(child)
		}
	}
	walk(policies.Policies[0])
	if !routed {
		t.Error("no policy route matches team=voice")
	}
}

// ---------------------------------------------------------------------------
// (e) The NOC wall fits a 1920×1080 TV without scrolling: in a browser
// window, not only in kiosk mode.
// ---------------------------------------------------------------------------

// Grafana's grid: rows of 30 px with 8 px between them, so a panel of h rows
// is h·38 − 8 px tall. A 1080 px screen shows about 950 px of page in a
// browser window (tabs, address bar); Grafana's own chrome takes about
// 120 px of it (top bar, dashboard controls, padding). Kiosk mode keeps
// only a 16 px padding above and below the grid.
const (
	browserPageHeightPx = 950
	grafanaChromePx     = 120
	wallHeightPx        = 1080
	gridRowPx           = 30
	gridMarginPx        = 8
	kioskPaddingPx      = 16
	gridColumns         = 24
)

// rowsIn returns the grid rows a height of px pixels shows.
func rowsIn(px int) int { return (px + gridMarginPx) / (gridRowPx + gridMarginPx) }

func TestProvisioningNOCWallFitsOneScreen(t *testing.T) {
	d := loadDashboards(t)["noc-wall.json"]
	if d == nil {
		t.Fatal("noc-wall.json is missing")
	}
	rows := rowsIn(browserPageHeightPx - grafanaChromePx)
	if kiosk := rowsIn(wallHeightPx - 2*kioskPaddingPx); rows != 22 || kiosk != 27 {
		t.Fatalf("computed %d rows in a browser window and %d in kiosk mode, expected 22 and 27", rows, kiosk)
	}
	bottom := 0
	var boxes []gridPos
	for _, p := range d.Panels {
		g := p.GridPos
		if p.Type == "row" {
			t.Errorf("panel %q: no rows on a wall (a collapsed row hides panels)", p.Title)
		}
		if g.W > gridColumns || g.X+g.W > gridColumns {
			t.Errorf("panel %q: gridPos %+v wider than %d columns", p.Title, g, gridColumns)
		}
		bottom = max(bottom, g.Y+g.H)
		for _, o := range boxes {
			if g.X < o.X+o.W && o.X < g.X+g.W && g.Y < o.Y+o.H && o.Y < g.Y+g.H {
				t.Errorf("panel %q: gridPos %+v overlaps %+v (Grafana would push it down)", p.Title, g, o)
			}
		}
		boxes = append(boxes, g)
	}
	if bottom > rows {
		t.Errorf("the wall is %d rows tall, a browser window on a 1080 px screen shows %d", bottom, rows)
	}
	for _, v := range d.Templating.List {
		if v.Hide != 2 {
			t.Errorf("variable %s would show a bar above the panels: hide it (hide: 2)", v.Name)
		}
	}
	if d.Refresh != "30s" || d.Time.From != "now-6h" {
		t.Errorf("refresh %q time %+v, want 30s and the last 6 hours", d.Refresh, d.Time)
	}
	t.Logf("NOC wall: %d of %d rows used", bottom, rows)
}

// wallRules returns the telephony rules by title, with the wall panel each
// links to.
func wallRules(t *testing.T, d *grafanaDashboard) map[string]struct {
	chain ruleChain
	panel dashboardPanel
} {
	t.Helper()
	panels := map[int]dashboardPanel{}
	for _, p := range d.dataPanels() {
		panels[p.ID] = p
	}
	rules := map[string]alertRule{}
	for _, r := range loadRules(t) {
		rules[r.Title] = r
	}
	out := map[string]struct {
		chain ruleChain
		panel dashboardPanel
	}{}
	for _, metric := range []string{"rtpMos", "maxJitter", "maxDelay", "sumRtpLost"} {
		for title, c := range telephonyRules(t, metric) {
			r := rules[title]
			p, ok := panels[r.PanelID]
			if r.DashboardUID != d.UID || !ok {
				t.Errorf("rule %q links to %s panel %d, want a panel of the NOC wall", title, r.DashboardUID, r.PanelID)
				continue
			}
			if !slices.ContainsFunc(p.Targets, func(q map[string]any) bool { return slices.Contains(stringsOf(q["metrics"]), metric) }) {
				t.Errorf("rule %q links to panel %q, which does not show %s", title, p.Title, metric)
			}
			out[title] = struct {
				chain ruleChain
				panel dashboardPanel
			}{c, p}
		}
	}
	return out
}

func TestProvisioningNOCWallMatchesTheAlertThresholds(t *testing.T) {
	d := loadDashboards(t)["noc-wall.json"]
	if d == nil {
		t.Fatal("noc-wall.json is missing")
	}
	// The rules link to the wall's panel of their metric, and that panel's
	// first coloured step is the rule's threshold: red below it on the MOS
	// tiles, red above it on the jitter, delay and lost-packets charts.
	linked := wallRules(t, d)
	if len(linked) < 4 {
		t.Errorf("%d telephony rules link to the wall, want the MOS, jitter, delay and packet-loss rules", len(linked))
	}
	for title, l := range linked {
		c, p := l.chain, l.panel
		var steps []string
		if th := p.FieldConfig.Defaults.Thresholds; th != nil {
			for _, s := range th.Steps {
				if s.Value == nil {
					steps = append(steps, s.Color+" from -∞")
					continue
				}
				steps = append(steps, fmt.Sprintf("%s from %v", s.Color, *s.Value))
			}
			if len(th.Steps) > 1 && th.Steps[1].Value != nil && *th.Steps[1].Value == c.params[0] {
				continue
			}
		}
		t.Errorf("panel %q: the first threshold step should be rule %q's %v, steps are %q", p.Title, title, c.params[0], steps)
	}
}

// statCalcs maps Grafana's reduce expression reducers to the stat panel's
// calculations that compute the same.
var statCalcs = map[string]string{"mean": "mean", "last": "lastNotNull", "sum": "sum", "min": "min", "max": "max"}

func TestProvisioningNOCWallTilesReadTheRulesWindow(t *testing.T) {
	d := loadDashboards(t)["noc-wall.json"]
	if d == nil {
		t.Fatal("noc-wall.json is missing")
	}
	tiles := 0
	for title, l := range wallRules(t, d) {
		c, p := l.chain, l.panel
		if p.Type != "stat" && p.Type != "gauge" && p.Type != "bargauge" {
			continue // a chart shows the history, not the rule's number
		}
		tiles++
		window := time.Duration(c.query.RelativeTimeRange.From-c.query.RelativeTimeRange.To) * time.Second
		span, err := relativeDuration(p.TimeFrom)
		if err != nil || span != window || c.query.RelativeTimeRange.To != 0 {
			t.Errorf("panel %q: time %q (%v), rule %q reads the last %v: a tile could be red while the rule is Normal", p.Title, p.TimeFrom, err, title, window)
		}
		reduce, _ := p.Options["reduceOptions"].(map[string]any)
		if calcs := stringsOf(reduce["calcs"]); !slices.Equal(calcs, []string{statCalcs[c.reducer]}) {
			t.Errorf("panel %q: calcs %q, rule %q reduces with %s: want [%q]", p.Title, calcs, title, c.reducer, statCalcs[c.reducer])
		}
	}
	if tiles == 0 {
		t.Error("no rule links to a tile of the wall")
	}
}

func TestProvisioningNOCWallShowsMOSOnTheOneToFiveScale(t *testing.T) {
	d := loadDashboards(t)["noc-wall.json"]
	if d == nil {
		t.Fatal("noc-wall.json is missing")
	}
	seen := 0
	for _, p := range d.dataPanels() {
		if !slices.ContainsFunc(p.Targets, func(q map[string]any) bool { return slices.Contains(stringsOf(q["metrics"]), "rtpMos") }) {
			continue
		}
		seen++
		for _, q := range p.Targets {
			if slices.Contains(stringsOf(q["metrics"]), "rtpMos") && q["mosScale"] != "mos" {
				t.Errorf("panel %q: mosScale %v, want mos: operators read MOS 1–5", p.Title, q["mosScale"])
			}
		}
		fd := p.FieldConfig.Defaults
		if fd.Decimals == nil || *fd.Decimals != 1 || fd.Min == nil || *fd.Min != 1 || fd.Max == nil || *fd.Max != 5 {
			t.Errorf("panel %q: decimals %v min %v max %v, want one decimal on 1–5", p.Title, fd.Decimals, fd.Min, fd.Max)
		}
		if fd.Thresholds == nil {
			t.Errorf("panel %q: no thresholds", p.Title)
			continue
		}
		for _, s := range fd.Thresholds.Steps {
			if s.Value != nil && (*s.Value < 1 || *s.Value > 5) {
				t.Errorf("panel %q: threshold %v is not on the 1–5 scale", p.Title, *s.Value)
			}
		}
	}
	if seen == 0 {
		t.Error("the wall shows no MOS")
	}
}

func TestProvisioningNOCWallListsTheAlerts(t *testing.T) {
	d := loadDashboards(t)["noc-wall.json"]
	if d == nil {
		t.Fatal("noc-wall.json is missing")
	}
	i := slices.IndexFunc(d.Panels, func(p dashboardPanel) bool { return p.Type == "alertlist" })
	if i < 0 {
		t.Fatal("no alert list on the wall: nothing shows which alerts fire")
	}
	opts := d.Panels[i].Options
	// The rules linked to this dashboard: every rule of the folder links to
	// the wall (TestProvisioningNOCWallMatchesTheAlertThresholds).
	if opts["dashboardAlerts"] != true {
		t.Errorf("alert list options %v: want dashboardAlerts true (this folder's rules, all linked to the wall)", opts)
	}
	states, _ := opts["stateFilter"].(map[string]any)
	for _, s := range []string{"firing", "pending", "error", "noData"} {
		if states[s] != true {
			t.Errorf("alert list: state %s not shown (stateFilter %v)", s, states)
		}
	}
	for _, r := range loadRules(t) {
		if r.DashboardUID != d.UID {
			t.Errorf("rule %q links to dashboard %q, so the wall's alert list would not show it", r.Title, r.DashboardUID)
		}
	}
}

func TestProvisioningTelephonyDashboardShowsTheGuideChart(t *testing.T) {
	dashboards := loadDashboards(t)
	const title = "Max jitter, last month (OVHcloud guide example)"
	if wall := dashboards["noc-wall.json"]; wall != nil && slices.ContainsFunc(wall.Panels, func(p dashboardPanel) bool { return p.Title == title }) {
		t.Errorf("the NOC wall still shows the demo panel %q", title)
	}
	d := dashboards["telephony.json"]
	if d == nil {
		t.Fatal("telephony.json is missing")
	}
	i := slices.IndexFunc(d.dataPanels(), func(p dashboardPanel) bool { return p.Title == title })
	if i < 0 {
		t.Fatalf("no panel %q", title)
	}
	p := d.dataPanels()[i]
	if p.Type != "timeseries" || p.FieldConfig.Defaults.Custom["drawStyle"] != "points" || p.TimeFrom != "30d" {
		t.Errorf("panel %q: type %s drawStyle %v timeFrom %q, want timeseries, points, 30d", title, p.Type, p.FieldConfig.Defaults.Custom["drawStyle"], p.TimeFrom)
	}
	for _, q := range p.Targets {
		if q["timeframe"] != "monthly" || !slices.Equal(stringsOf(q["metrics"]), []string{"maxJitter"}) {
			t.Errorf("panel %q: query %v, want maxJitter with timeframe monthly", title, q)
		}
	}
}
