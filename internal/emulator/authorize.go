package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authRequest is a validated GET /v1/authorize request.
type authRequest struct {
	clientID        string
	redirectURI     string
	scopes          []string
	state           string
	nonce           string
	challenge       string
	challengeMethod string
	loginHint       string
}

// redirectAllowed reports whether uri may receive codes: an exact match of a registered URI
// (RFC 6749 section 3.1.2.3), or with none registered any http://127.0.0.1:PORT/callback.
func (s *Server) redirectAllowed(uri string) bool {
	if len(s.cfg.RedirectURIs) > 0 {
		return slices.Contains(s.cfg.RedirectURIs, uri)
	}
	rest, ok := strings.CutPrefix(uri, "http://127.0.0.1:")
	if !ok {
		return false
	}
	port, ok := strings.CutSuffix(rest, "/callback")
	n, err := strconv.Atoi(port)
	return ok && err == nil && n > 0 && n < 65536 && strconv.Itoa(n) == port
}

// deviceAllowed reports whether the integration's redirect URIs let the device flow work.
func (s *Server) deviceAllowed() bool {
	if len(s.cfg.RedirectURIs) == 0 {
		return true
	}
	return slices.ContainsFunc(s.cfg.RedirectURIs, func(r string) bool {
		return slices.Contains(deviceHelperRedirectURIs[:], r)
	})
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		s.authorizePost(w, r)
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.errorPage(w, http.StatusBadRequest, "The sign-in request is malformed.")
		return
	}
	for k, v := range q {
		if len(v) > 1 {
			s.errorPage(w, http.StatusBadRequest, "The parameter "+strconv.Quote(truncate(k, 40))+" was sent more than once.")
			return
		}
	}
	// Until client and redirect URI are known good, errors are shown, never redirected.
	if q.Get("client_id") != s.cfg.ClientID {
		s.errorPage(w, http.StatusBadRequest, "The application's client_id is not registered.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if !s.redirectAllowed(redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri is not registered for this integration. Webex accepts only the exact URIs registered on the integration.")
		return
	}
	req := &authRequest{
		clientID:        s.cfg.ClientID,
		redirectURI:     redirectURI,
		scopes:          strings.Fields(q.Get("scope")),
		state:           q.Get("state"),
		nonce:           q.Get("nonce"),
		challenge:       q.Get("code_challenge"),
		challengeMethod: q.Get("code_challenge_method"),
		loginHint:       q.Get("login_hint"),
	}
	if code, desc := s.checkAuthRequest(q, req); code != "" {
		redirectWith(w, r, http.StatusFound, redirectURI, url.Values{"error": {code}, "error_description": {desc}}, req.state)
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	s.stats.AuthorizeRequests++
	s.mu.Unlock()

	if s.cfg.Approve == ApproveAuto {
		u := s.findUser(req.loginHint)
		if u == nil {
			u = s.firstUser()
		}
		code, ok := s.issueCode(req, u, now)
		if !ok {
			writeBusy(w)
			return
		}
		redirectWith(w, r, http.StatusFound, redirectURI, url.Values{"code": {code}}, req.state)
		return
	}
	token, ok := s.newForm(&pendingForm{kind: formAuthorize, auth: req}, now)
	if !ok {
		writeBusy(w)
		return
	}
	s.renderSignIn(w, http.StatusOK, req, token, "", "")
}

// checkAuthRequest applies the rules of an authorization request whose client and redirect
// URI are good, defaulting the challenge method to plain (RFC 7636 section 4.3). It returns
// the error code and description to redirect with, or "" when the request may go on.
func (s *Server) checkAuthRequest(q url.Values, req *authRequest) (code, desc string) {
	if q.Get("response_type") != "code" {
		return "unsupported_response_type", "response_type must be code."
	}
	if len(req.scopes) == 0 {
		return "invalid_scope", "The scope parameter is missing."
	}
	if sc := s.unregisteredScope(req.scopes); sc != "" {
		return "invalid_scope", "The integration does not have the scope " + strconv.Quote(sc) + "."
	}
	if req.challenge == "" && req.challengeMethod != "" {
		return "invalid_request", "code_challenge_method was sent without code_challenge."
	}
	if req.challenge != "" {
		if req.challengeMethod == "" {
			req.challengeMethod = "plain"
		}
		if req.challengeMethod != "plain" && req.challengeMethod != "S256" {
			return "invalid_request", "code_challenge_method must be S256 or plain."
		}
		if !validChallenge(req.challenge, req.challengeMethod) {
			return "invalid_request", "code_challenge is malformed."
		}
	}
	if ma := q.Get("max_age"); ma != "" {
		if n, err := strconv.Atoi(ma); err != nil || n < 0 {
			return "invalid_request", "max_age must be a non-negative integer."
		}
	}
	prompts := strings.Fields(q.Get("prompt"))
	if hasScope(prompts, "none") {
		if len(prompts) > 1 {
			return "invalid_request", "prompt=none cannot be combined with other values."
		}
		// The emulator keeps no browser session, so there is never a silent sign-in.
		return "login_required", "The user must sign in."
	}
	return "", ""
}

// authorizePost handles the sign-in page's Approve and Deny buttons.
func (s *Server) authorizePost(w http.ResponseWriter, r *http.Request) {
	form, ferr := parsePostForm(w, r)
	if ferr != nil {
		s.errorPage(w, ferr.status, ferr.message)
		return
	}
	token := form.Get("csrf_token")
	now := s.cfg.Now()
	pf := s.lookupForm(token, formAuthorize, now)
	if pf == nil {
		s.errorPage(w, http.StatusBadRequest, "This sign-in request has expired or was already answered. Start again from the application.")
		return
	}
	req := pf.auth
	switch form.Get("decision") {
	case "deny":
		s.dropForm(token)
		s.mu.Lock()
		s.stats.AuthorizeDenials++
		s.mu.Unlock()
		redirectWith(w, r, http.StatusSeeOther, req.redirectURI,
			url.Values{"error": {"access_denied"}, "error_description": {"The user denied the request."}}, req.state)
	case "approve":
		u := s.findUser(form.Get("user"))
		if u == nil {
			s.renderSignIn(w, http.StatusBadRequest, req, token, form.Get("user"), "Choose who signs in.")
			return
		}
		if !s.dropForm(token) { // answered concurrently
			s.errorPage(w, http.StatusBadRequest, "This sign-in request was already answered.")
			return
		}
		code, ok := s.issueCode(req, u, now)
		if !ok {
			writeBusy(w)
			return
		}
		redirectWith(w, r, http.StatusSeeOther, req.redirectURI, url.Values{"code": {code}}, req.state)
	default:
		s.renderSignIn(w, http.StatusBadRequest, req, token, form.Get("user"), "Choose Approve or Deny.")
	}
}

// issueCode stores a fresh single-use authorization code for req approved by u. It reports
// false when Config.MaxPending live codes exist.
func (s *Server) issueCode(req *authRequest, u *user, now time.Time) (string, bool) {
	code := randomToken(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.roomLocked(func() int { return len(s.codes) }, now) {
		return "", false
	}
	s.codes[code] = &authCode{
		grant:           grant{user: u, clientID: req.clientID, scopes: req.scopes, authTime: now},
		redirectURI:     req.redirectURI,
		nonce:           req.nonce,
		challenge:       req.challenge,
		challengeMethod: req.challengeMethod,
		expires:         now.Add(codeTTL),
	}
	s.stats.CodesIssued++
	s.noteInsertLocked(now)
	return code, true
}

// redirectWith redirects to base with params added to its query (and state when not empty).
func redirectWith(w http.ResponseWriter, r *http.Request, status int, base string, params url.Values, state string) {
	u, err := url.Parse(base)
	if err != nil { // registered URIs were parsed at start-up
		http.Error(w, "bad redirect URI", http.StatusBadRequest)
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), status)
}

// validChallenge checks a code_challenge's syntax (RFC 7636 section 4.2): a base64url SHA-256
// (43 characters) for S256, a verifier-shaped string for plain.
func validChallenge(c, method string) bool {
	if method == "S256" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		return err == nil && len(b) == sha256.Size
	}
	return validVerifier(c)
}

// validVerifier checks a code_verifier's syntax (RFC 7636 section 4.1): 43 to 128 characters
// from [A-Za-z0-9-._~].
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// checkPKCE verifies verifier against the challenge of the authorization request (RFC 7636
// section 4.6). With no challenge a verifier is refused too, so PKCE cannot be downgraded.
func checkPKCE(challenge, method, verifier string) bool {
	if challenge == "" {
		return verifier == ""
	}
	if !validVerifier(verifier) {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// --- pending forms (the CSRF tokens of the pages) ---

// newForm stores a pending form and returns its CSRF token. It reports false when
// Config.MaxPending live forms exist.
func (s *Server) newForm(pf *pendingForm, now time.Time) (string, bool) {
	token := randomToken(24)
	pf.expires = now.Add(formTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.roomLocked(func() int { return len(s.forms) }, now) {
		return "", false
	}
	s.forms[token] = pf
	s.noteInsertLocked(now)
	return token, true
}

func (s *Server) lookupForm(token string, kind formKind, now time.Time) *pendingForm {
	if token == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pf := s.forms[token]
	if pf == nil || pf.kind != kind || !now.Before(pf.expires) {
		return nil
	}
	return pf
}

// dropForm deletes a form token and reports whether it was still there.
func (s *Server) dropForm(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.forms[token]
	delete(s.forms, token)
	return ok
}
