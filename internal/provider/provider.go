// Package provider describes the identity providers the webex command signs in to, and
// verifies the ID tokens they issue.
//
// The Webex kinds have static endpoints under an API base and accept any ID token issuer
// matching [WebexIssuerPattern]; an oidc provider is configured by discovery. [Resolve] turns
// flags, environment and a profile's saved [Settings] into the provider a command uses, and
// [New] builds it.
//
// This package never prints, prompts, stores tokens or runs the OAuth flows; its errors never
// contain a token, code, nonce or secret.
package provider

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
)

// ParseKind returns s when it names a provider kind of config.
func ParseKind(s string) (string, error) {
	switch s {
	case config.ProviderWebex, config.ProviderWebexGov, config.ProviderOIDC:
		return s, nil
	}
	return "", fmt.Errorf("unknown provider %q: use webex, webex-gov or oidc", s)
}

// API bases of the Webex kinds: the commercial cloud and Webex for Government.
const (
	WebexBaseURL    = "https://webexapis.com/v1"
	WebexGovBaseURL = "https://api-usgov.webex.com/v1"
)

// WebexIssuerPattern is the "iss" every Webex ID token must match as a whole: an IdBroker of
// any data-centre cluster, such as https://idbroker-b-us.webex.com/idb.
const WebexIssuerPattern = `^https://idbroker(-[a-z0-9-]+)?\.webex\.com/idb$`

// Endpoints are the URLs of a provider; "" means it has (or announces) no such endpoint.
type Endpoints struct {
	Authorize           string
	Token               string
	DeviceAuthorization string
	DeviceToken         string // where the device flow polls: Webex's /device/token, else Token
	UserInfo            string
	JWKS                string
	Revocation          string
	Discovery           string
	WebFinger           string
	People              string // Webex's GET /people/me (Webex kinds only)
}

// Options configure a Provider. The zero value is usable.
type Options struct {
	HTTPClient *http.Client     // nil means a client with a 30 s timeout
	Now        func() time.Time // the clock of ID token checks; nil means time.Now
	// IssuerPatterns are extra regular expressions a Webex kind's ID token "iss" may match
	// as a whole (the government cloud's IdBroker host is not known in advance, and the
	// emulator has its own).
	IssuerPatterns []string
}

// defaultHTTPTimeout bounds each request of the default HTTP client.
const defaultHTTPTimeout = 30 * time.Second

// Provider is one identity provider: its endpoints and how its ID tokens are checked. Build
// one with New, NewStatic or ParseDiscovery; do not change it afterwards.
type Provider struct {
	Kind string // a provider kind of config
	// BaseURL is a Webex kind's API base, without a trailing slash; "" for oidc.
	BaseURL string
	// Issuer is an oidc provider's exact issuer; "" for the Webex kinds, which accept
	// WebexIssuerPattern instead.
	Issuer    string
	Endpoints Endpoints
	// SigningAlgs are the JWS algorithms accepted for ID tokens, never "none" nor HMAC.
	SigningAlgs     []string
	ScopesSupported []string
	AuthStyle       oauth2.AuthStyle // at the token endpoint
	Discovery       map[string]any   // the raw discovery document of an oidc provider

	client    *http.Client
	now       func() time.Time
	issuerRes []*regexp.Regexp // Webex kinds
	keys      oidc.KeySet
}

// NewWebex returns a provider of a Webex kind with Login with Webex's static endpoints under
// baseURL ("" is the kind's default; else it must pass ValidateURL). No request is made.
func NewWebex(kind string, baseURL string, opts Options) (*Provider, error) {
	if kind != config.ProviderWebex && kind != config.ProviderWebexGov {
		return nil, fmt.Errorf("provider kind %q is not a Webex kind", kind)
	}
	baseURL = APIBase(kind, baseURL)
	if err := ValidateURL(baseURL, false); err != nil {
		return nil, fmt.Errorf("base URL: %w", err)
	}
	base := strings.TrimRight(baseURL, "/")

	res := []*regexp.Regexp{regexp.MustCompile(WebexIssuerPattern)}
	for _, p := range opts.IssuerPatterns {
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("issuer pattern %q: %w", p, err)
		}
		res = append(res, re)
	}

	p := &Provider{
		Kind:    kind,
		BaseURL: base,
		Endpoints: Endpoints{
			Authorize:           base + "/authorize",
			Token:               base + "/access_token",
			DeviceAuthorization: base + "/device/authorize",
			DeviceToken:         base + "/device/token",
			UserInfo:            base + "/userinfo",
			JWKS:                base + "/verification",
			Discovery:           base + "/.well-known/openid-configuration",
			WebFinger:           base + "/.well-known/webfinger",
			People:              base + "/people/me",
		},
		SigningAlgs:     []string{oidc.RS256},
		ScopesSupported: []string{"openid", "email", "profile", "phone", "address", "spark:people_read"},
		AuthStyle:       oauth2.AuthStyleInHeader,
		issuerRes:       res,
	}
	p.init(opts)
	return p, nil
}

// init sets the clock, the HTTP client and the JWKS key set.
func (p *Provider) init(opts Options) {
	p.client = cmp.Or(opts.HTTPClient, &http.Client{Timeout: defaultHTTPTimeout})
	p.now = opts.Now
	if p.now == nil {
		p.now = time.Now
	}
	// The context only carries the HTTP client, for every JWKS fetch.
	p.keys = &keySet{ctx: oidc.ClientContext(context.Background(), p.client), url: p.Endpoints.JWKS}
}

// DefaultScopes returns the scopes a login with flow asks for without --scopes: Webex's
// device flow takes no OpenID scopes, and a Webex token can always call GET /people/me.
func (p *Provider) DefaultScopes(flow string) []string {
	if p.Kind != config.ProviderOIDC {
		if flow == config.FlowDevice {
			return []string{"spark:people_read"}
		}
		return []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile, "spark:people_read"}
	}
	s := []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}
	if slices.Contains(p.ScopesSupported, oidc.ScopeOfflineAccess) {
		s = append(s, oidc.ScopeOfflineAccess)
	}
	return s
}

// OAuth2Config returns an oauth2.Config for the provider's endpoints. A public client (empty
// clientSecret) sends its id as a form field whatever the AuthStyle.
func (p *Provider) OAuth2Config(clientID, clientSecret, redirectURI string, scopes []string) *oauth2.Config {
	style := p.AuthStyle
	if clientSecret == "" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  redirectURI,
		Scopes:       slices.Clone(scopes),
		Endpoint: oauth2.Endpoint{
			AuthURL:       p.Endpoints.Authorize,
			TokenURL:      p.Endpoints.Token,
			DeviceAuthURL: p.Endpoints.DeviceAuthorization,
			AuthStyle:     style,
		},
	}
}

// NewStatic returns a provider that knows only an issuer and the JWKS that signs its ID tokens
// (`webex decode --verify --jwks-url`): ID tokens must carry exactly issuer as "iss" and be
// signed with RS256 or ES256. It makes no request until a token is verified.
func NewStatic(issuer, jwksURL string, opts Options) (*Provider, error) {
	if issuer == "" {
		return nil, fmt.Errorf("an issuer is required to check the token's iss")
	}
	if err := ValidateURL(issuer, false); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if err := ValidateURL(jwksURL, true); err != nil {
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
