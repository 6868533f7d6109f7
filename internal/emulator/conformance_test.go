package emulator_test

// Conformance of the emulator to webex-login.md, checked over HTTP with net/http,
// encoding/json and go-jose only.

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/webex-cli/webex/internal/emulator"
)

var (
	uuidRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	sixDigitRE = regexp.MustCompile(`^[0-9]{6}$`)
	hex64RE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idbrokerRE = regexp.MustCompile(`^https://idbroker(-[a-z0-9-]+)?\.webex\.com/idb$`)
)

const loopbackRedirect = "http://127.0.0.1:8085/callback"

// authorizeURL builds a browser-flow authorization request.
func (e *env) authorizeURL(redirect, scope, state, nonce, challenge string, extra url.Values) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {e.srv.ClientID()},
		"redirect_uri":  {redirect},
		"scope":         {scope},
		"state":         {state},
		"nonce":         {nonce},
	}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	for k, v := range extra {
		q[k] = v
	}
	return e.base + "/authorize?" + q.Encode()
}

// autoCode runs the browser flow against an auto-approving server and returns the code and
// the PKCE verifier.
func (e *env) autoCode(t *testing.T, scope, nonce string) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	r := e.get(t, e.authorizeURL(loopbackRedirect, scope, "st-123", nonce, challenge, nil), "")
	if r.status != 302 {
		t.Fatalf("authorize: status %d, want 302: %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != loopbackRedirect {
		t.Fatalf("redirected to %q", got)
	}
	q := loc.Query()
	if q.Get("state") != "st-123" || q.Get("code") == "" {
		t.Fatalf("redirect query %v lacks code or state", q)
	}
	return q.Get("code"), verifier
}

func (e *env) exchange(t *testing.T, code, verifier string) response {
	t.Helper()
	return e.post(t, e.base+"/access_token", url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {loopbackRedirect},
		"code_verifier": {verifier},
	}, e.srv.ClientID(), e.srv.ClientSecret())
}

type tokens struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	TokenType             string `json:"token_type"`
	Scope                 string `json:"scope"`
	IDToken               string `json:"id_token"`
}

func decodeTokens(t *testing.T, r response) tokens {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("token endpoint: status %d: %s", r.status, r.body)
	}
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil {
		t.Fatal(err)
	}
	if tk.AccessToken == "" || tk.RefreshToken == "" || tk.TokenType != "Bearer" || tk.ExpiresIn <= 0 || tk.RefreshTokenExpiresIn <= 0 {
		t.Fatalf("incomplete token response: %s", r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
	}
	return tk
}

func TestConformanceDiscovery(t *testing.T) {
	e := start(t, emulator.Config{})
	r := e.get(t, e.base+"/.well-known/openid-configuration", "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	d := r.json(t)
	iss, _ := d["issuer"].(string)
	if iss == e.base || !idbrokerRE.MatchString(iss) || iss != "https://idbroker-b-us.webex.com/idb" {
		t.Errorf("issuer = %q: want an IdBroker URL, not the base", iss)
	}
	for k, want := range map[string]string{
		"authorization_endpoint": e.base + "/authorize",
		"token_endpoint":         e.base + "/access_token",
		"userinfo_endpoint":      e.base + "/userinfo",
		"jwks_uri":               e.base + "/verification",
	} {
		if d[k] != want {
			t.Errorf("%s = %v, want %s", k, d[k], want)
		}
	}
	for _, absent := range []string{"device_authorization_endpoint", "revocation_endpoint", "end_session_endpoint"} {
		if _, ok := d[absent]; ok {
			t.Errorf("discovery lists %s", absent)
		}
	}
	list := func(k string) string {
		b, _ := json.Marshal(d[k])
		return string(b)
	}
	if got := list("token_endpoint_auth_methods_supported"); got != `["client_secret_basic"]` {
		t.Errorf("auth methods = %s", got)
	}
	if got := list("code_challenge_methods_supported"); got != `["plain","S256"]` {
		t.Errorf("PKCE methods = %s", got)
	}
}

// fetchKeys returns the RSA keys of /verification.
func (e *env) fetchKeys(t *testing.T) []*rsa.PublicKey {
	t.Helper()
	r := e.get(t, e.base+"/verification", "")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.body, &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var keys []*rsa.PublicKey
	for _, k := range set.Keys {
		pk, ok := k.Key.(*rsa.PublicKey)
		if !ok {
			t.Fatalf("JWKS key %T is not RSA", k.Key)
		}
		keys = append(keys, pk)
	}
	return keys
}

// Config.StaleJWKS: the first answers of /verification lack the key that signs, as during a
// key rotation; later ones have it.
func TestStaleJWKS(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto, StaleJWKS: 1})
	code, verifier := e.autoCode(t, "openid", "n")
	raw := decodeTokens(t, e.exchange(t, code, verifier)).IDToken
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range e.fetchKeys(t) {
		if _, err := jws.Verify(k); err == nil {
			t.Fatal("the stale answer has the signing key")
		}
	}
	verifyIDToken(t, raw, e.fetchKeys(t))
	if n := e.srv.Stats().JWKSRequests; n != 2 {
		t.Errorf("JWKSRequests = %d, want 2", n)
	}
}

// verifyIDToken checks the header and signature of an ID token by trying every key, and
// returns its claims and the index of the key that verified it.
func verifyIDToken(t *testing.T, raw string, keys []*rsa.PublicKey) (map[string]any, int) {
	t.Helper()
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(hdr) != `{"alg":"RS256","typ":"JWT"}` {
		t.Errorf("ID token header = %s", hdr)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != "" {
		t.Errorf("ID token has kid %q", kid)
	}
	for i, k := range keys {
		payload, err := jws.Verify(k)
		if err != nil {
			continue
		}
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		return claims, i
	}
	t.Fatal("no JWKS key verifies the ID token")
	return nil, -1
}

func TestConformanceBrowserFlow(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto, Users: []string{"alice@example.com", "bob.smith@example.org"}})
	code, verifier := e.autoCode(t, "openid email profile phone", "n-0S6_WzA2Mj")
	tk := decodeTokens(t, e.exchange(t, code, verifier))
	if tk.ExpiresIn != int64(emulator.DefaultAccessTTL/time.Second) || tk.RefreshTokenExpiresIn != int64(emulator.DefaultRefreshTTL/time.Second) {
		t.Errorf("expires_in %d, refresh_token_expires_in %d", tk.ExpiresIn, tk.RefreshTokenExpiresIn)
	}
	if tk.Scope != "openid email profile phone" {
		t.Errorf("scope = %q", tk.Scope)
	}
	if len(tk.AccessToken) < 22 || tk.AccessToken == tk.RefreshToken {
		t.Errorf("weak tokens")
	}

	keys := e.fetchKeys(t)
	if len(keys) < 2 {
		t.Fatalf("JWKS has %d keys, want several", len(keys))
	}
	claims, idx := verifyIDToken(t, tk.IDToken, keys)
	if idx == 0 {
		t.Error("ID token signed with the first key: clients that try only one key would pass")
	}
	now := e.clock.Now().Unix()
	if claims["iss"] != emulator.DefaultIDTokenIssuer || claims["iss"] == "https://idbroker-b-us.webex.com/idb" {
		t.Errorf("iss = %v", claims["iss"])
	}
	if claims["aud"] != e.srv.ClientID() || claims["nonce"] != "n-0S6_WzA2Mj" {
		t.Errorf("aud %v nonce %v", claims["aud"], claims["nonce"])
	}
	if int64(claims["iat"].(float64)) != now || int64(claims["exp"].(float64)) != now+7200 || int64(claims["auth_time"].(float64)) != now {
		t.Errorf("iat/exp/auth_time = %v/%v/%v, now %d", claims["iat"], claims["exp"], claims["auth_time"], now)
	}
	sub, _ := claims["sub"].(string)
	if !uuidRE.MatchString(sub) {
		t.Errorf("sub %q is not a UUID", sub)
	}
	for _, absent := range []string{"email", "name", "given_name"} {
		if _, ok := claims[absent]; ok {
			t.Errorf("ID token carries %s", absent)
		}
	}

	ui := e.get(t, e.base+"/userinfo", tk.AccessToken)
	if ui.status != 200 {
		t.Fatalf("userinfo: %d %s", ui.status, ui.body)
	}
	info := ui.json(t)
	want := map[string]any{
		"sub": sub, "email": "alice@example.com", "email_verified": "true", "name": "Alice Emulated",
		"given_name": "Alice", "family_name": "Emulated", "preferred_username": "alice@example.com",
	}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("userinfo %s = %#v, want %#v", k, info[k], v)
		}
	}
	if _, ok := info["phone"].(string); !ok {
		t.Errorf("userinfo phone = %#v", info["phone"])
	}

	pm := e.get(t, e.base+"/people/me", tk.AccessToken)
	if pm.status != 200 {
		t.Fatalf("people/me: %d %s", pm.status, pm.body)
	}
	var me struct {
		ID          string   `json:"id"`
		Emails      []string `json:"emails"`
		DisplayName string   `json:"displayName"`
		OrgID       string   `json:"orgId"`
		Created     string   `json:"created"`
	}
	if err := json.Unmarshal(pm.body, &me); err != nil {
		t.Fatal(err)
	}
	rawID, err := base64.RawStdEncoding.DecodeString(me.ID)
	if err != nil || string(rawID) != "ciscospark://us/PEOPLE/"+sub {
		t.Errorf("person id %q decodes to %q", me.ID, rawID)
	}
	rawOrg, _ := base64.RawStdEncoding.DecodeString(me.OrgID)
	if len(me.Emails) != 1 || me.Emails[0] != "alice@example.com" || me.DisplayName != "Alice Emulated" ||
		!strings.HasPrefix(string(rawOrg), "ciscospark://us/ORGANIZATION/") {
		t.Errorf("people/me = %s", pm.body)
	}
	if _, err := time.Parse(time.RFC3339, me.Created); err != nil {
		t.Errorf("created %q: %v", me.Created, err)
	}

	// login_hint picks the user in auto mode.
	verifier2, challenge2 := pkce()
	r := e.get(t, e.authorizeURL(loopbackRedirect, "openid email", "s", "n", challenge2, url.Values{"login_hint": {"bob.smith@example.org"}}), "")
	loc, _ := url.Parse(r.header.Get("Location"))
	tk2 := decodeTokens(t, e.exchange(t, loc.Query().Get("code"), verifier2))
	if got := e.get(t, e.base+"/userinfo", tk2.AccessToken).json(t)["email"]; got != "bob.smith@example.org" {
		t.Errorf("login_hint user: email %v", got)
	}
	if _, ok := e.get(t, e.base+"/userinfo", tk2.AccessToken).json(t)["name"]; ok {
		t.Error("name returned without the profile scope")
	}

	// No openid: no ID token.
	code3, verifier3 := e.autoCode(t, "spark:people_read", "")
	if tk3 := decodeTokens(t, e.exchange(t, code3, verifier3)); tk3.IDToken != "" {
		t.Error("ID token without the openid scope")
	}
	if s := e.srv.Stats(); s.AuthorizationCodeGrants != 3 {
		t.Errorf("Stats.AuthorizationCodeGrants = %d", s.AuthorizationCodeGrants)
	}
}

func TestConformanceTokenEndpointErrors(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto})
	id, secret := e.srv.ClientID(), e.srv.ClientSecret()
	tests := []struct {
		name       string
		form       func(code, verifier string) url.Values
		user, pass string
		status     int
		code       string
	}{
		{"no client auth", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {loopbackRedirect}, "code_verifier": {v}}
		}, "", "", 401, "invalid_client"},
		{"client id without secret", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {loopbackRedirect}, "code_verifier": {v}, "client_id": {id}}
		}, "", "", 401, "invalid_client"},
		{"wrong secret", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {loopbackRedirect}, "code_verifier": {v}}
		}, id, "nope", 401, "invalid_client"},
		{"wrong verifier", func(c, v string) url.Values {
			other, _ := pkce()
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {loopbackRedirect}, "code_verifier": {other}}
		}, id, secret, 400, "invalid_grant"},
		{"missing verifier", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {loopbackRedirect}}
		}, id, secret, 400, "invalid_grant"},
		{"other redirect_uri", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"http://127.0.0.1:8086/callback"}, "code_verifier": {v}}
		}, id, secret, 400, "invalid_grant"},
		{"unknown code", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {"x" + c}, "redirect_uri": {loopbackRedirect}, "code_verifier": {v}}
		}, id, secret, 400, "invalid_grant"},
		{"device grant at access_token", func(c, v string) url.Values {
			return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {c}}
		}, id, secret, 400, "unsupported_grant_type"},
		{"no grant_type", func(c, v string) url.Values { return url.Values{"code": {c}} }, id, secret, 400, "invalid_request"},
		{"secret in Basic and form", func(c, v string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_secret": {secret}, "redirect_uri": {loopbackRedirect}, "code_verifier": {v}}
		}, id, secret, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := e.autoCode(t, "openid", "")
			r := e.post(t, e.base+"/access_token", tt.form(code, verifier), tt.user, tt.pass)
			checkOAuthError(t, r, tt.status, tt.code)
		})
	}

	t.Run("form credentials and single use", func(t *testing.T) {
		code, verifier := e.autoCode(t, "openid", "")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {loopbackRedirect},
			"code_verifier": {verifier}, "client_id": {id}, "client_secret": {secret}}
		decodeTokens(t, e.post(t, e.base+"/access_token", form, "", ""))
		checkOAuthError(t, e.post(t, e.base+"/access_token", form, "", ""), 400, "invalid_grant")
	})
	t.Run("a failed attempt burns the code", func(t *testing.T) {
		code, verifier := e.autoCode(t, "openid", "")
		other, _ := pkce()
		checkOAuthError(t, e.exchange(t, code, other), 400, "invalid_grant")
		checkOAuthError(t, e.exchange(t, code, verifier), 400, "invalid_grant")
	})
	t.Run("expired code", func(t *testing.T) {
		code, verifier := e.autoCode(t, "openid", "")
		e.clock.Advance(6 * time.Minute)
		checkOAuthError(t, e.exchange(t, code, verifier), 400, "invalid_grant")
	})
	t.Run("form body required", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.base+"/access_token", strings.NewReader(`{"grant_type":"refresh_token"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(id, secret)
		checkOAuthError(t, e.do(t, req), 415, "invalid_request")
		checkEnvelope(t, e.get(t, e.base+"/access_token", ""), 405, "")
	})
}

func TestConformanceRedirectURI(t *testing.T) {
	registered := "http://127.0.0.1:8085/callback"
	reg := start(t, emulator.Config{RedirectURIs: []string{registered}, Approve: emulator.ApproveAuto})
	open := start(t, emulator.Config{Approve: emulator.ApproveAuto})
	tests := []struct {
		name     string
		e        *env
		redirect string
		ok       bool
	}{
		{"registered exact", reg, registered, true},
		{"registered other port", reg, "http://127.0.0.1:8086/callback", false},
		{"registered trailing slash", reg, registered + "/", false},
		{"registered extra query", reg, registered + "?x=1", false},
		{"registered localhost", reg, "http://localhost:8085/callback", false},
		{"open loopback any port", open, "http://127.0.0.1:49152/callback", true},
		{"open loopback other path", open, "http://127.0.0.1:49152/cb", false},
		{"open localhost", open, "http://localhost:49152/callback", false},
		{"open https", open, "https://127.0.0.1:49152/callback", false},
		{"open other host", open, "http://evil.example/callback", false},
		{"open no port", open, "http://127.0.0.1/callback", false},
		{"missing", open, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, challenge := pkce()
			r := tt.e.get(t, tt.e.authorizeURL(tt.redirect, "openid", "s", "n", challenge, nil), "")
			if tt.ok {
				if r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), tt.redirect+"?") {
					t.Fatalf("status %d Location %q", r.status, r.header.Get("Location"))
				}
				return
			}
			if r.status != 400 || r.header.Get("Location") != "" {
				t.Fatalf("status %d Location %q: want an error page, no redirect", r.status, r.header.Get("Location"))
			}
			if !strings.Contains(string(r.body), `id="error"`) {
				t.Errorf("error page without #error")
			}
		})
	}
	t.Run("unknown client", func(t *testing.T) {
		u := strings.Replace(open.authorizeURL(registered, "openid", "s", "n", "", nil), open.srv.ClientID(), "Cbad", 1)
		if r := open.get(t, u, ""); r.status != 400 || r.header.Get("Location") != "" {
			t.Fatalf("status %d Location %q", r.status, r.header.Get("Location"))
		}
	})
}

func TestConformanceAuthorizeRedirectErrors(t *testing.T) {
	e := start(t, emulator.Config{})
	_, challenge := pkce()
	tests := []struct {
		name  string
		extra url.Values
		err   string
	}{
		{"prompt none", url.Values{"prompt": {"none"}}, "login_required"},
		{"bad response_type", url.Values{"response_type": {"token"}}, "unsupported_response_type"},
		{"no scope", url.Values{"scope": {""}}, "invalid_scope"},
		{"bad challenge method", url.Values{"code_challenge_method": {"S512"}}, "invalid_request"},
		{"malformed challenge", url.Values{"code_challenge": {"short"}}, "invalid_request"},
		{"unregistered scope", url.Values{"scope": {"openid spark:people_read spark:rooms_read"}}, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(t, e.authorizeURL(loopbackRedirect, "openid email", "xyz", "n", challenge, tt.extra), "")
			if r.status != 302 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			loc, _ := url.Parse(r.header.Get("Location"))
			if q := loc.Query(); q.Get("error") != tt.err || q.Get("state") != "xyz" || q.Get("code") != "" {
				t.Errorf("redirect query %v, want error=%s", q, tt.err)
			}
		})
	}
}

func TestConformanceRefresh(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto})
	code, verifier := e.autoCode(t, "openid email profile", "nonce-1")
	first := decodeTokens(t, e.exchange(t, code, verifier))
	keys := e.fetchKeys(t)

	e.clock.Advance(24 * time.Hour)
	refresh := func(user, pass string, extra url.Values) response {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}
		for k, v := range extra {
			form[k] = v
		}
		return e.post(t, e.base+"/access_token", form, user, pass)
	}
	second := decodeTokens(t, refresh(e.srv.ClientID(), e.srv.ClientSecret(), nil))
	if second.RefreshToken != first.RefreshToken {
		t.Error("refresh token rotated")
	}
	if second.AccessToken == first.AccessToken {
		t.Error("same access token after refresh")
	}
	if want := first.RefreshTokenExpiresIn - 24*3600; second.RefreshTokenExpiresIn != want {
		t.Errorf("refresh_token_expires_in = %d, want %d (refreshing keeps the expiry)", second.RefreshTokenExpiresIn, want)
	}
	if second.IDToken != "" {
		claims, _ := verifyIDToken(t, second.IDToken, keys)
		if _, ok := claims["nonce"]; ok {
			t.Error("refreshed ID token carries a nonce")
		}
		if int64(claims["auth_time"].(float64)) != e.clock.Now().Add(-24*time.Hour).Unix() {
			t.Error("auth_time changed on refresh")
		}
	}
	// Form credentials work too; a narrower scope is allowed, a wider one is not.
	third := decodeTokens(t, refresh("", "", url.Values{"client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()}, "scope": {"openid email"}}))
	if third.Scope != "openid email" {
		t.Errorf("narrowed scope = %q", third.Scope)
	}
	checkOAuthError(t, refresh(e.srv.ClientID(), e.srv.ClientSecret(), url.Values{"scope": {"openid spark:all"}}), 400, "invalid_scope")
	checkOAuthError(t, refresh("", "", nil), 401, "invalid_client")

	// The first access token expires after 14 days.
	e.clock.Advance(14 * 24 * time.Hour)
	checkEnvelope(t, e.get(t, e.base+"/userinfo", first.AccessToken), 401, "")
	checkEnvelope(t, e.get(t, e.base+"/people/me", first.AccessToken), 401, "")
	checkEnvelope(t, e.get(t, e.base+"/userinfo", "not-a-token"), 401, "")
	checkEnvelope(t, e.get(t, e.base+"/userinfo", ""), 401, "")

	// The refresh token dies after 90 days from issue, whatever the refreshes.
	e.clock.Advance(74 * 24 * time.Hour) // day 89
	decodeTokens(t, refresh(e.srv.ClientID(), e.srv.ClientSecret(), nil))
	e.clock.Advance(24 * time.Hour)
	checkOAuthError(t, refresh(e.srv.ClientID(), e.srv.ClientSecret(), nil), 400, "invalid_grant")
	if s := e.srv.Stats(); s.RefreshTokenGrants != 3 {
		t.Errorf("Stats.RefreshTokenGrants = %d, want 3", s.RefreshTokenGrants)
	}
}

// deviceStart asks for a device code and checks the answer's shape.
func (e *env) deviceStart(t *testing.T, scope string) (deviceCode, userCode string, body map[string]any) {
	t.Helper()
	r := e.post(t, e.base+"/device/authorize", url.Values{"client_id": {e.srv.ClientID()}, "scope": {scope}}, "", "")
	if r.status != 200 {
		t.Fatalf("device/authorize: %d %s", r.status, r.body)
	}
	m := r.json(t)
	deviceCode, _ = m["device_code"].(string)
	userCode, _ = m["user_code"].(string)
	return deviceCode, userCode, m
}

func (e *env) poll(t *testing.T, deviceCode string) response {
	t.Helper()
	return e.post(t, e.base+"/device/token", url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode},
		"client_id":   {e.srv.ClientID()},
	}, e.srv.ClientID(), e.srv.ClientSecret())
}

func TestConformanceDeviceFlow(t *testing.T) {
	e := start(t, emulator.Config{Users: []string{"alice@example.com", "carol@example.com"}})
	dc, uc, m := e.deviceStart(t, "spark:people_read")
	if !uuidRE.MatchString(dc) || !sixDigitRE.MatchString(uc) {
		t.Errorf("device_code %q user_code %q", dc, uc)
	}
	if m["verification_uri"] != e.root+"/verify" {
		t.Errorf("verification_uri = %v", m["verification_uri"])
	}
	complete, _ := m["verification_uri_complete"].(string)
	hash, ok := strings.CutPrefix(complete, e.root+"/verify?userCode=")
	if !ok || !hex64RE.MatchString(hash) {
		t.Errorf("verification_uri_complete = %q", complete)
	}
	if m["expires_in"] != 300.0 || m["interval"] != 2.0 {
		t.Errorf("expires_in %v interval %v", m["expires_in"], m["interval"])
	}

	// Basic is required: form credentials are refused.
	r := e.post(t, e.base+"/device/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc},
		"client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()},
	}, "", "")
	checkEnvelope(t, r, 400, "invalid_client")
	r = e.post(t, e.base+"/device/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc},
	}, e.srv.ClientID(), "wrong")
	checkEnvelope(t, r, 401, "invalid_client")

	// Pending is 428 with the envelope.
	checkEnvelope(t, e.poll(t, dc), 428, "authorization_pending")
	checkEnvelope(t, e.poll(t, dc), 428, "authorization_pending")

	if err := e.srv.ApproveDevice(uc, "carol@example.com"); err != nil {
		t.Fatal(err)
	}
	tk := decodeTokens(t, e.poll(t, dc))
	if tk.IDToken != "" {
		t.Error("device flow returned an ID token")
	}
	if tk.Scope != "spark:people_read" {
		t.Errorf("scope = %q", tk.Scope)
	}
	var me struct{ Emails []string }
	if err := json.Unmarshal(e.get(t, e.base+"/people/me", tk.AccessToken).body, &me); err != nil || len(me.Emails) == 0 || me.Emails[0] != "carol@example.com" {
		t.Errorf("people/me emails = %v (%v)", me.Emails, err)
	}
	checkEnvelope(t, e.get(t, e.base+"/userinfo", tk.AccessToken), 403, "insufficient_scope")
	// The device code is spent.
	checkEnvelope(t, e.poll(t, dc), 400, "invalid_grant")

	// The device token refreshes like any other.
	decodeTokens(t, e.post(t, e.base+"/access_token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}},
		e.srv.ClientID(), e.srv.ClientSecret()))

	s := e.srv.Stats()
	if s.DeviceCodeGrants != 1 || s.DevicePending != 2 || s.DeviceAuthorizations != 1 || s.RefreshTokenGrants != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestConformanceDeviceDeniedAndExpired(t *testing.T) {
	e := start(t, emulator.Config{})
	dc, uc, _ := e.deviceStart(t, "spark:people_read")
	if err := e.srv.DenyDevice(uc); err != nil {
		t.Fatal(err)
	}
	checkEnvelope(t, e.poll(t, dc), 400, "access_denied")
	if err := e.srv.ApproveDevice(uc, ""); err != emulator.ErrDeviceDecided {
		t.Errorf("ApproveDevice after deny = %v", err)
	}

	dc2, uc2, _ := e.deviceStart(t, "spark:people_read")
	checkEnvelope(t, e.poll(t, dc2), 428, "")
	e.clock.Advance(300 * time.Second)
	checkOAuthError(t, e.poll(t, dc2), 400, "invalid_grant")
	if err := e.srv.ApproveDevice(uc2, ""); err != emulator.ErrDeviceExpired {
		t.Errorf("ApproveDevice after expiry = %v", err)
	}
	if err := e.srv.ApproveDevice("000000x", ""); err != emulator.ErrUnknownUserCode {
		t.Errorf("ApproveDevice unknown = %v", err)
	}
	checkEnvelope(t, e.poll(t, "6f1b3c3e-0000-4000-8000-000000000000"), 400, "invalid_grant")
}

func TestConformanceDeviceThrottling(t *testing.T) {
	e := start(t, emulator.Config{SlowDownEvery: 2, RateLimitEvery: 3})
	dc, _, _ := e.deviceStart(t, "spark:people_read")
	want := []int{428, 400, 429, 400, 428, 429, 428}
	for i, status := range want {
		r := e.poll(t, dc)
		switch status {
		case 428:
			checkEnvelope(t, r, 428, "authorization_pending")
		case 400:
			checkOAuthError(t, r, 400, "slow_down")
		case 429:
			checkEnvelope(t, r, 429, "")
			if r.header.Get("Retry-After") != "2" {
				t.Errorf("poll %d: Retry-After = %q", i+1, r.header.Get("Retry-After"))
			}
		}
	}
	if s := e.srv.Stats(); s.DeviceSlowDowns != 2 || s.DeviceRateLimited != 2 || s.DevicePolls != len(want) {
		t.Errorf("Stats = %+v", s)
	}
}

func TestConformanceDeviceAutoApprove(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto, ApproveDelay: 5 * time.Second, Scopes: []string{"spark:people_read", "spark:kms"}})
	dc, _, _ := e.deviceStart(t, "spark:people_read spark:kms")
	checkEnvelope(t, e.poll(t, dc), 428, "")
	e.clock.Advance(5 * time.Second)
	tk := decodeTokens(t, e.poll(t, dc))
	if tk.Scope != "spark:people_read spark:kms" {
		t.Errorf("scope %q", tk.Scope)
	}
}

func TestConformanceDeviceAuthorizeErrors(t *testing.T) {
	e := start(t, emulator.Config{})
	withHelper := start(t, emulator.Config{RedirectURIs: []string{loopbackRedirect,
		"https://oauth-helper-r.wbx2.com/helperservice/v1/actions/device/callback"}})
	noHelper := start(t, emulator.Config{RedirectURIs: []string{loopbackRedirect}})
	tests := []struct {
		name    string
		e       *env
		form    url.Values
		status  int
		message string
	}{
		{"unknown client", e, url.Values{"client_id": {"Cbad"}, "scope": {"spark:people_read"}}, 400, "invalid_client"},
		{"no client", e, url.Values{"scope": {"spark:people_read"}}, 400, "invalid_client"},
		{"openid scope", e, url.Values{"client_id": {e.srv.ClientID()}, "scope": {"openid spark:people_read"}}, 400, "invalid_scope"},
		{"no scope", e, url.Values{"client_id": {e.srv.ClientID()}}, 400, "invalid_scope"},
		{"unregistered scope", e, url.Values{"client_id": {e.srv.ClientID()}, "scope": {"spark:people_read spark:rooms_read"}}, 400, "invalid_scope"},
		{"client secret in the form", e, url.Values{"client_id": {e.srv.ClientID()}, "client_secret": {e.srv.ClientSecret()}, "scope": {"spark:people_read"}}, 400, "invalid_request"},
		{"helper callbacks missing", noHelper, url.Values{"client_id": {noHelper.srv.ClientID()}, "scope": {"spark:people_read"}}, 400, ""},
		{"helper callbacks present", withHelper, url.Values{"client_id": {withHelper.srv.ClientID()}, "scope": {"spark:people_read"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.e.post(t, tt.e.base+"/device/authorize", tt.form, "", "")
			if tt.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			checkEnvelope(t, r, tt.status, tt.message)
		})
	}
	t.Run("HTTP Basic", func(t *testing.T) {
		r := e.post(t, e.base+"/device/authorize", url.Values{"client_id": {e.srv.ClientID()}, "scope": {"spark:people_read"}}, e.srv.ClientID(), e.srv.ClientSecret())
		checkEnvelope(t, r, 400, "invalid_request")
	})
	t.Run("registered scopes", func(t *testing.T) {
		e := start(t, emulator.Config{Scopes: []string{"spark:rooms_read"}})
		r := e.post(t, e.base+"/device/authorize", url.Values{"client_id": {e.srv.ClientID()}, "scope": {"spark:rooms_read"}}, "", "")
		if r.status != 200 {
			t.Fatalf("registered scope: %d %s", r.status, r.body)
		}
		r = e.post(t, e.base+"/device/authorize", url.Values{"client_id": {e.srv.ClientID()}, "scope": {"spark:people_read"}}, "", "")
		checkEnvelope(t, r, 400, "invalid_scope")
	})
	t.Run("other device token errors", func(t *testing.T) {
		dc, _, _ := e.deviceStart(t, "spark:people_read")
		r := e.post(t, e.base+"/device/token", url.Values{"grant_type": {"authorization_code"}, "device_code": {dc}}, e.srv.ClientID(), e.srv.ClientSecret())
		checkEnvelope(t, r, 400, "unsupported_grant_type")
		r = e.post(t, e.base+"/device/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}}, e.srv.ClientID(), e.srv.ClientSecret())
		checkEnvelope(t, r, 400, "invalid_request")
	})
}

func TestConformanceWebFinger(t *testing.T) {
	e := start(t, emulator.Config{})
	r := e.get(t, e.base+"/.well-known/webfinger?resource="+url.QueryEscape("acct:alice@example.com"), "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/jrd+json") {
		t.Fatalf("status %d type %q", r.status, r.header.Get("Content-Type"))
	}
	var jrd struct {
		Subject string `json:"subject"`
		Links   []struct{ Rel, Href string }
	}
	if err := json.Unmarshal(r.body, &jrd); err != nil {
		t.Fatal(err)
	}
	if jrd.Subject != "acct:alice@example.com" || len(jrd.Links) != 1 ||
		jrd.Links[0].Rel != "http://openid.net/specs/connect/1.0/issuer" || !idbrokerRE.MatchString(jrd.Links[0].Href) {
		t.Errorf("JRD = %s", r.body)
	}
	for _, bad := range []string{"", "?resource=alice@example.com", "?resource=acct:nobody"} {
		checkEnvelope(t, e.get(t, e.base+"/.well-known/webfinger"+bad, ""), 400, "")
	}
}

func TestConformanceEnvelopes(t *testing.T) {
	e := start(t, emulator.Config{})
	checkEnvelope(t, e.get(t, e.base+"/nope", ""), 404, "")
	checkEnvelope(t, e.get(t, e.base+"/device/token", ""), 405, "")
	r := e.post(t, e.base+"/userinfo", url.Values{}, "", "")
	checkEnvelope(t, r, 405, "")
	if r.header.Get("Allow") != "GET" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
}
