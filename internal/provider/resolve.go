package provider

import (
	"cmp"
	"context"
	"fmt"
	"regexp"

	"github.com/webex-cli/webex/internal/config"
)

// Settings name a provider as a profile, flags and the environment give it.
type Settings struct {
	Kind        string   // "webex", "webex-gov" or "oidc"; "" is "webex" in New
	Issuer      string   // config.ProviderOIDC only
	BaseURL     string   // Webex kinds only; "" is the kind's default base
	IssuerAllow []string // Webex kinds only: extra issuer patterns (Options.IssuerPatterns)
}

// UsageError is a provider setting the user gave wrong; its message names the flag.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usage(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// Resolve is the one rule from flag values, environment values and the settings saved at a
// profile's last login to provider Settings, in that order. The kind is the one given, else
// oidc with an issuer, else the saved kind without a base URL, else webex. A saved issuer or
// base URL serves only the saved kind; flag issuer patterns replace saved ones. A bad value is
// a *UsageError.
func Resolve(flag, env, saved Settings) (Settings, error) {
	s := Settings{Kind: flag.Kind, Issuer: cmp.Or(flag.Issuer, env.Issuer), BaseURL: cmp.Or(flag.BaseURL, env.BaseURL)}
	switch {
	case s.Kind == "" && s.Issuer != "":
		s.Kind = config.ProviderOIDC
	case s.Kind == "" && s.BaseURL == "" && saved.Kind != "":
		s.Kind, s.Issuer, s.BaseURL = saved.Kind, saved.Issuer, saved.BaseURL
	case s.Kind == "":
		s.Kind = config.ProviderWebex
	}
	k, err := ParseKind(s.Kind)
	if err != nil {
		return s, usage("--provider: %w", err)
	}
	if k == config.ProviderOIDC {
		if s.Issuer == "" {
			return s, usage("--provider oidc needs --issuer URL (or WEBEX_ISSUER)")
		}
		if err := ValidateURL(s.Issuer, false); err != nil {
			return s, usage("--issuer: %w", err)
		}
		return Settings{Kind: s.Kind, Issuer: s.Issuer}, nil
	}
	if flag.Issuer != "" {
		return s, usage("--issuer is for OpenID providers; use --base-url with --provider %s", s.Kind)
	}
	s.Issuer = ""
	if s.BaseURL == "" && saved.Kind == s.Kind {
		s.BaseURL = saved.BaseURL
	}
	if s.BaseURL != "" {
		if err := ValidateURL(s.BaseURL, false); err != nil {
			return s, usage("--base-url: %w", err)
		}
	}
	s.IssuerAllow = saved.IssuerAllow
	if len(flag.IssuerAllow) > 0 {
		for _, re := range flag.IssuerAllow {
			if _, err := regexp.Compile(re); err != nil {
				return s, usage("--allow-issuer %q: %w", re, err)
			}
		}
		s.IssuerAllow = flag.IssuerAllow
	}
	return s, nil
}

// New builds the provider s names: NewWebex for a Webex kind, Discover for oidc.
func New(ctx context.Context, s Settings, opts Options) (*Provider, error) {
	opts.IssuerPatterns = append(opts.IssuerPatterns, s.IssuerAllow...)
	if s.Kind == config.ProviderOIDC {
		return Discover(ctx, s.Issuer, opts)
	}
	return NewWebex(cmp.Or(s.Kind, config.ProviderWebex), s.BaseURL, opts)
}

// APIBase is the REST API base of a Webex kind: base, else the kind's default.
func APIBase(kind, base string) string {
	switch {
	case base != "":
		return base
	case kind == config.ProviderWebexGov:
		return WebexGovBaseURL
	}
	return WebexBaseURL
}

// Label names a profile's provider for `webex status`: the kind, with the issuer of an OpenID
// provider or a base URL that is no Webex default.
func Label(p *config.Profile) string {
	switch {
	case p.Provider == config.ProviderOIDC:
		return p.Provider + " " + p.Issuer
	case p.BaseURL != "" && p.BaseURL != WebexBaseURL && p.BaseURL != WebexGovBaseURL:
		return p.Provider + " " + p.BaseURL
	}
	return p.Provider
}
