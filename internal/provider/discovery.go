package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
)

// maxDiscoveryBytes bounds a document read from the network.
const maxDiscoveryBytes = 1 << 20

// DiscoveryURL returns where the discovery document of issuer lives (Discovery 1.0 §4.1).
func DiscoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// Discover fetches the discovery document of issuer and returns the provider ParseDiscovery
// builds from it.
func Discover(ctx context.Context, issuer string, opts Options) (*Provider, error) {
	if err := ValidateURL(issuer, false); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	where := DiscoveryURL(issuer)
	body, ct, err := get(ctx, opts.HTTPClient, where)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	p, err := ParseDiscovery(issuer, body, opts)
	if err != nil {
		if errors.Is(err, errNotJSON) && ct != "" {
			if mt, _, _ := mime.ParseMediaType(ct); mt != "" && mt != "application/json" {
				return nil, fmt.Errorf("discovery: %s: %w (Content-Type %s)", where, err, mt)
			}
		}
		return nil, fmt.Errorf("discovery: %s: %w", where, err)
	}
	return p, nil
}

// errNotJSON marks a discovery body that is not a JSON object.
var errNotJSON = errors.New("the discovery document is not a JSON object")

// discoveryDoc holds the fields of a discovery document that a Provider uses.
type discoveryDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	// Read only so that a document giving them the wrong type is rejected.
	GrantTypesSupported           []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
}

// ParseDiscovery builds an oidc provider from the discovery document body fetched for issuer,
// saying which rule a bad document breaks: not a JSON object, a field of the wrong type, or
// one of check's. Of the announced signing algorithms only the asymmetric ones are kept
// (RS256 when none are announced).
func ParseDiscovery(issuer string, body []byte, opts Options) (*Provider, error) {
	if err := ValidateURL(issuer, false); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, errNotJSON
	}
	var d discoveryDoc
	if err := json.Unmarshal(body, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("the discovery document field %q has the wrong type (want %s)", te.Field, te.Type)
		}
		return nil, fmt.Errorf("the discovery document is not valid: %w", err)
	}
	if err := d.check(issuer); err != nil {
		return nil, err
	}
	algs := []string{"RS256"}
	if d.IDTokenSigningAlgValuesSupported != nil {
		algs = allowedAlgs(d.IDTokenSigningAlgValuesSupported)
	}

	u, _ := url.Parse(issuer) // validated above
	p := &Provider{
		Kind:   config.ProviderOIDC,
		Issuer: issuer,
		Endpoints: Endpoints{
			Authorize:           d.AuthorizationEndpoint,
			Token:               d.TokenEndpoint,
			DeviceAuthorization: d.DeviceAuthorizationEndpoint,
			DeviceToken:         d.TokenEndpoint,
			UserInfo:            d.UserinfoEndpoint,
			JWKS:                d.JWKSURI,
			Revocation:          d.RevocationEndpoint,
			Discovery:           DiscoveryURL(issuer),
			WebFinger:           u.Scheme + "://" + u.Host + "/.well-known/webfinger",
		},
		SigningAlgs:     algs,
		ScopesSupported: d.ScopesSupported,
		AuthStyle:       authStyleFor(d.TokenEndpointAuthMethodsSupported),
		Discovery:       raw,
	}
	p.init(opts)
	return p, nil
}

// check fails when a required field is missing, "issuer" is not exactly issuer, or an
// endpoint fails ValidateURL (a query is allowed).
func (d *discoveryDoc) check(issuer string) error {
	// The first four are required; every endpoint given must be a valid URL.
	fields := [][2]string{
		{"issuer", d.Issuer},
		{"authorization_endpoint", d.AuthorizationEndpoint},
		{"token_endpoint", d.TokenEndpoint},
		{"jwks_uri", d.JWKSURI},
		{"userinfo_endpoint", d.UserinfoEndpoint},
		{"device_authorization_endpoint", d.DeviceAuthorizationEndpoint},
		{"revocation_endpoint", d.RevocationEndpoint},
		{"end_session_endpoint", d.EndSessionEndpoint},
	}
	var missing []string
	for _, f := range fields[:4] {
		if f[1] == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the discovery document lacks the required field(s) %s", strings.Join(missing, ", "))
	}
	if d.Issuer != issuer { // OpenID Connect Discovery 1.0 §4.3
		msg := fmt.Sprintf("the discovery document names issuer %q, but the configured issuer is %q; they must be identical", d.Issuer, issuer)
		if strings.TrimRight(d.Issuer, "/") == strings.TrimRight(issuer, "/") {
			msg += " (check the trailing slash)"
		}
		return errors.New(msg)
	}
	for _, f := range fields[1:] {
		if f[1] == "" {
			continue
		}
		if err := ValidateURL(f[1], true); err != nil {
			return fmt.Errorf("the discovery document field %q: %w", f[0], err)
		}
	}
	return nil
}

// authStyleFor maps token_endpoint_auth_methods_supported (default client_secret_basic) to
// an oauth2.AuthStyle.
func authStyleFor(methods []string) oauth2.AuthStyle {
	switch {
	case len(methods) == 0, slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader
	case slices.Contains(methods, "client_secret_post"), slices.Contains(methods, "none"):
		return oauth2.AuthStyleInParams
	default:
		// Only methods this client does not implement (private_key_jwt, ...).
		return oauth2.AuthStyleAutoDetect
	}
}

// asymmetricAlgs are the algorithms that may sign an ID token. "none" and HMAC are absent: an
// HMAC "signature" keyed with a provider's public key proves nothing.
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func allowedAlg(alg string) bool { return slices.Contains(asymmetricAlgs, alg) }

// allowedAlgs keeps the algorithms of algs that allowedAlg accepts, once each.
func allowedAlgs(algs []string) []string {
	var keep []string
	for _, a := range algs {
		if allowedAlg(a) && !slices.Contains(keep, a) {
			keep = append(keep, a)
		}
	}
	return keep
}
