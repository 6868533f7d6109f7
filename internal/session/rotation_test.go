package session

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/testutil/oidcprov"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// TestRotatedRefreshTokenSecondProcessAdopts runs against a real OpenID Provider (panva's
// oidc-provider, opt-in with WEBEX_TEST_OIDC_PROVIDER=1) that rotates refresh tokens: every
// refresh grant returns a new refresh token and invalidates the old one.
//
// Process A refreshes and stores the rotated refresh token. A second process that had read the
// old secrets before A's refresh (and got the lock after it) then refreshes with the old refresh
// token; the provider answers invalid_grant. The CLI must not report "log in again" while the
// store holds A's fresh login: it adopts the stored token.
//
// Note that oidc-provider treats the reuse of a rotated refresh token as a possible theft and
// revokes the whole grant (OAuth 2.0 Security BCP, refresh token rotation), so after this
// exchange A's tokens are revoked at the provider too. That is the provider's policy and
// outside the CLI's control; the test asserts only what the CLI controls: no error, A's token
// handed out, the store left as A wrote it, and exactly one successful refresh and one
// invalid_grant at the provider (no retry storm).
func TestRotatedRefreshTokenSecondProcessAdopts(t *testing.T) {
	p := oidcprov.Start(t, oidcprov.Options{
		RotateRefresh:     true,
		AutoApproveDevice: true,
		DeviceInterval:    time.Second,
	})
	ctx := context.Background()
	e, manager := oidcLogin(t, p, "")
	// The second process's view, read before A refreshes.
	staleSecrets := e.secrets()
	staleProfile := e.profile()
	p.ResetStats(t)

	// Process A: a forced refresh rotates the refresh token.
	a, err := manager().Refresh(ctx, "default")
	if err != nil {
		t.Fatalf("process A refresh: %v", err)
	}
	if len(a.Warnings) != 0 {
		t.Errorf("process A: warnings %q, want none (the refreshed ID token is valid)", a.Warnings)
	}
	afterA := e.secrets()
	if !a.Refreshed || afterA.RefreshToken == staleSecrets.RefreshToken || afterA.AccessToken != a.AccessToken {
		t.Fatalf("process A: Refreshed %t, rotated %t, stored %t", a.Refreshed,
			afterA.RefreshToken != staleSecrets.RefreshToken, afterA.AccessToken == a.AccessToken)
	}
	profA := e.profile()

	// The second process, holding the lock as Manager.refresh does, refreshes with the old
	// refresh token.
	unlock, err := Lock(ctx, e.dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	b, err := manager().refreshWith(ctx, staleProfile, e.store, staleSecrets, 0)
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("second process: %v (want A's stored token adopted)", err)
	}
	if b.AccessToken != a.AccessToken || b.Refreshed {
		t.Errorf("second process: Refreshed %t, same token as A %t; want A's token, not refreshed", b.Refreshed, b.AccessToken == a.AccessToken)
	}
	if got := e.secrets(); *got != *afterA {
		t.Error("the second process changed the stored secrets")
	}
	if got := e.profile(); !got.UpdatedAt.Equal(profA.UpdatedAt) || !got.AccessExpiry.Equal(profA.AccessExpiry) {
		t.Error("the second process changed the stored profile")
	}

	stats := p.Stats(t)
	if n := stats[oidcprov.GrantRefreshToken]; n != 1 {
		t.Errorf("provider saw %d successful refresh grants, want 1", n)
	}
	if n := stats[oidcprov.ErrorKey(oidcprov.GrantRefreshToken, "invalid_grant")]; n != 1 {
		t.Errorf("provider saw %d invalid_grant refresh errors, want 1 (stats %v)", n, stats)
	}
}

// oidcLogin logs in to p with the device flow of its confidential client, as `webex login
// --flow device` does, and saves the result as profile "default" (with subject, when not
// empty, as the profile's Subject) in a new env. manager returns a Manager over that env, as
// another process would build one.
func oidcLogin(t *testing.T, p *oidcprov.Server, subject string) (e *env, manager func() *Manager) {
	t.Helper()
	ctx := context.Background()
	oc := p.Config("", "openid")
	dctx := context.WithValue(ctx, oauth2.HTTPClient, p.BasicAuthClient())
	da, err := oc.DeviceAuth(dctx)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	pctx, cancel := context.WithTimeout(dctx, time.Minute)
	defer cancel()
	tok, err := oc.DeviceAccessToken(pctx, da)
	if err != nil {
		t.Fatalf("device token: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("the device flow returned no refresh token")
	}
	idt, _ := tok.Extra("id_token").(string)

	e = bareEnv(t)
	now := time.Now()
	prof := &config.Profile{
		Name:            "default",
		Provider:        config.ProviderOIDC,
		Issuer:          p.Issuer,
		ClientID:        p.ClientID,
		Scopes:          []string{"openid"},
		Storage:         config.StorageFile,
		Flow:            config.FlowDevice,
		Subject:         subject,
		TokenType:       "Bearer",
		AccessIssuedAt:  now,
		AccessExpiry:    tok.Expiry,
		HasRefreshToken: true,
		HasIDToken:      idt != "",
		UpdatedAt:       now,
	}
	if err := e.store.Save(context.Background(), "default", &tokenstore.Secrets{
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, IDToken: idt, ClientSecret: p.ClientSecret,
		Binding: prof.Binding(),
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.cfg.Save(prof); err != nil {
		t.Fatal(err)
	}
	manager = func() *Manager {
		return &Manager{
			Config:    config.Open(e.dir),
			OpenStore: func(string) (tokenstore.Store, error) { return e.store, nil },
			HTTPClient: func() *http.Client {
				return &http.Client{Timeout: 30 * time.Second, Transport: countingTransport{n: &e.requests, rt: e.plain}}
			},
			Now:         time.Now,
			Secret:      func(...string) {},
			LockTimeout: 30 * time.Second,
		}
	}
	return e, manager
}

// TestRotatedRefreshKeptWhenIDTokenFails runs against the real OpenID Provider (opt-in, see
// above), which rotates refresh tokens. A refresh whose ID token fails the §12.2 subject check
// (here: the profile names another user) must still store the rotated refresh token, since the
// old one is dead at the provider: the next refresh then works with a single grant, and the
// ID token is dropped with a warning.
func TestRotatedRefreshKeptWhenIDTokenFails(t *testing.T) {
	p := oidcprov.Start(t, oidcprov.Options{
		RotateRefresh:     true,
		AutoApproveDevice: true,
		DeviceInterval:    time.Second,
	})
	ctx := context.Background()
	e, manager := oidcLogin(t, p, "someone-else")
	before := e.secrets()
	p.ResetStats(t)

	tok, err := manager().Refresh(ctx, "default")
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if len(tok.Warnings) != 1 || !strings.Contains(tok.Warnings[0], "sub check") {
		t.Fatalf("Warnings = %q, want one about the sub check", tok.Warnings)
	}
	sec, prof := e.secrets(), e.profile()
	if sec.RefreshToken == "" || sec.RefreshToken == before.RefreshToken || sec.AccessToken != tok.AccessToken {
		t.Fatal("the rotated refresh token or the new access token was not stored")
	}
	if sec.IDToken != "" || prof.HasIDToken || !prof.IDTokenExpiry.IsZero() {
		t.Error("the ID token was not dropped")
	}

	// The stored (rotated) refresh token works. The profile now has no ID token to compare
	// with, but its Subject still rules out the provider's ID tokens: the next refresh warns
	// again and stores its tokens again.
	again, err := manager().Refresh(ctx, "default")
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	if again.AccessToken == tok.AccessToken || e.secrets().RefreshToken == sec.RefreshToken {
		t.Error("the second refresh did not rotate")
	}
	stats := p.Stats(t)
	if n := stats[oidcprov.GrantRefreshToken]; n != 2 {
		t.Errorf("provider saw %d successful refresh grants, want 2", n)
	}
	if n := stats[oidcprov.ErrorKey(oidcprov.GrantRefreshToken, "invalid_grant")]; n != 0 {
		t.Errorf("provider saw %d invalid_grant errors, want 0", n)
	}
}
