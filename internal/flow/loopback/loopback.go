// Package loopback runs the browser half of the OAuth 2.0 authorization code flow for a
// native app (RFC 8252 §7.3): it listens on a loopback redirect URI, builds the authorization
// URL with PKCE, state and nonce, and waits for the one redirect that carries the code and
// the login's state (RFC 6749 §10.12). It never opens a browser, prints or prompts.
package loopback

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
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

// shutdownGrace bounds how long the answered callback's response may take to drain.
const shutdownGrace = 5 * time.Second

// Config describes one authorization request.
type Config struct {
	AuthURL  string
	ClientID string
	// RedirectURI is the redirect URI registered with the provider:
	// http on 127.0.0.1, localhost (served on both 127.0.0.1 and ::1, as a browser may pick
	// either) or [::1]; port 0 or none is a free port, written into the redirect_uri sent.
	RedirectURI string
	Scopes      []string
	// Params are extra authorization parameters (login_hint, prompt), one value each.
	Params url.Values
	// OnReady (required) is called once the listener is serving, with the authorization URL
	// to open. Its error ends Run, unwrapped.
	OnReady func(authURL string) error
	// Complete (required) finishes the login while the browser waits, so that its page tells
	// the real outcome (the first line of the error); Run returns its error.
	Complete func(ctx context.Context, r *Result) error
	// OnRejected, when set, is told (from the handler's goroutine, at most MaxRejectedReports
	// times) about each callback ignored because its state is missing, wrong or repeated; the
	// error echoes nothing the callback carried.
	OnRejected func(err error)
}

// MaxRejectedReports bounds how many ignored callbacks one Run reports to Config.OnRejected.
const MaxRejectedReports = 5

// pageData is what the pages are executed with (the error page only).
type pageData struct {
	Message string
	// Code and Description are the provider's error and error_description, when it
	// redirected with an error.
	Code, Description string
}

// Result is what the token request needs after a successful callback.
type Result struct {
	Code         string // the authorization code (a secret: never log it)
	CodeVerifier string
	Nonce        string // the ID token's nonce claim must equal it
	State        string
	// RedirectURI is the redirect_uri sent (with the real port), which the token request must
	// repeat.
	RedirectURI string
}

// stateMismatch is the error of a callback without the login's state.
const stateMismatch = "the sign-in answer does not belong to this login (state mismatch)"

// Run listens on the redirect URI, calls OnReady with the authorization URL, and waits for
// the callback with the right state and for Config.Complete. With a code, Run returns the
// Result; with error=, the provider's *oautherr.Error (wrapped); with neither, an error. When
// ctx is done first, Run returns ctx.Err().
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	redirect, hosts, port, err := parseRedirect(cfg.RedirectURI)
	if err != nil {
		return nil, err
	}
	res := &Result{State: randomString(), Nonce: randomString(), CodeVerifier: randomString()}

	lns, err := listenAll(ctx, hosts, port)
	if err != nil {
		return nil, err
	}
	if port == 0 {
		redirect.Host = net.JoinHostPort(redirect.Hostname(), strconv.Itoa(lns[0].Addr().(*net.TCPAddr).Port))
	}
	res.RedirectURI = redirect.String()
	h := &handler{path: redirect.Path, state: res.State, result: make(chan callback, 1), reject: cfg.OnRejected}
	h.complete = func(code string) error {
		r := *res
		r.Code = code
		return cfg.Complete(ctx, &r)
	}
	code, err := serve(ctx, lns, res.RedirectURI, h, func() error {
		return cfg.OnReady(buildAuthURL(cfg, res))
	})
	if err != nil {
		return nil, err
	}
	res.Code = code
	return res, nil
}

// serve serves h on lns (the redirect URI uri), calls ready, and returns the code of the
// callback that decides the login, or its error. It closes the listeners.
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
	for k, vs := range cfg.Params {
		switch k {
		case "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge", "code_challenge_method":
			return fmt.Errorf("loopback: the %s parameter is set by the login itself", k)
		}
		if len(vs) != 1 {
			return fmt.Errorf("loopback: the %s parameter needs exactly one value", k)
		}
	}
	return nil
}

// parseRedirect checks a loopback redirect URI and says where to listen; port 0 means any.
func parseRedirect(raw string) (u *url.URL, hosts []string, port int, err error) {
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

// listenAll listens on the same port on every host (port 0: one free on all of them). A
// machine without IPv6 serves localhost on 127.0.0.1 alone: no other program can take ::1.
func listenAll(ctx context.Context, hosts []string, port int) ([]net.Listener, error) {
	for try := 0; ; try++ {
		first, err := listen(ctx, hosts[0], port, false)
		if err != nil {
			return nil, err
		}
		if len(hosts) == 1 {
			return []net.Listener{first}, nil
		}
		second, err := listen(ctx, hosts[1], first.Addr().(*net.TCPAddr).Port, true)
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
		return nil, err
	}
}

// listen listens on host:port; ipv6OfLocalhost says host is ::1 serving a localhost redirect
// URI, which a browser may send to either address.
func listen(ctx context.Context, host string, port int, ipv6OfLocalhost bool) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	switch {
	case err == nil:
		return ln, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case port == 0 || !errors.Is(err, syscall.EADDRINUSE) &&
		!strings.Contains(strings.ToLower(err.Error()), "only one usage of each socket address"): // Windows
		return nil, fmt.Errorf("loopback: %w", err)
	case ipv6OfLocalhost:
		return nil, portInUse{err, fmt.Sprintf("port %d on ::1 is already in use, and a browser may send the sign-in for localhost there; register and pass --redirect-uri http://127.0.0.1:%d/..., or another free port", port, port)}
	}
	return nil, portInUse{err, fmt.Sprintf("port %d on %s is already in use; pass --redirect-uri with another port registered on the integration", port, host)}
}

// portInUse is listen's error for a port another program holds.
type portInUse struct {
	error
	msg string
}

func (e portInUse) Error() string { return e.msg }
func (e portInUse) Unwrap() error { return e.error }

// randomString is 256 random bits in base64url, for state, nonce and PKCE verifier.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// buildAuthURL makes the authorization request URL with golang.org/x/oauth2.
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

// parseCallback returns the code of a callback that carries the login's state. An error=
// answer gives the provider's *oautherr.Error, wrapped; a repeated parameter or a bad code
// (empty, over 4096 bytes, not printable ASCII) is an error too, which never quotes it.
func parseCallback(q url.Values) (code string, err error) {
	for _, k := range []string{"code", "error", "error_description"} {
		if len(q[k]) > 1 {
			return "", fmt.Errorf("the sign-in answer is malformed: the %s parameter is repeated", k)
		}
	}
	if perr := oautherr.FromParams(q); perr != nil {
		return "", fmt.Errorf("the provider refused the sign-in: %w", perr)
	}
	code = q.Get("code")
	if code == "" {
		return "", errors.New("the sign-in answer carries no authorization code")
	}
	if len(code) > 4096 {
		return "", errors.New("the sign-in answer is malformed: the code is too long")
	}
	if strings.ContainsFunc(code, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return "", errors.New("the sign-in answer is malformed: the code holds unexpected characters")
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
	path     string
	state    string
	result   chan callback // capacity 1; written once
	complete func(code string) error
	reject   func(error) // Config.OnRejected; may be nil

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
		h.render(w, "error", http.StatusGone, pageData{Message: "This sign-in has already finished. Return to the terminal."})
		return
	case foreign != nil:
		h.render(w, "error", http.StatusBadRequest, pageData{Message: rejectedMessage})
		if report {
			h.reject(foreign)
		}
		return
	}
	code, err := parseCallback(q)
	w.Header().Set("Connection", "close")
	if err != nil {
		data := pageData{Message: sentence(err.Error())}
		var perr *oautherr.Error
		if errors.As(err, &perr) {
			data = pageData{Message: "The provider refused the sign-in.", Code: perr.Code, Description: perr.Description}
		}
		h.render(w, "error", http.StatusBadRequest, data)
		h.result <- callback{err: err}
		return
	}
	if err := h.complete(code); err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		h.render(w, "error", http.StatusInternalServerError, pageData{Message: sentence(msg)})
		h.result <- callback{err: err}
		return
	}
	h.render(w, "success", http.StatusOK, pageData{})
	h.result <- callback{code: code}
}

// foreign says why a callback cannot belong to this login (its state is missing, repeated or
// wrong), or nil when it may decide it. The error holds nothing the callback carried.
func (h *handler) foreign(q url.Values) error {
	switch states := q["state"]; {
	case len(states) > 1:
		return errors.New("the sign-in answer is malformed: the state parameter is repeated")
	case len(states) == 0 || states[0] == "":
		return errors.New(stateMismatch + ": it carries no state")
	case subtle.ConstantTimeCompare([]byte(states[0]), []byte(h.state)) != 1:
		return errors.New(stateMismatch)
	}
	return nil
}

func (h *handler) render(w http.ResponseWriter, page string, status int, data pageData) {
	var buf bytes.Buffer
	_ = pages().ExecuteTemplate(&buf, page, data) // the built-in pages cannot fail on pageData
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
