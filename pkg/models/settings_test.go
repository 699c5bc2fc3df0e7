package models

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestLoadSettings(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{
		JSONData: []byte(`{"ovhApplicationKey":"ak","onappUrl":"https://cdn.example.com/","onappUser":"u","pulseUrl":"https://p.example.com",
			"timeoutSeconds":"12","cacheTTLSeconds":0,"maxPages":50,"ovhRequestsPerMinute":30}`),
		DecryptedSecureJSONData: map[string]string{"ovhApplicationSecret": "as", "ovhConsumerKey": "ck", "onappApiKey": "k", "pulseToken": "t"},
	})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case s.OVH.Endpoint != "ovh-eu" || s.OVH.AuthMethod != OVHAuthKeys || len(s.OVH.Missing()) != 0:
		t.Errorf("ovh %+v", s.OVH)
	case s.OnApp.API != OnAppAPILegacy || s.OnApp.TimeZone != "UTC" || s.OnApp.Format != "json" || len(s.OnApp.Missing()) != 0:
		t.Errorf("onapp %+v", s.OnApp)
	case s.Timeout != 12*time.Second || s.CacheTTL != -1 || s.MaxPages != 50 || s.OVHRequestsPerMinute != 30:
		t.Errorf("tuning %+v", s)
	case strings.Join(s.Secrets(), ",") != "as,ck,k,t":
		t.Errorf("secrets %v", s.Secrets())
	}
}

func TestLoadSettingsDefaultsAndOptionalSources(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if s.OVH.Configured() || s.OnApp.Configured() || s.Pulse.Configured() {
		t.Errorf("nothing was configured: %+v", s)
	}
	if s.Timeout != DefaultTimeout || s.MaxPages != DefaultMaxPages || s.OVHRequestsPerMinute != DefaultOVHRequestsPerMinute || s.CacheTTL != 0 {
		t.Errorf("defaults %+v", s)
	}
	o, _ := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(`{"ovhAuthMethod":"oauth2","ovhClientId":"id"}`)})
	if got := strings.Join(o.OVH.Missing(), ","); got != "ovhClientSecret" {
		t.Errorf("oauth2 missing %q", got)
	}
}

func TestLoadSettingsRejectsNonsense(t *testing.T) {
	for _, jd := range []string{
		`{"timeoutSeconds":0}`, `{"maxPages":-1}`, `{"ovhRequestsPerMinute":0}`, `{"pulseUrl":"ftp://x"}`,
		`{"ovhEndpoint":"https://x.example.com/1.0?debug=1"}`, `{"onappFormat":"yaml"}`, `{"onappTimeZone":"Nowhere/City"}`, `not json`,
	} {
		if _, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(jd)}); err == nil {
			t.Errorf("%s accepted", jd)
		}
	}
}
