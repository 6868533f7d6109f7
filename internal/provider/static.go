package provider

import (
	"fmt"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/webex-cli/webex/internal/config"
)

// NewStatic returns a provider that knows only an issuer and the JWKS that signs its ID tokens
// (`webex decode --verify --jwks-url`): ID tokens must carry exactly issuer as "iss" and be
// signed with RS256 or ES256. It makes no request until a token is verified.
func NewStatic(issuer, jwksURL string, opts Options) (*Provider, error) {
	if issuer == "" {
		return nil, fmt.Errorf("an issuer is required to check the token's iss")
	}
	if err := ValidateURL(issuer); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if err := checkURL(jwksURL, true); err != nil {
		return nil, fmt.Errorf("JWKS URL: %w", err)
	}
	p := &Provider{
		Kind:        config.ProviderOIDC,
		Issuer:      strings.TrimSpace(issuer),
		Endpoints:   Endpoints{JWKS: jwksURL},
		SigningAlgs: []string{oidc.RS256, oidc.ES256},
	}
	p.init(opts)
	return p, nil
}
