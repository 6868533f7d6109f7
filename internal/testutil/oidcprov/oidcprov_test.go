package oidcprov_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/testutil/oidcprov"
)

func random(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testCtx bounds every exchange with the provider and routes HTTP through a client that
// authenticates the confidential client at the device authorization endpoint.
func testCtx(t *testing.T, s *oidcprov.Server) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return oidc.ClientContext(ctx, s.BasicAuthClient())
}

type loginResult struct {
	token    *oauth2.Token
	nonce    string
	redirect *url.URL
}

// codeFlow runs an authorization code + PKCE flow for cfg through Login and the code exchange.
func codeFlow(t *testing.T, ctx context.Context, s *oidcprov.Server, cfg *oauth2.Config, extra ...oauth2.AuthCodeOption) loginResult {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state, nonce := random(t), random(t)
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}, extra...)
	redirect := s.Login(t, cfg.AuthCodeURL(state, opts...))

	want, _ := url.Parse(cfg.RedirectURL)
	if redirect.Scheme != want.Scheme || redirect.Host != want.Host || redirect.Path != want.Path {
		t.Fatalf("redirected to %s://%s%s, want %s", redirect.Scheme, redirect.Host, redirect.Path, cfg.RedirectURL)
	}
	q := redirect.Query()
	if e := q.Get("error"); e != "" {
		t.Fatalf("authorization error %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Fatalf("state not returned intact")
	}
	if q.Get("iss") != s.Issuer {
		t.Fatalf("iss = %q, want %q (RFC 9207)", q.Get("iss"), s.Issuer)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	return loginResult{token: tok, nonce: nonce, redirect: redirect}
}

func verifyIDToken(t *testing.T, ctx context.Context, s *oidcprov.Server, clientID string, tok *oauth2.Token) *oidc.IDToken {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no id_token in the token response")
	}
	p, err := oidc.NewProvider(ctx, s.Issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: clientID, SupportedSigningAlgs: []string{oidc.RS256}}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token verification: %v", err)
	}
	return idt
}

func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

func wantStats(t *testing.T, got map[string]int, want map[string]int) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Stats()[%q] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

func TestDiscovery(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{ExtraScopes: []string{"spark:people_read"}})
	ctx := testCtx(t, s)

	p, err := oidc.NewProvider(ctx, s.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var doc struct {
		Scopes         []string `json:"scopes_supported"`
		PKCE           []string `json:"code_challenge_methods_supported"`
		Revocation     string   `json:"revocation_endpoint"`
		DeviceAuth     string   `json:"device_authorization_endpoint"`
		IDTokenAlgs    []string `json:"id_token_signing_alg_values_supported"`
		ResponseTypes  []string `json:"response_types_supported"`
		GrantTypes     []string `json:"grant_types_supported"`
		IssParameterOK bool     `json:"authorization_response_iss_parameter_supported"`
	}
	if err := p.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Issuer, "http://127.0.0.1:") {
		t.Errorf("issuer %q is not http://127.0.0.1:PORT", s.Issuer)
	}
	if p.Endpoint().AuthURL != s.AuthURL || p.Endpoint().TokenURL != s.TokenURL || p.Endpoint().DeviceAuthURL != s.DeviceAuthURL {
		t.Errorf("endpoints differ: go-oidc %+v, Server %s %s %s", p.Endpoint(), s.AuthURL, s.TokenURL, s.DeviceAuthURL)
	}
	if doc.Revocation != s.RevocationURL || s.RevocationURL == "" || doc.DeviceAuth == "" {
		t.Errorf("revocation %q / device %q endpoints missing", doc.Revocation, doc.DeviceAuth)
	}
	if strings.Join(doc.PKCE, ",") != "S256" {
		t.Errorf("code_challenge_methods_supported = %v, want [S256]", doc.PKCE)
	}
	if strings.Join(doc.IDTokenAlgs, ",") != "RS256" {
		t.Errorf("id_token_signing_alg_values_supported = %v, want [RS256]", doc.IDTokenAlgs)
	}
	for _, sc := range []string{"openid", "email", "profile", "offline_access", "spark:people_read"} {
		if !strings.Contains(" "+strings.Join(doc.Scopes, " ")+" ", " "+sc+" ") {
			t.Errorf("scopes_supported %v lacks %q", doc.Scopes, sc)
		}
	}
	for _, gt := range []string{oidcprov.GrantAuthorizationCode, oidcprov.GrantRefreshToken, oidcprov.GrantDeviceCode} {
		if !strings.Contains(strings.Join(doc.GrantTypes, " "), gt) {
			t.Errorf("grant_types_supported %v lacks %q", doc.GrantTypes, gt)
		}
	}
	if !doc.IssParameterOK {
		t.Error("authorization_response_iss_parameter_supported is not true")
	}
}

func TestAuthorizationCodePKCE(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{AccessTTL: 50 * time.Second, IDTokenTTL: 70 * time.Second})
	ctx := testCtx(t, s)

	tests := []struct {
		name      string
		public    bool
		redirect  string // any loopback port must be accepted
		loginHint string
		wantSub   string
		wantEmail string
		wantName  string
	}{
		{"confidential default account", false, "http://127.0.0.1:49152/callback", "", "alice", "alice@example.com", "Alice Example"},
		{"confidential other port", false, "http://127.0.0.1:61234/callback", "", "alice", "alice@example.com", "Alice Example"},
		{"confidential login_hint email", false, "http://127.0.0.1:50001/callback", "bob@example.com", "bob", "bob@example.com", "Bob Example"},
		{"public client", true, "http://127.0.0.1:50002/callback", "", "alice", "alice@example.com", "Alice Example"},
		{"public client localhost", true, "http://localhost:50003/callback", "alice", "alice", "alice@example.com", "Alice Example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scopes := []string{oidc.ScopeOpenID, "email", "profile"}
			cfg, clientID := s.Config(tt.redirect, scopes...), s.ClientID
			if tt.public {
				cfg, clientID = s.PublicConfig(tt.redirect, scopes...), s.PublicClientID
			}
			var extra []oauth2.AuthCodeOption
			if tt.loginHint != "" {
				extra = append(extra, oauth2.SetAuthURLParam("login_hint", tt.loginHint))
			}
			res := codeFlow(t, ctx, s, cfg, extra...)

			if res.token.AccessToken == "" || res.token.RefreshToken == "" {
				t.Fatalf("want access and refresh tokens, got access=%t refresh=%t",
					res.token.AccessToken != "", res.token.RefreshToken != "")
			}
			if res.token.ExpiresIn != 50 {
				t.Errorf("expires_in = %d, want 50 (AccessTTL)", res.token.ExpiresIn)
			}
			idt := verifyIDToken(t, ctx, s, clientID, res.token)
			if idt.Subject != tt.wantSub || idt.Nonce != res.nonce {
				t.Errorf("ID token sub=%q nonce ok=%t, want sub %q", idt.Subject, idt.Nonce == res.nonce, tt.wantSub)
			}
			if got := idt.Expiry.Sub(idt.IssuedAt); got != 70*time.Second {
				t.Errorf("ID token exp-iat = %v, want 70s (IDTokenTTL)", got)
			}
			var idClaims map[string]any
			if err := idt.Claims(&idClaims); err != nil {
				t.Fatal(err)
			}
			if _, ok := idClaims["email"]; ok {
				t.Errorf("ID token carries email although IDTokenClaims is false: %v", idClaims)
			}

			p, err := oidc.NewProvider(ctx, s.Issuer)
			if err != nil {
				t.Fatal(err)
			}
			ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(res.token))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var profile struct {
				Name string `json:"name"`
			}
			if err := ui.Claims(&profile); err != nil {
				t.Fatal(err)
			}
			if ui.Subject != tt.wantSub || ui.Email != tt.wantEmail || !ui.EmailVerified || profile.Name != tt.wantName {
				t.Errorf("userinfo = sub %q email %q verified %t name %q, want %q %q true %q",
					ui.Subject, ui.Email, ui.EmailVerified, profile.Name, tt.wantSub, tt.wantEmail, tt.wantName)
			}
		})
	}
	wantStats(t, s.Stats(t), map[string]int{
		oidcprov.GrantAuthorizationCode: len(tests),
		oidcprov.StatAuthorization:      len(tests),
		oidcprov.StatUserInfo:           len(tests),
		oidcprov.GrantRefreshToken:      0,
	})
}

func TestIDTokenClaimsOption(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{IDTokenClaims: true})
	ctx := testCtx(t, s)
	res := codeFlow(t, ctx, s, s.Config("http://127.0.0.1:50010/callback", oidc.ScopeOpenID, "email", "profile"))
	var c struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := verifyIDToken(t, ctx, s, s.ClientID, res.token).Claims(&c); err != nil {
		t.Fatal(err)
	}
	if c.Email != "alice@example.com" || !c.EmailVerified || c.Name != "Alice Example" {
		t.Errorf("ID token claims = %+v, want alice's email and name", c)
	}
}

func TestAuthorizationErrors(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{})
	ctx := testCtx(t, s)
	const redirect = "http://127.0.0.1:50020/callback"
	cfg := s.Config(redirect, oidc.ScopeOpenID)

	t.Run("redirected errors", func(t *testing.T) {
		tests := []struct {
			name    string
			authURL string
			want    string
		}{
			{"unknown login_hint", cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
				oauth2.SetAuthURLParam("login_hint", "mallory@example.com")), "access_denied"},
			{"PKCE missing", cfg.AuthCodeURL("st"), "invalid_request"},
			{"PKCE plain", cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
				oauth2.SetAuthURLParam("code_challenge_method", "plain")), "invalid_request"},
			{"prompt none without session", cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
				oauth2.SetAuthURLParam("prompt", "none")), "login_required"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := s.Login(t, tt.authURL)
				if got := u.Query().Get("error"); got != tt.want || u.Query().Get("state") != "st" {
					t.Errorf("redirect %s: error %q, want %q with state", u.Redacted(), got, tt.want)
				}
			})
		}
	})

	t.Run("not redirected", func(t *testing.T) {
		tests := []struct{ name, redirect string }{
			{"unregistered path", "http://127.0.0.1:50021/other"},
			{"https loopback", "https://127.0.0.1:50021/callback"},
			{"non-loopback host", "http://example.com:50021/callback"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := s.Config(tt.redirect, oidc.ScopeOpenID)
				u, err := s.LoginErr(ctx, c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
				if err == nil {
					t.Fatalf("login succeeded with redirect to %s", u.Redacted())
				}
				if !strings.Contains(err.Error(), "redirect_uri") {
					t.Errorf("error %q does not mention redirect_uri", err)
				}
			})
		}
		if _, err := s.LoginErr(ctx, "http://127.0.0.2:1/auth"); err == nil {
			t.Error("login accepted an authorization URL of another host")
		}
	})

	t.Run("code reuse", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		u := s.Login(t, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
		code := u.Query().Get("code")
		if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil {
			t.Fatal(err)
		}
		_, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Errorf("second exchange: %v, want invalid_grant", err)
		}
		u = s.Login(t, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
		_, err = cfg.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Errorf("exchange with the wrong verifier: %v, want invalid_grant", err)
		}
		wantStats(t, s.Stats(t), map[string]int{
			oidcprov.GrantAuthorizationCode:                                     1,
			oidcprov.ErrorKey(oidcprov.GrantAuthorizationCode, "invalid_grant"): 2,
		})
	})
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name   string
		rotate bool
	}{
		{"rotation off", false},
		{"rotation on", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := oidcprov.Start(t, oidcprov.Options{RotateRefresh: tt.rotate, AccessTTL: 50 * time.Second, RefreshedAccessTTL: 70 * time.Second})
			ctx := testCtx(t, s)
			cfg := s.Config("http://127.0.0.1:50030/callback", oidc.ScopeOpenID, "email")
			first := codeFlow(t, ctx, s, cfg).token
			rt := first.RefreshToken
			if first.ExpiresIn != 50 {
				t.Errorf("expires_in = %d, want 50 (AccessTTL)", first.ExpiresIn)
			}

			refreshed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if refreshed.AccessToken == "" || refreshed.AccessToken == first.AccessToken {
				t.Error("refresh returned no new access token")
			}
			if refreshed.ExpiresIn != 70 {
				t.Errorf("refreshed expires_in = %d, want 70 (RefreshedAccessTTL)", refreshed.ExpiresIn)
			}
			verifyIDToken(t, ctx, s, s.ClientID, refreshed)
			wantStats(t, s.Stats(t), map[string]int{oidcprov.GrantRefreshToken: 1, oidcprov.GrantAuthorizationCode: 1})

			_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
			if tt.rotate {
				if refreshed.RefreshToken == rt || refreshed.RefreshToken == "" {
					t.Error("rotation on: refresh returned the same (or no) refresh token")
				}
				if got := retrieveErrorCode(err); got != "invalid_grant" {
					t.Errorf("reusing a rotated refresh token: %v, want invalid_grant", err)
				}
				wantStats(t, s.Stats(t), map[string]int{
					oidcprov.GrantRefreshToken:                                     1,
					oidcprov.ErrorKey(oidcprov.GrantRefreshToken, "invalid_grant"): 1,
				})
			} else {
				if refreshed.RefreshToken != rt {
					t.Error("rotation off: refresh returned a different refresh token")
				}
				if err != nil {
					t.Errorf("second refresh with the same token: %v", err)
				}
				wantStats(t, s.Stats(t), map[string]int{oidcprov.GrantRefreshToken: 2})
			}

			// The grant log has one line per token endpoint answer and never a token.
			var refreshes int
			for _, ev := range s.GrantLog(t) {
				if ev.ClientID != s.ClientID || ev.Event == "" || ev.GrantType == "" {
					t.Errorf("grant log event %+v", ev)
				}
				if ev.Event == "grant.success" && ev.GrantType == oidcprov.GrantRefreshToken {
					refreshes++
				}
			}
			if want := map[bool]int{true: 1, false: 2}[tt.rotate]; refreshes != want {
				t.Errorf("grant log has %d refresh successes, want %d", refreshes, want)
			}
			logged, err := os.ReadFile(s.GrantLogPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{rt, refreshed.RefreshToken, first.AccessToken, s.ClientSecret} {
				if strings.Contains(string(logged), secret) {
					t.Error("grant log contains a token or secret")
				}
			}

			s.ResetStats(t)
			wantStats(t, s.Stats(t), map[string]int{oidcprov.GrantRefreshToken: 0, oidcprov.GrantAuthorizationCode: 0})
		})
	}
}

func TestRefreshRequiresOfflineAccess(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{RefreshRequiresOfflineAccess: true})
	ctx := testCtx(t, s)
	tests := []struct {
		name        string
		scopes      []string
		extra       []oauth2.AuthCodeOption
		wantRefresh bool
	}{
		{"no offline_access", []string{oidc.ScopeOpenID}, nil, false},
		{"offline_access without prompt=consent is dropped", []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess}, nil, false},
		{"offline_access with prompt=consent", []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess},
			[]oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "consent")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := codeFlow(t, ctx, s, s.Config("http://127.0.0.1:50040/callback", tt.scopes...), tt.extra...).token
			if got := tok.RefreshToken != ""; got != tt.wantRefresh {
				t.Errorf("refresh token issued = %t, want %t", got, tt.wantRefresh)
			}
		})
	}
}

func TestRevocation(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{})
	ctx := testCtx(t, s)
	cfg := s.Config("http://127.0.0.1:50050/callback", oidc.ScopeOpenID)
	tok := codeFlow(t, ctx, s, cfg).token

	form := url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID, s.ClientSecret)
	resp, err := s.BasicAuthClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation: %s", resp.Status)
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if got := retrieveErrorCode(err); got != "invalid_grant" {
		t.Errorf("refresh after revocation: %v, want invalid_grant", err)
	}
	wantStats(t, s.Stats(t), map[string]int{
		oidcprov.StatRevocation:    1,
		oidcprov.GrantRefreshToken: 0,
		oidcprov.ErrorKey(oidcprov.GrantRefreshToken, "invalid_grant"): 1,
	})
}

func TestDeviceFlow(t *testing.T) {
	tests := []struct {
		name        string
		opts        oidcprov.Options
		public      bool
		approve     bool // ApproveDevice before polling
		deny        bool // DenyDevice before polling
		wantErr     string
		wantPending int
	}{
		{name: "confidential, approved by hand", approve: true},
		{name: "public, approved by hand", public: true, approve: true},
		{name: "confidential, auto-approved after 2 pending polls",
			opts: oidcprov.Options{AutoApproveDevice: true, AutoApproveAfterPolls: 2}, wantPending: 2},
		{name: "public, auto-approved at issue",
			opts: oidcprov.Options{AutoApproveDevice: true}, public: true},
		{name: "confidential, denied", deny: true, wantErr: "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.DeviceInterval = time.Second
			tt.opts.RefreshTTL = time.Hour
			s := oidcprov.Start(t, tt.opts)
			ctx := testCtx(t, s)
			scopes := []string{oidc.ScopeOpenID, "email"}
			cfg, clientID := s.Config("", scopes...), s.ClientID
			if tt.public {
				cfg, clientID = s.PublicConfig("", scopes...), s.PublicClientID
			}

			da, err := cfg.DeviceAuth(ctx)
			if err != nil {
				t.Fatalf("device authorization: %v", err)
			}
			if da.Interval != 1 || da.UserCode == "" || !strings.HasPrefix(da.VerificationURI, s.Issuer) ||
				!strings.Contains(da.VerificationURIComplete, "user_code=") {
				t.Errorf("device authorization answer: interval %d user code %q uri %q complete %q",
					da.Interval, da.UserCode, da.VerificationURI, da.VerificationURIComplete)
			}
			switch {
			case tt.approve:
				s.ApproveDevice(t, strings.ToLower(da.UserCode)) // case and dash do not matter
			case tt.deny:
				s.DenyDevice(t, da.UserCode)
			}

			tok, err := cfg.DeviceAccessToken(ctx, da)
			if tt.wantErr != "" {
				if got := retrieveErrorCode(err); got != tt.wantErr {
					t.Fatalf("poll: %v, want %s", err, tt.wantErr)
				}
				wantStats(t, s.Stats(t), map[string]int{
					oidcprov.StatDeviceDenied:                               1,
					oidcprov.ErrorKey(oidcprov.GrantDeviceCode, tt.wantErr): 1,
				})
				return
			}
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			if tok.AccessToken == "" || tok.RefreshToken == "" {
				t.Fatalf("want access and refresh tokens, got access=%t refresh=%t",
					tok.AccessToken != "", tok.RefreshToken != "")
			}
			if idt := verifyIDToken(t, ctx, s, clientID, tok); idt.Subject != "alice" {
				t.Errorf("ID token sub = %q, want alice", idt.Subject)
			}
			wantStats(t, s.Stats(t), map[string]int{
				oidcprov.StatDeviceAuthorization:                                     1,
				oidcprov.StatDeviceApproved:                                          1,
				oidcprov.GrantDeviceCode:                                             1,
				oidcprov.ErrorKey(oidcprov.GrantDeviceCode, "authorization_pending"): tt.wantPending,
			})

			// A used user code cannot be approved again.
			if !tt.opts.AutoApproveDevice {
				form := url.Values{"user_code": {da.UserCode}}
				resp, err := http.PostForm(s.Issuer+"/test/device/approve", form)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusConflict {
					t.Errorf("approving a used user code: %s, want 409", resp.Status)
				}
			}

			if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				t.Fatalf("refreshing the device-flow refresh token: %v", err)
			}
			wantStats(t, s.Stats(t), map[string]int{oidcprov.GrantRefreshToken: 1})
		})
	}
}

func TestDeviceAuthorizationNeedsClientAuthentication(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Plain oauth2.Config.DeviceAuth sends only client_id: fine for the public client, refused
	// for the confidential one.
	if _, err := s.PublicConfig("").DeviceAuth(ctx); err != nil {
		t.Errorf("public client: %v", err)
	}
	_, err := s.Config("").DeviceAuth(ctx)
	if got := retrieveErrorCode(err); got != "invalid_client" {
		t.Errorf("confidential client without credentials: %v, want invalid_client", err)
	}
}

func TestApproveUnknownUserCode(t *testing.T) {
	s := oidcprov.Start(t, oidcprov.Options{})
	resp, err := http.PostForm(s.Issuer+"/test/device/approve", url.Values{"user_code": {"BCDF-GHJK"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("approving an unknown user code: %s, want 404", resp.Status)
	}
}
