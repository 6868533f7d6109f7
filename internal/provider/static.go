package provider

import (
	"fmt"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/webex-cli/webex/internal/config"
)

// NewStatic returns a provider that knows only an issuer and the JWKS that signs its ID tokens,
// for verifying a token without discovery (`webex decode --verify --jwks-url`). ID tokens must
// carry exactly issuer as "iss" and be signed with RS256 or ES256 (algs, when given, replaces
// that list; "none" and HMAC are dropped). Both URLs must pass ValidateURL. It has no other
// endpoints and makes no network request until a token is verified.
func NewStatic(issuer, jwksURL string, algs []string, opts Options) (*Provider, error) {
	if issuer == "" {
		return nil, fmt.Errorf("an issuer is required to check the token's iss")
	}
	if err := ValidateURL(issuer); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if err := checkURL(jwksURL, true); err != nil {
		return nil, fmt.Errorf("JWKS URL: %w", err)
	}
	if len(algs) == 0 {
		algs = []string{oidc.RS256, oidc.ES256}
	}
	p := &Provider{
		Kind:        config.ProviderOIDC,
		Issuer:      strings.TrimSpace(issuer),
		Endpoints:   Endpoints{JWKS: jwksURL},
		SigningAlgs: allowedAlgs(algs),
	}
	p.init(opts)
	return p, nil
}
