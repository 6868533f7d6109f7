package session

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/testutil/memstore"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// The emulator's signing key is shared by every test: generating RSA keys is the slow part of
// emulator.New.
var (
	keysOnce sync.Once
	keys     []*rsa.PrivateKey
)

func testKeys() []*rsa.PrivateKey {
	keysOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys = []*rsa.PrivateKey{k}
	})
	return keys
}

// clock is a settable clock shared by the emulator and the Managers of a test.
//
// x/oauth2 computes oauth2.Token.Expiry from the wall clock (time.Now), and refreshWith stores
// that value, so tests that look at a refreshed token's expiry set the clock to the wall clock
// (truncated to whole seconds, as the emulator counts lifetimes) right before the refresh and
// log in "in the past" to get the token age they need.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func wallNow() time.Time { return time.Now().Truncate(time.Second) }

// countingTransport counts the requests the Managers send and refuses any host but 127.0.0.1.
type countingTransport struct {
	n  *atomic.Int64
	rt http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	if r.URL.Hostname() != "127.0.0.1" {
		return nil, fmt.Errorf("test transport: refusing a request to %s", r.URL.Host)
	}
	return c.rt.RoundTrip(r)
}

// env is one test's world: an emulator (or fake) on 127.0.0.1, a config folder and a memory
// secret store shared by every Manager of the test, as several processes share them.
type env struct {
	t        *testing.T
	clock    *clock
	srv      *emulator.Server // nil when the test uses an httptest fake
	base     string           // API base, http://127.0.0.1:PORT/v1
	clientID string
	secret   string
	dir      string
	cfg      *config.Config
	store    *memstore.Store
	requests atomic.Int64 // requests sent by Managers
	plain    *http.Transport
}

func newEnv(t *testing.T, ecfg emulator.Config) *env {
	t.Helper()
	e := bareEnv(t)
	ecfg.Keys = testKeys()
	ecfg.Now = e.clock.Now
	ecfg.Approve = emulator.ApproveAuto
	srv, err := emulator.New(ecfg)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("emulator Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e.srv, e.base, e.clientID, e.secret = srv, base, srv.ClientID(), srv.ClientSecret()
	return e
}

// newFakeEnv serves handler as the provider's /v1 API (for answers the emulator never gives).
func newFakeEnv(t *testing.T, handler http.Handler) *env {
	t.Helper()
	e := bareEnv(t)
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	e.base, e.clientID, e.secret = ts.URL+"/v1", "Cfakeclient", "fake-secret"
	return e
}

func bareEnv(t *testing.T) *env {
	dir := t.TempDir()
	e := &env{
		t:     t,
		clock: &clock{t: wallNow()},
		dir:   dir,
		cfg:   config.Open(dir),
		store: memstore.New(),
		plain: &http.Transport{Proxy: nil},
	}
	t.Cleanup(e.plain.CloseIdleConnections)
	return e
}

// manager returns a new Manager over the test's folder and store, as a new process would
// build one.
func (e *env) manager() *Manager {
	return &Manager{
		Config: config.Open(e.dir),
		OpenStore: func(kind string) (tokenstore.Store, error) {
			if kind != config.StorageFile {
				return nil, fmt.Errorf("unexpected storage %q", kind)
			}
			return e.store, nil
		},
		HTTPClient: func() *http.Client {
			return &http.Client{Transport: countingTransport{n: &e.requests, rt: e.plain}}
		},
		Now:         e.clock.Now,
		Secret:      func(...string) {},
		LockTimeout: 30 * time.Second,
	}
}

// login signs in to the emulator as the CLI would (authorization code with PKCE, the emulator
// approving at once) at the clock's current time, and saves the result as profile "default"
// with the secrets in the memory store.
func (e *env) login(scopes ...string) {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"spark:people_read"}
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: e.plain})
	oc := &oauth2.Config{
		ClientID:     e.clientID,
		ClientSecret: e.secret,
		RedirectURL:  "http://127.0.0.1:8085/callback",
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   e.base + "/authorize",
			TokenURL:  e.base + "/access_token",
			AuthStyle: oauth2.AuthStyleInHeader,
		},
	}
	verifier := oauth2.GenerateVerifier()
	noFollow := &http.Client{
		Transport:     e.plain,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := noFollow.Get(oc.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		e.t.Fatalf("authorize: %v", err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		e.t.Fatalf("authorize: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := oc.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		e.t.Fatalf("code exchange: %v", err)
	}
	idt, _ := tok.Extra("id_token").(string)
	e.save(&tokenstore.Secrets{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, IDToken: idt, ClientSecret: e.secret}, tok, scopes)
}

// save stores secrets and a profile describing tok as issued now.
func (e *env) save(sec *tokenstore.Secrets, tok *oauth2.Token, scopes []string) {
	e.t.Helper()
	now := e.clock.Now()
	p := &config.Profile{
		Name:            "default",
		Provider:        config.ProviderWebex,
		BaseURL:         e.base,
		ClientID:        e.clientID,
		Scopes:          scopes,
		RedirectURI:     "http://127.0.0.1:8085/callback",
		Storage:         config.StorageFile,
		Flow:            config.FlowBrowser,
		TokenType:       "Bearer",
		AccessIssuedAt:  now,
		HasRefreshToken: sec.RefreshToken != "",
		HasIDToken:      sec.IDToken != "",
		UpdatedAt:       now,
	}
	if tok != nil {
		record(p, new(tokenstore.Secrets), tok, now) // the mapping Login and refresh use
		p.HasRefreshToken = sec.RefreshToken != ""
	}
	if err := e.store.Save(context.Background(), "default", sec); err != nil {
		e.t.Fatal(err)
	}
	if err := e.cfg.Save(p); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) secrets() *tokenstore.Secrets {
	e.t.Helper()
	s, err := e.store.Load(context.Background(), "default", e.profile().Binding())
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) profile() *config.Profile {
	e.t.Helper()
	p, err := e.cfg.Load("default")
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) stats() emulator.Stats { return e.srv.Stats() }

func wantLoginRequired(t *testing.T, err error) *LoginRequiredError {
	t.Helper()
	var lr *LoginRequiredError
	if !errors.As(err, &lr) {
		t.Fatalf("error = %v (%T), want *LoginRequiredError", err, err)
	}
	if lr.Profile != "default" {
		t.Errorf("LoginRequiredError.Profile = %q, want default", lr.Profile)
	}
	return lr
}

func TestTokenFreshUsesNoNetwork(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	e.login()
	stored := e.secrets().AccessToken
	var clientCalls atomic.Int64
	m := e.manager()
	inner := m.HTTPClient
	m.HTTPClient = func() *http.Client { clientCalls.Add(1); return inner() }

	for range 3 {
		tok, err := m.Token(context.Background(), "default", 0)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != stored || tok.Refreshed || tok.TokenType != "Bearer" {
			t.Fatalf("Token = {%t %q}, want the stored token, not refreshed", tok.Refreshed, tok.TokenType)
		}
		if want := e.profile().AccessExpiry; !tok.Expiry.Equal(want) {
			t.Errorf("Expiry = %v, want %v", tok.Expiry, want)
		}
	}
	if n := e.requests.Load(); n != 0 {
		t.Errorf("%d HTTP requests for a fresh token, want 0", n)
	}
	if n := clientCalls.Load(); n != 0 {
		t.Errorf("HTTPClient called %d times for a fresh token, want 0", n)
	}
	if s := e.stats(); s.RefreshTokenGrants != 0 || s.TokenErrors != 0 {
		t.Errorf("emulator saw %d refreshes and %d token errors, want none", s.RefreshTokenGrants, s.TokenErrors)
	}
	// With no lock taken, the fresh path did not even create the lock folder.
	if _, err := os.Stat(filepath.Join(e.dir, "locks")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock folder exists after fresh reads (err %v); the hot path should not lock", err)
	}
}

// TestTokenDefaultMargin checks the default rule: refresh when less than min(5m, half the
// token's lifetime) is left.
func TestTokenDefaultMargin(t *testing.T) {
	tests := []struct {
		name        string
		ttl         time.Duration
		age         time.Duration // how long ago the token was issued
		wantRefresh bool
	}{
		{"1h token, 6m left", time.Hour, 54 * time.Minute, false},
		{"1h token, 5m left", time.Hour, 55 * time.Minute, false},
		{"1h token, 4m left", time.Hour, 56 * time.Minute, true},
		{"1h token, expired", time.Hour, 2 * time.Hour, true},
		{"8m token, 5m left (margin is 4m)", 8 * time.Minute, 3 * time.Minute, false},
		{"8m token, 4m left", 8 * time.Minute, 4 * time.Minute, false},
		{"8m token, 3m left", 8 * time.Minute, 5 * time.Minute, true},
		{"2m token, 61s left (margin is 1m)", 2 * time.Minute, 59 * time.Second, false},
		{"2m token, 59s left", 2 * time.Minute, 61 * time.Second, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: tc.ttl})
			now := wallNow()
			e.clock.Set(now.Add(-tc.age))
			e.login()
			old := e.secrets().AccessToken
			e.clock.Set(now)

			tok, err := e.manager().Token(context.Background(), "default", 0)
			if err != nil {
				t.Fatal(err)
			}
			grants := e.stats().RefreshTokenGrants
			if tc.wantRefresh {
				if grants != 1 || !tok.Refreshed || tok.AccessToken == old {
					t.Fatalf("refresh grants %d, Refreshed %t, new token %t; want one refresh", grants, tok.Refreshed, tok.AccessToken != old)
				}
				if got := e.secrets().AccessToken; got != tok.AccessToken {
					t.Error("the refreshed access token was not stored")
				}
				p := e.profile()
				if !p.AccessIssuedAt.Equal(now) {
					t.Errorf("AccessIssuedAt = %v, want %v", p.AccessIssuedAt, now)
				}
				// A second call right after does not refresh again.
				tok2, err := e.manager().Token(context.Background(), "default", 0)
				if err != nil {
					t.Fatal(err)
				}
				if tok2.Refreshed || tok2.AccessToken != tok.AccessToken || e.stats().RefreshTokenGrants != 1 {
					t.Errorf("second call refreshed again (grants %d)", e.stats().RefreshTokenGrants)
				}
			} else {
				if grants != 0 || tok.Refreshed || tok.AccessToken != old {
					t.Fatalf("refresh grants %d, Refreshed %t; want the stored token", grants, tok.Refreshed)
				}
				if n := e.requests.Load(); n != 0 {
					t.Errorf("%d requests, want 0", n)
				}
			}
		})
	}
}

func TestNeedsRefreshPolicy(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		issued, expiry time.Time
		minTTL         time.Duration
		want           bool
	}{
		{"unknown expiry", time.Time{}, time.Time{}, 0, true},
		{"expired", now.Add(-time.Hour), now.Add(-time.Second), 0, false},
		{"long token, plenty left", now.Add(-time.Hour), now.Add(time.Hour), 0, true},
		{"long token, 4m left", now.Add(-time.Hour), now.Add(4 * time.Minute), 0, false},
		{"long token, exactly 5m left", now.Add(-time.Hour), now.Add(5 * time.Minute), 0, true},
		{"10m token, 6m left", now.Add(-4 * time.Minute), now.Add(6 * time.Minute), 0, true},
		{"10m token, 4m left", now.Add(-6 * time.Minute), now.Add(4 * time.Minute), 0, false},
		{"unknown issue time, 4m left", time.Time{}, now.Add(4 * time.Minute), 0, false},
		{"min ttl satisfied", now.Add(-time.Hour), now.Add(time.Hour), 30 * time.Minute, true},
		{"min ttl not satisfied", now.Add(-time.Hour), now.Add(time.Hour), 2 * time.Hour, false},
		{"min ttl overrides half lifetime", now.Add(-4 * time.Minute), now.Add(6 * time.Minute), 7 * time.Minute, false},
	}
	for _, tt := range tests {
		p := &config.Profile{AccessIssuedAt: tt.issued, AccessExpiry: tt.expiry}
		if got := !NeedsRefresh(p, now, tt.minTTL); got != tt.want {
			t.Errorf("%s: fresh = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNeedsRefreshMatchesProfileRule(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		issued  time.Duration // relative to now
		expires time.Duration
		minTTL  time.Duration
		want    bool
	}{
		{"no expiry is fresh", 0, 0, 0, false},
		{"no expiry is fresh with min-ttl", 0, 0, time.Hour, false},
		{"unknown issue time: 5m margin", 0, 4 * time.Minute, 0, true},
		{"unknown issue time: 6m left", 0, 6 * time.Minute, 0, false},
		{"min-ttl wins over the default", -time.Hour, 30 * time.Minute, 45 * time.Minute, true},
		{"min-ttl shorter than default", -time.Hour, 3 * time.Minute, time.Minute, false},
		{"exactly min-ttl left is fresh", -time.Hour, 10 * time.Minute, 10 * time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &config.Profile{Name: "default"}
			if tc.issued != 0 {
				p.AccessIssuedAt = now.Add(tc.issued)
			}
			if tc.expires != 0 {
				p.AccessExpiry = now.Add(tc.expires)
			}
			if got := NeedsRefresh(p, now, tc.minTTL); got != tc.want {
				t.Errorf("NeedsRefresh = %t, want %t", got, tc.want)
			}
		})
	}
}

// TestTokenMinTTL checks --min-ttl: refresh unless at least that much is left, whatever the
// default margin says.
func TestTokenMinTTL(t *testing.T) {
	tests := []struct {
		name        string
		minTTL      time.Duration
		wantRefresh bool
	}{
		{"zero means the default rule", 0, false},
		{"shorter than what is left", 30 * time.Minute, false},
		{"exactly what is left", 50 * time.Minute, false},
		{"longer than what is left", 55 * time.Minute, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
			now := wallNow()
			e.clock.Set(now.Add(-10 * time.Minute)) // 50 minutes left
			e.login()
			old := e.secrets().AccessToken
			e.clock.Set(now)

			tok, err := e.manager().Token(context.Background(), "default", tc.minTTL)
			if err != nil {
				t.Fatal(err)
			}
			got := e.stats().RefreshTokenGrants
			if tc.wantRefresh != (got == 1) || tok.Refreshed != tc.wantRefresh || (tok.AccessToken != old) != tc.wantRefresh {
				t.Fatalf("refresh grants %d, Refreshed %t; want refresh %t", got, tok.Refreshed, tc.wantRefresh)
			}
		})
	}
}

func TestTokenExpiredRefreshTokenNoRequest(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour, RefreshTTL: 2 * time.Hour})
	now := wallNow()
	e.clock.Set(now.Add(-3 * time.Hour))
	e.login()
	e.clock.Set(now)
	before := *e.secrets()

	for _, call := range []struct {
		name string
		do   func(*Manager) (*Token, error)
	}{
		{"Token", func(m *Manager) (*Token, error) { return m.Token(context.Background(), "default", 0) }},
		{"Refresh", func(m *Manager) (*Token, error) { return m.Refresh(context.Background(), "default") }},
	} {
		t.Run(call.name, func(t *testing.T) {
			_, err := call.do(e.manager())
			lr := wantLoginRequired(t, err)
			if !strings.Contains(lr.Reason, "expired") {
				t.Errorf("reason %q does not say the refresh token expired", lr.Reason)
			}
			if n := e.requests.Load(); n != 0 {
				t.Errorf("%d requests, want none for a refresh token known to be expired", n)
			}
		})
	}
	if *e.secrets() != before {
		t.Error("the stored secrets changed")
	}
}

func TestTokenInvalidGrant(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	now := wallNow()
	e.clock.Set(now.Add(-2 * time.Hour))
	e.login()
	e.clock.Set(now)
	sec := e.secrets()
	sec.RefreshToken = "revoked-refresh-token" // the provider no longer knows it
	if err := e.store.Save(context.Background(), "default", sec); err != nil {
		t.Fatal(err)
	}
	profBefore := e.profile()

	_, err := e.manager().Token(context.Background(), "default", 0)
	lr := wantLoginRequired(t, err)
	var pe *oautherr.Error
	if !errors.As(err, &pe) || pe.Code != "invalid_grant" {
		t.Errorf("error does not wrap the provider's invalid_grant: %v", err)
	}
	if strings.Contains(lr.Error(), "revoked-refresh-token") {
		t.Errorf("error %q contains the refresh token", lr.Error())
	}
	if s := e.stats(); s.TokenErrors != 1 || s.RefreshTokenGrants != 0 {
		t.Errorf("emulator: %d token errors, %d refreshes; want 1 and 0", s.TokenErrors, s.RefreshTokenGrants)
	}
	if got := e.secrets(); *got != *sec {
		t.Error("the stored secrets changed after invalid_grant")
	}
	if got := e.profile(); !got.AccessExpiry.Equal(profBefore.AccessExpiry) || !got.UpdatedAt.Equal(profBefore.UpdatedAt) {
		t.Error("the profile changed after invalid_grant")
	}
}

// TestInvalidGrantAdoptsStoredToken: a refresh rejected with invalid_grant uses what is in the
// store when another process stored a different refresh token and a fresh access token since.
func TestInvalidGrantAdoptsStoredToken(t *testing.T) {
	tests := []struct {
		name      string
		storeRT   string // refresh token in the store when the rejection comes back
		fresh     bool   // whether the stored access token is fresh
		wantAdopt bool
	}{
		{"another process stored a new login", "new-refresh-token", true, true},
		{"store holds the rejected token", "stale-refresh-token", true, false},
		{"stored access token is stale too", "new-refresh-token", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
			now := wallNow()
			if !tc.fresh {
				e.clock.Set(now.Add(-2 * time.Hour))
			}
			e.save(&tokenstore.Secrets{AccessToken: "stored-access", RefreshToken: tc.storeRT, ClientSecret: e.secret},
				(&oauth2.Token{}).WithExtra(map[string]any{"expires_in": 3600.0}), []string{"spark:people_read"})
			e.clock.Set(now)
			m := e.manager()
			stale := &tokenstore.Secrets{AccessToken: "old-access", RefreshToken: "stale-refresh-token", ClientSecret: e.secret}
			tok, err := m.refreshWith(context.Background(), e.profile(), e.store, stale, 0)
			if !tc.wantAdopt {
				wantLoginRequired(t, err)
				return
			}
			if err != nil {
				t.Fatalf("refreshWith: %v", err)
			}
			if tok.AccessToken != "stored-access" || tok.Refreshed {
				t.Errorf("got Refreshed %t and a token other than the stored one", tok.Refreshed)
			}
			if s := e.stats(); s.TokenErrors != 1 || s.RefreshTokenGrants != 0 {
				t.Errorf("emulator: %d token errors, %d refreshes; want 1 and 0", s.TokenErrors, s.RefreshTokenGrants)
			}
		})
	}
}

func TestLoginRequiredWithoutUsableLogin(t *testing.T) {
	tests := []struct {
		name    string
		secrets *tokenstore.Secrets // nil: nothing stored
		profile bool
	}{
		{"no profile", nil, false},
		{"profile without stored secrets", nil, true},
		{"no refresh token", &tokenstore.Secrets{AccessToken: "old-access", ClientSecret: "s"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
			now := wallNow()
			e.clock.Set(now.Add(-2 * time.Hour))
			if tc.profile {
				e.save(&tokenstore.Secrets{AccessToken: "x", RefreshToken: "y"},
					(&oauth2.Token{}).WithExtra(map[string]any{"expires_in": 3600.0}), nil)
				if tc.secrets == nil {
					_ = e.store.Delete(context.Background(), "default")
				} else if err := e.store.Save(context.Background(), "default", tc.secrets); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Set(now)
			for _, force := range []bool{false, true} {
				m := e.manager()
				var err error
				if force {
					_, err = m.Refresh(context.Background(), "default")
				} else {
					_, err = m.Token(context.Background(), "default", 0)
				}
				wantLoginRequired(t, err)
			}
			if n := e.requests.Load(); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

// TestRefreshFields covers what a refresh answer records: the refresh token is kept when none
// comes back, refresh_token_expires_in (number or string) sets RefreshExpiry, a new refresh
// token without a lifetime clears it, and the granted scope is stored.
func TestRefreshFields(t *testing.T) {
	tests := []struct {
		name        string
		answer      map[string]any
		wantRT      string
		wantRefresh time.Duration // 0: unknown (zero time); -1: unchanged
		wantScopes  []string
	}{
		{
			name:        "no refresh token in the answer keeps the old one",
			answer:      map[string]any{"access_token": "new-access", "token_type": "Bearer", "expires_in": 3600},
			wantRT:      "old-refresh",
			wantRefresh: -1,
		},
		{
			name:        "refresh_token_expires_in as a number",
			answer:      map[string]any{"access_token": "new-access", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "old-refresh", "refresh_token_expires_in": 7200},
			wantRT:      "old-refresh",
			wantRefresh: 2 * time.Hour,
		},
		{
			name:        "refresh_token_expires_in as a string, rotated token",
			answer:      map[string]any{"access_token": "new-access", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "new-refresh", "refresh_token_expires_in": "86400"},
			wantRT:      "new-refresh",
			wantRefresh: 24 * time.Hour,
		},
		{
			name:        "rotated token without a lifetime clears the old expiry",
			answer:      map[string]any{"access_token": "new-access", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "new-refresh", "scope": "spark:people_read spark:messages_read"},
			wantRT:      "new-refresh",
			wantRefresh: 0,
			wantScopes:  []string{"spark:people_read", "spark:messages_read"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var grants atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("POST /v1/access_token", func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "old-refresh" {
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"error":"invalid_request"}`)
					return
				}
				if id, secret, ok := r.BasicAuth(); !ok || id != "Cfakeclient" || secret != "fake-secret" {
					w.WriteHeader(http.StatusUnauthorized)
					fmt.Fprint(w, `{"error":"invalid_client"}`)
					return
				}
				grants.Add(1)
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(tc.answer)
			})
			e := newFakeEnv(t, mux)
			now := wallNow()
			e.clock.Set(now.Add(-2 * time.Hour))
			e.save(&tokenstore.Secrets{AccessToken: "old-access", RefreshToken: "old-refresh", ClientSecret: e.secret},
				(&oauth2.Token{}).WithExtra(map[string]any{"expires_in": 3600.0, "refresh_token_expires_in": 86400.0 * 30}),
				[]string{"spark:people_read"})
			before := e.profile()
			e.clock.Set(now)

			tok, err := e.manager().Token(context.Background(), "default", 0)
			if err != nil {
				t.Fatal(err)
			}
			if grants.Load() != 1 || !tok.Refreshed || tok.AccessToken != "new-access" {
				t.Fatalf("grants %d, Refreshed %t", grants.Load(), tok.Refreshed)
			}
			sec := e.secrets()
			if sec.RefreshToken != tc.wantRT {
				t.Errorf("stored refresh token %q, want %q", sec.RefreshToken, tc.wantRT)
			}
			if sec.AccessToken != "new-access" || sec.ClientSecret != e.secret {
				t.Error("access token not stored or client secret lost")
			}
			p := e.profile()
			if !p.HasRefreshToken {
				t.Error("HasRefreshToken = false")
			}
			switch tc.wantRefresh {
			case -1:
				if !p.RefreshExpiry.Equal(before.RefreshExpiry) {
					t.Errorf("RefreshExpiry = %v, want unchanged %v", p.RefreshExpiry, before.RefreshExpiry)
				}
			case 0:
				if !p.RefreshExpiry.IsZero() {
					t.Errorf("RefreshExpiry = %v, want unknown", p.RefreshExpiry)
				}
			default:
				if want := now.Add(tc.wantRefresh); !p.RefreshExpiry.Equal(want) {
					t.Errorf("RefreshExpiry = %v, want %v", p.RefreshExpiry, want)
				}
			}
			wantScopes := tc.wantScopes
			if wantScopes == nil {
				wantScopes = before.GrantedScopes
			}
			if strings.Join(p.GrantedScopes, " ") != strings.Join(wantScopes, " ") {
				t.Errorf("GrantedScopes = %q, want %q", p.GrantedScopes, wantScopes)
			}
			if !p.AccessIssuedAt.Equal(now) || !p.UpdatedAt.Equal(now) {
				t.Errorf("AccessIssuedAt %v, UpdatedAt %v; want %v", p.AccessIssuedAt, p.UpdatedAt, now)
			}
		})
	}
}

// TestRefreshRecordsEmulatorRefreshLifetime: Webex (and the emulator) answer a refresh with the
// same refresh token and its remaining lifetime, which must not move the recorded expiry.
func TestRefreshRecordsEmulatorRefreshLifetime(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour, RefreshTTL: 48 * time.Hour})
	now := wallNow()
	loginAt := now.Add(-2 * time.Hour)
	e.clock.Set(loginAt)
	e.login()
	rt := e.secrets().RefreshToken
	e.clock.Set(now)

	if _, err := e.manager().Refresh(context.Background(), "default"); err != nil {
		t.Fatal(err)
	}
	p := e.profile()
	if want := loginAt.Add(48 * time.Hour); !p.RefreshExpiry.Equal(want) {
		t.Errorf("RefreshExpiry = %v, want %v (login + refresh TTL)", p.RefreshExpiry, want)
	}
	if e.secrets().RefreshToken != rt {
		t.Error("the refresh token changed, but the emulator does not rotate")
	}
	if got := p.AccessExpiry.Sub(p.AccessIssuedAt); got < 59*time.Minute || got > 61*time.Minute {
		t.Errorf("recorded access lifetime %v, want about 1h", got)
	}
}

// jwtSub returns the "sub" claim of a compact JWT, unverified.
func jwtSub(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatal("not a compact JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Sub == "" {
		t.Fatalf("no sub in the ID token: %v", err)
	}
	return c.Sub
}

// TestRefreshVerifiesIDToken: a refreshed ID token is stored only when it passes the checks of
// a login plus the same sub (OpenID Connect Core 1.0 §12.2). When it fails, the new access and refresh tokens are kept all the same
// (the old refresh token may be dead, and a retry would mint yet another token), the stored ID
// token is dropped and the caller gets a warning.
func TestRefreshVerifiesIDToken(t *testing.T) {
	tests := []struct {
		name      string
		issuer    string                                   // iss of the emulator's ID tokens
		edit      func(p *config.Profile, loginSub string) // changes to the saved profile
		wantCheck string                                   // "": the ID token is stored
	}{
		{name: "valid ID token is stored"},
		{name: "same subject as the login is stored", edit: func(p *config.Profile, sub string) { p.Subject = sub }},
		{
			name:      "ID token from a foreign issuer is dropped",
			issuer:    "https://idbroker.webex.example.org/idb",
			wantCheck: "iss",
		},
		{
			name:      "ID token of another user is dropped",
			edit:      func(p *config.Profile, sub string) { p.Subject = "another-" + sub },
			wantCheck: "sub",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour, IDTokenIssuer: tc.issuer})
			now := wallNow()
			e.clock.Set(now.Add(-2 * time.Hour))
			e.login("openid", "email", "spark:people_read")
			before := *e.secrets()
			if before.IDToken == "" {
				t.Fatal("login returned no ID token")
			}
			if tc.edit != nil {
				p := e.profile()
				tc.edit(p, jwtSub(t, before.IDToken))
				if err := e.cfg.Save(p); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Set(now)
			m := e.manager()
			tok, err := m.Token(context.Background(), "default", 0)
			if err != nil {
				t.Fatal(err)
			}
			if g := e.stats().RefreshTokenGrants; g != 1 {
				t.Fatalf("refresh grants = %d, want 1", g)
			}
			sec, p := e.secrets(), e.profile()
			if sec.AccessToken != tok.AccessToken || tok.AccessToken == before.AccessToken || !tok.Refreshed {
				t.Error("the refreshed access token was not stored and returned")
			}
			if sec.RefreshToken == "" || sec.ClientSecret != before.ClientSecret {
				t.Error("the refresh token or client secret was lost")
			}
			if !p.AccessIssuedAt.Equal(now) || !p.UpdatedAt.Equal(now) {
				t.Error("the profile does not describe the refreshed token")
			}
			if tc.wantCheck == "" {
				if len(tok.Warnings) != 0 {
					t.Errorf("Warnings = %q, want none", tok.Warnings)
				}
				if sec.IDToken == "" || sec.IDToken == before.IDToken {
					t.Error("the refreshed ID token was not stored")
				}
				if !p.HasIDToken || !p.IDTokenExpiry.Equal(now.Add(emulator.DefaultIDTokenTTL)) {
					t.Errorf("HasIDToken %t, IDTokenExpiry %v; want true, %v", p.HasIDToken, p.IDTokenExpiry, now.Add(emulator.DefaultIDTokenTTL))
				}
				return
			}
			if len(tok.Warnings) != 1 || !strings.Contains(tok.Warnings[0], "failed the "+tc.wantCheck+" check") {
				t.Fatalf("Warnings = %q, want one naming the %s check", tok.Warnings, tc.wantCheck)
			}
			for _, secret := range []string{sec.AccessToken, sec.RefreshToken, before.IDToken, before.ClientSecret} {
				if strings.Contains(tok.Warnings[0], secret) {
					t.Fatal("the warning contains a secret")
				}
			}
			if sec.IDToken != "" || p.HasIDToken || !p.IDTokenExpiry.IsZero() {
				t.Errorf("ID token kept (stored %t, HasIDToken %t, IDTokenExpiry %v); want it dropped",
					sec.IDToken != "", p.HasIDToken, p.IDTokenExpiry)
			}
			// The stored login goes on working without another grant.
			again, err := e.manager().Token(context.Background(), "default", 0)
			if err != nil || again.AccessToken != tok.AccessToken || again.Refreshed || len(again.Warnings) != 0 {
				t.Errorf("next Token: %v (refreshed %t)", err, again != nil && again.Refreshed)
			}
		})
	}
}

// TestConcurrentTokenSingleRefresh: 16 "processes" (separate Managers over the same folder and
// store) ask for a token that needs refreshing at once; the provider sees one refresh.
func TestConcurrentTokenSingleRefresh(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	now := wallNow()
	e.clock.Set(now.Add(-58 * time.Minute))
	e.login()
	old := e.secrets().AccessToken
	e.clock.Set(now)

	const n = 16
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		tokens  [n]string
		errs    [n]error
		refresh atomic.Int64
	)
	for i := range n {
		m := e.manager()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := m.Token(context.Background(), "default", 0)
			errs[i] = err
			if err == nil {
				tokens[i] = tok.AccessToken
				if tok.Refreshed {
					refresh.Add(1)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	if g := e.stats().RefreshTokenGrants; g != 1 {
		t.Fatalf("provider saw %d refresh grants, want exactly 1", g)
	}
	if r := refresh.Load(); r != 1 {
		t.Errorf("%d callers report Refreshed, want 1", r)
	}
	for i, tok := range tokens {
		if tok != tokens[0] || tok == old {
			t.Fatalf("caller %d got a different or stale token", i)
		}
	}
	if e.secrets().AccessToken != tokens[0] {
		t.Error("the stored token is not the one handed out")
	}
}

// deadlineSignal is a context that reports the first call of its Deadline method. Manager.refresh
// derives the lock wait's timeout from the caller's context (context.WithTimeout asks the parent
// for its deadline) after reading the profile and before waiting for the lock, so the signal
// tells a test that a Refresh has taken its "before" snapshot.
type deadlineSignal struct {
	context.Context
	once   sync.Once
	called chan struct{}
}

func (c *deadlineSignal) Deadline() (time.Time, bool) {
	c.once.Do(func() { close(c.called) })
	return c.Context.Deadline()
}

// TestForcedRefreshAfterOtherProcess: `webex refresh` waits for the lock while another process
// refreshes; it then uses that process's result instead of making a second grant.
func TestForcedRefreshAfterOtherProcess(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	e.login()
	ctx := context.Background()

	unlock, err := Lock(ctx, e.dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		tok *Token
		err error
	}
	done := make(chan result, 1)
	sctx := &deadlineSignal{Context: ctx, called: make(chan struct{})}
	m := e.manager()
	go func() {
		tok, err := m.Refresh(sctx, "default")
		done <- result{tok, err}
	}()
	// Wait until Refresh has read the profile and is about to wait for the lock.
	select {
	case <-sctx.called:
	case r := <-done:
		t.Fatalf("Refresh returned while the lock was held: %v", r.err)
	}

	// Another process refreshes meanwhile: new access token, same refresh token, new times.
	later := e.clock.Now().Add(time.Minute)
	e.clock.Set(later)
	sec := e.secrets()
	sec.AccessToken = "refreshed-by-another-process"
	if err := e.store.Save(context.Background(), "default", sec); err != nil {
		t.Fatal(err)
	}
	p := e.profile()
	p.AccessIssuedAt, p.AccessExpiry, p.UpdatedAt = later, later.Add(time.Hour), later
	if err := e.cfg.Save(p); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}

	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.tok.AccessToken != "refreshed-by-another-process" || r.tok.Refreshed {
		t.Errorf("Refresh returned Refreshed %t and not the other process's token", r.tok.Refreshed)
	}
	if !r.tok.Expiry.Equal(later.Add(time.Hour)) {
		t.Errorf("Expiry = %v, want the other process's %v", r.tok.Expiry, later.Add(time.Hour))
	}
	if g := e.stats().RefreshTokenGrants; g != 0 {
		t.Errorf("provider saw %d refresh grants, want 0", g)
	}
	if n := e.requests.Load(); n != 0 {
		t.Errorf("%d requests, want 0", n)
	}

	// Without a concurrent refresh, a forced refresh makes a grant even for a fresh token.
	tok, err := e.manager().Refresh(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Refreshed || e.stats().RefreshTokenGrants != 1 {
		t.Errorf("forced refresh: Refreshed %t, grants %d; want a grant", tok.Refreshed, e.stats().RefreshTokenGrants)
	}
}

func TestTokenHonoursContextWhileWaitingForLock(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	now := wallNow()
	e.clock.Set(now.Add(-2 * time.Hour))
	e.login()
	e.clock.Set(now)
	unlock, err := Lock(context.Background(), e.dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.manager().Token(ctx, "default", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	m := e.manager()
	m.LockTimeout = time.Nanosecond
	if _, err := m.Token(context.Background(), "default", 0); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want a lock wait failure", err)
	}
	if g := e.stats().RefreshTokenGrants; g != 0 {
		t.Errorf("provider saw %d refresh grants, want 0", g)
	}
}
