package config

import (
	"encoding/json"
	"testing"

	"github.com/webex-cli/webex/internal/privatefile"
)

// FuzzParseProfile feeds arbitrary bytes to the profile file parser: it must
// return a profile or an error, never panic, and whatever it accepts must
// survive a Save-style round trip.
func FuzzParseProfile(f *testing.F) {
	valid, _ := json.Marshal(sampleProfile())
	for _, s := range []string{
		string(valid),
		`{}`,
		`{"name":"default","provider":"webex","scopes":["openid","email"]}`,
		`{"provider":"oidc","issuer":"https://id.example","access_expiry":"2025-01-01T00:00:00Z"}`,
		`{"access_expiry":"2025-13-01T00:00:00Z"}`,
		`{"access_expiry":null,"scopes":null}`,
		`{"has_refresh_token":"yes"}`,
		`null`,
		`[]`,
		`"str"`,
		``,
		` `,
		`{`,
		`{} x`,
		"\xef\xbb\xbf{}",
		`{"name":"\u0000"}`,
		`{"scopes":[1,2,3]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseProfile(data)
		if err != nil {
			if p != nil {
				t.Fatal("profile returned with an error")
			}
			return
		}
		_ = p.Validate()
		out, err := json.Marshal(p)
		if err != nil {
			// Only times outside year 0..9999 can fail to marshal.
			return
		}
		if _, err := parseProfile(out); err != nil {
			t.Fatalf("re-parsing our own output failed: %v\n%s", err, out)
		}
	})
}

// parseProfile decodes a profile file as Load does.
func parseProfile(data []byte) (*Profile, error) {
	var p Profile
	if err := privatefile.DecodeObject(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
