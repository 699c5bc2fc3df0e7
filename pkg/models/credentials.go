package models

// Credentials that cannot work are refused when the settings load, naming
// the setting and never its value. A token holding a line break makes Go's
// HTTP client refuse the request before it leaves ("invalid header field
// value"), which would otherwise reach the user as "no answer from the
// host"; a key with a trailing newline pasted with it signs or
// authenticates wrongly, which the API reports as a refused credential.
//
// Surrounding white space of a secret is refused, not trimmed: the secret
// is stored encrypted and the plugin cannot show it, so trimming it
// silently would hide the paste error from the user (and from every other
// program that uses the same stored value), and no OVHcloud key, OnApp API
// key or bearer token holds white space. The non-secret fields (application
// key, client id, OnApp user) are trimmed as every jsonData field is, and
// checked for what is left.

import (
	"fmt"
	"strings"
)

// credential is one setting that authenticates a request.
type credential struct {
	key    string // the setting's name
	value  string
	header bool // sent as is in an HTTP header (X-Ovh-*, Authorization: Bearer)
	secret bool // from secureJsonData: white space around it is refused, not trimmed
}

// credentials lists the OVH settings that authenticate requests. The
// application secret only enters the signature's hash; the OAuth2 client id
// and secret go URL-escaped into basic authentication or the token
// request's form. Neither can break a header, but a control character is a
// paste error in every one of them.
func (o OVHSettings) credentials() []credential {
	return []credential{
		{key: "ovhApplicationKey", value: o.ApplicationKey, header: true},
		{key: "ovhApplicationSecret", value: o.ApplicationSecret, secret: true},
		{key: "ovhConsumerKey", value: o.ConsumerKey, header: true, secret: true},
		{key: "ovhClientId", value: o.ClientID},
		{key: "ovhClientSecret", value: o.ClientSecret, secret: true},
	}
}

// credentials lists the OnApp settings that authenticate requests: the user
// and key go base64-encoded into basic authentication.
func (o OnAppSettings) credentials() []credential {
	return []credential{
		{key: "onappUser", value: o.User},
		{key: "onappApiKey", value: o.APIKey, secret: true},
	}
}

// credentials lists the Pulse setting that authenticates requests (sent as
// Authorization: Bearer).
func (p PulseSettings) credentials() []credential {
	return []credential{{key: "pulseToken", value: p.Token, header: true, secret: true}}
}

// checkCredentials refuses the first credential that cannot be sent or
// cannot be right. Messages name the setting, never its value.
func checkCredentials(creds []credential) error {
	for _, c := range creds {
		if err := c.check(); err != nil {
			return err
		}
	}
	return nil
}

func (c credential) check() error {
	if c.value == "" {
		return nil
	}
	if c.secret {
		switch trimmed := strings.TrimSpace(c.value); {
		case trimmed == "":
			return fmt.Errorf("%s holds only white space — paste the value again", c.key)
		case !strings.HasSuffix(c.value, trimmed):
			return fmt.Errorf("%s ends with a line break or space, which is not part of it — paste it again without it", c.key)
		case !strings.HasPrefix(c.value, trimmed):
			return fmt.Errorf("%s begins with a space or line break, which is not part of it — paste it again without it", c.key)
		}
	}
	if !hasControl(c.value) {
		return nil
	}
	if c.header {
		return fmt.Errorf("%s holds a line break or control character, which cannot be sent in an HTTP header — paste it again", c.key)
	}
	return fmt.Errorf("%s holds a line break or control character, which no credential contains — paste it again", c.key)
}

// hasControl reports whether s holds an ASCII control character (tab
// included) or DEL: what an HTTP header value cannot carry, and what no key
// or token contains.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
