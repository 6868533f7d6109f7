package provider

import (
	"cmp"
	"context"
	"fmt"
	"regexp"

	"github.com/webex-cli/webex/internal/config"
)

// Settings name a provider the way a profile stores it and flags and the environment give
// it: a kind and, for config.ProviderOIDC, an issuer; for the Webex kinds, an API base and extra issuer
// patterns (Options.IssuerPatterns).
type Settings struct {
	Kind        string // "webex", "webex-gov" or "oidc"; "" is "webex" in New
	Issuer      string // config.ProviderOIDC only
	BaseURL     string // Webex kinds only; "" is the kind's default base
	IssuerAllow []string
}

// UsageError is a provider setting the user gave wrong (a flag or an environment value); its
// message names the flag.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usage(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// Resolve is the one rule that turns flag values, environment values and the settings saved
// at a profile's last login into provider Settings: flags first, then the environment, then
// the saved settings. The kind is the one given, else config.ProviderOIDC when an issuer is given, else
// the saved kind when no base URL is given, else config.ProviderWebex. A saved issuer or base URL serves
// only a login of the saved kind; saved issuer patterns serve every Webex kind, and patterns
// given as flags replace them. Values are checked as the command-line contract asks (https,
// or http on a loopback host); a bad one is a *UsageError.
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
		if err := ValidateURL(s.Issuer); err != nil {
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
		if err := ValidateURL(s.BaseURL); err != nil {
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

// New builds the provider s names: the static endpoints of a Webex kind (NewWebex, no network
// request), or discovery for config.ProviderOIDC (Discover).
func New(ctx context.Context, s Settings, opts Options) (*Provider, error) {
	opts.IssuerPatterns = append(opts.IssuerPatterns, s.IssuerAllow...)
	k, err := ParseKind(cmp.Or(s.Kind, config.ProviderWebex))
	if err != nil {
		return nil, err
	}
	if k == config.ProviderOIDC {
		return Discover(ctx, s.Issuer, opts)
	}
	return NewWebex(k, s.BaseURL, opts)
}
