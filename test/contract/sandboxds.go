package contract

import "github.com/opsdeck/servicestats/internal/sandbox"

// SandboxDataSource configures all three sources against a sandbox at base
// ("http://127.0.0.1:8089") with the sandbox's valid credentials, for the
// contract tests and for programs outside them (the editors' browser
// harness, tests/browser/server). uid separates instances (and so caches).
func SandboxDataSource(uid, base string) DataSource {
	return DataSource{
		UID: uid,
		JSONData: map[string]any{
			"ovhEndpoint":       base + sandbox.OVHPrefix,
			"ovhAuthMethod":     "keys",
			"ovhApplicationKey": sandbox.OVHAppKey,
			"onappUrl":          base + sandbox.OnAppPrefix,
			"onappUser":         sandbox.OnAppUser,
			"onappApi":          "legacy",
			"onappTimeZone":     "Europe/Paris",
			"pulseUrl":          base + sandbox.PulsePrefix,
			"timeoutSeconds":    10,
		},
		Secure: map[string]string{
			"ovhApplicationSecret": sandbox.OVHAppSecret,
			"ovhConsumerKey":       sandbox.OVHConsumerKey,
			"onappApiKey":          sandbox.OnAppAPIKey,
			"pulseToken":           sandbox.PulseToken,
		},
	}
}
