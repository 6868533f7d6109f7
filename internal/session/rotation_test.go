package session

import (
	"context"
	"net/http"
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

	// Log in with the device flow of the confidential client, as `webex login --flow device`.
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

	e := bareEnv(t)
	now := time.Now()
	if err := e.store.Save("default", &tokenstore.Secrets{
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, IDToken: idt, ClientSecret: p.ClientSecret,
	}); err != nil {
		t.Fatal(err)
	}
	prof := &config.Profile{
		Name:            "default",
		Provider:        config.ProviderOIDC,
		Issuer:          p.Issuer,
		ClientID:        p.ClientID,
		Scopes:          []string{"openid"},
		Storage:         config.StorageFile,
		Flow:            config.FlowDevice,
		TokenType:       "Bearer",
		AccessIssuedAt:  now,
		AccessExpiry:    tok.Expiry,
		HasRefreshToken: true,
		HasIDToken:      idt != "",
		UpdatedAt:       now,
	}
	if err := e.cfg.Save(prof); err != nil {
		t.Fatal(err)
	}
	manager := func() *Manager {
		return &Manager{
			Config:    config.Open(e.dir),
			ConfigDir: e.dir,
			OpenStore: func(string) (tokenstore.Store, error) { return e.store, nil },
			HTTPClient: func() *http.Client {
				return &http.Client{Timeout: 30 * time.Second, Transport: countingTransport{n: &e.requests, rt: e.plain}}
			},
			LockTimeout: 30 * time.Second,
		}
	}

	// The second process's view, read before A refreshes.
	staleSecrets := e.secrets()
	staleProfile := e.profile()
	p.ResetStats(t)

	// Process A: a forced refresh rotates the refresh token.
	a, err := manager().Refresh(ctx, "default")
	if err != nil {
		t.Fatalf("process A refresh: %v", err)
	}
	afterA := e.secrets()
	if !a.Refreshed || afterA.RefreshToken == staleSecrets.RefreshToken || afterA.AccessToken != a.AccessToken {
		t.Fatalf("process A: Refreshed %t, rotated %t, stored %t", a.Refreshed,
			afterA.RefreshToken != staleSecrets.RefreshToken, afterA.AccessToken == a.AccessToken)
	}
	profA := e.profile()

	// The second process, holding the lock as Manager.refresh does, refreshes with the old
	// refresh token.
	unlock, err := tokenstore.Lock(ctx, e.dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	b, err := manager().refreshWith(ctx, staleProfile, e.store, staleSecrets)
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
