package models

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"
)

// TLS settings keys of one source: <prefix> + suffix, the prefix being
// "ovh", "onapp" or "pulse" (jsonData.onappTlsSkipVerify,
// secureJsonData.onappTlsCACert, …).
const (
	TLSSkipVerifyKey     = "TlsSkipVerify"     // jsonData, bool: accept any server certificate
	TLSAuthWithCACertKey = "TlsAuthWithCACert" // jsonData, bool: verify the server with TlsCACert
	TLSAuthKey           = "TlsAuth"           // jsonData, bool: present TlsClientCert and TlsClientKey
	TLSCACertKey         = "TlsCACert"         // secureJsonData, PEM: the CA that signed the server's certificate
	TLSClientCertKey     = "TlsClientCert"     // secureJsonData, PEM: the client certificate
	TLSClientKeyKey      = "TlsClientKey"      // secureJsonData, PEM: the client certificate's private key
)

// The TLS key prefixes of the three sources.
const (
	TLSPrefixOVH   = "ovh"
	TLSPrefixOnApp = "onapp"
	TLSPrefixPulse = "pulse"
)

// TLSSettings is one source's TLS configuration, as Grafana's own data
// sources have it (tlsSkipVerify, tlsAuthWithCACert, tlsAuth), but per
// source, since the three hosts differ. A PEM is used only when its switch
// is on, as in Grafana.
type TLSSettings struct {
	// Prefix is the source's key prefix ("ovh", "onapp", "pulse").
	Prefix         string
	SkipVerify     bool
	AuthWithCACert bool
	Auth           bool
	CACert         string
	ClientCert     string
	ClientKey      string
	// badSwitch is the first switch key that held no boolean.
	badSwitch string
}

// loadTLS reads the TLS settings of the source with the given key prefix.
func loadTLS(prefix string, flags map[string]flexBool, sec map[string]string) TLSSettings {
	bad := ""
	for _, suffix := range []string{TLSSkipVerifyKey, TLSAuthWithCACertKey, TLSAuthKey} {
		if flags[prefix+suffix].bad && bad == "" {
			bad = prefix + suffix
		}
	}
	return TLSSettings{
		badSwitch:      bad,
		Prefix:         prefix,
		SkipVerify:     flags[prefix+TLSSkipVerifyKey].v,
		AuthWithCACert: flags[prefix+TLSAuthWithCACertKey].v,
		Auth:           flags[prefix+TLSAuthKey].v,
		CACert:         sec[prefix+TLSCACertKey],
		ClientCert:     sec[prefix+TLSClientCertKey],
		ClientKey:      sec[prefix+TLSClientKeyKey],
	}
}

// Key is the full settings key of one of the suffixes above
// ("onappTlsCACert").
func (t TLSSettings) Key(suffix string) string { return t.Prefix + suffix }

// Check reports the first problem of the TLS settings: a switch that is no
// boolean, a switch on with its PEM missing, or a PEM that does not parse. Messages name the setting and
// never quote its value.
func (t TLSSettings) Check() error {
	if t.badSwitch != "" {
		return fmt.Errorf("%s must be true or false", t.badSwitch)
	}
	if t.AuthWithCACert {
		if t.CACert == "" {
			return fmt.Errorf("%s is on but %s is empty: paste the PEM of the CA certificate that signed the server's certificate, or turn %s off",
				t.Key(TLSAuthWithCACertKey), t.Key(TLSCACertKey), t.Key(TLSAuthWithCACertKey))
		}
		if err := checkCertificates(t.CACert); err != nil {
			return fmt.Errorf("%s is not a PEM certificate (%v): paste the CA certificate in PEM form, BEGIN and END lines included", t.Key(TLSCACertKey), err)
		}
	}
	if t.Auth {
		switch {
		case t.ClientCert == "" && t.ClientKey == "":
			return fmt.Errorf("%s is on but %s and %s are empty: paste the client certificate and its private key (PEM), or turn %s off",
				t.Key(TLSAuthKey), t.Key(TLSClientCertKey), t.Key(TLSClientKeyKey), t.Key(TLSAuthKey))
		case t.ClientCert == "":
			return fmt.Errorf("%s is on but %s is empty: paste the client certificate (PEM)", t.Key(TLSAuthKey), t.Key(TLSClientCertKey))
		case t.ClientKey == "":
			return fmt.Errorf("%s is on but %s is empty: paste the client certificate's private key (PEM)", t.Key(TLSAuthKey), t.Key(TLSClientKeyKey))
		}
		if err := checkCertificates(t.ClientCert); err != nil {
			return fmt.Errorf("%s is not a PEM certificate (%v): paste the client certificate in PEM form, BEGIN and END lines included", t.Key(TLSClientCertKey), err)
		}
		if !hasPEMKey(t.ClientKey) {
			return fmt.Errorf("%s is not a PEM private key: paste the client certificate's private key in PEM form, BEGIN and END lines included (unencrypted)", t.Key(TLSClientKeyKey))
		}
		if _, err := tls.X509KeyPair([]byte(t.ClientCert), []byte(t.ClientKey)); err != nil {
			return fmt.Errorf("%s and %s do not make a pair: the private key cannot be read, or does not belong to the certificate — paste the key of that certificate (unencrypted PEM)",
				t.Key(TLSClientCertKey), t.Key(TLSClientKeyKey))
		}
	}
	return nil
}

// Options is the SDK's TLS options for these settings, or nil when they ask
// for nothing (the system's CAs, no client certificate).
func (t TLSSettings) Options() *httpclient.TLSOptions {
	if !t.SkipVerify && !t.AuthWithCACert && !t.Auth {
		return nil
	}
	o := &httpclient.TLSOptions{InsecureSkipVerify: t.SkipVerify}
	if t.AuthWithCACert {
		o.CACertificate = t.CACert
	}
	if t.Auth {
		o.ClientCertificate, o.ClientKey = t.ClientCert, t.ClientKey
	}
	return o
}

// secrets returns the PEMs given, for scrubbing.
func (t TLSSettings) secrets() []string { return []string{t.CACert, t.ClientCert, t.ClientKey} }

// checkCertificates checks that pemText holds at least one certificate and
// that every certificate in it parses. The error says what was wrong in
// general words, never quoting the text.
func checkCertificates(pemText string) error {
	rest, n := []byte(pemText), 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse", n+1)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no certificate block found")
	}
	return nil
}

// hasPEMKey reports whether pemText holds a PEM block of a private key.
func hasPEMKey(pemText string) bool {
	rest := []byte(pemText)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return false
		}
		switch block.Type {
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			return true
		}
	}
}

// EnableSecureSocksProxyKey is the SDK's standard jsonData key that sends
// every source's calls through Grafana's Secure SOCKS proxy (private data
// source connect), when Grafana enables the feature.
const EnableSecureSocksProxyKey = "enableSecureSocksProxy"

// tlsPrefixes are the key prefixes of the sources, in settings order.
var tlsPrefixes = []string{TLSPrefixOVH, TLSPrefixOnApp, TLSPrefixPulse}

// switches reads the boolean TLS keys of every source and
// enableSecureSocksProxy from jsonData. A switch accepts true, false, their
// quoted forms (hand-written provisioning files quote them) or null. A TLS
// switch holding anything else is kept as bad, for its source's Check to
// report; enableSecureSocksProxy, which concerns every source, fails here.
// Errors name the key, never the value.
func switches(raw []byte) (map[string]flexBool, error) {
	out := map[string]flexBool{}
	if len(raw) == 0 {
		return out, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("invalid data source settings (jsonData): %w", err)
	}
	keys := []string{EnableSecureSocksProxyKey}
	for _, p := range tlsPrefixes {
		keys = append(keys, p+TLSSkipVerifyKey, p+TLSAuthWithCACertKey, p+TLSAuthKey)
	}
	for _, k := range keys {
		v, ok := all[k]
		if !ok {
			continue
		}
		var b flexBool
		if err := json.Unmarshal(v, &b); err != nil {
			if k != EnableSecureSocksProxyKey {
				out[k] = flexBool{bad: true} // the source's own problem: see TLSSettings.Check
				continue
			}
			return nil, fmt.Errorf("%s must be true or false", k)
		}
		if k == EnableSecureSocksProxyKey && b.set && strings.HasPrefix(strings.TrimSpace(string(v)), `"`) {
			// Grafana's SDK reads this key only as a JSON boolean: a quoted
			// "true" would leave the proxy off without a word.
			return nil, fmt.Errorf("%s must be true or false without quotes: Grafana reads only a JSON boolean there", k)
		}
		out[k] = b
	}
	return out, nil
}

// flexBool accepts true, false, "true", "false", "" and null.
type flexBool struct {
	v   bool
	set bool
	bad bool // held something else
}

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.TrimSpace(string(data)) {
	case "null", `""`:
		return nil
	case "true", `"true"`:
		b.v, b.set = true, true
		return nil
	case "false", `"false"`:
		b.v, b.set = false, true
		return nil
	}
	return fmt.Errorf("not a boolean")
}
