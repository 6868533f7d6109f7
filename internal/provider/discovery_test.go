package provider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
)

const testIssuer = "https://login.example.com"

// discoveryDocFor is a complete, valid discovery document for issuer.
func discoveryDocFor(issuer string) map[string]any {
	return map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                issuer + "/authorize",
		"token_endpoint":                        issuer + "/token",
		"userinfo_endpoint":                     issuer + "/userinfo",
		"jwks_uri":                              issuer + "/jwks",
		"device_authorization_endpoint":         issuer + "/device",
		"revocation_endpoint":                   issuer + "/revoke",
		"end_session_endpoint":                  issuer + "/logout",
		"scopes_supported":                      []string{"openid", "email", "profile", "offline_access"},
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"code_challenge_methods_supported":      []string{"S256"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"},
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseDiscovery(t *testing.T) {
	p, err := ParseDiscovery(testIssuer, marshal(t, discoveryDocFor(testIssuer)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Endpoints{
		Authorize:           testIssuer + "/authorize",
		Token:               testIssuer + "/token",
		DeviceAuthorization: testIssuer + "/device",
		DeviceToken:         testIssuer + "/token",
		UserInfo:            testIssuer + "/userinfo",
		JWKS:                testIssuer + "/jwks",
		Revocation:          testIssuer + "/revoke",
		Discovery:           testIssuer + "/.well-known/openid-configuration",
		WebFinger:           testIssuer + "/.well-known/webfinger",
	}
	if p.Kind != config.ProviderOIDC || p.Issuer != testIssuer || p.BaseURL != "" || p.Endpoints != want {
		t.Errorf("provider = %+v", p)
	}
	if p.AuthStyle != oauth2.AuthStyleInHeader || !slices.Equal(p.SigningAlgs, []string{"RS256"}) {
		t.Errorf("settings = %+v", p)
	}
	if p.Discovery["issuer"] != testIssuer || p.Discovery["response_types_supported"] == nil {
		t.Errorf("raw discovery = %v", p.Discovery)
	}
	if got := strings.Join(p.DefaultScopes(config.FlowBrowser), " "); got != "openid email profile offline_access" {
		t.Errorf("DefaultScopes = %q", got)
	}

	// Issuer with a path: WebFinger stays at the host root.
	iss := "https://idp.example.com/realms/dev"
	p, err = ParseDiscovery(iss, marshal(t, discoveryDocFor(iss)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Endpoints.WebFinger != "https://idp.example.com/.well-known/webfinger" ||
		p.Endpoints.Discovery != iss+"/.well-known/openid-configuration" {
		t.Errorf("endpoints = %+v", p.Endpoints)
	}
}

func TestParseDiscoveryDefaultsAndFilters(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(d map[string]any)
		algs  []string
		style oauth2.AuthStyle
	}{
		{"absent algs and methods", func(d map[string]any) {
			delete(d, "id_token_signing_alg_values_supported")
			delete(d, "token_endpoint_auth_methods_supported")
		}, []string{"RS256"}, oauth2.AuthStyleInHeader},
		{"none and HMAC filtered out", func(d map[string]any) {
			d["id_token_signing_alg_values_supported"] = []string{"none", "HS256", "RS256", "HS512", "ES256", "RS256"}
		}, []string{"RS256", "ES256"}, oauth2.AuthStyleInHeader},
		{"only HMAC announced", func(d map[string]any) {
			d["id_token_signing_alg_values_supported"] = []string{"HS256"}
		}, nil, oauth2.AuthStyleInHeader},
		{"post only", func(d map[string]any) {
			d["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
		}, []string{"RS256"}, oauth2.AuthStyleInParams},
		{"public only", func(d map[string]any) {
			d["token_endpoint_auth_methods_supported"] = []string{"none"}
		}, []string{"RS256"}, oauth2.AuthStyleInParams},
		{"unsupported methods only", func(d map[string]any) {
			d["token_endpoint_auth_methods_supported"] = []string{"private_key_jwt"}
		}, []string{"RS256"}, oauth2.AuthStyleAutoDetect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := discoveryDocFor(testIssuer)
			tt.edit(d)
			p, err := ParseDiscovery(testIssuer, marshal(t, d), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.SigningAlgs, tt.algs) || p.AuthStyle != tt.style {
				t.Errorf("algs %v style %v, want %v %v", p.SigningAlgs, p.AuthStyle, tt.algs, tt.style)
			}
		})
	}
}

func TestParseDiscoveryErrors(t *testing.T) {
	doc := func(edit func(d map[string]any)) []byte {
		d := discoveryDocFor(testIssuer)
		edit(d)
		b, _ := json.Marshal(d)
		return b
	}
	tests := []struct {
		name    string
		issuer  string
		body    []byte
		wantErr []string
	}{
		{"HTML", testIssuer, []byte("<html>sign in</html>"), []string{"not a JSON object"}},
		{"empty", testIssuer, nil, []string{"not a JSON object"}},
		{"array", testIssuer, []byte(`[1,2]`), []string{"not a JSON object"}},
		{"null", testIssuer, []byte(`null`), []string{"not a JSON object"}},
		{"string", testIssuer, []byte(`"x"`), []string{"not a JSON object"}},
		{"truncated", testIssuer, []byte(`{"issuer":`), []string{"not a JSON object"}},
		{"missing fields", testIssuer, []byte(`{"issuer":"` + testIssuer + `"}`),
			[]string{"authorization_endpoint", "token_endpoint", "jwks_uri"}},
		{"missing issuer", testIssuer, doc(func(d map[string]any) { delete(d, "issuer") }), []string{"required", "issuer"}},
		{"issuer mismatch", testIssuer, doc(func(d map[string]any) { d["issuer"] = "https://other.example.com" }),
			[]string{`"https://other.example.com"`, `"` + testIssuer + `"`}},
		{"issuer trailing slash", testIssuer, doc(func(d map[string]any) { d["issuer"] = testIssuer + "/" }),
			[]string{"trailing slash"}},
		{"wrong type", testIssuer, doc(func(d map[string]any) { d["scopes_supported"] = "openid email" }),
			[]string{`"scopes_supported"`, "wrong type"}},
		{"wrong type issuer", testIssuer, doc(func(d map[string]any) { d["issuer"] = 42 }), []string{`"issuer"`, "wrong type"}},
		{"http token endpoint", testIssuer, doc(func(d map[string]any) { d["token_endpoint"] = "http://login.example.com/token" }),
			[]string{`"token_endpoint"`, "https"}},
		{"http jwks", testIssuer, doc(func(d map[string]any) { d["jwks_uri"] = "http://login.example.com/jwks" }),
			[]string{`"jwks_uri"`, "https"}},
		{"relative userinfo", testIssuer, doc(func(d map[string]any) { d["userinfo_endpoint"] = "/userinfo" }),
			[]string{`"userinfo_endpoint"`}},
		{"fragment in endpoint", testIssuer, doc(func(d map[string]any) { d["authorization_endpoint"] = testIssuer + "/a#x" }),
			[]string{`"authorization_endpoint"`, "fragment"}},
		{"http issuer", "http://login.example.com", []byte(`{}`), []string{"issuer", "https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDiscovery(tt.issuer, tt.body, Options{})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	_, err := ParseDiscovery(testIssuer, doc(func(d map[string]any) { d["issuer"] = "https://x" }), Options{})
	if want := `the discovery document names issuer "https://x", but the configured issuer is "` + testIssuer + `"; they must be identical`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestParseDiscoveryLoopback(t *testing.T) {
	iss := "http://127.0.0.1:5556/dex"
	d := discoveryDocFor(iss)
	d["token_endpoint"] = "http://localhost:5556/dex/token?tenant=a" // query allowed on endpoints
	if _, err := ParseDiscovery(iss, marshal(t, d), Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestDiscover(t *testing.T) {
	f := newFakeIdP(t)
	iss := f.srv.URL
	f.setDiscovery(t, discoveryDocFor(iss))
	opts := Options{HTTPClient: f.srv.Client(), Now: fixedNow}
	p, err := Discover(context.Background(), iss, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer != iss || p.Endpoints.Token != iss+"/token" {
		t.Errorf("provider = %+v", p)
	}

	// A trailing slash is removed before appending the well-known path, but
	// the issuer must still match exactly.
	_, err = Discover(context.Background(), iss+"/", opts)
	if err == nil || !strings.Contains(err.Error(), "they must be identical (check the trailing slash)") {
		t.Errorf("trailing slash: err = %v, want an issuer mismatch", err)
	}

	// Issuer with a path.
	f.setDiscovery(t, discoveryDocFor(iss+"/tenant"))
	if _, err := Discover(context.Background(), iss+"/tenant", opts); err != nil {
		t.Errorf("issuer with path: %v", err)
	}

	f.mu.Lock()
	f.discovery, f.discoveryType = []byte("<html>login</html>"), "text/html; charset=utf-8"
	f.mu.Unlock()
	if _, err := Discover(context.Background(), iss, opts); err == nil || !strings.Contains(err.Error(), "text/html") ||
		!strings.Contains(err.Error(), "not a JSON object") {
		t.Errorf("HTML: err = %v", err)
	}

	f.mu.Lock()
	f.discovery, f.discoveryType, f.discoveryCode = []byte(`{}`), "application/json", http.StatusInternalServerError
	f.mu.Unlock()
	if _, err := Discover(context.Background(), iss, opts); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("500: err = %v", err)
	}

	f.mu.Lock()
	f.discovery, f.discoveryCode = []byte(strings.Repeat(" ", maxDiscoveryBytes+1)), http.StatusOK
	f.mu.Unlock()
	if _, err := Discover(context.Background(), iss, opts); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("huge: err = %v", err)
	}

	if _, err := Discover(context.Background(), "http://login.example.com", Options{}); err == nil ||
		!strings.Contains(err.Error(), "https") {
		t.Errorf("http issuer: err = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Discover(ctx, iss, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}
