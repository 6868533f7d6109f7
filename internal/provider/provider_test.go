package provider

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
)

func TestNewWebexEndpoints(t *testing.T) {
	tests := []struct {
		kind string
		base string
		want string // expected BaseURL
	}{
		{config.ProviderWebex, "", "https://webexapis.com/v1"},
		{config.ProviderWebexGov, "", "https://api-usgov.webex.com/v1"},
		{config.ProviderWebex, "http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"},
		{config.ProviderWebexGov, "https://proxy.example.com/webex/v1", "https://proxy.example.com/webex/v1"},
	}
	for _, tt := range tests {
		p, err := NewWebex(tt.kind, tt.base, Options{})
		if err != nil {
			t.Fatalf("NewWebex(%s, %q): %v", tt.kind, tt.base, err)
		}
		b := tt.want
		want := Endpoints{
			Authorize:           b + "/authorize",
			Token:               b + "/access_token",
			DeviceAuthorization: b + "/device/authorize",
			DeviceToken:         b + "/device/token",
			UserInfo:            b + "/userinfo",
			JWKS:                b + "/verification",
			Discovery:           b + "/.well-known/openid-configuration",
			WebFinger:           b + "/.well-known/webfinger",
			People:              b + "/people/me",
		}
		if p.Kind != tt.kind || p.BaseURL != b || p.Endpoints != want || p.Issuer != "" {
			t.Errorf("NewWebex(%s, %q) = %+v", tt.kind, tt.base, p)
		}
		if p.AuthStyle != oauth2.AuthStyleInHeader || !slices.Equal(p.SigningAlgs, []string{"RS256"}) || p.Discovery != nil {
			t.Errorf("NewWebex(%s) settings = %+v", tt.kind, p)
		}
	}
}

func TestNewWebexErrors(t *testing.T) {
	tests := []struct {
		kind    string
		base    string
		wantErr string
	}{
		{config.ProviderOIDC, "", "not a Webex kind"},
		{"", "", "not a Webex kind"},
		{config.ProviderWebex, "http://webexapis.com/v1", "https"},
		{config.ProviderWebex, "https://webexapis.com/v1?x=1", "query"},
		{config.ProviderWebex, "webexapis.com", "absolute"},
	}
	for _, tt := range tests {
		_, err := NewWebex(tt.kind, tt.base, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NewWebex(%q, %q) = %v, want error containing %q", tt.kind, tt.base, err, tt.wantErr)
		}
	}
}

func TestParseKind(t *testing.T) {
	for _, s := range []string{"webex", "webex-gov", "oidc"} {
		if k, err := ParseKind(s); err != nil || string(k) != s {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "Webex", "google"} {
		if _, err := ParseKind(s); err == nil {
			t.Errorf("ParseKind(%q) accepted", s)
		}
	}
}

func TestDefaultScopes(t *testing.T) {
	webex, _ := NewWebex(config.ProviderWebex, "", Options{})
	gov, _ := NewWebex(config.ProviderWebexGov, "", Options{})
	withOffline := &Provider{Kind: config.ProviderOIDC, ScopesSupported: []string{"openid", "offline_access"}}
	without := &Provider{Kind: config.ProviderOIDC, ScopesSupported: []string{"openid", "email"}}
	tests := []struct {
		p    *Provider
		flow string
		want string
	}{
		{webex, config.FlowBrowser, "openid email profile spark:people_read"},
		{webex, config.FlowDevice, "spark:people_read"},
		{gov, config.FlowBrowser, "openid email profile spark:people_read"},
		{gov, config.FlowDevice, "spark:people_read"},
		{withOffline, config.FlowBrowser, "openid email profile offline_access"},
		{withOffline, config.FlowDevice, "openid email profile offline_access"},
		{without, config.FlowBrowser, "openid email profile"},
		{without, config.FlowDevice, "openid email profile"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.p.DefaultScopes(tt.flow), " "); got != tt.want {
			t.Errorf("%s DefaultScopes(%s) = %q, want %q", tt.p.Kind, tt.flow, got, tt.want)
		}
	}
	// A fresh slice every call.
	s := webex.DefaultScopes(config.FlowBrowser)
	s[0] = "changed"
	if webex.DefaultScopes(config.FlowBrowser)[0] != "openid" {
		t.Error("DefaultScopes shares its slice")
	}
}

func TestOAuth2Config(t *testing.T) {
	p, _ := NewWebex(config.ProviderWebex, "http://127.0.0.1:9/v1", Options{})
	scopes := []string{"openid", "email"}
	c := p.OAuth2Config("cid", "secret", "http://127.0.0.1:8085/callback", scopes)
	if c.ClientID != "cid" || c.ClientSecret != "secret" || c.RedirectURL != "http://127.0.0.1:8085/callback" ||
		!slices.Equal(c.Scopes, scopes) {
		t.Errorf("config = %+v", c)
	}
	want := oauth2.Endpoint{
		AuthURL:       "http://127.0.0.1:9/v1/authorize",
		TokenURL:      "http://127.0.0.1:9/v1/access_token",
		DeviceAuthURL: "http://127.0.0.1:9/v1/device/authorize",
		AuthStyle:     oauth2.AuthStyleInHeader,
	}
	if c.Endpoint != want {
		t.Errorf("endpoint = %+v, want %+v", c.Endpoint, want)
	}
	scopes[0] = "changed"
	if c.Scopes[0] != "openid" {
		t.Error("OAuth2Config shares the scopes slice")
	}
	if pub := p.OAuth2Config("cid", "", "", nil); pub.Endpoint.AuthStyle != oauth2.AuthStyleInParams {
		t.Errorf("public client AuthStyle = %v, want InParams", pub.Endpoint.AuthStyle)
	}
	if p.client == nil {
		t.Error("no default HTTP client")
	}
}
