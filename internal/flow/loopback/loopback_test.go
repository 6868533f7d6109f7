package loopback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/oautherr"
)

// run starts Run in the background and returns the authorization URL handed to OnReady and a
// channel with Run's outcome.
type outcome struct {
	res *Result
	err error
}

func start(t *testing.T, ctx context.Context, cfg Config) (*url.URL, <-chan outcome) {
	t.Helper()
	ready := make(chan string, 1)
	cfg.OnReady = func(u string) error { ready <- u; return nil }
	if cfg.Complete == nil {
		cfg.Complete = func(context.Context, *Result) error { return nil }
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = "https://webexapis.com/v1/authorize"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "Cclient"
	}
	if cfg.RedirectURI == "" {
		cfg.RedirectURI = "http://127.0.0.1:0/callback"
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := Run(ctx, cfg)
		done <- outcome{res, err}
	}()
	select {
	case raw := <-ready:
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return u, done
	case o := <-done:
		t.Fatalf("Run ended before OnReady: %+v %v", o.res, o.err)
	}
	return nil, nil
}

// callbackURL is the redirect URI from the auth URL, with query, dialled on 127.0.0.1.
func callbackURL(t *testing.T, auth *url.URL, q url.Values) string {
	t.Helper()
	ru, err := url.Parse(auth.Query().Get("redirect_uri"))
	if err != nil {
		t.Fatal(err)
	}
	if ru.Hostname() == "localhost" {
		ru.Host = net.JoinHostPort("127.0.0.1", ru.Port())
	}
	ru.RawQuery = q.Encode()
	return ru.String()
}

func get(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func assertClosed(t *testing.T, redirectURI string) {
	t.Helper()
	u, _ := url.Parse(redirectURI)
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if c, err := net.Dial("tcp", net.JoinHostPort(host, u.Port())); err == nil {
		c.Close()
		t.Fatalf("listener on %s still accepts connections", redirectURI)
	}
}

func TestRunSuccess(t *testing.T) {
	auth, done := start(t, context.Background(), Config{
		AuthURL:     "https://webexapis.com/v1/authorize",
		ClientID:    "Cclient",
		RedirectURI: "http://127.0.0.1:0/callback",
		Scopes:      []string{"openid", "email", "profile"},
		Params:      url.Values{"login_hint": {"a@example.com"}, "prompt": {"select_account"}},
	})
	q := auth.Query()
	if auth.Scheme != "https" || auth.Host != "webexapis.com" || auth.Path != "/v1/authorize" {
		t.Errorf("auth URL = %s", auth)
	}
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             "Cclient",
		"scope":                 "openid email profile",
		"code_challenge_method": "S256",
		"login_hint":            "a@example.com",
		"prompt":                "select_account",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// 32 random bytes in base64url: 43 characters, 256 bits.
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if n := len(q.Get(k)); n != 43 {
			t.Errorf("%s has %d characters, want 43", k, n)
		}
	}
	if q.Get("state") == q.Get("nonce") {
		t.Error("state and nonce are equal")
	}
	status, body := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"the-code"}, "state": {q.Get("state")}}))
	if status != http.StatusOK || !strings.Contains(body, "<title>Signed in - webex</title>") || !strings.Contains(body, "return to the terminal") {
		t.Errorf("callback answer = %d %q", status, body)
	}
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	r := o.res
	if r.Code != "the-code" || r.State != q.Get("state") || r.Nonce != q.Get("nonce") || r.RedirectURI != q.Get("redirect_uri") {
		t.Errorf("result = %+v", r)
	}
	if got := oauth2.S256ChallengeFromVerifier(r.CodeVerifier); got != q.Get("code_challenge") {
		t.Errorf("code_challenge %q is not S256 of the verifier (%q)", q.Get("code_challenge"), got)
	}
	assertClosed(t, r.RedirectURI)
}

func TestRunRedirectURIs(t *testing.T) {
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	// The fixed port is picked inside its subtest, just before it is bound, so
	// that nothing else is likely to take it in between.
	fixed := 0
	tests := []struct {
		name     string
		redirect string
		want     func(port string) string // the redirect_uri sent
	}{
		{"port 0", "http://127.0.0.1:0/callback", func(p string) string { return "http://127.0.0.1:" + p + "/callback" }},
		{"no port", "http://127.0.0.1/callback", func(p string) string { return "http://127.0.0.1:" + p + "/callback" }},
		{"empty means default", "", func(p string) string { return "http://127.0.0.1:" + p + "/callback" }},
		{"localhost keeps its name", "http://localhost:0/cb", func(p string) string { return "http://localhost:" + p + "/cb" }},
		{"no path", "http://127.0.0.1:0", func(p string) string { return "http://127.0.0.1:" + p + "/" }},
		{"fixed port", "fixed", func(string) string {
			return "http://127.0.0.1:" + strconv.Itoa(fixed) + "/callback"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.redirect == "fixed" {
				fixed = free()
				tt.redirect = "http://127.0.0.1:" + strconv.Itoa(fixed) + "/callback"
			}
			auth, done := start(t, context.Background(), Config{RedirectURI: tt.redirect})
			got := auth.Query().Get("redirect_uri")
			ru, _ := url.Parse(got)
			if ru.Port() == "" || ru.Port() == "0" {
				t.Fatalf("redirect_uri %q has no real port", got)
			}
			if want := tt.want(ru.Port()); got != want {
				t.Errorf("redirect_uri = %q, want %q", got, want)
			}
			// The listener is on 127.0.0.1, whatever the URI's host name.
			status, _ := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"c"}, "state": {auth.Query().Get("state")}}))
			if status != http.StatusOK {
				t.Errorf("callback status = %d", status)
			}
			if o := <-done; o.err != nil || o.res.RedirectURI != got {
				t.Errorf("Run() = %+v, %v", o.res, o.err)
			}
		})
	}
}

func TestRunIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here")
	}
	ln.Close()
	auth, done := start(t, context.Background(), Config{RedirectURI: "http://[::1]:0/callback"})
	ru := auth.Query().Get("redirect_uri")
	if !strings.HasPrefix(ru, "http://[::1]:") {
		t.Fatalf("redirect_uri = %q", ru)
	}
	get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"c"}, "state": {auth.Query().Get("state")}}))
	if o := <-done; o.err != nil {
		t.Fatal(o.err)
	}
}

// hasIPv6Loopback reports whether this host can listen on ::1.
func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// TestRunLocalhostListensOnBothLoopbacks: a browser may resolve localhost to ::1 or to
// 127.0.0.1, so the login answers on both, and no other program can take the ::1 half.
func TestRunLocalhostListensOnBothLoopbacks(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("this host has no ::1, so only 127.0.0.1 can be served")
	}
	auth, done := start(t, context.Background(), Config{RedirectURI: "http://localhost:0/callback"})
	ru, _ := url.Parse(auth.Query().Get("redirect_uri"))
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", ru.Port()))
	if err != nil {
		t.Fatalf("nothing listens on 127.0.0.1: %v", err)
	}
	c.Close()
	cb := "http://[::1]:" + ru.Port() + ru.Path + "?" + url.Values{"code": {"c6"}, "state": {auth.Query().Get("state")}}.Encode()
	if status, _ := get(t, http.MethodGet, cb); status != http.StatusOK {
		t.Fatalf("the callback on ::1 answered %d", status)
	}
	if o := <-done; o.err != nil || o.res.Code != "c6" {
		t.Fatalf("Run() = %+v, %v", o.res, o.err)
	}
	if c, err := net.Dial("tcp", "[::1]:"+ru.Port()); err == nil {
		c.Close()
		t.Error("the ::1 listener still accepts connections")
	}
}

// TestRunLocalhostPortTakenOnIPv6: when another program holds the port on ::1, where a
// browser may send the sign-in for localhost, the login refuses and says to use 127.0.0.1.
func TestRunLocalhostPortTakenOnIPv6(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("this host has no ::1, where another program could listen")
	}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	called := false
	_, err = Run(context.Background(), Config{
		AuthURL:     "https://webexapis.com/v1/authorize",
		ClientID:    "Cclient",
		RedirectURI: "http://localhost:" + strconv.Itoa(port) + "/callback",
		// Ends Run rather than waiting for a sign-in, should it get that far.
		OnReady: func(string) error { called = true; return errors.New("listening") },
	})
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("port %d on ::1 is already in use", port)) {
		t.Fatalf("Run() error = %v, want port %d on ::1 in use", err, port)
	}
	if msg := err.Error(); !strings.Contains(msg, "http://127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(msg, "--redirect-uri") {
		t.Errorf("message %q does not say to use 127.0.0.1", msg)
	}
	if called {
		t.Error("OnReady was called")
	}
	// The 127.0.0.1 half was let go.
	if ln4, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Errorf("127.0.0.1:%d is still held: %v", port, err)
	} else {
		ln4.Close()
	}
}

func TestRunRejectsConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"all interfaces", Config{RedirectURI: "http://0.0.0.0:8085/callback"}, "must use 127.0.0.1, localhost or [::1]"},
		{"IPv6 any", Config{RedirectURI: "http://[::]:0/callback"}, "must use 127.0.0.1"},
		{"LAN address", Config{RedirectURI: "http://192.168.1.2:8085/callback"}, "must use 127.0.0.1"},
		{"other host", Config{RedirectURI: "http://example.com/callback"}, "must use 127.0.0.1"},
		{"other loopback address", Config{RedirectURI: "http://127.0.0.2:8085/callback"}, "must use 127.0.0.1"},
		{"https", Config{RedirectURI: "https://127.0.0.1:8085/callback"}, "must look like http://127.0.0.1:PORT/PATH"},
		{"custom scheme", Config{RedirectURI: "com.example.app:/callback"}, "must look like"},
		{"fragment", Config{RedirectURI: "http://127.0.0.1:8085/callback#x"}, "must look like"},
		{"bad port", Config{RedirectURI: "http://127.0.0.1:99999/callback"}, "invalid port"},
		{"no redirect URI", Config{}, "must look like"},
		{"reserved param", Config{Params: url.Values{"state": {"mine"}}}, "the state parameter is set by the login itself"},
		{"PKCE param", Config{Params: url.Values{"code_challenge_method": {"plain"}}}, "set by the login itself"},
		{"multi-valued param", Config{Params: url.Values{"prompt": {"login", "consent"}}}, "exactly one value"},
		{"param without a value", Config{Params: url.Values{"prompt": {}}}, "exactly one value"},
		{"no client id", Config{ClientID: "-"}, "client id is required"},
		{"bad auth URL", Config{AuthURL: "/authorize"}, "absolute http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.AuthURL == "" {
				cfg.AuthURL = "https://webexapis.com/v1/authorize"
			}
			switch cfg.ClientID {
			case "":
				cfg.ClientID = "Cclient"
			case "-":
				cfg.ClientID = ""
			}
			called := false
			cfg.OnReady = func(string) error { called = true; return nil }
			_, err := Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run() error = %v, want %q", err, tt.want)
			}
			if called {
				t.Error("OnReady was called")
			}
		})
	}
}

func TestRunBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, host := range []string{"127.0.0.1", "localhost"} {
		called := false
		_, err = Run(context.Background(), Config{
			AuthURL:     "https://webexapis.com/v1/authorize",
			ClientID:    "Cclient",
			RedirectURI: "http://" + host + ":" + strconv.Itoa(port) + "/callback",
			OnReady:     func(string) error { called = true; return nil },
		})
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("port %d on 127.0.0.1 is already in use", port)) {
			t.Fatalf("Run() error = %v, want port %d on 127.0.0.1 in use", err, port)
		}
		msg := err.Error()
		if !strings.Contains(msg, strconv.Itoa(port)) || !strings.Contains(msg, "on 127.0.0.1 ") || !strings.Contains(msg, "--redirect-uri") {
			t.Errorf("message %q lacks the port or the flag", msg)
		}
		if called {
			t.Error("OnReady was called")
		}
	}
}

func TestRunBusyPortIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback here")
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Run(context.Background(), Config{
		AuthURL:     "https://webexapis.com/v1/authorize",
		ClientID:    "Cclient",
		RedirectURI: "http://[::1]:" + strconv.Itoa(port) + "/callback",
	})
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("port %d on ::1 is already in use", port)) {
		t.Fatalf("Run() error = %v, want port %d on ::1 in use", err, port)
	}
	if msg := err.Error(); !strings.Contains(msg, "on ::1 ") || strings.Contains(msg, "127.0.0.1") {
		t.Errorf("message %q does not name the host bound", msg)
	}
}

// rejections records what Run reported through OnRejected.
type rejections struct {
	mu   sync.Mutex
	errs []error
}

func (r *rejections) add(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *rejections) list() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// assertWaiting fails when Run has already ended.
func assertWaiting(t *testing.T, done <-chan outcome) {
	t.Helper()
	select {
	case o := <-done:
		t.Fatalf("Run ended on an ignored callback: %+v %v", o.res, o.err)
	default:
	}
}

func TestRunIgnoresForeignCallbacks(t *testing.T) {
	tests := []struct {
		name      string
		query     func(state string) url.Values
		wantIs    string // the rejection's beginning
		wantInMsg string
	}{
		{name: "bare GET", query: func(string) url.Values { return nil }, wantIs: stateMismatch, wantInMsg: "no state"},
		{name: "code with a wrong state", query: func(string) url.Values { return url.Values{"code": {"c"}, "state": {"forged"}} }, wantIs: stateMismatch},
		{name: "code without state", query: func(string) url.Values { return url.Values{"code": {"c"}} }, wantIs: stateMismatch, wantInMsg: "no state"},
		{name: "empty state", query: func(string) url.Values { return url.Values{"code": {"c"}, "state": {""}} }, wantIs: stateMismatch},
		{name: "state prefix", query: func(s string) url.Values { return url.Values{"code": {"c"}, "state": {s[:20]}} }, wantIs: stateMismatch},
		{
			name: "error without state",
			query: func(string) url.Values {
				return url.Values{"error": {"access_denied"}, "error_description": {"call\x1b[31m 555"}}
			},
			wantIs: stateMismatch, wantInMsg: "no state",
		},
		{
			name: "error with a wrong state",
			query: func(string) url.Values {
				return url.Values{"error": {"login_required"}, "error_description": {"call 555"}, "state": {"forged"}, "code": {"c"}}
			},
			wantIs: stateMismatch,
		},
		{
			name:   "repeated state",
			query:  func(s string) url.Values { return url.Values{"code": {"c"}, "state": {s, s}} },
			wantIs: "the sign-in answer is malformed: ", wantInMsg: "repeated",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rej rejections
			auth, done := start(t, context.Background(), Config{OnRejected: rej.add})
			state := auth.Query().Get("state")
			status, body := get(t, http.MethodGet, callbackURL(t, auth, tt.query(state)))
			if status != http.StatusBadRequest || !strings.Contains(body, "<title>Sign-in failed - webex</title>") ||
				!strings.Contains(body, "does not belong to this sign-in") {
				t.Errorf("callback answer = %d %q", status, body)
			}
			if strings.Contains(body, state) {
				t.Error("the page shows the state")
			}
			assertWaiting(t, done)

			// The real answer still completes the login.
			status, _ = get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"the-code"}, "state": {state}}))
			o := <-done
			if status != http.StatusOK || o.err != nil || o.res.Code != "the-code" {
				t.Fatalf("after the ignored callback: status %d, Run() = %+v, %v", status, o.res, o.err)
			}
			assertClosed(t, o.res.RedirectURI)

			errs := rej.list()
			if len(errs) != 1 {
				t.Fatalf("OnRejected called %d times, want 1: %v", len(errs), errs)
			}
			err := errs[0]
			if !strings.HasPrefix(err.Error(), tt.wantIs) {
				t.Errorf("rejection %q does not start with %q", err, tt.wantIs)
			}
			// Nothing the callback carried is echoed, on the page or in the report.
			var perr *oautherr.Error
			if errors.As(err, &perr) {
				t.Errorf("rejection %q wraps the provider error it carried", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantInMsg) {
				t.Errorf("rejection message %q, want %q", msg, tt.wantInMsg)
			}
			for k, vs := range tt.query(state) {
				for _, v := range vs {
					if len(v) > 1 && (strings.Contains(msg, v) || strings.Contains(body, v)) {
						t.Errorf("the %s it carried (%q) is echoed: %q, page %q", k, v, msg, body)
					}
				}
			}
		})
	}
}

func TestRunIgnoredErrorThenValidCallback(t *testing.T) {
	// A page in the browser fires /callback?error=access_denied before the provider redirects.
	var rej rejections
	auth, done := start(t, context.Background(), Config{OnRejected: rej.add})
	status, _ := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"error": {"access_denied"}}))
	if status != http.StatusBadRequest {
		t.Fatalf("stateless error answered %d, want 400", status)
	}
	assertWaiting(t, done)
	status, body := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"good"}, "state": {auth.Query().Get("state")}}))
	if status != http.StatusOK || !strings.Contains(body, "Signed in") {
		t.Fatalf("valid callback answered %d %q", status, body)
	}
	if o := <-done; o.err != nil || o.res.Code != "good" {
		t.Fatalf("Run() = %+v, %v", o.res, o.err)
	}
	if errs := rej.list(); len(errs) != 1 {
		t.Errorf("OnRejected got %v", errs)
	}
}

func TestRunWrongStateCodeThenRightOne(t *testing.T) {
	var rej rejections
	completed := 0
	auth, done := start(t, context.Background(), Config{
		OnRejected: rej.add,
		Complete:   func(context.Context, *Result) error { completed++; return nil },
	})
	status, _ := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"attacker-code"}, "state": {"forged"}}))
	if status != http.StatusBadRequest {
		t.Fatalf("wrong state answered %d, want 400", status)
	}
	assertWaiting(t, done)
	get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"victim-code"}, "state": {auth.Query().Get("state")}}))
	o := <-done
	if o.err != nil || o.res.Code != "victim-code" {
		t.Fatalf("Run() = %+v, %v", o.res, o.err)
	}
	if completed != 1 {
		t.Errorf("Complete ran %d times, want 1 (never for the forged code)", completed)
	}
	if errs := rej.list(); len(errs) != 1 || errs[0].Error() != stateMismatch {
		t.Errorf("OnRejected got %v", errs)
	}
}

func TestRunBoundsRejectionReports(t *testing.T) {
	var rej rejections
	auth, done := start(t, context.Background(), Config{OnRejected: rej.add})
	for i := 0; i < MaxRejectedReports+3; i++ {
		if status, _ := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"c"}, "state": {strconv.Itoa(i)}})); status != http.StatusBadRequest {
			t.Fatalf("callback %d answered %d", i, status)
		}
	}
	assertWaiting(t, done)
	get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"c"}, "state": {auth.Query().Get("state")}}))
	if o := <-done; o.err != nil {
		t.Fatal(o.err)
	}
	// Run waits for the handlers before returning, so every report has been made.
	if n := len(rej.list()); n != MaxRejectedReports {
		t.Errorf("OnRejected called %d times, want %d", n, MaxRejectedReports)
	}
}

func TestRunIgnoresForeignCallbacksWithoutOnRejected(t *testing.T) {
	auth, done := start(t, context.Background(), Config{})
	if status, _ := get(t, http.MethodGet, callbackURL(t, auth, nil)); status != http.StatusBadRequest {
		t.Fatalf("bare callback answered %d", status)
	}
	assertWaiting(t, done)
	get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"c"}, "state": {auth.Query().Get("state")}}))
	if o := <-done; o.err != nil {
		t.Fatal(o.err)
	}
}

func TestRunErrorRedirect(t *testing.T) {
	auth, done := start(t, context.Background(), Config{})
	status, body := get(t, http.MethodGet, callbackURL(t, auth, url.Values{
		"error":             {"access_denied"},
		"error_description": {"<script>alert(1)</script> user\x1b[31m said no"},
		"state":             {auth.Query().Get("state")},
	}))
	if status != http.StatusBadRequest {
		t.Errorf("status = %d", status)
	}
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; user[31m said no") ||
		!strings.Contains(body, "<code>access_denied</code>") {
		t.Errorf("error page not escaped or incomplete: %q", body)
	}
	o := <-done
	var perr *oautherr.Error
	if !errors.As(o.err, &perr) || perr.Code != "access_denied" || perr.Description != "<script>alert(1)</script> user[31m said no" {
		t.Fatalf("Run() error = %v, want access_denied", o.err)
	}
	if want := "the provider refused the sign-in: provider error access_denied: <script>alert(1)</script> user[31m said no"; o.err.Error() != want {
		t.Errorf("error = %q\nwant %q", o.err, want)
	}
}

func TestRunServesOnlyTheCallback(t *testing.T) {
	auth, done := start(t, context.Background(), Config{RedirectURI: "http://127.0.0.1:0/callback"})
	base := callbackURL(t, auth, nil)
	root := strings.TrimSuffix(base, "/callback")
	for _, p := range []string{"/", "/favicon.ico", "/callback/x", "/Callback", "/other?code=c&state=" + auth.Query().Get("state")} {
		if status, _ := get(t, http.MethodGet, root+p); status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, status)
		}
	}
	if status, _ := get(t, http.MethodPost, base); status != http.StatusMethodNotAllowed {
		t.Errorf("POST callback = %d, want 405", status)
	}
	select {
	case o := <-done:
		t.Fatalf("Run ended on a stray request: %+v %v", o.res, o.err)
	default:
	}
	get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"c"}, "state": {auth.Query().Get("state")}}))
	if o := <-done; o.err != nil || o.res.Code != "c" {
		t.Fatalf("Run() = %+v, %v", o.res, o.err)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	auth, done := start(t, ctx, Config{})
	cancel()
	o := <-done
	if o.err != context.Canceled || o.res != nil {
		t.Fatalf("Run() = %+v, %v; want context.Canceled", o.res, o.err)
	}
	assertClosed(t, auth.Query().Get("redirect_uri"))
}

func TestRunOnReadyError(t *testing.T) {
	var redirect string
	boom := errors.New("cannot open browser")
	_, err := Run(context.Background(), Config{
		AuthURL:     "https://webexapis.com/v1/authorize",
		ClientID:    "Cclient",
		RedirectURI: "http://127.0.0.1:0/callback",
		OnReady: func(u string) error {
			pu, _ := url.Parse(u)
			redirect = pu.Query().Get("redirect_uri")
			return boom
		},
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run() error = %v, want %v", err, boom)
	}
	assertClosed(t, redirect)
}

func TestRunComplete(t *testing.T) {
	t.Run("success page only after Complete succeeds", func(t *testing.T) {
		var got *Result
		auth, done := start(t, context.Background(), Config{Complete: func(ctx context.Context, r *Result) error {
			got = r
			return nil
		}})
		state := auth.Query().Get("state")
		status, body := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"the-code"}, "state": {state}}))
		o := <-done
		if o.err != nil || status != http.StatusOK || !strings.Contains(body, "Signed in") {
			t.Fatalf("status %d, err %v, body %s", status, o.err, body)
		}
		if got == nil || got.Code != "the-code" || got.State != state || got.CodeVerifier == "" || got.RedirectURI == "" {
			t.Fatalf("Complete got %+v", got)
		}
	})
	t.Run("error page and Run's error when Complete fails", func(t *testing.T) {
		failure := &oautherr.Error{Status: 401, Code: "invalid_client", Description: "bad secret"}
		auth, done := start(t, context.Background(), Config{Complete: func(ctx context.Context, r *Result) error {
			return fmt.Errorf("exchanging the authorization code: %w", failure)
		}})
		status, body := get(t, http.MethodGet, callbackURL(t, auth, url.Values{"code": {"the-code"}, "state": {auth.Query().Get("state")}}))
		o := <-done
		if !errors.Is(o.err, failure) || o.res != nil {
			t.Fatalf("Run: %+v, %v", o.res, o.err)
		}
		if status != http.StatusInternalServerError || strings.Contains(body, "Signed in") || !strings.Contains(body, "invalid_client") {
			t.Fatalf("status %d, body %s", status, body)
		}
		if strings.Contains(body, "the-code") {
			t.Error("the page shows the code")
		}
	})
}
