package cli

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/tokenstore"
)

// fakeIDP is an httptest Login-with-Webex provider for answers the emulator will not give:
// crafted ID tokens, tampered redirects. It speaks Webex's dialect under /v1:
//
//   - GET  /v1/authorize redirects straight back to redirect_uri with code and state (or
//     what Redirect makes of them);
//   - POST /v1/access_token wants HTTP Basic client auth, the code, the redirect_uri and a
//     code_verifier matching the S256 challenge, and answers a Webex token response whose
//     id_token IDToken crafts;
//   - GET  /v1/verification is a JWKS of two RSA keys WITHOUT kid, as Webex's;
//   - GET  /v1/userinfo (email_verified as the string "true") and GET /v1/people/me.
//
// Every answer carries a TrackingID header.
type fakeIDP struct {
	t            *testing.T
	srv          *httptest.Server
	clientID     string
	clientSecret string
	// jwks are the published keys; rogue signs but is not published.
	jwks  []*rsa.PrivateKey
	rogue *rsa.PrivateKey

	// Redirect turns the proper callback parameters (code, state) into the ones sent back.
	// Nil sends them unchanged.
	Redirect func(q url.Values) url.Values
	// IDToken crafts the id_token from claims that would pass every check (iss, sub, aud,
	// exp, iat, auth_time and the login's nonce). "" leaves id_token out. Nil signs claims
	// as they are with the first published key, with a Webex header ({"alg":"RS256"}).
	IDToken func(f *fakeIDP, claims map[string]any) string
	// TokenAnswer, when set, answers a valid code exchange instead of the token response.
	TokenAnswer func(w http.ResponseWriter, form url.Values)

	mu          sync.Mutex
	userInfo    http.HandlerFunc   // see SetUserInfo
	pending     map[string]authReq // by code
	accessToken string
	hits        map[string]int // by path
	lastIDToken string
	secrets     []string // codes, verifiers and tokens that crossed the wire
}

type authReq struct {
	redirectURI, nonce, challenge, scope string
}

const (
	fakeSubject    = "3f9d4c1e-7b2a-4e0f-9a55-0c1d2e3f4a5b"
	fakeEmail      = "bob@example.com"
	fakeIssuer     = "https://idbroker-eu.webex.com/idb"
	fakeTrackingID = "ROUTER_6614A1B2-0000-0000-0000-FAKEIDP00001"
)

// newFakeIDP starts a fake; configure (Redirect, IDToken) runs before it serves.
func newFakeIDP(t *testing.T, configure ...func(f *fakeIDP)) *fakeIDP {
	t.Helper()
	keys := testKeys()
	f := &fakeIDP{
		t:            t,
		clientID:     "C" + strings.Repeat("ab", 32),
		clientSecret: "fake-client-secret-" + randomToken(t),
		jwks:         keys[:2],
		rogue:        keys[2],
		pending:      map[string]authReq{},
		hits:         map[string]int{},
	}
	for _, c := range configure {
		c(f)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// SetUserInfo makes h answer GET /v1/userinfo (after the bearer check) instead of the
// default document.
func (f *fakeIDP) SetUserInfo(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.userInfo = h
}

// BaseURL is the API base to pass as WEBEX_BASE_URL.
func (f *fakeIDP) BaseURL() string { return f.srv.URL + "/v1" }

// env points webex at the fake.
func (f *fakeIDP) env() map[string]string {
	return map[string]string{
		"WEBEX_BASE_URL":      f.BaseURL(),
		"WEBEX_CLIENT_ID":     f.clientID,
		"WEBEX_CLIENT_SECRET": f.clientSecret,
	}
}

// LastIDToken is the id_token of the last token response.
func (f *fakeIDP) LastIDToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastIDToken
}

// Secrets are the codes, PKCE verifiers and tokens the fake handed out or received, and the
// client secret.
func (f *fakeIDP) Secrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range append(f.secrets, f.clientSecret) {
		if len(s) >= 8 {
			out = append(out, s)
		}
	}
	return out
}

// Hits counts the requests to path (e.g. "/v1/access_token").
func (f *fakeIDP) Hits(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *fakeIDP) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	f.mu.Unlock()
	w.Header().Set("TrackingID", fakeTrackingID)
	switch r.URL.Path {
	case "/v1/authorize":
		f.authorize(w, r)
	case "/v1/access_token":
		f.token(w, r)
	case "/v1/verification":
		f.keys(w)
	case "/v1/userinfo":
		if !f.bearerOK(w, r) {
			return
		}
		f.mu.Lock()
		ui := f.userInfo
		f.mu.Unlock()
		if ui != nil {
			ui(w, r)
			return
		}
		writeJSONBody(w, http.StatusOK, map[string]any{
			"sub": fakeSubject, "email": fakeEmail, "email_verified": "true", "name": "Bob Builder",
		})
	case "/v1/people/me":
		if !f.bearerOK(w, r) {
			return
		}
		writeJSONBody(w, http.StatusOK, map[string]any{
			"id":          base64.StdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + fakeSubject)),
			"emails":      []string{fakeEmail},
			"displayName": "Bob Builder",
		})
	default:
		webexError(w, http.StatusNotFound, "The requested resource could not be found.")
	}
}

func (f *fakeIDP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || ru.Hostname() != "127.0.0.1" || q.Get("client_id") != f.clientID ||
		q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		webexError(w, http.StatusBadRequest, "bad authorization request")
		return
	}
	code := "fakecode-" + randomToken(f.t)
	f.mu.Lock()
	f.secrets = append(f.secrets, code)
	f.pending[code] = authReq{redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), scope: q.Get("scope")}
	f.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	if f.Redirect != nil {
		back = f.Redirect(back)
	}
	ru.RawQuery = back.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func (f *fakeIDP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || id != f.clientID || secret != f.clientSecret {
		writeJSONBody(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		writeJSONBody(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	code := r.PostForm.Get("code")
	f.mu.Lock()
	f.secrets = append(f.secrets, r.PostForm.Get("code_verifier"))
	req, ok := f.pending[code]
	delete(f.pending, code)
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("redirect_uri") != req.redirectURI || base64.RawURLEncoding.EncodeToString(sum[:]) != req.challenge {
		writeJSONBody(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "bad code, redirect_uri or code_verifier"})
		return
	}
	if f.TokenAnswer != nil {
		f.TokenAnswer(w, r.PostForm)
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss":       fakeIssuer,
		"sub":       fakeSubject,
		"aud":       f.clientID,
		"iat":       now.Unix(),
		"exp":       now.Add(2 * time.Hour).Unix(),
		"auth_time": now.Unix(),
		"nonce":     req.nonce,
	}
	var idt string
	switch {
	case f.IDToken != nil:
		idt = f.IDToken(f, claims)
	default:
		idt = f.sign(map[string]any{"alg": "RS256"}, claims, f.jwks[0])
	}
	access := "fakeaccess-" + randomToken(f.t)
	refresh := "fakerefresh-" + randomToken(f.t)
	f.mu.Lock()
	f.accessToken = access
	f.lastIDToken = idt
	f.secrets = append(f.secrets, access, refresh, idt)
	f.mu.Unlock()
	resp := map[string]any{
		"access_token":             access,
		"expires_in":               1209599,
		"refresh_token":            refresh,
		"refresh_token_expires_in": 7775999,
		"token_type":               "Bearer",
	}
	if idt != "" {
		resp["id_token"] = idt
	}
	writeJSONBody(w, http.StatusOK, resp)
}

func (f *fakeIDP) keys(w http.ResponseWriter) {
	var keys []map[string]any
	for _, k := range f.jwks {
		keys = append(keys, map[string]any{
			"kty": "RSA",
			"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.PublicKey.E)).Bytes()),
			"n":   base64.RawURLEncoding.EncodeToString(k.PublicKey.N.Bytes()),
		})
	}
	writeJSONBody(w, http.StatusOK, map[string]any{"keys": keys})
}

func (f *fakeIDP) bearerOK(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	want := f.accessToken
	f.mu.Unlock()
	if want == "" || r.Header.Get("Authorization") != "Bearer "+want {
		webexError(w, http.StatusUnauthorized, "The request requires a valid access token set in the Authorization request header.")
		return false
	}
	return true
}

// sign makes a compact RS256 JWS of claims under header with key.
func (f *fakeIDP) sign(header, claims map[string]any, key *rsa.PrivateKey) string {
	input := jwtInput(f.t, header, claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		f.t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// hs256 makes a compact HS256 JWS keyed with secret: the "key confusion" attack keys it
// with the RSA public key's PEM text.
func (f *fakeIDP) hs256(claims map[string]any, secret []byte) string {
	input := jwtInput(f.t, map[string]any{"alg": "HS256", "typ": "JWT"}, claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

// publicPEM is the PEM of the first published key.
func (f *fakeIDP) publicPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&f.jwks[0].PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func jwtInput(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return b64(h) + "." + b64(c)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func randomToken(t *testing.T) string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// webexError answers with Webex's error envelope.
func webexError(w http.ResponseWriter, status int, msg string) {
	writeJSONBody(w, status, map[string]any{
		"message":    msg,
		"errors":     []map[string]any{{"description": msg}},
		"trackingId": fakeTrackingID,
	})
}

// runWithStore is h.run with the secret store of kind "keyring" opened by open instead of the
// harness's in-memory keyring.
func (h *harness) runWithStore(open func(kind, dir string) (tokenstore.Store, error), args ...string) result {
	h.t.Helper()
	return h.runTweaked(func(d *deps) {
		d.openStore = func(kind, dir string) (tokenstore.Store, error) {
			if kind == "keyring" {
				return open(kind, dir)
			}
			return tokenstore.New(kind, dir)
		}
	}, args...)
}

// runTweaked is h.run with tweak applied to the wiring last (a terminal on stdout, another
// store, ...).
func (h *harness) runTweaked(tweak func(d *deps), args ...string) result {
	h.t.Helper()
	return h.exec("", tweak, args...)
}

// assertNothingStored fails when the profile has tokens in the harness keyring or a settings
// file under WEBEX_CONFIG_DIR/profiles.
func assertNothingStored(t *testing.T, h *harness, profile string) {
	t.Helper()
	if _, err := h.stored(profile); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Errorf("keyring holds an entry for %q (err %v)", profile, err)
	}
	dir := filepath.Join(h.env["WEBEX_CONFIG_DIR"], "profiles")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("profile file stored: %s", filepath.Join(dir, e.Name()))
	}
}

// errLines are the non-empty lines of stderr.
func errLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
