// Package session owns a login's whole life: Login verifies and stores what a login flow got,
// Token and Refresh refresh under the profile's cross-process Lock by the one policy
// (NeedsRefresh), Logout revokes and deletes. Every write of a profile's secrets happens here,
// under that lock. It never prints, prompts or opens a browser.
package session

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/flow/device"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// DefaultLockTimeout bounds the wait for another process's refresh.
const DefaultLockTimeout = 60 * time.Second

// LoginRequiredError means the profile has no usable login: the user must log in (exit 4).
type LoginRequiredError struct {
	Profile string
	Reason  string
	Login   string // the login command to suggest; "" is `webex login`
	Err     error
}

func (e *LoginRequiredError) Error() string {
	cmd := cmp.Or(e.Login, "webex login")
	if e.Profile != "" && e.Profile != "default" {
		cmd += " --profile " + e.Profile
	}
	return fmt.Sprintf("%s: run `%s`", e.Reason, cmd)
}
func (e *LoginRequiredError) Unwrap() error { return e.Err }

// shortLivedError says the provider's access tokens live less than the caller's minTTL, so no
// refresh can give one that lasts that long; the newest token is stored but not handed out.
func shortLivedError(lifetime, minTTL time.Duration) error {
	return fmt.Errorf("the provider issues access tokens that live only %s, less than the %s asked for (--min-ttl)",
		lifetime.Round(time.Second), minTTL)
}

// Token is a usable access token and what is known about it.
type Token struct {
	AccessToken string
	TokenType   string
	Expiry      time.Time // zero when the provider did not say
	Scopes      []string
	Refreshed   bool     // this call performed a refresh grant
	Warnings    []string // problems that did not stop this call, one sentence each
}

// Manager reads and refreshes stored logins. Its lock files live under Config.Dir().
type Manager struct {
	Config    *config.Config
	OpenStore func(kind string) (tokenstore.Store, error)
	// HTTPClient returns the client for provider calls; called only when the network is needed.
	HTTPClient  func() *http.Client
	Now         func() time.Time // required
	LockTimeout time.Duration    // the wait for the refresh lock; 0 is DefaultLockTimeout
	// Secret (required) is told every secret the Manager reads or receives, to keep out of output.
	Secret func(values ...string)
	// Sleep (required) waits between a 429 and its retry at /people/me and UserInfo.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRefreshMargin is NeedsRefresh's longest margin when no minimum TTL is given.
const DefaultRefreshMargin = 5 * time.Minute

// NeedsRefresh is the one refresh policy (see docs/scripting.md): with minTTL > 0 the token
// must have minTTL left, else DefaultRefreshMargin or half its lifetime, whichever is shorter,
// so that a 10-minute token is not refreshed on every call. No expiry never needs one.
func NeedsRefresh(p *config.Profile, now time.Time, minTTL time.Duration) bool {
	if p.AccessExpiry.IsZero() {
		return false
	}
	margin := minTTL
	if margin <= 0 {
		margin = DefaultRefreshMargin
		if !p.AccessIssuedAt.IsZero() {
			if half := p.AccessExpiry.Sub(p.AccessIssuedAt) / 2; half >= 0 && half < margin {
				margin = half
			}
		}
	}
	return p.AccessExpiry.Sub(now) < margin
}

// load reads the profile's settings; none is a *LoginRequiredError.
func (m *Manager) load(name string) (*config.Profile, error) {
	p, err := m.Config.Load(name)
	if errors.Is(err, config.ErrNotFound) {
		return nil, &LoginRequiredError{Profile: name, Reason: fmt.Sprintf("not logged in (profile %q)", name), Err: err}
	}
	return p, err
}

// shortLived reports a still valid token whose whole lifetime is shorter than minTTL: a grant
// would bring another such token (an expired one is refreshed, in case the lifetime changed).
func shortLived(p *config.Profile, now time.Time, minTTL time.Duration) error {
	if minTTL <= 0 || p.AccessIssuedAt.IsZero() || p.AccessExpiry.IsZero() || !now.Before(p.AccessExpiry) {
		return nil
	}
	if life := p.AccessExpiry.Sub(p.AccessIssuedAt); life < minTTL {
		return shortLivedError(life, minTTL)
	}
	return nil
}

// Token returns a valid access token for the profile, refreshing it first when NeedsRefresh
// says so; a fresh one costs no network and no lock. With minTTL > 0 a token with less left is
// an error.
func (m *Manager) Token(ctx context.Context, profile string, minTTL time.Duration) (*Token, error) {
	p, err := m.load(profile)
	if err != nil {
		return nil, err
	}
	if !NeedsRefresh(p, m.Now(), minTTL) {
		st, err := m.OpenStore(p.StorageKind())
		if err != nil {
			return nil, err
		}
		at, err := st.LoadAccessToken(ctx, p.Name, p.Binding(), accessVersion(p))
		if err != nil {
			return nil, readError(profile, err)
		}
		m.Secret(at)
		return tokenOf(p, at, false), nil
	}
	if e := shortLived(p, m.Now(), minTTL); e != nil {
		return nil, e
	}
	return m.refresh(ctx, p, minTTL, false)
}

// readError makes a store's "nothing stored" and "stored for another login" a *LoginRequiredError.
func readError(profile string, err error) error {
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		return &LoginRequiredError{Profile: profile, Reason: fmt.Sprintf("no stored token for profile %q", profile), Err: err}
	case errors.Is(err, tokenstore.ErrOtherLogin):
		return &LoginRequiredError{Profile: profile, Reason: errOtherLogin, Err: err}
	}
	return err
}

// Stored returns the profile and all its stored secrets; none is a *LoginRequiredError.
func (m *Manager) Stored(ctx context.Context, profile string) (*config.Profile, *tokenstore.Secrets, error) {
	p, err := m.load(profile)
	if err != nil {
		return nil, nil, err
	}
	st, err := m.OpenStore(p.StorageKind())
	if err != nil {
		return nil, nil, err
	}
	sec, err := m.read(ctx, st, p)
	return p, sec, err
}

// read reads all the profile's secrets with its Binding and tells m.Secret about them.
func (m *Manager) read(ctx context.Context, st tokenstore.Store, p *config.Profile) (*tokenstore.Secrets, error) {
	sec, err := st.Load(ctx, p.Name, p.Binding())
	if err != nil {
		return nil, readError(p.Name, err)
	}
	m.Secret(sec.AccessToken, sec.RefreshToken, sec.IDToken, sec.ClientSecret)
	return sec, nil
}

// accessVersion names the profile's current access token for the store's cache: a hash of what
// every login and refresh change; "" (no cache) without an issue time.
func accessVersion(p *config.Profile) string {
	if p.AccessIssuedAt.IsZero() {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "webex-access-v1\x00%s\x00%s\x00%s", p.AccessIssuedAt.UTC().Format(time.RFC3339Nano),
		p.AccessExpiry.UTC().Format(time.RFC3339Nano), p.Binding())
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Refresh forces a refresh-token grant, unless another process made one while this one waited.
func (m *Manager) Refresh(ctx context.Context, profile string) (*Token, error) {
	p, err := m.load(profile)
	if err != nil {
		return nil, err
	}
	if p.Flow == config.FlowToken {
		return nil, &LoginRequiredError{Profile: profile, Login: "webex login --with-token",
			Reason: fmt.Sprintf("profile %q holds a token given with --with-token, which cannot be refreshed; when it stops working, log in with a new one", profile)}
	}
	return m.refresh(ctx, p, 0, true)
}

func tokenOf(p *config.Profile, access string, refreshed bool) *Token {
	scopes := p.GrantedScopes
	if len(scopes) == 0 {
		scopes = p.Scopes
	}
	return &Token{AccessToken: access, TokenType: cmp.Or(p.TokenType, "Bearer"), Expiry: p.AccessExpiry, Scopes: scopes, Refreshed: refreshed}
}

func (m *Manager) refresh(ctx context.Context, before *config.Profile, minTTL time.Duration, force bool) (*Token, error) {
	timeout := cmp.Or(m.LockTimeout, DefaultLockTimeout)
	lctx, cancel := context.WithTimeout(ctx, timeout)
	unlock, err := Lock(lctx, m.Config.Dir(), before.Name)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var lw *LockWaitError
		if errors.As(err, &lw) {
			lw.Waited = timeout
			return nil, lw
		}
		return nil, fmt.Errorf("taking the refresh lock of profile %q: %w", before.Name, err)
	}
	defer unlock()

	// Inside the lock: another process may have refreshed while this one waited.
	p, err := m.load(before.Name)
	if err != nil {
		return nil, err
	}
	st, err := m.OpenStore(p.StorageKind())
	if err != nil {
		return nil, err
	}
	othersDid := !p.AccessIssuedAt.Equal(before.AccessIssuedAt) || !p.AccessExpiry.Equal(before.AccessExpiry)
	if (force && othersDid) || (!force && !NeedsRefresh(p, m.Now(), minTTL)) {
		at, err := st.LoadAccessToken(ctx, p.Name, p.Binding(), "")
		if err == nil {
			m.Secret(at)
			return tokenOf(p, at, false), nil
		}
		if !errors.Is(err, tokenstore.ErrNotFound) {
			return nil, readError(p.Name, err)
		}
	}
	if !force && othersDid {
		// Another process just refreshed and its token is too short-lived for minTTL: another
		// grant would bring the same.
		if e := shortLived(p, m.Now(), minTTL); e != nil {
			return nil, e
		}
	}

	sec, err := m.read(ctx, st, p)
	if err != nil {
		return nil, err
	}
	return m.refreshWith(ctx, p, st, sec, minTTL)
}

const errOtherLogin = "the stored tokens belong to another login of this profile"

// refreshWith runs the refresh grant with sec's refresh token and stores the result, under the
// profile's lock.
func (m *Manager) refreshWith(ctx context.Context, p *config.Profile, st tokenstore.Store, sec *tokenstore.Secrets, minTTL time.Duration) (*Token, error) {
	now := m.Now()
	if sec.RefreshToken == "" {
		reason := "the profile has no refresh token, so its access token cannot be refreshed"
		if !p.AccessExpiry.IsZero() && !now.Before(p.AccessExpiry) {
			reason = "the access token has expired and there is no refresh token"
		}
		return nil, &LoginRequiredError{Profile: p.Name, Reason: reason}
	}
	if !p.RefreshExpiry.IsZero() && !now.Before(p.RefreshExpiry) {
		return nil, &LoginRequiredError{Profile: p.Name, Reason: "the refresh token expired on " + p.RefreshExpiry.Local().Format("2006-01-02 15:04")}
	}
	prov, err := m.provider(ctx, p)
	if err != nil {
		return nil, err
	}
	oc := prov.OAuth2Config(p.ClientID, sec.ClientSecret, p.RedirectURI, p.Scopes)
	hctx := context.WithValue(ctx, oauth2.HTTPClient, m.HTTPClient())
	tok, err := oc.TokenSource(hctx, &oauth2.Token{RefreshToken: sec.RefreshToken, Expiry: now.Add(-time.Hour)}).Token()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pe, ok := oautherr.FromRetrieveError(err)
		if ok && pe.Code == "invalid_grant" {
			// Another process may have rotated the refresh token: adopt its fresh result.
			if t, ok := m.adopt(ctx, p.Name, sec.RefreshToken, minTTL); ok {
				return t, nil
			}
			return nil, &LoginRequiredError{Profile: p.Name, Reason: "the provider rejected the refresh token (" + pe.Error() + ")", Err: pe}
		}
		if ok {
			return nil, fmt.Errorf("refreshing the token: %w", pe)
		}
		return nil, fmt.Errorf("refreshing the token: %w", err)
	}

	newID, _ := tok.Extra("id_token").(string)
	m.Secret(tok.AccessToken, tok.RefreshToken, newID)
	next, np := *sec, *p
	var warnings []string
	if newID != "" {
		// Checked as at login, without a nonce, and for the login's "sub" (OpenID Connect Core
		// 1.0 §12.2).
		idt, err := prov.VerifyIDToken(ctx, newID, provider.VerifyOptions{ClientID: p.ClientID})
		if err == nil && p.Subject != "" && idt.Subject != p.Subject {
			err = &provider.VerifyError{Check: provider.CheckSubject,
				Err: errors.New("the token names another user than the one who logged in (its sub differs; OpenID Connect Core 1.0 §12.2)")}
		}
		next.IDToken, np.HasIDToken, np.IDTokenExpiry = "", false, time.Time{}
		if err != nil {
			// Keep the new access and refresh tokens (the old refresh token may be dead) and
			// drop the ID token rather than keep one of another session.
			warnings = append(warnings, fmt.Sprintf("the refreshed ID token failed verification (%v); the new access token is stored, but the profile has no ID token until the next `webex login`", err))
		} else {
			next.IDToken, np.HasIDToken, np.IDTokenExpiry = newID, true, idt.Expiry
		}
	}
	record(&np, &next, tok, now)
	if err := st.Save(context.WithoutCancel(ctx), p.Name, &next); err != nil {
		return nil, fmt.Errorf("storing the refreshed token: %w", err)
	}
	if err := m.Config.Save(&np); err != nil {
		return nil, fmt.Errorf("storing the refreshed token's metadata: %w", err)
	}
	if minTTL > 0 && !np.AccessExpiry.IsZero() && np.AccessExpiry.Sub(now) < minTTL {
		return nil, shortLivedError(np.AccessExpiry.Sub(now), minTTL)
	}
	t := tokenOf(&np, next.AccessToken, true)
	t.Warnings = warnings
	return t, nil
}

// adopt returns the stored token when another process rotated the rejected refresh token and
// stored an access token fresh for minTTL.
func (m *Manager) adopt(ctx context.Context, profile, rejected string, minTTL time.Duration) (*Token, bool) {
	p, err := m.Config.Load(profile)
	if err != nil {
		return nil, false
	}
	st, err := m.OpenStore(p.StorageKind())
	if err != nil {
		return nil, false
	}
	sec, err := m.read(ctx, st, p)
	if err != nil || sec.RefreshToken == "" || sec.AccessToken == "" || NeedsRefresh(p, m.Now(), minTTL) ||
		subtle.ConstantTimeCompare([]byte(sec.RefreshToken), []byte(rejected)) == 1 {
		return nil, false
	}
	return tokenOf(p, sec.AccessToken, false), true
}

func (m *Manager) provider(ctx context.Context, p *config.Profile) (*provider.Provider, error) {
	return provider.New(ctx, Settings(p), provider.Options{HTTPClient: m.HTTPClient(), Now: m.Now})
}

// Settings are the provider settings a profile was saved with.
func Settings(p *config.Profile) provider.Settings {
	return provider.Settings{Kind: p.Provider, Issuer: p.Issuer, BaseURL: p.BaseURL, IssuerAllow: p.IssuerAllow}
}

// AccessExpiry is when tok's access token expires: now plus expires_in, else x/oauth2's Expiry.
func AccessExpiry(tok *oauth2.Token, now time.Time) time.Time {
	if d, ok := DurationExtra(tok, "expires_in"); ok {
		return now.Add(d)
	}
	return tok.Expiry
}

// DurationExtra reads a positive number of seconds from a token response field (see
// device.Seconds).
func DurationExtra(tok *oauth2.Token, key string) (time.Duration, bool) {
	secs, err := device.Seconds(tok.Extra(key))
	return time.Duration(secs) * time.Second, err == nil && secs > 0
}
