// Package loopback runs the browser half of the OAuth 2.0 authorization code flow for a
// native app (RFC 8252 §7.3): it listens on a loopback redirect URI, builds the authorization
// URL with PKCE (RFC 7636, S256 only), state and an OpenID Connect nonce, and waits for the
// one redirect that carries the code.
//
// Run binds the listener before anything else and only then hands the URL to Config.OnReady,
// which is where the caller opens a browser: this package never opens one, never prints and
// never prompts. Only a callback that carries the login's state decides the login (RFC 6749
// §10.12, RFC 8252 §8.9); see Config.OnRejected for the others. Run does not exchange the
// code itself: Config.Complete lets the caller do that while the browser waits, so that the
// page the browser ends on tells the real outcome.
package loopback

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/oautherr"
)

// DefaultRedirectURI is used when Config.RedirectURI is empty: 127.0.0.1, a free port.
const DefaultRedirectURI = "http://127.0.0.1:0/callback"

// randomBytes is the size of state, nonce and PKCE verifier before base64url: 256 bits.
const randomBytes = 32

// shutdownGrace bounds how long the answered callback's response may take to drain.
const shutdownGrace = 5 * time.Second

// Config describes one authorization request.
type Config struct {
	// AuthURL is the provider's authorization endpoint.
	AuthURL  string
	ClientID string
	// RedirectURI is the exact redirect URI registered with the provider, e.g.
	// "http://127.0.0.1:8085/callback"; empty means DefaultRedirectURI. The scheme must be
	// http and the host 127.0.0.1, localhost or [::1]. "localhost" is served on both
	// 127.0.0.1 and ::1 (where the host has IPv6), since a browser may resolve it to either
	// and no other program may then answer in the login's place. Port 0 or no port means a
	// free port chosen at bind time and written into the redirect_uri sent. Only its path is
	// served.
	RedirectURI string
	// Scopes are sent space-separated as scope; none means no scope parameter.
	Scopes []string
	// Params are extra authorization parameters (login_hint, prompt, ...), one value per
	// key. They may not set the parameters Run owns (see ownParams).
	Params url.Values
	// OnReady is called on Run's goroutine once the listener is serving, with the
	// authorization URL to open; it should return promptly. Its error ends Run, unwrapped.
	OnReady func(authURL string) error
	// Complete, when set, finishes the login (code exchange, ID token checks, storing) while
	// the browser waits. Only when it returns nil does the browser see the success page; its
	// error is shown on the error page (first line only) and returned by Run as it is.
	Complete func(ctx context.Context, r *Result) error
	// SuccessPage and ErrorPage replace the built-in HTML answers, executed with a PageData
	// and served with the Content-Security-Policy render sets.
	SuccessPage *template.Template
	ErrorPage   *template.Template
	// OnRejected, when set, is told about each callback ignored because its state is
	// missing, wrong or repeated (err matches ErrStateMismatch or ErrMalformedCallback); the
	// browser gets a 400 page and Run keeps waiting. Anyone can send such a callback, so err
	// echoes nothing it carried. Only the first MaxRejectedReports are reported. It is called
	// from the HTTP handler's goroutine and must return promptly.
	OnRejected func(err error)
	// Rand is the source of state, nonce and PKCE verifier; nil means crypto/rand.
	Rand io.Reader
}

// MaxRejectedReports bounds how many ignored callbacks one Run reports to Config.OnRejected,
// so that a page that keeps hitting the callback cannot flood the caller.
const MaxRejectedReports = 5

// PageData is what SuccessPage and ErrorPage are executed with.
type PageData struct {
	// Message is one sentence saying what went wrong (error page only).
	Message string
	// Code and Description are the provider's error and error_description, sanitised, when
	// the provider redirected with an error (error page only).
	Code, Description string
}

// Result is what the token request needs after a successful callback.
type Result struct {
	// Code is the authorization code (a secret: never log it).
	Code string
	// CodeVerifier is the PKCE code_verifier for the token request (RFC 7636 §4.5).
	CodeVerifier string
	// Nonce was sent as nonce; the ID token's nonce claim must equal it.
	Nonce string
	// State was sent as state and matched by the callback.
	State string
	// RedirectURI is the redirect_uri actually sent (with the real port); the token request
	// must repeat it exactly (RFC 6749 §4.1.3).
	RedirectURI string
}

// Errors a caller can branch on with errors.Is.
var (
	// ErrStateMismatch: the callback's state is missing or differs from the one sent, so the
	// answer may not belong to this login (RFC 6749 §10.12).
	ErrStateMismatch = errors.New("the sign-in answer does not belong to this login (state mismatch)")
	// ErrMissingCode: the callback carried neither a code nor an error.
	ErrMissingCode = errors.New("the sign-in answer carries no authorization code")
	// ErrMalformedCallback: a repeated parameter or an unusable code.
	ErrMalformedCallback = errors.New("the sign-in answer is malformed")
)

// PortInUseError is returned when the redirect URI's port is taken.
type PortInUseError struct {
	// Host is the address the listener tried to bind: "127.0.0.1" or "::1" (either for
	// localhost). Empty reads as 127.0.0.1.
	Host string
	Port int
	// Localhost: the redirect URI names localhost, which is served on both addresses.
	Localhost bool
	Err       error
}

func (e *PortInUseError) Error() string {
	host := e.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if e.Localhost && host == "::1" {
		return fmt.Sprintf("port %d on ::1 is already in use, and a browser may send the sign-in for localhost there; register and pass --redirect-uri http://127.0.0.1:%d/..., or another free port", e.Port, e.Port)
	}
	return fmt.Sprintf("port %d on %s is already in use; pass --redirect-uri with another port registered on the integration", e.Port, host)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// ownParams are the authorization parameters Run sets itself.
var ownParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method"}

// Run listens on the redirect URI, calls OnReady with the authorization URL, and waits for
// the callback with the right state (and, with Config.Complete, for the login to be
// finished). With a code, Run returns the Result; with error=, the provider's
// *oautherr.Error (wrapped); with neither, ErrMissingCode. Either way the browser gets a
// page, then the listener closes. When ctx is done first, Run returns ctx.Err().
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	redirect, hosts, port, err := parseRedirect(cfg.RedirectURI)
	if err != nil {
		return nil, err
	}
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var secrets [3]string // state, nonce, verifier
	for i := range secrets {
		if secrets[i], err = randomString(rnd); err != nil {
			return nil, fmt.Errorf("loopback: reading random bytes: %w", err)
		}
	}
	res := &Result{State: secrets[0], Nonce: secrets[1], CodeVerifier: secrets[2]}

	lns, err := listenAll(ctx, hosts, port)
	if err != nil {
		return nil, err
	}
	if port == 0 {
		redirect.Host = net.JoinHostPort(redirect.Hostname(), strconv.Itoa(lns[0].Addr().(*net.TCPAddr).Port))
	}
	res.RedirectURI = redirect.String()
	code, err := serve(ctx, lns, res.RedirectURI, newHandler(ctx, cfg, redirect.Path, res), func() error {
		if cfg.OnReady == nil {
			return nil
		}
		return cfg.OnReady(buildAuthURL(cfg, res))
	})
	if err != nil {
		return nil, err
	}
	res.Code = code
	return res, nil
}

// newHandler returns the handler of the callback at path for the login res describes.
func newHandler(ctx context.Context, cfg Config, path string, res *Result) *handler {
	h := &handler{
		path:    path,
		state:   res.State,
		success: cfg.SuccessPage,
		failure: cfg.ErrorPage,
		result:  make(chan callback, 1),
		reject:  cfg.OnRejected,
	}
	if cfg.Complete != nil {
		h.complete = func(code string) error {
			r := *res
			r.Code = code
			return cfg.Complete(ctx, &r)
		}
	}
	if h.success == nil {
		h.success = successPage()
	}
	if h.failure == nil {
		h.failure = errorPage()
	}
	return h
}

// serve serves h on lns (the redirect URI uri), calls ready once they serve, and returns the
// code of the callback that decides the login, or its error. The listeners are closed when it
// returns.
func serve(ctx context.Context, lns []net.Listener, uri string, h *handler, ready func() error) (string, error) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	served := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { served <- srv.Serve(ln) }()
	}
	waitServed := func() {
		for range lns {
			<-served
		}
	}
	stop := func() {
		_ = srv.Close()
		waitServed()
	}
	if err := ready(); err != nil {
		stop()
		return "", err
	}
	select {
	case <-ctx.Done():
		stop()
		return "", ctx.Err()
	case err := <-served:
		return "", fmt.Errorf("loopback: serving %s: %w", uri, err)
	case cb := <-h.result:
		// Let the page reach the browser, then close; the handler has already returned or
		// is returning, so Shutdown only waits for its response to be written.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
		waitServed()
		return cb.code, cb.err
	}
}

func checkConfig(cfg Config) error {
	u, err := url.Parse(cfg.AuthURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("loopback: the authorization URL must be an absolute http(s) URL")
	}
	if cfg.ClientID == "" {
		return errors.New("loopback: the client id is required")
	}
	for _, k := range ownParams {
		if _, ok := cfg.Params[k]; ok {
			return fmt.Errorf("loopback: the %s parameter is set by the login itself", k)
		}
	}
	for k, vs := range cfg.Params {
		if len(vs) != 1 {
			return fmt.Errorf("loopback: the %s parameter needs exactly one value", k)
		}
	}
	return nil
}

// parseRedirect checks a loopback redirect URI and says where to listen; port 0 means any.
func parseRedirect(raw string) (u *url.URL, hosts []string, port int, err error) {
	if raw == "" {
		raw = DefaultRedirectURI
	}
	u, err = url.Parse(raw)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("loopback: invalid redirect URI: %w", err)
	}
	if u.Scheme != "http" || u.Opaque != "" || u.User != nil || u.Fragment != "" || u.Host == "" {
		return nil, nil, 0, fmt.Errorf("loopback: the redirect URI %q must look like http://127.0.0.1:PORT/PATH", raw)
	}
	switch strings.ToLower(u.Hostname()) {
	case "127.0.0.1":
		hosts = []string{"127.0.0.1"}
	case "localhost":
		hosts = []string{"127.0.0.1", "::1"}
	case "::1":
		hosts = []string{"::1"} // a browser sent to [::1] cannot reach 127.0.0.1
	default:
		return nil, nil, 0, fmt.Errorf("loopback: the redirect URI %q must use 127.0.0.1, localhost or [::1]; the login listens on the loopback interface only", raw)
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 0 || port > 65535 {
			return nil, nil, 0, fmt.Errorf("loopback: the redirect URI %q has an invalid port", raw)
		}
	}
	if port == 0 {
		u.Host = u.Hostname()
		if strings.Contains(u.Host, ":") {
			u.Host = "[" + u.Host + "]"
		}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, hosts, port, nil
}

// listenAll listens on the port on every host, the same port on each: port 0 picks one free
// on all of them. The second host is ::1 for localhost; a host without IPv6 is served on
// 127.0.0.1 alone, since no other program can listen on ::1 there either.
func listenAll(ctx context.Context, hosts []string, port int) ([]net.Listener, error) {
	for try := 0; ; try++ {
		first, err := listen(ctx, hosts[0], port)
		if err != nil {
			return nil, err
		}
		if len(hosts) == 1 {
			return []net.Listener{first}, nil
		}
		second, err := listen(ctx, hosts[1], first.Addr().(*net.TCPAddr).Port)
		if err == nil {
			return []net.Listener{first, second}, nil
		}
		if errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) {
			return []net.Listener{first}, nil // no IPv6 here
		}
		first.Close()
		if port == 0 && errors.Is(err, syscall.EADDRINUSE) && try < 10 {
			continue // the port free on 127.0.0.1 is taken on ::1: pick another
		}
		var busy *PortInUseError
		if errors.As(err, &busy) {
			busy.Localhost = true
		}
		return nil, err
	}
}

func listen(ctx context.Context, host string, port int) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err == nil {
		return ln, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if port != 0 && (errors.Is(err, syscall.EADDRINUSE) ||
		strings.Contains(strings.ToLower(err.Error()), "only one usage of each socket address")) { // Windows
		return nil, &PortInUseError{Host: host, Port: port, Err: err}
	}
	return nil, fmt.Errorf("loopback: %w", err)
}

func randomString(r io.Reader) (string, error) {
	b := make([]byte, randomBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// buildAuthURL makes the authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID
// Connect Core §3.1.2.1) with golang.org/x/oauth2.
func buildAuthURL(cfg Config, res *Result) string {
	oc := oauth2.Config{
		ClientID:    cfg.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: cfg.AuthURL},
		RedirectURL: res.RedirectURI,
		Scopes:      cfg.Scopes,
	}
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("nonce", res.Nonce),
		oauth2.S256ChallengeOption(res.CodeVerifier),
	}
	for k, vs := range cfg.Params {
		opts = append(opts, oauth2.SetAuthURLParam(k, vs[0]))
	}
	return oc.AuthCodeURL(res.State, opts...)
}

// ParseCallback checks the query of a redirect to the callback (RFC 6749 §4.1.2) and returns
// its code. The state must equal wantState (compared in constant time), else
// ErrStateMismatch. An error= answer gives the provider's *oautherr.Error, wrapped, unless it
// carries a state that does not match (Run's handler checks the state first and ignores such
// a stateless error, see Config.OnRejected). A repeated parameter or a code that is empty, over 4096
// bytes or not printable ASCII is an error too. Errors never contain the code or the state.
func ParseCallback(q url.Values, wantState string) (code string, err error) {
	if wantState == "" {
		return "", errors.New("loopback: no state to check the answer against")
	}
	for _, k := range []string{"state", "code", "error", "error_description"} {
		if len(q[k]) > 1 {
			return "", fmt.Errorf("%w: the %s parameter is repeated", ErrMalformedCallback, k)
		}
	}
	state := q.Get("state")
	stateOK := subtle.ConstantTimeCompare([]byte(state), []byte(wantState)) == 1
	if perr := oautherr.FromParams(q); perr != nil {
		// Some providers drop state on errors, so a stateless error is still reported as the
		// provider's; Run's handler ignores it all the same, since anyone can send one.
		if state != "" && !stateOK {
			return "", ErrStateMismatch
		}
		return "", fmt.Errorf("the provider refused the sign-in: %w", perr)
	}
	if !stateOK {
		return "", ErrStateMismatch
	}
	code = q.Get("code")
	if code == "" {
		return "", ErrMissingCode
	}
	if len(code) > 4096 {
		return "", fmt.Errorf("%w: the code is too long", ErrMalformedCallback)
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 0x20 || code[i] > 0x7e {
			return "", fmt.Errorf("%w: the code holds unexpected characters", ErrMalformedCallback)
		}
	}
	return code, nil
}

type callback struct {
	code string
	err  error
}

// handler serves the callback path; the first GET to it with the right state decides the
// login.
type handler struct {
	path             string
	state            string
	success, failure *template.Template
	result           chan callback // capacity 1; written once
	complete         func(code string) error
	reject           func(error) // Config.OnRejected; may be nil

	mu       sync.Mutex
	answered bool
	rejected int // callbacks ignored so far
}

// rejectedMessage is the error page's sentence for a callback that was ignored.
const rejectedMessage = "This answer does not belong to this sign-in, so it was ignored. The sign-in started in the terminal is still waiting."

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != h.path {
		http.NotFound(w, r) // includes /favicon.ico
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	foreign := h.foreign(q)
	h.mu.Lock()
	answered, report := h.answered, false
	if !answered && foreign != nil {
		h.rejected++
		report = h.reject != nil && h.rejected <= MaxRejectedReports
	}
	if foreign == nil {
		h.answered = true // only the first callback with the right state decides
	}
	h.mu.Unlock()
	switch {
	case answered:
		h.render(w, h.failure, http.StatusGone, PageData{Message: "This sign-in has already finished. Return to the terminal."})
		return
	case foreign != nil:
		h.render(w, h.failure, http.StatusBadRequest, PageData{Message: rejectedMessage})
		if report {
			h.reject(foreign)
		}
		return
	}
	code, err := ParseCallback(q, h.state)
	w.Header().Set("Connection", "close")
	if err != nil {
		data := PageData{Message: sentence(err.Error())}
		var perr *oautherr.Error
		if errors.As(err, &perr) {
			data = PageData{Message: "The provider refused the sign-in.", Code: perr.Code, Description: perr.Description}
		}
		h.render(w, h.failure, http.StatusBadRequest, data)
		h.result <- callback{err: err}
		return
	}
	if h.complete != nil {
		if err := h.complete(code); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			h.render(w, h.failure, http.StatusInternalServerError, PageData{Message: sentence(msg)})
			h.result <- callback{err: err}
			return
		}
	}
	h.render(w, h.success, http.StatusOK, PageData{})
	h.result <- callback{code: code}
}

// foreign says why a callback cannot belong to this login (its state is missing, repeated or
// wrong), or nil when it carries exactly the login's state and may decide it. The error
// matches ErrStateMismatch or ErrMalformedCallback and holds nothing the callback carried.
func (h *handler) foreign(q url.Values) error {
	switch states := q["state"]; {
	case len(states) > 1:
		return fmt.Errorf("%w: the state parameter is repeated", ErrMalformedCallback)
	case len(states) == 0 || states[0] == "":
		return fmt.Errorf("%w: it carries no state", ErrStateMismatch)
	case subtle.ConstantTimeCompare([]byte(states[0]), []byte(h.state)) != 1:
		return ErrStateMismatch
	}
	return nil
}

func (h *handler) render(w http.ResponseWriter, t *template.Template, status int, data PageData) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		buf.Reset()
		_ = errorPage().Execute(&buf, data)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// sentence capitalises an error message for the page and ends it with a period.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
