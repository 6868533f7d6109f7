package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/tokenstore"
	"github.com/webex-cli/webex/internal/userinfo"
)

// Grant is what a login got from the provider, with the settings it was made with.
type Grant struct {
	Profile             config.Profile // the login's settings; Login fills in the rest
	Provider            *provider.Provider
	Token               *oauth2.Token // the token response; for config.FlowToken, the token as given
	ClientSecret, Nonce string        // Nonce is what the ID token must carry ("" for none)
}

// Login verifies a grant, learns who signed in and stores it under the profile's lock. Nothing
// is stored unless an ID token passes provider.VerifyIDToken with g.Nonce and a
// config.FlowToken login's token is accepted at /people/me. It returns the stored profile and
// warnings.
func (m *Manager) Login(ctx context.Context, g *Grant) (*config.Profile, []string, error) {
	tok, p, now := g.Token, g.Profile, m.Now()
	rawID, _ := tok.Extra("id_token").(string)
	m.Secret(tok.AccessToken, tok.RefreshToken, rawID, g.ClientSecret)
	if p.Provider != config.ProviderOIDC {
		p.Issuer = ""
	}
	if rawID == "" && slices.Contains(p.Scopes, "openid") && p.Flow == config.FlowBrowser {
		return nil, nil, errors.New("the provider returned no ID token although the openid scope was requested; nothing was stored")
	}
	sec := &tokenstore.Secrets{ClientSecret: g.ClientSecret, IDToken: rawID}
	if rawID != "" {
		idt, err := g.Provider.VerifyIDToken(ctx, rawID, provider.VerifyOptions{ClientID: p.ClientID, Nonce: g.Nonce})
		if err != nil {
			return nil, nil, fmt.Errorf("the ID token failed verification, nothing was stored: %w", err)
		}
		p.HasIDToken, p.IDTokenExpiry = true, idt.Expiry
		p.Subject, p.Email, p.DisplayName = idt.Subject, idt.Email, idt.Name
	}
	var warnings []string
	if err := m.identify(ctx, g.Provider, &p, tok.AccessToken); err != nil {
		if p.Flow == config.FlowToken {
			return nil, nil, err
		}
		warnings = append(warnings, fmt.Sprintf("could not read the signed-in user's profile: %v", err))
	}
	record(&p, sec, tok, now)
	if err := m.save(ctx, &p, sec, &warnings); err != nil {
		return nil, warnings, err
	}
	return &p, warnings, nil
}

// identify fills in who signed in where the ID token did not say: /people/me for a token login
// and Webex's device flow, else UserInfo (Webex's ID tokens lack the email).
func (m *Manager) identify(ctx context.Context, prov *provider.Provider, p *config.Profile, accessToken string) error {
	uc := &userinfo.Client{HTTP: m.HTTPClient(), Sleep: m.Sleep}
	if p.Flow == config.FlowToken || (prov.Kind != config.ProviderOIDC && p.Flow == config.FlowDevice) {
		person, err := uc.PeopleMe(ctx, prov.Endpoints.People, accessToken)
		var se *userinfo.StatusError
		switch {
		case err != nil && p.Flow != config.FlowToken:
			return err
		case errors.As(err, &se) && se.Status == http.StatusUnauthorized:
			return fmt.Errorf("Webex refused the token at %s (HTTP 401: it is wrong, expired or revoked); nothing was stored", prov.Endpoints.People)
		case err != nil:
			return fmt.Errorf("checking the token at %s, nothing was stored: %w", prov.Endpoints.People, err)
		}
		p.Subject = cmp.Or(p.Subject, person.UUID())
		p.Email = cmp.Or(p.Email, person.Email())
		p.DisplayName = cmp.Or(p.DisplayName, person.DisplayName)
		if userType, _ := person.Raw["type"].(string); p.Flow == config.FlowToken {
			p.UserType = cmp.Or(userType, "person")
		}
		return nil
	}
	if (p.Email != "" && p.DisplayName != "") || prov.Endpoints.UserInfo == "" {
		return nil
	}
	claims, err := uc.UserInfo(ctx, prov.Endpoints.UserInfo, accessToken)
	if err != nil {
		return err
	}
	if sub, _ := claims["sub"].(string); p.Subject != "" && sub != "" && sub != p.Subject {
		return fmt.Errorf("UserInfo describes a different subject than the ID token")
	}
	str := func(k string) string { s, _ := claims[k].(string); return s }
	p.Subject = cmp.Or(p.Subject, str("sub"))
	p.Email = cmp.Or(p.Email, str("email"))
	p.DisplayName = cmp.Or(p.DisplayName, str("name"), str("preferred_username"))
	return nil
}

// record is the one mapping of a token response, read at now, onto a profile and its secrets.
// A response without a refresh token keeps the one in sec (Webex does not rotate them).
func record(p *config.Profile, sec *tokenstore.Secrets, tok *oauth2.Token, now time.Time) {
	oldRefresh := sec.RefreshToken
	sec.AccessToken = tok.AccessToken
	if tok.RefreshToken != "" {
		sec.RefreshToken = tok.RefreshToken
	}
	p.AccessIssuedAt, p.AccessExpiry, p.UpdatedAt = now, AccessExpiry(tok, now), now
	p.TokenType = cmp.Or(tok.TokenType, p.TokenType, "Bearer")
	if s, _ := tok.Extra("scope").(string); s != "" {
		p.GrantedScopes = strings.Fields(s)
	}
	if d, ok := DurationExtra(tok, "refresh_token_expires_in"); ok {
		p.RefreshExpiry = now.Add(d)
	} else if sec.RefreshToken != oldRefresh {
		p.RefreshExpiry = time.Time{}
	}
	p.HasRefreshToken = sec.RefreshToken != ""
	sec.Binding = p.Binding()
}

// save stores a new login under the profile's lock: the secrets first, then the profile, to
// the end even when ctx ends meanwhile.
func (m *Manager) save(ctx context.Context, p *config.Profile, sec *tokenstore.Secrets, warnings *[]string) error {
	saved, _ := m.Config.Load(p.Name)
	unlock, err := Lock(ctx, m.Config.Dir(), p.Name)
	if err != nil {
		return fmt.Errorf("storing the tokens: %w", err)
	}
	defer unlock()
	st, err := m.OpenStore(p.StorageKind())
	if err != nil {
		return err
	}
	wctx := context.WithoutCancel(ctx)
	if err := st.Save(wctx, p.Name, sec); err != nil {
		return fmt.Errorf("storing the tokens: %w", err)
	}
	if err := m.Config.Save(p); err != nil {
		_ = st.Delete(wctx, p.Name)
		return fmt.Errorf("storing the profile: %w", err)
	}
	if saved != nil && saved.StorageKind() != p.StorageKind() {
		// The profile moved to another store: leave no tokens behind in the old one.
		if old, err := m.OpenStore(saved.StorageKind()); err == nil {
			if err := old.Delete(wctx, p.Name); err != nil {
				*warnings = append(*warnings, fmt.Sprintf("could not delete the old tokens from the %s: %v", saved.StorageKind(), err))
			}
		}
	}
	// The first login (or the first after the active profile was removed) becomes active.
	if def, err := m.Config.Default(); err != nil || def == "" {
		_ = m.Config.SetDefault(p.Name)
	} else if _, err := m.Config.Load(def); errors.Is(err, config.ErrNotFound) {
		_ = m.Config.SetDefault(p.Name)
	}
	return nil
}

// CheckStore checks that the store of the given kind can keep tokens before anyone signs in.
func (m *Manager) CheckStore(ctx context.Context, kind string) error {
	st, err := m.OpenStore(kind)
	if err != nil {
		return err
	}
	return st.Probe(ctx)
}

// ClientSecret returns the client secret stored for saved when it was given for the login next
// will be (the same Binding), else "", with refused = true when it was given for another.
func (m *Manager) ClientSecret(ctx context.Context, saved, next *config.Profile) (secret string, refused bool) {
	st, err := m.OpenStore(saved.StorageKind())
	if err != nil {
		return "", false
	}
	want := next.Binding()
	sec, err := st.Load(ctx, saved.Name, want)
	// Token files older than bindings have none: the saved profile says whose they are.
	if err == nil && cmp.Or(sec.Binding, saved.Binding()) == want {
		m.Secret(sec.ClientSecret)
		return sec.ClientSecret, false
	}
	return "", err == nil || errors.Is(err, tokenstore.ErrOtherLogin)
}

// Logout revokes the tokens at an OpenID provider with a revocation endpoint, then deletes the
// secrets and settings under the profile's lock. It returns the lines to show.
func (m *Manager) Logout(ctx context.Context, name string) ([]string, error) {
	var notes []string
	p, err := m.load(name)
	if errors.As(err, new(*LoginRequiredError)) {
		return nil, err
	}
	if err != nil {
		// A damaged profile file must still be removable.
		notes = append(notes, fmt.Sprintf("warning: %v", err))
		p = &config.Profile{Name: name}
	}
	st, err := m.OpenStore(p.StorageKind())
	if err != nil {
		return notes, err
	}
	unlock, err := Lock(ctx, m.Config.Dir(), name)
	if err != nil {
		return notes, fmt.Errorf("logging out of profile %s: %w", name, err)
	}
	defer unlock()
	// Revoked only when the stored secrets belong to the profile's login.
	if sec, err := m.read(ctx, st, p); err == nil && p.Provider == config.ProviderOIDC {
		if msg := m.revoke(ctx, p, sec); msg != "" {
			notes = append(notes, msg)
		}
	}
	if err := st.Delete(context.WithoutCancel(ctx), name); err != nil {
		return notes, fmt.Errorf("deleting the tokens of profile %s: %w", name, err)
	}
	if err := m.Config.Delete(name); err != nil && !errors.Is(err, config.ErrNotFound) {
		return notes, err
	}
	if def, _ := m.Config.Default(); def == name {
		_ = m.Config.ClearDefault()
	}
	return notes, nil
}

// revoke revokes the refresh token (else the access token) and returns a line for the user.
func (m *Manager) revoke(ctx context.Context, p *config.Profile, sec *tokenstore.Secrets) string {
	prov, err := m.provider(ctx, p)
	if err != nil {
		return fmt.Sprintf("warning: could not reach the provider to revoke the tokens (%v); deleting them here anyway", err)
	}
	token, hint := sec.RefreshToken, "refresh_token"
	if token == "" {
		token, hint = sec.AccessToken, "access_token"
	}
	if prov.Endpoints.Revocation == "" || token == "" {
		return ""
	}
	if err := revokeToken(ctx, m.HTTPClient(), m.Now(), prov.Endpoints.Revocation, prov.AuthStyle, p.ClientID, sec.ClientSecret, token, hint); err != nil {
		return fmt.Sprintf("warning: the provider did not revoke the tokens (%v); deleting them here anyway", err)
	}
	return "Revoked the tokens at the provider."
}

// revokeToken asks the revocation endpoint (RFC 7009) to revoke token, authenticating the client as
// the token endpoint expects; hint is "refresh_token" or "access_token". An error answer is an
// *oautherr.Error read at now.
func revokeToken(ctx context.Context, client *http.Client, now time.Time, endpoint string, style oauth2.AuthStyle, clientID, clientSecret, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	useBasic := clientSecret != "" && style != oauth2.AuthStyleInParams
	if !useBasic {
		form.Set("client_id", clientID)
		if clientSecret != "" {
			form.Set("client_secret", clientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("bad revocation endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if useBasic {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return oautherr.ParseAt(now, resp.StatusCode, resp.Header, body)
}
