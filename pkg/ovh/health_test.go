package ovh

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestHealth(t *testing.T) {
	validated := `{"status":"validated","expiration":"2025-10-24T12:00:00Z","credentialId":1,"rules":[{"method":"GET","path":"/telephony"},{"method":"GET","path":"/telephony/*"}]}`
	cases := []struct {
		name   string
		oauth2 bool
		path   string
		answer canned
		detail string // want OK with this detail, or
		err    string // want this error
	}{
		{"keys", false, "/auth/currentCredential", canned{status: 200, body: validated},
			"consumer key validated (expires 2025-10-24); access rules GET /telephony, GET /telephony/*", ""},
		{"everything granted", false, "/auth/currentCredential", canned{status: 200, body: `{"status":"validated","rules":[{"method":"GET","path":"/*"}]}`},
			"consumer key validated; access rules GET /*", ""},
		{"not validated", false, "/auth/currentCredential", canned{status: 200, body: `{"status":"pendingValidation","rules":[]}`},
			"", `the consumer key is "pendingValidation", not validated`},
		{"not granted the statistics", false, "/auth/currentCredential", canned{status: 200, body: `{"status":"validated","rules":[{"method":"GET","path":"/telephony"},{"method":"GET","path":"/auth/currentCredential"}]}`},
			"", "not granted GET /telephony/* (its access rules: GET /telephony, GET /auth/currentCredential) — create one with access rule GET /telephony/*"},
		{"expired key", false, "/auth/currentCredential", legacy(403, "INVALID_CREDENTIAL", "This credential is not valid"),
			"", "rejected the consumer key (INVALID_CREDENTIAL"},
		{"service account", true, "/telephony", canned{status: 200, body: `["ab12345-ovh-1","cd67890-ovh-1","zz99999-ovh-1"]`},
			"3 billing accounts visible", ""},
		{"service account, one account", true, "/telephony", canned{status: 200, body: `["ab12345-ovh-1"]`},
			"1 billing account visible", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, nil)
			f.set(func(f *fakeOVH) {
				f.handle = func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/1.0"+tc.path {
						t.Errorf("health called %s, want %s", r.URL.Path, tc.path)
					}
					answering(map[string]canned{tc.path: tc.answer})(w, r)
				}
			})
			var src *telephony
			if tc.oauth2 {
				src = newTestSource(t, f, oauth2Settings)
			} else {
				src = newTestSource(t, f)
			}
			detail, err := src.CheckHealth(context.Background())
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
			case err != nil || detail != tc.detail:
				t.Errorf("detail %q error %v, want %q", detail, err, tc.detail)
			}
			for _, s := range []string{testAppSecret, testConsumerKey, testClientSecret} {
				if strings.Contains(detail, s) || (err != nil && strings.Contains(err.Error(), s)) {
					t.Errorf("secret %q in the health answer", s)
				}
			}
		})
	}
}
