package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// tokenResponse is a successful token answer (RFC 6749 section 5.1 plus Webex's
// refresh_token_expires_in).
type tokenResponse struct {
	AccessToken           string `json:"access_token"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	TokenType             string `json:"token_type"`
	Scope                 string `json:"scope,omitempty"`
	IDToken               string `json:"id_token,omitempty"`
}

// newOpaqueToken returns an unguessable token shaped like Webex's: 256 random bits, then the
// organisation's id.
func newOpaqueToken(u *user) string {
	return randomToken(32) + "_PF84_" + u.org
}

// mintAccessLocked stores a new access token for g. s.mu must be held.
func (s *Server) mintAccessLocked(g grant, now time.Time) (string, time.Time) {
	tok := newOpaqueToken(g.user)
	exp := now.Add(s.cfg.AccessTTL)
	s.access[tok] = &accessToken{grant: g, expires: exp}
	s.noteInsertLocked(now)
	return tok, exp
}

// handleAccessToken serves POST /v1/access_token: grant_type authorization_code (with PKCE)
// and refresh_token (RFC 6749 sections 4.1.3 and 6). Client authentication is required, by
// HTTP Basic or form fields. Errors use the OAuth shape {"error","error_description"}.
func (s *Server) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		s.mu.Lock()
		s.stats.TokenErrors++
		s.mu.Unlock()
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="webex"`)
		}
		writeOAuthError(w, status, code, desc)
	}
	form, ferr := parsePostForm(w, r)
	if ferr != nil {
		fail(ferr.status, ferr.code, ferr.message)
		return
	}
	auth, err := parseClientAuth(r.Header.Get("Authorization"), form)
	switch {
	case err != nil:
		fail(http.StatusBadRequest, "invalid_request", "The client authentication is malformed or uses more than one method.")
		return
	case !auth.present || auth.secret == "":
		fail(http.StatusUnauthorized, "invalid_client", "Client authentication is required: client_id and client_secret.")
		return
	case !s.validClient(auth):
		fail(http.StatusUnauthorized, "invalid_client", "The client_id or client_secret is wrong.")
		return
	}
	exchange := s.exchangeCode
	switch form.Get("grant_type") {
	case "authorization_code":
	case "refresh_token":
		exchange = s.exchangeRefresh
	case "":
		fail(http.StatusBadRequest, "invalid_request", "The grant_type parameter is missing.")
		return
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "The grant_type is not supported here.")
		return
	}
	resp, status, code, desc := exchange(form, s.cfg.Now())
	if code != "" {
		fail(status, code, desc)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// exchangeCode redeems an authorization code. A code is single use: any attempt burns it.
func (s *Server) exchangeCode(form url.Values, now time.Time) (resp tokenResponse, status int, code, desc string) {
	c := form.Get("code")
	if c == "" {
		return resp, http.StatusBadRequest, "invalid_request", "The code parameter is missing."
	}
	s.mu.Lock()
	ac := s.codes[c]
	delete(s.codes, c)
	s.mu.Unlock()
	switch {
	case ac == nil || !now.Before(ac.expires):
		return resp, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid, expired or already used."
	case ac.clientID != s.cfg.ClientID:
		return resp, http.StatusBadRequest, "invalid_grant", "The authorization code was issued to another client."
	case form.Get("redirect_uri") != ac.redirectURI:
		return resp, http.StatusBadRequest, "invalid_grant", "The redirect_uri does not match the authorization request."
	case !checkPKCE(ac.challenge, ac.challengeMethod, form.Get("code_verifier")):
		return resp, http.StatusBadRequest, "invalid_grant", "The code_verifier does not match the code_challenge."
	}
	resp, err := s.issueTokens(ac.grant, ac.nonce, nil, now)
	if err != nil {
		return resp, http.StatusInternalServerError, "server_error", "The ID token could not be signed."
	}
	s.mu.Lock()
	s.stats.AuthorizationCodeGrants++
	s.mu.Unlock()
	return resp, 0, "", ""
}

// exchangeRefresh serves a refresh_token grant. Webex does not rotate refresh tokens: the
// answer repeats the same refresh token with its remaining lifetime, and a new access token.
func (s *Server) exchangeRefresh(form url.Values, now time.Time) (resp tokenResponse, status int, code, desc string) {
	rt := form.Get("refresh_token")
	if rt == "" {
		return resp, http.StatusBadRequest, "invalid_request", "The refresh_token parameter is missing."
	}
	s.mu.Lock()
	entry := s.refresh[rt]
	s.mu.Unlock()
	if entry == nil || entry.clientID != s.cfg.ClientID || !now.Before(entry.expires) {
		return resp, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or expired."
	}
	g := entry.grant
	if sc := strings.Fields(form.Get("scope")); len(sc) > 0 {
		for _, x := range sc {
			if !hasScope(entry.scopes, x) {
				return resp, http.StatusBadRequest, "invalid_scope", "The requested scope exceeds the granted scope."
			}
		}
		g.scopes = sc
	}
	resp, err := s.issueTokens(g, "", &refreshEntry{token: rt, expires: entry.expires}, now)
	if err != nil {
		return resp, http.StatusInternalServerError, "server_error", "The ID token could not be signed."
	}
	s.mu.Lock()
	s.stats.RefreshTokenGrants++
	s.mu.Unlock()
	return resp, 0, "", ""
}

type refreshEntry struct {
	token   string
	expires time.Time
}

// issueTokens mints an access token for g, and a refresh token unless existing is given
// (refresh without rotation). An ID token is added when g's scopes include openid and g did
// not come from the device flow.
func (s *Server) issueTokens(g grant, nonce string, existing *refreshEntry, now time.Time) (tokenResponse, error) {
	var idToken string
	if hasScope(g.scopes, "openid") {
		var err error
		if idToken, err = s.signIDToken(g, nonce, now); err != nil {
			return tokenResponse{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, atExp := s.mintAccessLocked(g, now)
	if existing == nil {
		existing = &refreshEntry{token: newOpaqueToken(g.user), expires: now.Add(s.cfg.RefreshTTL)}
		s.refresh[existing.token] = &refreshToken{grant: g, expires: existing.expires}
	}
	return tokenResponse{
		AccessToken:           at,
		ExpiresIn:             seconds(atExp.Sub(now)),
		RefreshToken:          existing.token,
		RefreshTokenExpiresIn: seconds(existing.expires.Sub(now)),
		TokenType:             "Bearer",
		Scope:                 strings.Join(g.scopes, " "),
		IDToken:               idToken,
	}, nil
}

func seconds(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}

// --- device flow (RFC 8628 with Webex's quirks) ---

type deviceAuthResponse struct {
	DeviceCode              string `json:"device_code"`
	ExpiresIn               int64  `json:"expires_in"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	Interval                int64  `json:"interval"`
}

// handleDeviceAuthorize serves POST /v1/device/authorize (RFC 8628 section 3.1). It takes a
// known client_id and scope, and refuses client authentication (an Authorization header or a
// client_secret), which Webex documents as not needed there, so that a client sending its
// secret to this endpoint is caught. Errors are HTTP 400 with the Webex envelope, whose
// message is the OAuth error code.
func (s *Server) handleDeviceAuthorize(w http.ResponseWriter, r *http.Request) {
	form, ferr := parsePostForm(w, r)
	if ferr != nil {
		writeEnvelope(w, ferr.status, ferr.code, ferr.message)
		return
	}
	if r.Header.Get("Authorization") != "" || form.Has("client_secret") {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request",
			"Device authorization takes no client authentication: send client_id and scope only.")
		return
	}
	if form.Get("client_id") != s.cfg.ClientID {
		writeEnvelope(w, http.StatusBadRequest, "invalid_client", "The client_id is missing or not registered.")
		return
	}
	if !s.deviceAllowed() {
		// Webex answers a generic 400 when the helper callbacks are missing.
		writeEnvelope(w, http.StatusBadRequest, "invalid_request",
			"Device authorization failed. The integration must list the Webex OAuth helper callbacks as redirect URIs.")
		return
	}
	scopes := strings.Fields(form.Get("scope"))
	if len(scopes) == 0 {
		writeEnvelope(w, http.StatusBadRequest, "invalid_scope", "The scope parameter is missing.")
		return
	}
	for _, sc := range scopes {
		if isOIDCScope(sc) {
			writeEnvelope(w, http.StatusBadRequest, "invalid_scope",
				"The device flow does not accept OpenID Connect scopes such as "+strconv.Quote(sc)+".")
			return
		}
	}
	if sc := s.unregisteredScope(scopes); sc != "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_scope", "The integration does not have the scope "+strconv.Quote(sc)+".")
		return
	}
	now := s.cfg.Now()
	d := &deviceGrant{
		deviceCode: newUUID(),
		clientID:   s.cfg.ClientID,
		scopes:     scopes,
		created:    now,
		expires:    now.Add(s.cfg.DeviceTTL),
	}
	s.mu.Lock()
	if !s.roomLocked(func() int { return len(s.devices) }, now) {
		s.mu.Unlock()
		writeBusy(w)
		return
	}
	for {
		d.userCode = sixDigits()
		if s.userCodes[d.userCode] == "" {
			break
		}
	}
	d.hash = s.userCodeHash(d.userCode)
	s.devices[d.deviceCode] = d
	s.userCodes[d.userCode] = d.deviceCode
	s.hashCodes[d.hash] = d.deviceCode
	s.stats.DeviceAuthorizations++
	s.noteInsertLocked(now)
	s.mu.Unlock()

	verify := s.rootURL(r) + "/verify"
	interval := seconds(s.cfg.DeviceInterval)
	if interval < 1 {
		interval = 1
	}
	writeJSON(w, http.StatusOK, deviceAuthResponse{
		DeviceCode:              d.deviceCode,
		ExpiresIn:               seconds(s.cfg.DeviceTTL),
		UserCode:                d.userCode,
		VerificationURI:         verify,
		VerificationURIComplete: verify + "?userCode=" + d.hash,
		Interval:                interval,
	})
}

const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// deviceTokenForm checks a device token request's client authentication and parameters and
// returns the client id and the device code; when they are wrong it writes the error answer
// and returns ok false.
func (s *Server) deviceTokenForm(w http.ResponseWriter, r *http.Request) (clientID, deviceCode string, ok bool) {
	form, ferr := parsePostForm(w, r)
	if ferr != nil {
		writeEnvelope(w, ferr.status, ferr.code, ferr.message)
		return "", "", false
	}
	auth, err := parseClientAuth(r.Header.Get("Authorization"), form)
	switch {
	case err != nil:
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "The client authentication is malformed.")
		return "", "", false
	case !auth.basic:
		writeEnvelope(w, http.StatusBadRequest, "invalid_client", "HTTP Basic client authentication is required.")
		return "", "", false
	case !s.validClient(auth):
		w.Header().Set("WWW-Authenticate", `Basic realm="webex"`)
		writeEnvelope(w, http.StatusUnauthorized, "invalid_client", "The client_id or client_secret is wrong.")
		return "", "", false
	}
	if gt := form.Get("grant_type"); gt != deviceGrantType {
		writeEnvelope(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be "+deviceGrantType+".")
		return "", "", false
	}
	dc := form.Get("device_code")
	if dc == "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "The device_code parameter is missing.")
		return "", "", false
	}
	return auth.id, dc, true
}

// handleDeviceToken serves POST /v1/device/token (RFC 8628 section 3.4), which requires HTTP
// Basic client authentication. Pending is HTTP 428 with the envelope; see the package doc for
// the other answers.
func (s *Server) handleDeviceToken(w http.ResponseWriter, r *http.Request) {
	clientID, dc, ok := s.deviceTokenForm(w, r)
	if !ok {
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	d := s.devices[dc]
	if d == nil || d.clientID != clientID {
		s.mu.Unlock()
		writeEnvelope(w, http.StatusBadRequest, "invalid_grant", "The device code is invalid or was already used.")
		return
	}
	d.polls++
	s.stats.DevicePolls++
	if !now.Before(d.expires) {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "The device code has expired.")
		return
	}
	if n := s.cfg.RateLimitEvery; n > 0 && d.polls%n == 0 {
		s.stats.DeviceRateLimited++
		s.mu.Unlock()
		retry := seconds(s.cfg.DeviceInterval)
		if retry < 1 {
			retry = 1
		}
		w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
		writeEnvelope(w, http.StatusTooManyRequests, "Too many requests.", "The client is polling too often.")
		return
	}
	if n := s.cfg.SlowDownEvery; n > 0 && d.polls%n == 0 {
		s.stats.DeviceSlowDowns++
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "slow_down", "The client is polling too often.")
		return
	}
	if s.cfg.Approve == ApproveAuto && d.status == devicePending && !now.Before(d.created.Add(s.cfg.ApproveDelay)) {
		_ = s.decideLocked(d, s.firstUser(), true, now)
	}
	switch d.status {
	case devicePending:
		s.stats.DevicePending++
		s.mu.Unlock()
		writeEnvelope(w, http.StatusPreconditionRequired, "authorization_pending", "The user has not yet approved this device code.")
		return
	case deviceDenied:
		s.mu.Unlock()
		writeEnvelope(w, http.StatusBadRequest, "access_denied", "The user denied the request.")
		return
	}
	g := grant{user: d.user, clientID: d.clientID, scopes: d.scopes, authTime: d.decided}
	s.dropDeviceLocked(dc)
	s.stats.DeviceCodeGrants++
	s.mu.Unlock()
	resp, err := s.issueTokens(g, "", nil, now)
	if err != nil { // unreachable: device grants carry no openid scope
		writeEnvelope(w, http.StatusInternalServerError, "server_error", "")
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
