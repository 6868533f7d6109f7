package provider

import (
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

// ParseKind returns s when it names a provider kind: config.ProviderWebex,
// config.ProviderWebexGov or config.ProviderOIDC.
func ParseKind(s string) (string, error) {
	switch s {
	case config.ProviderWebex, config.ProviderWebexGov, config.ProviderOIDC:
		return s, nil
	}
	return "", fmt.Errorf("unknown provider %q: use webex, webex-gov or oidc", s)
}

// API bases of the Webex kinds.
const (
	// WebexBaseURL is the API base of the commercial Webex cloud.
	WebexBaseURL = "https://webexapis.com/v1"
	// WebexGovBaseURL is the API base of Webex for Government.
	WebexGovBaseURL = "https://api-usgov.webex.com/v1"
)

// WebexIssuerPattern is the "iss" every Webex ID token must match: an IdBroker
// of any data-centre cluster, such as https://idbroker.webex.com/idb or
// https://idbroker-b-us.webex.com/idb. The whole value must match.
const WebexIssuerPattern = `^https://idbroker(-[a-z0-9-]+)?\.webex\.com/idb$`

// Endpoints are the URLs of a provider. An empty string means the provider
// has no such endpoint (or does not announce one).
type Endpoints struct {
	Authorize           string // authorization endpoint (RFC 6749 §3.1)
	Token               string // token endpoint for code exchange and refresh (RFC 6749 §3.2)
	DeviceAuthorization string // device authorization endpoint (RFC 8628 §3.1)
	DeviceToken         string // where the device flow polls (Webex: /device/token; oidc: the token endpoint)
	UserInfo            string // OpenID Connect Core §5.3
	JWKS                string // the key set that signs ID tokens (RFC 7517)
	Revocation          string // RFC 7009
	Discovery           string // OpenID Connect Discovery document
	WebFinger           string // RFC 7033
	People              string // Webex REST GET /people/me (Webex kinds only)
}

// Options configure a Provider. The zero value is usable.
type Options struct {
	// HTTPClient is used for discovery and to fetch the JWKS. Nil means a
	// client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock for ID token time checks. Nil means time.Now.
	Now func() time.Time
	// IssuerPatterns are extra regular expressions (RE2 syntax) an ID token
	// "iss" of a Webex kind may match, besides WebexIssuerPattern; the
	// government cloud's IdBroker host is not known in advance, and a local
	// emulator may use its own. Each must match the whole issuer (it is
	// anchored for you). Ignored by Discover: an oidc issuer must match
	// exactly.
	IssuerPatterns []string
}

// defaultHTTPTimeout bounds each request of the default HTTP client.
const defaultHTTPTimeout = 30 * time.Second

// Provider is one identity provider: where its endpoints are and how its
// tokens are checked. Build one with NewWebex, Discover or ParseDiscovery;
// it is safe for concurrent use. The exported fields describe the provider;
// changing them after construction does not change how ID tokens are
// verified (the key set and issuer rule are fixed at construction).
type Provider struct {
	Kind string // config.ProviderWebex, config.ProviderWebexGov or config.ProviderOIDC
	// BaseURL is the API base of a Webex kind ("https://webexapis.com/v1",
	// the government base, or the --base-url override), without a trailing
	// slash. Empty for oidc.
	BaseURL string
	// Issuer is the exact issuer of an oidc provider. Empty for the Webex
	// kinds, which accept a pattern instead (see WebexIssuerPattern).
	Issuer    string
	Endpoints Endpoints
	// SigningAlgs are the JWS algorithms accepted for ID tokens. "none" and
	// the HMAC algorithms are never included.
	SigningAlgs []string
	// ScopesSupported are the scopes the provider announces.
	ScopesSupported []string
	// AuthStyle is how the client authenticates at the token endpoint.
	AuthStyle oauth2.AuthStyle
	// Discovery is the raw discovery document when one was fetched (oidc).
	Discovery map[string]any

	client    *http.Client
	now       func() time.Time
	issuerRes []*regexp.Regexp // Webex kinds
	keys      oidc.KeySet      // the JWKS, cached across calls (see keySet)
	algs      []string         // SigningAlgs as constructed
	issuer    string           // Issuer as constructed (oidc)
}

// NewWebex returns a Webex provider (config.ProviderWebex or config.ProviderWebexGov) with the static
// endpoints of Login with Webex under baseURL. An empty baseURL means the
// kind's default API base; otherwise it must pass ValidateURL. No network
// request is made.
func NewWebex(kind string, baseURL string, opts Options) (*Provider, error) {
	def := ""
	switch kind {
	case config.ProviderWebex:
		def = WebexBaseURL
	case config.ProviderWebexGov:
		def = WebexGovBaseURL
	default:
		return nil, fmt.Errorf("provider kind %q is not a Webex kind", kind)
	}
	if baseURL == "" {
		baseURL = def
	}
	if err := ValidateURL(baseURL); err != nil {
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

// init sets the clock, the HTTP client and the JWKS key set, and fixes the
// algorithms and issuer verification uses.
func (p *Provider) init(opts Options) {
	p.client = opts.HTTPClient
	if p.client == nil {
		p.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	p.now = opts.Now
	if p.now == nil {
		p.now = time.Now
	}
	// The context only carries the HTTP client: RemoteKeySet ignores its
	// cancellation and uses it for every JWKS fetch.
	p.keys = newKeySet(oidc.ClientContext(context.Background(), p.client), p.Endpoints.JWKS)
	p.algs = slices.Clone(p.SigningAlgs)
	p.issuer = p.Issuer
}

// DefaultScopes returns the scopes a login asks for when --scopes is not
// given, for flow config.FlowBrowser or config.FlowDevice (anything else is config.FlowBrowser).
// Webex's device flow takes no OpenID scopes; either way a Webex token can
// call GET /people/me. The slice is new on every call.
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

// OAuth2Config returns an oauth2.Config for the provider's endpoints. A public
// client (empty clientSecret, RFC 6749 §2.1) sends its id as a form field
// whatever the provider's AuthStyle. Device polling does not use it: see
// package device.
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
