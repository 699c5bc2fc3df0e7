package models

// The query models, mirrored by src/types.ts. Grafana adds its own fields to
// every query (datasource, hide, intervalMs, maxDataPoints, …); unknown fields
// are ignored, but a known field of the wrong type is an error.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// Query types (backend.DataQuery.QueryType).
const (
	QueryTypeTelephony    = "telephony"
	QueryTypeCDNBandwidth = "cdnBandwidth"
	QueryTypeUsage        = "usage"
)

// QueryTypes lists every query type, in the editor's order.
var QueryTypes = []string{QueryTypeTelephony, QueryTypeCDNBandwidth, QueryTypeUsage}

// Common holds the options every query type shares.
type Common struct {
	// NoCache bypasses the plugin's answer cache for this query.
	NoCache bool `json:"noCache,omitempty"`
}

// BypassCache reports whether the query asked for fresh answers.
func (c Common) BypassCache() bool { return c.NoCache }

// Telephony metrics (OVH telephony.LineStatisticsTypeEnum).
var TelephonyMetrics = []string{"maxDelay", "maxJitter", "rtpMos", "sumRtpLost"}

// Telephony timeframes; "auto" picks the smallest OVH window covering the range.
var TelephonyTimeframes = []string{"auto", "hourly", "daily", "weekly", "monthly", "yearly"}

// MOS scales.
const (
	MOSScaleRaw = "raw" // 0–5000, as OVHcloud sends it
	MOSScaleMOS = "mos" // 1–5
)

// All is the value of billingAccount, or the one entry of lines, that
// means every billing account the credential sees, or every line of the
// account.
const All = "*"

// TelephonyQuery asks for OVHcloud line statistics.
type TelephonyQuery struct {
	Common
	// BillingAccount is one account, All, or several: a multi-value
	// template variable arrives as "a,b" (the editor's csv format) or
	// "{a,b}" (Grafana's default glob format); Validate splits it into
	// BillingAccounts.
	BillingAccount string   `json:"billingAccount"`
	Lines          []string `json:"lines"`
	Metrics        []string `json:"metrics"`
	Timeframe      string   `json:"timeframe"`
	MOSScale       string   `json:"mosScale"`

	// BillingAccounts is BillingAccount split (one entry when it names one
	// account, []string{All} for every account).
	BillingAccounts []string `json:"-"`
}

// AllAccounts reports whether the query asks for every billing account.
func (q *TelephonyQuery) AllAccounts() bool { return slices.Contains(q.BillingAccounts, All) }

// AllLines reports whether the query asks for every line of its accounts.
func (q *TelephonyQuery) AllLines() bool { return slices.Contains(q.Lines, All) }

// splitMulti splits a multi-value template variable's expansion: "a,b",
// "{a,b}" or a single value.
func splitMulti(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
	}
	return cleanList(strings.Split(s, ","))
}

// Validate fills defaults and checks the query.
func (q *TelephonyQuery) Validate() error {
	q.BillingAccount = strings.TrimSpace(q.BillingAccount)
	q.BillingAccounts = splitMulti(q.BillingAccount)
	if q.AllAccounts() {
		q.BillingAccounts = []string{All}
	}
	var lines []string
	for _, l := range q.Lines { // a multi-value variable may arrive as one "{a,b}" entry
		lines = append(lines, splitMulti(l)...)
	}
	q.Lines = cleanList(lines)
	if q.AllLines() {
		q.Lines = []string{All}
	}
	q.Metrics = cleanList(q.Metrics)
	if q.Timeframe == "" {
		q.Timeframe = "auto"
	}
	if q.MOSScale == "" {
		q.MOSScale = MOSScaleRaw
	}
	switch {
	case len(q.BillingAccounts) == 0:
		return fmt.Errorf("billingAccount is required (an account such as ab12345-ovh-1, or %q for every account)", All)
	case len(q.Lines) == 0:
		return fmt.Errorf("lines: give at least one line (service name) of %s, or [%q] for every line", Quote(q.BillingAccount), All)
	case len(q.Metrics) == 0:
		return fmt.Errorf("metrics: give at least one of %s", strings.Join(TelephonyMetrics, ", "))
	}
	for _, m := range q.Metrics {
		if !slices.Contains(TelephonyMetrics, m) {
			return fmt.Errorf("metrics: unknown metric %s (expected one of %s)", Quote(m), strings.Join(TelephonyMetrics, ", "))
		}
	}
	if !slices.Contains(TelephonyTimeframes, q.Timeframe) {
		return fmt.Errorf("timeframe: unknown value %s (expected one of %s)", Quote(q.Timeframe), strings.Join(TelephonyTimeframes, ", "))
	}
	if q.MOSScale != MOSScaleRaw && q.MOSScale != MOSScaleMOS {
		return fmt.Errorf("mosScale: unknown value %s (expected %q or %q)", Quote(q.MOSScale), MOSScaleRaw, MOSScaleMOS)
	}
	return nil
}

// CDN bandwidth types and groupings.
const (
	CDNTypeGB           = "GB"
	CDNTypeMBPS         = "MBPS"
	CDNGroupByNone      = ""
	CDNGroupByLocation  = "location"
	CDNGroupByResource  = "resource"
	cdnGroupByAllowed   = "\"\", location, resource"
	cdnTypeAllowedNames = "GB, MBPS"
)

// CDNQuery asks for OnApp CDN bandwidth statistics.
type CDNQuery struct {
	Common
	Type      string   `json:"type"`
	GroupBy   string   `json:"groupBy"`
	Resources []string `json:"resources"`
	Locations []string `json:"locations"`
}

// Validate fills defaults and checks the query.
func (q *CDNQuery) Validate() error {
	q.Resources = cleanList(q.Resources)
	q.Locations = cleanList(q.Locations)
	if q.Type == "" {
		q.Type = CDNTypeGB
	}
	q.Type = strings.ToUpper(q.Type)
	if q.Type != CDNTypeGB && q.Type != CDNTypeMBPS {
		return fmt.Errorf("type: unknown value %s (expected %s)", Quote(q.Type), cdnTypeAllowedNames)
	}
	if q.GroupBy != CDNGroupByNone && q.GroupBy != CDNGroupByLocation && q.GroupBy != CDNGroupByResource {
		return fmt.Errorf("groupBy: unknown value %s (expected %s)", Quote(q.GroupBy), cdnGroupByAllowed)
	}
	for _, r := range q.Resources {
		if !isDigits(r) {
			return fmt.Errorf("resources: %s is not a CDN reference (a number such as 977655738)", Quote(r))
		}
	}
	for _, l := range q.Locations {
		if !isDigits(l) {
			return fmt.Errorf("locations: %s is not a location id (a number such as 532)", Quote(l))
		}
	}
	return nil
}

// Usage reports. The first five are Pulse's own; the last two are series the
// plugin derives from the logs.
const (
	UsageReportLogs        = "logs"
	UsageReportRequests    = "requests"
	UsageReportComplexity  = "complexity"
	UsageReportDevices     = "devices"
	UsageReportRoutes      = "routes"
	UsageReportRequestRate = "requestRate" // requests per interval, from the logs
	UsageReportLatency     = "latency"     // p50/p95/max executionTime per interval, from the logs
)

// UsageReports lists every usage report.
var UsageReports = []string{
	UsageReportLogs, UsageReportRequests, UsageReportComplexity, UsageReportDevices,
	UsageReportRoutes, UsageReportRequestRate, UsageReportLatency,
}

// Usage split dimensions for the derived series.
var UsageSplits = []string{"", "route", "enterprise", "device"}

// Page-size bounds of the paginated Pulse calls.
const (
	DefaultUsageLimit = 500
	MaxUsageLimit     = 5000
)

// UsageQuery asks for Pulse usage statistics.
type UsageQuery struct {
	Common
	Report       string `json:"report"`
	EnterpriseID string `json:"enterpriseId"`
	// Limit is the page size of the paginated calls.
	Limit int `json:"limit"`
	// TopN keeps the N largest rows of an aggregate (0 = all).
	TopN int `json:"topN,omitempty"`
	// SplitBy splits the derived series by route, enterprise or device.
	SplitBy string `json:"splitBy,omitempty"`
}

// Validate fills defaults and checks the query.
func (q *UsageQuery) Validate() error {
	q.EnterpriseID = strings.TrimSpace(q.EnterpriseID)
	if q.Report == "" {
		q.Report = UsageReportRequests
	}
	if q.Limit == 0 {
		q.Limit = DefaultUsageLimit
	}
	switch {
	case !slices.Contains(UsageReports, q.Report):
		return fmt.Errorf("report: unknown value %s (expected one of %s)", Quote(q.Report), strings.Join(UsageReports, ", "))
	case q.Limit < 1 || q.Limit > MaxUsageLimit:
		return fmt.Errorf("limit: %d is outside 1–%d", q.Limit, MaxUsageLimit)
	case q.TopN < 0:
		return fmt.Errorf("topN: %d must not be negative", q.TopN)
	case !slices.Contains(UsageSplits, q.SplitBy):
		return fmt.Errorf("splitBy: unknown value %s (expected route, enterprise, device or empty)", Quote(q.SplitBy))
	}
	return nil
}

// Validator is a query model that can check itself.
type Validator interface{ Validate() error }

// ParseQuery decodes raw query JSON into q, refuses template variables
// Grafana left unexpanded in any of its fields, and validates it. The error
// is written for the user: it names the field at fault, and quotes values
// bounded (Quote).
func ParseQuery[T any, PT interface {
	*T
	Validator
}](raw json.RawMessage) (*T, error) {
	q := new(T)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, q); err != nil {
			return nil, fmt.Errorf("malformed query: %s", describeJSONError(err))
		}
	}
	if err := checkVariables(q); err != nil {
		return nil, fmt.Errorf("invalid query: %w", err)
	}
	if err := PT(q).Validate(); err != nil {
		return nil, fmt.Errorf("invalid query: %w", err)
	}
	return q, nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if e, ok := err.(*json.UnmarshalTypeError); ok {
		te = e
		return fmt.Sprintf("field %s should be %s, not a JSON %s", Quote(te.Field), jsonKind(te.Type.String()), upstream.Shorten(te.Value, MaxQuotedValue))
	}
	return upstream.Shorten(err.Error(), 2*MaxQuotedValue)
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return goType
}

// cleanList trims entries and drops empty ones and duplicates, keeping order.
func cleanList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
