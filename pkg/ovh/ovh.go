// Package ovh is the Telephony QoS source: OVHcloud line statistics
// (GET /telephony/{billingAccount}/line/{serviceName}/statistics) for
// charting and alerting, with requests signed through github.com/ovh/go-ovh
// (application key, secret and consumer key) or authorised by an OAuth2
// service account.
package ovh

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/models"
	"github.com/opsdeck/servicestats/pkg/source"
	"github.com/opsdeck/servicestats/pkg/upstream"
)

// sourceName names the upstream in messages.
const sourceName = "OVHcloud"

// telephony is the Telephony QoS source of one data source.
type telephony struct {
	api       *upstream.Client
	auth      authorizer
	oauth2    bool
	now       func() time.Time
	secrets   []string
	lines     *lookup[lineInfo]
	accounts  *lookup[accountInfo]
	lineLists *lookup[[]string] // the lines of each account
	accountLs *lookup[[]string] // the accounts the credential sees
	resources http.Handler
}

// options are what tests change; New uses the zero value.
type options struct {
	httpClient *http.Client // nil: the plugin SDK's client
	now        func() time.Time
	retry      *upstream.RetryPolicy
}

// New builds the Telephony QoS source from complete settings.
func New(s *models.Settings, deps source.Deps) (source.Source, error) {
	return newTelephony(s, deps, options{})
}

func newTelephony(s *models.Settings, deps source.Deps, opts options) (*telephony, error) {
	ep, err := resolveEndpoint(s.OVH.Endpoint)
	if err != nil {
		return nil, err
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	t := &telephony{
		oauth2:    s.OVH.AuthMethod == models.OVHAuthOAuth2,
		now:       opts.now,
		secrets:   s.Secrets(),
		lines:     newLookup[lineInfo](opts.now),
		accounts:  newLookup[accountInfo](opts.now),
		lineLists: newLookup[[]string](opts.now),
		accountLs: newLookup[[]string](opts.now),
	}
	o := source.UpstreamOptions(s, deps, sourceName, source.DefaultTelephonyCacheTTL)
	o.BaseURL = ep.baseURL
	source.WithTLS(&o, s.OVH.TLS)
	o.Credential = credential(s.OVH)
	o.RequestsPerMinute = s.OVHRequestsPerMinute
	o.AlertingShare = s.OVHAlertingShare
	o.Authorize = func(r *http.Request) error { return t.auth.authorize(r) }
	o.Explain = explainer{oauth2: t.oauth2, reset: func() { t.auth.reset() }}.explain
	o.HTTPClient, o.Retry = opts.httpClient, opts.retry
	t.api, err = upstream.New(o)
	if err != nil {
		return nil, err
	}
	if t.oauth2 {
		t.auth, err = newTokenSource(s.OVH, ep, t.api.HTTPClient(), s.Timeout)
	} else {
		t.auth = newKeySigner(s.OVH, ep, t.api.HTTPClient(), s.Timeout)
	}
	if err != nil {
		t.api.Close()
		return nil, err
	}
	t.resources = t.routes()
	return t, nil
}

// credential identifies the credential for the upstream client's cache and
// rate guard (which keep only a fingerprint of it).
func credential(o models.OVHSettings) string {
	if o.AuthMethod == models.OVHAuthOAuth2 {
		return "oauth2\x00" + o.ClientID
	}
	return "keys\x00" + o.ApplicationKey + "\x00" + o.ConsumerKey
}

// HandleQuery answers one telephony query.
func (t *telephony) HandleQuery(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	return source.Handle(ctx, q, func(ctx context.Context, m *models.TelephonyQuery) (data.Frames, error) {
		return t.query(ctx, m, q.TimeRange)
	})
}

// Resources serves the editor's and variables' routes below /telephony/.
func (t *telephony) Resources() http.Handler { return t.resources }

// Dispose releases idle connections and the lookups kept.
func (t *telephony) Dispose() {
	t.api.Close()
	forgetLookups(t.lines.owner, t.accounts.owner, t.lineLists.owner, t.accountLs.owner)
}

// get calls GET path?query and decodes the JSON answer into v.
func (t *telephony) get(ctx context.Context, path string, query url.Values, v any) error {
	resp, err := t.api.Do(ctx, upstream.Call{Method: http.MethodGet, Path: path, Query: query})
	if err != nil {
		return forCall(err, path)
	}
	return t.api.DecodeJSON(resp, v)
}

// lineInfo is the part of telephony.Line the plugin uses.
type lineInfo struct {
	ServiceName string `json:"serviceName"`
	Description string `json:"description"`
	ServiceType string `json:"serviceType"`
}

// lineInfo reads a line (cached for lookupTTL).
func (t *telephony) lineInfo(ctx context.Context, ba, line string) (lineInfo, error) {
	return t.lines.get(ctx, lineKey(ba, line), func(ctx context.Context) (lineInfo, error) {
		var li lineInfo
		p, err := upstream.Path("telephony", ba, "line", line)
		if err != nil {
			return li, upstream.BadQueryf("line %q of billing account %q: %v", upstream.Quote(line), upstream.Quote(ba), err)
		}
		err = t.get(ctx, p, nil, &li)
		return li, err
	})
}

// accountInfo is the part of a billing account the plugin uses.
type accountInfo struct {
	BillingAccount string `json:"billingAccount"`
	Description    string `json:"description"`
	Status         string `json:"status"`
}

// accountInfo reads a billing account (cached for lookupTTL).
func (t *telephony) accountInfo(ctx context.Context, ba string) (accountInfo, error) {
	return t.accounts.get(ctx, ba, func(ctx context.Context) (accountInfo, error) {
		var ai accountInfo
		p, err := upstream.Path("telephony", ba)
		if err != nil {
			return ai, upstream.BadQueryf("billing account %q: %v", upstream.Quote(ba), err)
		}
		err = t.get(ctx, p, nil, &ai)
		return ai, err
	})
}

// lineKey keys a line in the lookup cache.
func lineKey(ba, line string) string { return ba + "\x00" + line }

// lineNames lists the lines (service names) of a billing account (cached
// for lookupTTL, so a line added to the account is seen within it).
func (t *telephony) lineNames(ctx context.Context, ba string) ([]string, error) {
	return t.lineLists.get(ctx, ba, func(ctx context.Context) ([]string, error) {
		p, err := upstream.Path("telephony", ba, "line")
		if err != nil {
			return nil, upstream.BadQueryf("billing account %q: %v", upstream.Quote(ba), err)
		}
		var names []string
		if err := t.get(ctx, p, nil, &names); err != nil {
			if e := notFound(err); e != nil {
				return nil, unknownAccount(e, ba)
			}
			return nil, err
		}
		return names, nil
	})
}

// accountNames lists the billing accounts the credential sees (cached for
// lookupTTL).
func (t *telephony) accountNames(ctx context.Context) ([]string, error) {
	return t.accountLs.get(ctx, "", func(ctx context.Context) ([]string, error) {
		var names []string
		err := t.get(ctx, "/telephony", nil, &names)
		return names, err
	})
}
