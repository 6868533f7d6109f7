package emulator

import (
	"crypto/rsa"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Defaults used when the matching Config field is zero.
const (
	// DefaultUser is the only user when Config.Users is empty.
	DefaultUser = "alice@example.com"
	// DefaultIDTokenIssuer is the iss of ID tokens: one of Webex's IdBroker clusters.
	DefaultIDTokenIssuer = "https://idbroker.webex.com/idb"
	// DefaultDiscoveryIssuer is the issuer announced by the discovery document. As on Webex it is
	// neither the API base nor the iss of the ID tokens.
	DefaultDiscoveryIssuer = "https://idbroker-b-us.webex.com/idb"

	DefaultAccessTTL      = 14 * 24 * time.Hour // Webex: expires_in 1209600
	DefaultRefreshTTL     = 90 * 24 * time.Hour // Webex: refresh_token_expires_in 7776000
	DefaultIDTokenTTL     = 2 * time.Hour       // exp = iat + 2h
	DefaultDeviceTTL      = 300 * time.Second   // device flow expires_in
	DefaultDeviceInterval = 2 * time.Second     // device flow interval

	// DefaultScopes are the data scopes registered when Config.Scopes is empty: what a
	// default login of webex asks for besides the OpenID Connect scopes.
	DefaultScopes = "spark:people_read"

	// DefaultMaxPending is the default of Config.MaxPending.
	DefaultMaxPending = 10000

	// ApproveManual waits for a person (or ApproveDevice) to decide on the pages.
	ApproveManual = "manual"
	// ApproveAuto approves sign-ins at once and device codes after Config.ApproveDelay.
	ApproveAuto = "auto"
)

// Lifetimes that are not configurable.
const (
	codeTTL      = 5 * time.Minute  // authorization codes
	formTTL      = 15 * time.Minute // sign-in and device confirmation forms
	deviceGrace  = 10 * time.Minute // expired device codes still answer "expired" this long
	maxFormBytes = 64 << 10

	busyRetryAfter = 60 * time.Second // Retry-After of the 503 answered when a table is full

	// The device page lets one client address enter at most maxWrongCodes user codes that do
	// not exist per wrongCodeWindow: six digits are guessable.
	maxWrongCodes   = 10
	wrongCodeWindow = time.Minute
)

// deviceHelperRedirectURIs are Webex's OAuth helper callbacks. When redirect URIs are registered,
// the device flow works only if one of these is among them, as on Webex.
var deviceHelperRedirectURIs = [...]string{
	"https://oauth-helper-a.wbx2.com/helperservice/v1/actions/device/callback",
	"https://oauth-helper-r.wbx2.com/helperservice/v1/actions/device/callback",
	"https://oauth-helper-k.wbx2.com/helperservice/v1/actions/device/callback",
	"https://oauth-helper-d.wbx2.com/helperservice/v1/actions/device/callback",
}

// Config configures a Server. The zero value is usable: every empty field takes its default.
type Config struct {
	// ClientID and ClientSecret are the one registered integration's credentials. When empty
	// they are generated: the id as "C" + 64 hex digits (Webex's shape), the secret as 64 hex.
	ClientID, ClientSecret string

	// RedirectURIs are the integration's registered redirect URIs, matched exactly (RFC 6749
	// section 3.1.2.3). When empty, any http://127.0.0.1:PORT/callback is accepted. When not
	// empty, the device flow also requires one of Webex's OAuth helper callbacks
	// (https://oauth-helper-{a,r,k,d}.wbx2.com/helperservice/v1/actions/device/callback) to be
	// listed, and fails with a generic 400 otherwise, as Webex does.
	RedirectURIs []string

	// Scopes are the data scopes registered on the integration (default DefaultScopes). A
	// scope that is neither one of them nor an OpenID Connect scope (openid, email, profile,
	// phone, address, which need no registration) is refused with invalid_scope in both
	// flows, as Webex does.
	Scopes []string

	// StaleJWKS makes the first StaleJWKS answers of /v1/verification leave out the signing
	// key, as a key set fetched while Webex rotates its keys (or a cache's old copy) would.
	StaleJWKS int

	// Users are the e-mail addresses of the people who can sign in. Default: DefaultUser.
	// Names, subject UUIDs and Webex person ids are derived from the address, so they are the
	// same on every run.
	Users []string

	// Approve is ApproveManual (default) or ApproveAuto. In auto mode GET /v1/authorize
	// redirects at once with a code for the login_hint user (or the first user), and a device
	// code counts as approved by the first user once ApproveDelay has passed since it was issued.
	Approve string
	// ApproveDelay delays auto approval of device codes (default 0).
	ApproveDelay time.Duration

	// AccessTTL (default 14 days), RefreshTTL (90 days), IDTokenTTL (2h), DeviceTTL (300s)
	// and DeviceInterval (2s) are the lifetimes and the poll interval announced and enforced.
	// Refreshing never extends a refresh token's lifetime.
	AccessTTL, RefreshTTL, IDTokenTTL, DeviceTTL, DeviceInterval time.Duration

	// SlowDownEvery makes every Nth poll of a device code answer HTTP 400 slow_down, and
	// RateLimitEvery every Nth poll answer HTTP 429 with Retry-After (the interval, in whole
	// seconds). 0 disables them; when both hit the same poll the 429 wins. RateLimitEvery also
	// makes every Nth request to the REST API (people/me, people, rooms, messages) answer 429
	// with Retry-After: 1.
	SlowDownEvery, RateLimitEvery int

	// IDTokenIssuer is the iss of ID tokens (default DefaultIDTokenIssuer). DiscoveryIssuer is
	// the issuer of the discovery document (default DefaultDiscoveryIssuer). They differ on
	// purpose: Webex's do.
	IDTokenIssuer, DiscoveryIssuer string

	// Keys are the RSA keys published at /v1/verification. ID tokens are signed with the last
	// one and carry no kid, so a client must try every key. When empty, three 2048-bit keys are
	// generated (which takes a moment; tests can share keys through this field).
	Keys []*rsa.PrivateKey

	// AllowNonLoopback lets Start listen on an address other than IPv4 loopback, so that
	// another machine (a phone scanning the device QR code, say) can reach the pages. The
	// emulator has no real security: use it on trusted networks only.
	AllowNonLoopback bool

	// MaxPending caps each in-memory table that anyone who can reach the server may fill
	// without the client secret: pending page forms (sign-in and device confirmation), device
	// codes, authorization codes, and the client addresses tracked by the device page's limit
	// on wrong codes. When a table is full, expired entries are pruned; if it is still full the
	// request is answered 503 with the Webex envelope and Retry-After. Default
	// DefaultMaxPending (10000). The REST API's rooms and messages (all rooms together) are
	// capped at MaxPending each too.
	MaxPending int

	// Log, when set, gets one line per request: time, method, path (never the query), status
	// and duration. Secrets, tokens and codes are never logged.
	Log io.Writer

	// Now is the clock for every expiry (default time.Now).
	Now func() time.Time
}

// normalize fills in defaults and validates cfg.
func (cfg Config) normalize() (Config, error) {
	if cfg.ClientID == "" {
		cfg.ClientID = "C" + randomHex(32)
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = randomHex(32)
	}
	if strings.ContainsAny(cfg.ClientID, " \t\r\n") {
		return cfg, fmt.Errorf("emulator: client id must not contain white space")
	}
	cfg.RedirectURIs = append([]string(nil), cfg.RedirectURIs...)
	for _, u := range cfg.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || !p.IsAbs() || p.Host == "" || p.Fragment != "" {
			return cfg, fmt.Errorf("emulator: redirect URI %q is not an absolute URI without fragment", u)
		}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = strings.Fields(DefaultScopes)
	}
	cfg.Scopes = append([]string(nil), cfg.Scopes...)
	for _, sc := range cfg.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\r\n\"\\") {
			return cfg, fmt.Errorf("emulator: scope %q is empty or holds white space or quotes", sc)
		}
	}
	if cfg.StaleJWKS < 0 {
		return cfg, fmt.Errorf("emulator: the number of stale key set answers must not be negative")
	}
	users, err := normalizeUsers(cfg.Users)
	if err != nil {
		return cfg, err
	}
	cfg.Users = users
	switch cfg.Approve {
	case "":
		cfg.Approve = ApproveManual
	case ApproveManual, ApproveAuto:
	default:
		return cfg, fmt.Errorf("emulator: approve mode %q is neither %q nor %q", cfg.Approve, ApproveManual, ApproveAuto)
	}
	if err := cfg.normalizeLimits(); err != nil {
		return cfg, err
	}
	if cfg.SlowDownEvery < 0 || cfg.RateLimitEvery < 0 {
		return cfg, fmt.Errorf("emulator: slow-down and rate-limit periods must not be negative")
	}
	if cfg.IDTokenIssuer == "" {
		cfg.IDTokenIssuer = DefaultIDTokenIssuer
	}
	if cfg.DiscoveryIssuer == "" {
		cfg.DiscoveryIssuer = DefaultDiscoveryIssuer
	}
	cfg.Keys = append([]*rsa.PrivateKey(nil), cfg.Keys...)
	for i, k := range cfg.Keys {
		if k == nil {
			return cfg, fmt.Errorf("emulator: key %d is nil", i)
		}
		if k.N.BitLen() < 2048 {
			return cfg, fmt.Errorf("emulator: key %d is shorter than 2048 bits", i)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// normalizeUsers trims the users, drops repeats (case-insensitively) and checks that each is
// an e-mail address; none means DefaultUser.
func normalizeUsers(in []string) ([]string, error) {
	if len(in) == 0 {
		in = []string{DefaultUser}
	}
	seen := map[string]bool{}
	users := make([]string, 0, len(in))
	for _, u := range in {
		u = strings.TrimSpace(u)
		at := strings.LastIndexByte(u, '@')
		if at <= 0 || at == len(u)-1 || strings.ContainsAny(u, " \t\r\n<>\"") {
			return nil, fmt.Errorf("emulator: user %q is not an e-mail address", u)
		}
		if seen[strings.ToLower(u)] {
			continue
		}
		seen[strings.ToLower(u)] = true
		users = append(users, u)
	}
	return users, nil
}

// normalizeLimits fills in the default lifetimes, delays and cap on pending entries, none of
// which may be negative.
func (cfg *Config) normalizeLimits() error {
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"access TTL", &cfg.AccessTTL, DefaultAccessTTL},
		{"refresh TTL", &cfg.RefreshTTL, DefaultRefreshTTL},
		{"ID token TTL", &cfg.IDTokenTTL, DefaultIDTokenTTL},
		{"device TTL", &cfg.DeviceTTL, DefaultDeviceTTL},
		{"device interval", &cfg.DeviceInterval, DefaultDeviceInterval},
		{"approve delay", &cfg.ApproveDelay, 0},
	}
	for _, d := range durations {
		if *d.d < 0 {
			return fmt.Errorf("emulator: %s must not be negative", d.name)
		}
		if *d.d == 0 {
			*d.d = d.def
		}
	}
	switch {
	case cfg.MaxPending < 0:
		return fmt.Errorf("emulator: the cap on pending entries must not be negative")
	case cfg.MaxPending == 0:
		cfg.MaxPending = DefaultMaxPending
	}
	return nil
}
