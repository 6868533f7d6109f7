// Package oidcprov runs a real, certified OpenID Provider (panva's oidc-provider on Node.js,
// from test/oidcprovider) on 127.0.0.1 for end-to-end tests.
//
// It owns starting and stopping that process, telling tests where it listens and which clients
// it knows, driving its automatic end-user interaction with a plain HTTP client (Login), approving
// device codes (ApproveDevice) and reading its grant counters (Stats). It is for tests only: it
// must not be imported by product code, and it never talks to any host but 127.0.0.1.
//
// The suites that use it are opt-in: they run only when WEBEX_TEST_OIDC_PROVIDER=1. Unset, Start
// skips the test with a message saying so. Set, anything missing (node, the npm packages) fails
// the test loudly: install the packages with `npm ci --prefix test/oidcprovider`.
//
// The provider offers two native-application clients, both allowed authorization_code,
// refresh_token and urn:ietf:params:oauth:grant-type:device_code:
//   - a confidential one (ClientID, ClientSecret; client_secret_basic), and
//   - a public one (PublicClientID; token_endpoint_auth_method none).
//
// Their registered redirect URIs are http://127.0.0.1/callback and http://localhost/callback;
// being native clients, any port is accepted on those loopback URIs (RFC 8252 section 7.3).
// PKCE with S256 is required for every authorization request. Accounts are "alice"
// (alice@example.com, "Alice Example", the default) and "bob" (bob@example.com); the
// authorization request's login_hint picks one by sub or email, and any other login_hint is
// answered with error=access_denied.
package oidcprov

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// EnvGate is the environment variable that opts a test run into the suites using this package.
const EnvGate = "WEBEX_TEST_OIDC_PROVIDER"

// EnvDir, when set, names the folder holding server.mjs and its node_modules, instead of the
// repository's test/oidcprovider.
const EnvDir = "WEBEX_TEST_OIDC_PROVIDER_DIR"

// Grant types, as counted by Stats.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// Other Stats keys.
const (
	StatAuthorization       = "authorization"        // authorization requests answered with a code
	StatDeviceAuthorization = "device_authorization" // device codes issued
	StatDeviceApproved      = "device_approved"      // device codes approved (by hand or automatically)
	StatDeviceDenied        = "device_denied"        // device codes denied
	StatRevocation          = "revocation"           // successful revocation requests
	StatUserInfo            = "userinfo"             // successful UserInfo requests
	StatServerError         = "server_error"         // internal errors of the provider
	StatJWKS                = "jwks"                 // JWKS requests, stale answers included
)

// ErrorKey is the Stats key counting token endpoint answers with the OAuth error code errCode
// (for example "invalid_grant" or "authorization_pending") for grantType.
func ErrorKey(grantType, errCode string) string {
	return "error:" + grantType + ":" + errCode
}

// Options configure one provider process. The zero value is a long-lived, non-rotating
// provider whose device codes wait for ApproveDevice.
type Options struct {
	// Token lifetimes, rounded up to whole seconds. Zero means the provider's default:
	// access token 1 h, ID token 1 h, refresh token 14 days, device code 10 min.
	AccessTTL, IDTokenTTL, RefreshTTL, DeviceCodeTTL time.Duration

	// RefreshedAccessTTL is the lifetime of access tokens issued by the refresh_token grant
	// (zero: AccessTTL). A test can let the first token expire soon and keep the refreshed one
	// valid for as long as it needs to look at it.
	RefreshedAccessTTL time.Duration

	// RotateRefresh makes every refresh grant return a new refresh token and invalidate the
	// old one (reusing it then fails with invalid_grant and revokes the grant). Otherwise the
	// same refresh token is returned each time, as Webex usually does.
	RotateRefresh bool

	// RefreshRequiresOfflineAccess makes the authorization code grant issue a refresh token
	// only when the offline_access scope was granted, which oidc-provider does only when the
	// authorization request also has prompt=consent (OpenID Connect Core 1.0 section 11).
	// Otherwise every code exchange of these clients returns a refresh token. The device
	// flow always returns one.
	RefreshRequiresOfflineAccess bool

	// IDTokenClaims puts the claims of the email and profile scopes into ID tokens as well.
	// Otherwise they come only from UserInfo (OpenID Connect Core 1.0 section 5.4).
	IDTokenClaims bool

	// AutoApproveDevice approves every device code for the default account after it has been
	// answered authorization_pending AutoApproveAfterPolls times (0: as soon as it is issued).
	// The decision is made before the provider answers, so it is deterministic.
	AutoApproveDevice     bool
	AutoApproveAfterPolls int

	// DeviceInterval, when positive, is added to device authorization answers as "interval"
	// (rounded up to whole seconds). Without it RFC 8628 clients poll every 5 seconds.
	DeviceInterval time.Duration

	// StaleJWKS makes the first StaleJWKS answers of the JWKS endpoint list only a retired
	// key (with another kid) instead of the signing key, as a key set fetched during a key
	// rotation would. Stats counts the JWKS requests under StatJWKS.
	StaleJWKS int

	// ExtraScopes are further scopes the provider supports and grants (no claims attached),
	// for example "spark:people_read".
	ExtraScopes []string

	// ExtraRedirectURIs are registered for both clients besides the loopback /callback ones.
	ExtraRedirectURIs []string

	// Client identifiers. Defaults: "webex-test-client", a random secret, "webex-test-public".
	ClientID, ClientSecret, PublicClientID string

	// StartTimeout bounds how long Start waits for the provider to be ready. Default 60 s.
	StartTimeout time.Duration
}

// Server is a running provider. Its fields are read-only.
type Server struct {
	Issuer         string // http://127.0.0.1:PORT, no trailing slash
	ClientID       string // confidential client, client_secret_basic
	ClientSecret   string
	PublicClientID string   // public client, token_endpoint_auth_method none
	RedirectURIs   []string // registered redirect URIs (loopback ones take any port)

	// Endpoints from the discovery document.
	AuthURL, TokenURL, DeviceAuthURL, UserInfoURL, RevocationURL, JWKSURL string

	// GrantLogPath is the file receiving one JSON line per token endpoint answer.
	GrantLogPath string

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	done   chan struct{}
	client *http.Client
}

// Enabled reports whether EnvGate is set to 1 (or true).
func Enabled() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvGate)))
	return v == "1" || v == "true" || v == "yes"
}

// Required skips the test, with a message naming EnvGate, unless the opt-in suites were asked
// for. Start calls it; callers that do setup before Start may call it first.
func Required(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skipf("skipping: this test runs a real OpenID Provider (Node.js); set %s=1 to run it "+
			"(after `npm ci --prefix test/oidcprovider`)", EnvGate)
	}
}

// Dir returns the folder holding server.mjs: EnvDir if set, else test/oidcprovider of the
// repository this source file belongs to.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return filepath.Abs(d)
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the oidcprov source file")
	}
	// file is <repo>/internal/testutil/oidcprov/oidcprov.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "oidcprovider"), nil
}

// Start runs a provider configured by o and stops it (by PID) when the test ends. It skips
// the test when EnvGate is unset (see Required) and fails it, never skips, when node, server.mjs
// or the installed npm packages are missing or the provider does not come up.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	Required(t)

	dir, err := Dir()
	if err != nil {
		t.Fatalf("oidcprov: %v", err)
	}
	if err := checkInstall(dir); err != nil {
		t.Fatalf("oidcprov: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("oidcprov: %s=1 but Node.js is not installed (no `node` in PATH): %v", EnvGate, err)
	}

	if o.ClientSecret == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			t.Fatalf("oidcprov: %v", err)
		}
		o.ClientSecret = hex.EncodeToString(b)
	}
	logPath := filepath.Join(t.TempDir(), "grants.jsonl")

	cmd := exec.Command(node, "server.mjs", "--port", "0")
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(os.Environ()), o.env(logPath)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("oidcprov: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("oidcprov: %v", err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("oidcprov: starting %s server.mjs in %s: %v", node, dir, err)
	}

	s := &Server{
		cmd:          cmd,
		stdin:        stdin,
		stderr:       stderr,
		done:         make(chan struct{}),
		GrantLogPath: logPath,
		client: &http.Client{
			Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
			Timeout:   30 * time.Second,
		},
	}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("oidcprov: provider stderr:\n%s", stderr.String())
		}
	})

	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, r)
	}()
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	var line string
	select {
	case line = <-lines:
	case <-s.done:
		t.Fatalf("oidcprov: provider exited before it was ready (%v); stderr:\n%s", cmd.ProcessState, stderr.String())
	case <-time.After(timeout):
		t.Fatalf("oidcprov: provider not ready after %v; stderr:\n%s", timeout, stderr.String())
	}

	var ready struct {
		Issuer         string   `json:"issuer"`
		ClientID       string   `json:"client_id"`
		ClientSecret   string   `json:"client_secret"`
		PublicClientID string   `json:"public_client_id"`
		RedirectURIs   []string `json:"redirect_uris"`
	}
	if err := json.Unmarshal([]byte(line), &ready); err != nil || ready.Issuer == "" {
		t.Fatalf("oidcprov: bad ready line %q (%v); stderr:\n%s", line, err, stderr.String())
	}
	if u, err := url.Parse(ready.Issuer); err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("oidcprov: provider issuer %q is not on 127.0.0.1", ready.Issuer)
	}
	s.Issuer = ready.Issuer
	s.ClientID = ready.ClientID
	s.ClientSecret = ready.ClientSecret
	s.PublicClientID = ready.PublicClientID
	s.RedirectURIs = ready.RedirectURIs

	if err := s.discover(); err != nil {
		t.Fatalf("oidcprov: %v; stderr:\n%s", err, stderr.String())
	}
	return s
}

// checkInstall reports, with the command that fixes it, a missing server.mjs or npm install.
func checkInstall(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "server.mjs")); err != nil {
		return fmt.Errorf("%s=1 but the provider is missing: %w", EnvGate, err)
	}
	want, err := pinnedVersion(filepath.Join(dir, "package.json"))
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "oidc-provider", "package.json"))
	if err != nil {
		return fmt.Errorf("%s=1 but the npm packages of %s are not installed; run `npm ci --prefix test/oidcprovider`: %w",
			EnvGate, dir, err)
	}
	var got struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Errorf("reading installed oidc-provider version: %w", err)
	}
	if got.Version != want {
		return fmt.Errorf("installed oidc-provider is %s but package.json pins %s; run `npm ci --prefix test/oidcprovider`",
			got.Version, want)
	}
	return nil
}

func pinnedVersion(packageJSON string) (string, error) {
	b, err := os.ReadFile(packageJSON)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", packageJSON, err)
	}
	var p struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("parsing %s: %w", packageJSON, err)
	}
	v := p.Dependencies["oidc-provider"]
	if v == "" {
		return "", fmt.Errorf("%s does not depend on oidc-provider", packageJSON)
	}
	return v, nil
}

// cleanEnv drops inherited WEBEX_TEST_* variables so that only Options configure the provider.
func cleanEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, "WEBEX_TEST_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func seconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

func (o Options) env(logPath string) []string {
	env := []string{
		"WEBEX_TEST_GRANT_LOG=" + logPath,
		"WEBEX_TEST_EXIT_ON_STDIN_EOF=1",
		"WEBEX_TEST_CLIENT_SECRET=" + o.ClientSecret,
		"WEBEX_TEST_ROTATE_REFRESH=" + strconv.FormatBool(o.RotateRefresh),
	}
	add := func(name, value string) {
		if value != "" {
			env = append(env, name+"="+value)
		}
	}
	dur := func(name string, d time.Duration) {
		if d > 0 {
			add(name, seconds(d))
		}
	}
	dur("WEBEX_TEST_ACCESS_TTL", o.AccessTTL)
	dur("WEBEX_TEST_REFRESHED_ACCESS_TTL", o.RefreshedAccessTTL)
	dur("WEBEX_TEST_ID_TOKEN_TTL", o.IDTokenTTL)
	dur("WEBEX_TEST_REFRESH_TTL", o.RefreshTTL)
	dur("WEBEX_TEST_DEVICE_CODE_TTL", o.DeviceCodeTTL)
	dur("WEBEX_TEST_DEVICE_INTERVAL", o.DeviceInterval)
	if o.StaleJWKS > 0 {
		add("WEBEX_TEST_STALE_JWKS", strconv.Itoa(o.StaleJWKS))
	}
	add("WEBEX_TEST_CLIENT_ID", o.ClientID)
	add("WEBEX_TEST_PUBLIC_CLIENT_ID", o.PublicClientID)
	add("WEBEX_TEST_EXTRA_SCOPES", strings.Join(o.ExtraScopes, " "))
	add("WEBEX_TEST_REDIRECT_URIS", strings.Join(o.ExtraRedirectURIs, " "))
	if o.RefreshRequiresOfflineAccess {
		add("WEBEX_TEST_REFRESH_NEEDS_OFFLINE_ACCESS", "1")
	}
	if o.IDTokenClaims {
		add("WEBEX_TEST_ID_TOKEN_CLAIMS", "1")
	}
	if o.AutoApproveDevice {
		n := o.AutoApproveAfterPolls
		if n < 0 {
			n = 0
		}
		add("WEBEX_TEST_DEVICE_AUTO_APPROVE", strconv.Itoa(n))
	}
	return env
}

// stop ends the provider: SIGTERM to its PID, then SIGKILL if it has not exited in 5 s.
func (s *Server) stop() {
	_ = s.stdin.Close()
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *Server) discover() error {
	var doc struct {
		Issuer        string `json:"issuer"`
		AuthURL       string `json:"authorization_endpoint"`
		TokenURL      string `json:"token_endpoint"`
		DeviceAuthURL string `json:"device_authorization_endpoint"`
		UserInfoURL   string `json:"userinfo_endpoint"`
		RevocationURL string `json:"revocation_endpoint"`
		JWKSURL       string `json:"jwks_uri"`
	}
	if err := s.getJSON(s.Issuer+"/.well-known/openid-configuration", &doc); err != nil {
		return fmt.Errorf("fetching discovery document: %w", err)
	}
	if doc.Issuer != s.Issuer {
		return fmt.Errorf("discovery issuer %q, want %q", doc.Issuer, s.Issuer)
	}
	s.AuthURL, s.TokenURL, s.DeviceAuthURL = doc.AuthURL, doc.TokenURL, doc.DeviceAuthURL
	s.UserInfoURL, s.RevocationURL, s.JWKSURL = doc.UserInfoURL, doc.RevocationURL, doc.JWKSURL
	return nil
}

// Process is the provider's node process, for tests that pause it (SIGSTOP) to hold a
// request in flight. Only signal it; Start's cleanup ends it.
func (s *Server) Process() *os.Process { return s.cmd.Process }

// Endpoint returns the provider's endpoints for golang.org/x/oauth2, with client credentials
// sent by HTTP Basic (client_secret_basic).
//
// Note that oauth2.Config.DeviceAuth sends no client credentials, while oidc-provider
// authenticates confidential clients at the device authorization endpoint too (RFC 8628
// section 3.1); see BasicAuthClient.
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       s.AuthURL,
		TokenURL:      s.TokenURL,
		DeviceAuthURL: s.DeviceAuthURL,
		AuthStyle:     oauth2.AuthStyleInHeader,
	}
}

// Config returns an oauth2.Config for the confidential client.
func (s *Server) Config(redirectURL string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		Endpoint: s.Endpoint(), RedirectURL: redirectURL, Scopes: scopes,
	}
}

// PublicConfig returns an oauth2.Config for the public client, which sends its client_id as
// a form field (oidc-provider refuses HTTP Basic with an empty secret).
func (s *Server) PublicConfig(redirectURL string, scopes ...string) *oauth2.Config {
	ep := s.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{
		ClientID: s.PublicClientID,
		Endpoint: ep, RedirectURL: redirectURL, Scopes: scopes,
	}
}

// BasicAuthClient returns an HTTP client that adds the confidential client's HTTP Basic
// credentials to its requests to the device authorization endpoint (which
// oauth2.Config.DeviceAuth leaves unauthenticated) and passes every other request through
// unchanged. Use it with context.WithValue(ctx, oauth2.HTTPClient, ...).
func (s *Server) BasicAuthClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &deviceAuthTransport{
			base:   &http.Transport{Proxy: nil},
			target: s.DeviceAuthURL, id: s.ClientID, secret: s.ClientSecret,
		},
	}
}

type deviceAuthTransport struct {
	base               http.RoundTripper
	target, id, secret string
}

func (d *deviceAuthTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.String() == d.target && r.Header.Get("Authorization") == "" && r.GetBody != nil {
		body, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(body, 1<<20))
		_ = body.Close()
		if err != nil {
			return nil, err
		}
		if form, err := url.ParseQuery(string(b)); err == nil && form.Get("client_id") == d.id {
			r = r.Clone(r.Context())
			r.SetBasicAuth(url.QueryEscape(d.id), url.QueryEscape(d.secret))
		}
	}
	return d.base.RoundTrip(r)
}

// Stats returns the provider's counters: successful token grants keyed by grant type
// (GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode), failed ones keyed by ErrorKey,
// and the Stat* keys. Missing keys are zero. Counters are updated before the provider answers
// the request they count.
func (s *Server) Stats(t testing.TB) map[string]int {
	t.Helper()
	m := map[string]int{}
	if err := s.getJSON(s.Issuer+"/test/stats", &m); err != nil {
		t.Fatalf("oidcprov: stats: %v", err)
	}
	return m
}

// GrantEvent is one line of the grant log: a token endpoint answer. It holds no token.
type GrantEvent struct {
	Event     string `json:"event"`      // "grant.success" or "grant.error"
	GrantType string `json:"grant_type"` // as sent by the client; "unknown" if unreadable
	ClientID  string `json:"client_id"`  // empty when client authentication failed early
	Error     string `json:"error"`      // OAuth error code of a grant.error
}

// GrantLog returns the grant log so far, oldest first. ResetStats does not clear it.
func (s *Server) GrantLog(t testing.TB) []GrantEvent {
	t.Helper()
	b, err := os.ReadFile(s.GrantLogPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("oidcprov: grant log: %v", err)
	}
	var out []GrantEvent
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev GrantEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("oidcprov: grant log line %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

// ResetStats zeroes all counters.
func (s *Server) ResetStats(t testing.TB) {
	t.Helper()
	if _, err := s.postForm("/test/stats/reset", nil, http.StatusNoContent); err != nil {
		t.Fatalf("oidcprov: reset stats: %v", err)
	}
}

// ApproveDevice approves the pending device code with this user code for the default account
// ("alice"), granting every scope it asked for, as a user on the verification page would.
// The user code may be given with or without its dash and in any case.
func (s *Server) ApproveDevice(t testing.TB, userCode string) {
	t.Helper()
	s.ApproveDeviceAs(t, userCode, "alice")
}

// ApproveDeviceAs is ApproveDevice for the account with this sub or email.
func (s *Server) ApproveDeviceAs(t testing.TB, userCode, account string) {
	t.Helper()
	if err := s.decideDevice(userCode, account, false); err != nil {
		t.Fatalf("oidcprov: approve device: %v", err)
	}
}

// DenyDevice makes the next poll for the device code with this user code fail with
// access_denied.
func (s *Server) DenyDevice(t testing.TB, userCode string) {
	t.Helper()
	if err := s.decideDevice(userCode, "alice", true); err != nil {
		t.Fatalf("oidcprov: deny device: %v", err)
	}
}

func (s *Server) decideDevice(userCode, account string, deny bool) error {
	form := url.Values{"user_code": {userCode}, "account": {account}}
	if deny {
		form.Set("deny", "true")
	}
	_, err := s.postForm("/test/device/approve", form, http.StatusOK)
	return err
}

// Login plays the end user's browser for an authorization request URL of this provider: it
// follows the provider's redirects with a fresh cookie jar through its automatic login and
// consent, and returns the final redirect to the client's redirect URI without following it.
// The returned URL carries code, state and iss, or error and error_description. It fails the
// test if the provider answers with anything but redirects (for example an error page for a
// redirect URI it does not accept).
func (s *Server) Login(t testing.TB, authURL string) (redirectedTo *url.URL) {
	t.Helper()
	u, err := s.login(context.Background(), authURL)
	if err != nil {
		t.Fatalf("oidcprov: login: %v", err)
	}
	return u
}

// maxHops bounds the redirects of one Login; oidc-provider needs three.
const maxHops = 10

func (s *Server) login(ctx context.Context, authURL string) (*url.URL, error) {
	issuer, err := url.Parse(s.Issuer)
	if err != nil {
		return nil, err
	}
	next, err := url.Parse(authURL)
	if err != nil {
		return nil, fmt.Errorf("parsing authorization URL: %w", err)
	}
	if next.Scheme != issuer.Scheme || next.Host != issuer.Host {
		return nil, fmt.Errorf("authorization URL host %q is not the provider's %q", next.Host, issuer.Host)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{
		Jar:       jar,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	for hop := 0; hop < maxHops; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next.String(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "text/html")
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode > 399 {
			return nil, fmt.Errorf("GET %s: provider answered %s, not a redirect: %s",
				next.Path, resp.Status, bytes.TrimSpace(body))
		}
		loc, err := resp.Location()
		if err != nil {
			return nil, fmt.Errorf("GET %s: %s without a usable Location: %w", next.Path, resp.Status, err)
		}
		if loc.Scheme != issuer.Scheme || loc.Host != issuer.Host {
			return loc, nil
		}
		next = loc
	}
	return nil, fmt.Errorf("more than %d redirects inside the provider", maxHops)
}

func (s *Server) getJSON(u string, v any) error {
	resp, err := s.client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

func (s *Server) postForm(path string, form url.Values, want int) ([]byte, error) {
	resp, err := s.client.PostForm(s.Issuer+path, form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// syncBuffer collects the provider's stderr for failure reports.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 1<<20 {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
