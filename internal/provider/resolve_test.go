package provider

import (
	"errors"
	"slices"
	"testing"

	"github.com/webex-cli/webex/internal/config"
)

func TestResolve(t *testing.T) {
	const iss, base = "https://login.example.com", "http://127.0.0.1:9/v1"
	savedOIDC := Settings{Kind: "oidc", Issuer: "https://saved.example.com"}
	savedGov := Settings{Kind: "webex-gov", BaseURL: "https://gov.example.com/v1", IssuerAllow: []string{"saved"}}
	tests := []struct {
		name             string
		flag, env, saved Settings
		want             Settings
		usage            bool
	}{
		{name: "nothing is webex", want: Settings{Kind: "webex"}},
		{name: "an issuer flag is oidc", flag: Settings{Issuer: iss}, want: Settings{Kind: "oidc", Issuer: iss}},
		{name: "an issuer in the environment is oidc", env: Settings{Issuer: iss}, saved: savedGov, want: Settings{Kind: "oidc", Issuer: iss}},
		{name: "the saved provider serves", saved: savedOIDC, want: savedOIDC},
		{name: "the saved base serves its kind", saved: savedGov, want: savedGov},
		{name: "a base URL leaves the saved kind", env: Settings{BaseURL: base}, saved: savedGov, want: Settings{Kind: "webex", BaseURL: base, IssuerAllow: []string{"saved"}}},
		{name: "flags before the environment", flag: Settings{BaseURL: base}, env: Settings{BaseURL: "https://env.example.com/v1"}, want: Settings{Kind: "webex", BaseURL: base}},
		{name: "flag patterns replace the saved ones", flag: Settings{Kind: "webex-gov", IssuerAllow: []string{"flag"}}, saved: savedGov, want: Settings{Kind: "webex-gov", BaseURL: savedGov.BaseURL, IssuerAllow: []string{"flag"}}},
		{name: "unknown kind", flag: Settings{Kind: "google"}, usage: true},
		{name: "oidc without issuer", flag: Settings{Kind: "oidc"}, usage: true},
		{name: "plain http issuer", flag: Settings{Issuer: "http://login.example.com"}, usage: true},
		{name: "issuer flag with a Webex kind", flag: Settings{Kind: "webex", Issuer: iss}, usage: true},
		{name: "bad base URL", flag: Settings{BaseURL: "ftp://x"}, usage: true},
		{name: "bad pattern", flag: Settings{IssuerAllow: []string{"("}}, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.flag, tt.env, tt.saved)
			var ue *UsageError
			if tt.usage {
				if !errors.As(err, &ue) {
					t.Fatalf("Resolve = %+v, %v; want a *UsageError", got, err)
				}
				return
			}
			if err != nil || got.Kind != tt.want.Kind || got.Issuer != tt.want.Issuer || got.BaseURL != tt.want.BaseURL || !slices.Equal(got.IssuerAllow, tt.want.IssuerAllow) {
				t.Fatalf("Resolve = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestAPIBaseAndLabel(t *testing.T) {
	for _, tc := range []struct{ kind, base, want string }{
		{config.ProviderWebex, "", WebexBaseURL},
		{config.ProviderWebexGov, "", WebexGovBaseURL},
		{config.ProviderWebex, "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"},
	} {
		if got := APIBase(tc.kind, tc.base); got != tc.want {
			t.Errorf("APIBase(%q, %q) = %q, want %q", tc.kind, tc.base, got, tc.want)
		}
	}
	for _, tc := range []struct {
		p    config.Profile
		want string
	}{
		{config.Profile{Provider: config.ProviderWebex, BaseURL: WebexBaseURL}, "webex"},
		{config.Profile{Provider: config.ProviderWebex, BaseURL: "http://127.0.0.1:8080/v1"}, "webex http://127.0.0.1:8080/v1"},
		{config.Profile{Provider: config.ProviderOIDC, Issuer: "https://id.example.com"}, "oidc https://id.example.com"},
	} {
		if got := Label(&tc.p); got != tc.want {
			t.Errorf("Label(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
