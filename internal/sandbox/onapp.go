package sandbox

// The OnApp CDN part of the sandbox.
//
// It imitates the endpoints the plugin reads, as described in
// docs/upstream-apis.md §2 and the OnApp "View CDN Resource Bandwidth
// Statistics" page:
//
//	GET /cdn_resources.json                      CDN resources
//	GET /cdn_resources/:id.json                  one CDN resource
//	GET /edge_groups.json                        edge groups and their locations
//	GET /cdn_resources/bandwidth.json|.xml       bandwidth statistics (legacy, ≤ 5.5)
//	GET /cdn/reports/bandwidth_statistics[.json|.xml]
//	                                             bandwidth statistics (reports, ≥ 5.6)
//
// The files are split by concern:
//
//	onapp.go         routing, authentication, the catalogue and the listings
//	onapp_params.go  bandwidth parameters: three transports, validation
//	onapp_data.go    deterministic daily volumes and the bucketing rules
//	onapp_render.go  the XML writer, the JSON shapes and error bodies

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// A second OnApp account: valid credentials, but its role lacks the
// permission to read bandwidth statistics, so those endpoints answer 403
// while the listings answer normally.
const (
	OnAppReadOnlyUser   = "readonly@example.com"
	OnAppReadOnlyAPIKey = "sandbox-onapp-readonly"
)

// OnAppResource is one CDN resource of the sandbox's catalogue.
type OnAppResource struct {
	ID           int    // the resource's OnApp id (GET /cdn_resources/:id.json)
	Reference    int    // cdn_reference: the identifier the bandwidth endpoints take
	Hostname     string // cdn_hostname
	EdgeGroupIDs []int  // edge groups serving the resource
}

// OnAppLocation is one edge location.
type OnAppLocation struct {
	ID      int
	City    string
	Country string
}

// OnAppEdgeGroup is a named set of edge locations.
type OnAppEdgeGroup struct {
	ID          int
	Label       string
	LocationIDs []int
}

// The catalogue. The three references and the two locations used in the
// OnApp documentation's examples are present; the resources are listed in
// the order the documentation's grouped example lists them, and that order
// is the order of groups in grouped answers.
//
// Each resource and location also carries a scale for the generated traffic.
var (
	onAppEdgeGroups = []OnAppEdgeGroup{
		{ID: 1, Label: "Europe", LocationIDs: []int{532, 331, 418}},
		{ID: 2, Label: "North America", LocationIDs: []int{207}},
		{ID: 3, Label: "Asia Pacific", LocationIDs: []int{615}},
	}

	onAppResources = []struct {
		OnAppResource
		dailyGB float64 // typical daily volume at a location of weight 1
	}{
		{OnAppResource{101, 977655738, "static.example.com", []int{1, 2, 3}}, 1.6},
		{OnAppResource{102, 725618714, "video.example.com", []int{1, 2}}, 4.2},
		{OnAppResource{103, 389478438, "downloads.example.com", []int{1}}, 0.9},
		{OnAppResource{104, 512904377, "images.example.net", []int{1, 3}}, 0.6},
		{OnAppResource{105, 864201953, "assets.example.org", []int{2, 3}}, 0.3},
	}

	onAppLocations = []struct {
		OnAppLocation
		weight float64 // share of a resource's traffic served there
	}{
		{OnAppLocation{532, "Paris", "France"}, 1.0},
		{OnAppLocation{331, "London", "United Kingdom"}, 0.8},
		{OnAppLocation{418, "Frankfurt", "Germany"}, 0.6},
		{OnAppLocation{207, "New York", "United States"}, 0.9},
		{OnAppLocation{615, "Singapore", "Singapore"}, 0.4},
	}
)

// OnAppResources returns the sandbox's CDN resources, in catalogue order.
func OnAppResources() []OnAppResource {
	out := make([]OnAppResource, len(onAppResources))
	for i, r := range onAppResources {
		out[i] = r.OnAppResource
		out[i].EdgeGroupIDs = slices.Clone(r.EdgeGroupIDs)
	}
	return out
}

// OnAppLocations returns the sandbox's edge locations, in catalogue order.
func OnAppLocations() []OnAppLocation {
	out := make([]OnAppLocation, len(onAppLocations))
	for i, l := range onAppLocations {
		out[i] = l.OnAppLocation
	}
	return out
}

// onAppAccount is a user the sandbox knows.
type onAppAccount struct {
	email, apiKey string
	bandwidth     bool // may read bandwidth statistics
}

var onAppAccounts = []onAppAccount{
	{OnAppUser, OnAppAPIKey, true},
	{OnAppReadOnlyUser, OnAppReadOnlyAPIKey, false},
}

// onApp is the OnApp API's handler. It holds no state besides its
// configuration: every answer is computed from the request and the clock.
type onApp struct {
	cfg Config
}

// newOnApp serves the OnApp API below its mount prefix (the core strips
// OnAppPrefix, so paths arrive as /cdn_resources/bandwidth.json etc.).
func newOnApp(cfg Config) http.Handler {
	return &onApp{cfg: cfg}
}

// onAppFormat is the answer's format, chosen by the path's suffix as Rails
// does: .xml gives XML, .json or no suffix gives JSON.
type onAppFormat int

const (
	onAppJSON onAppFormat = iota
	onAppXML
)

// splitOnAppFormat strips a .json or .xml suffix from path.
func splitOnAppFormat(path string) (string, onAppFormat) {
	if base, ok := strings.CutSuffix(path, ".xml"); ok {
		return base, onAppXML
	}
	base, _ := strings.CutSuffix(path, ".json")
	return base, onAppJSON
}

// ServeHTTP routes a request, then checks credentials, method and
// permission, in that order.
func (h *onApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	base, format := splitOnAppFormat(r.URL.Path)

	var serve func(http.ResponseWriter, *http.Request, onAppFormat)
	needsBandwidth := false
	switch {
	case base == "/cdn_resources" && format == onAppJSON:
		serve = h.serveResources
	case base == "/edge_groups" && format == onAppJSON:
		serve = h.serveEdgeGroups
	case base == "/cdn_resources/bandwidth":
		serve, needsBandwidth = h.serveLegacyBandwidth, true
	case base == "/cdn/reports/bandwidth_statistics":
		serve, needsBandwidth = h.serveReportBandwidth, true
	case strings.HasPrefix(base, "/cdn_resources/") && format == onAppJSON:
		serve = h.serveResource
	default:
		writeOnAppErrors(w, format, http.StatusNotFound, "Page not found")
		return
	}

	account, ok := onAppAuthenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Application"`)
		writeOnAppErrors(w, format, http.StatusUnauthorized, "Access denied")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeOnAppErrors(w, format, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if needsBandwidth && !account.bandwidth {
		writeOnAppErrors(w, format, http.StatusForbidden, "You do not have permissions for this action")
		return
	}
	serve(w, r, format)
}

// onAppAuthenticate checks HTTP basic credentials: the login is the
// account's e-mail, the password its API key.
func onAppAuthenticate(r *http.Request) (onAppAccount, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return onAppAccount{}, false
	}
	for _, a := range onAppAccounts {
		userOK := subtle.ConstantTimeCompare([]byte(user), []byte(a.email)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(a.apiKey)) == 1
		if userOK && passOK {
			return a, true
		}
	}
	return onAppAccount{}, false
}

// The listing shapes (docs/architecture.md, "Shapes the sandbox serves"):
// OnApp wraps every object of a list in its root name.
type (
	onAppEdgeGroupRef struct {
		ID    int    `json:"id"`
		Label string `json:"label"`
	}
	onAppResourceJSON struct {
		ID           int                            `json:"id"`
		CDNHostname  string                         `json:"cdn_hostname"`
		CDNReference int                            `json:"cdn_reference"`
		ResourceType string                         `json:"resource_type"`
		Status       string                         `json:"status"`
		EdgeGroups   []map[string]onAppEdgeGroupRef `json:"edge_groups"`
	}
	onAppLocationJSON struct {
		ID      int    `json:"id"`
		City    string `json:"city"`
		Country string `json:"country"`
	}
	onAppEdgeGroupJSON struct {
		ID        int                            `json:"id"`
		Label     string                         `json:"label"`
		Locations []map[string]onAppLocationJSON `json:"locations"`
	}
)

func onAppResourceObject(r OnAppResource) map[string]onAppResourceJSON {
	groups := make([]map[string]onAppEdgeGroupRef, 0, len(r.EdgeGroupIDs))
	for _, id := range r.EdgeGroupIDs {
		g, _ := onAppEdgeGroupByID(id)
		groups = append(groups, map[string]onAppEdgeGroupRef{"edge_group": {g.ID, g.Label}})
	}
	return map[string]onAppResourceJSON{"cdn_resource": {
		ID:           r.ID,
		CDNHostname:  r.Hostname,
		CDNReference: r.Reference,
		ResourceType: "HTTP_PULL",
		Status:       "ACTIVE",
		EdgeGroups:   groups,
	}}
}

// serveResources answers GET /cdn_resources.json.
func (h *onApp) serveResources(w http.ResponseWriter, _ *http.Request, _ onAppFormat) {
	out := make([]map[string]onAppResourceJSON, 0, len(onAppResources))
	for _, r := range OnAppResources() {
		out = append(out, onAppResourceObject(r))
	}
	writeJSON(w, http.StatusOK, out)
}

// serveResource answers GET /cdn_resources/:id.json (by OnApp id, not by
// cdn_reference, as upstream).
func (h *onApp) serveResource(w http.ResponseWriter, r *http.Request, format onAppFormat) {
	base, _ := splitOnAppFormat(r.URL.Path)
	id, err := strconv.Atoi(strings.TrimPrefix(base, "/cdn_resources/"))
	if err == nil {
		for _, res := range OnAppResources() {
			if res.ID == id {
				writeJSON(w, http.StatusOK, onAppResourceObject(res))
				return
			}
		}
	}
	writeOnAppErrors(w, format, http.StatusNotFound, "CdnResource not found")
}

// serveEdgeGroups answers GET /edge_groups.json.
func (h *onApp) serveEdgeGroups(w http.ResponseWriter, _ *http.Request, _ onAppFormat) {
	out := make([]map[string]onAppEdgeGroupJSON, 0, len(onAppEdgeGroups))
	for _, g := range onAppEdgeGroups {
		locs := make([]map[string]onAppLocationJSON, 0, len(g.LocationIDs))
		for _, id := range g.LocationIDs {
			l, _ := onAppLocationByID(id)
			locs = append(locs, map[string]onAppLocationJSON{"location": {l.ID, l.City, l.Country}})
		}
		out = append(out, map[string]onAppEdgeGroupJSON{"edge_group": {g.ID, g.Label, locs}})
	}
	writeJSON(w, http.StatusOK, out)
}

// serveLegacyBandwidth answers GET /cdn_resources/bandwidth.json|.xml: a
// bare array of stats in JSON.
func (h *onApp) serveLegacyBandwidth(w http.ResponseWriter, r *http.Request, format onAppFormat) {
	h.serveBandwidth(w, r, format, false)
}

// serveReportBandwidth answers GET /cdn/reports/bandwidth_statistics: the
// same stats below a "stats" root in JSON.
func (h *onApp) serveReportBandwidth(w http.ResponseWriter, r *http.Request, format onAppFormat) {
	h.serveBandwidth(w, r, format, true)
}

func (h *onApp) serveBandwidth(w http.ResponseWriter, r *http.Request, format onAppFormat, reportsRoot bool) {
	now := h.cfg.now()
	raw, err := readOnAppParams(w, r)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeOnAppErrors(w, format, http.StatusRequestEntityTooLarge, "The request body is too large")
		return
	case err != nil:
		writeOnAppErrors(w, format, http.StatusBadRequest, "The request body could not be parsed")
		return
	}
	q, fieldErrs := raw.validate(now)
	if len(fieldErrs) > 0 {
		writeOnAppFieldErrors(w, format, fieldErrs)
		return
	}
	stats := q.stats(now)
	if format == onAppXML {
		writeOnAppStatsXML(w, stats, q.groupBy)
		return
	}
	writeOnAppStatsJSON(w, stats, q.groupBy, reportsRoot)
}

func onAppResourceByRef(ref int) (OnAppResource, float64, bool) {
	for _, r := range onAppResources {
		if r.Reference == ref {
			return r.OnAppResource, r.dailyGB, true
		}
	}
	return OnAppResource{}, 0, false
}

func onAppLocationByID(id int) (OnAppLocation, bool) {
	l, _, ok := onAppLocationWeight(id)
	return l, ok
}

func onAppLocationWeight(id int) (OnAppLocation, float64, bool) {
	for _, l := range onAppLocations {
		if l.ID == id {
			return l.OnAppLocation, l.weight, true
		}
	}
	return OnAppLocation{}, 0, false
}

func onAppEdgeGroupByID(id int) (OnAppEdgeGroup, bool) {
	for _, g := range onAppEdgeGroups {
		if g.ID == id {
			return g, true
		}
	}
	return OnAppEdgeGroup{}, false
}

// onAppServes reports whether the resource is served at the location, that
// is whether one of its edge groups contains the location.
func onAppServes(r OnAppResource, locationID int) bool {
	for _, gid := range r.EdgeGroupIDs {
		if g, ok := onAppEdgeGroupByID(gid); ok && slices.Contains(g.LocationIDs, locationID) {
			return true
		}
	}
	return false
}
