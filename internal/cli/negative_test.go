package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// browserLoginArgs is a browser login against a fake on a free loopback port.
var browserLoginArgs = []string{"login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback", "--timeout", "30s"}

// recordingBrowser follows the sign-in URL like followInBackground, and remembers the URL
// and the status of the page the loopback listener finally answered.
type recordingBrowser struct {
	mu     sync.Mutex
	urls   []string
	status []int
	pages  []string
	wg     sync.WaitGroup
}

func (b *recordingBrowser) open(u string) error {
	b.mu.Lock()
	b.urls = append(b.urls, u)
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		resp, err := http.Get(u)
		if err != nil {
			return
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		b.mu.Lock()
		b.status = append(b.status, resp.StatusCode)
		b.pages = append(b.pages, string(page))
		b.mu.Unlock()
	}()
	return nil
}

// TestLoginRejectsBadAnswers: each bad answer from the provider exits 1, names the check
// that failed, and stores nothing.
func TestLoginRejectsBadAnswers(t *testing.T) {
	now := func() time.Time { return time.Now() }
	resign := func(mut func(c map[string]any)) func(f *fakeIDP, c map[string]any) string {
		return func(f *fakeIDP, c map[string]any) string {
			mut(c)
			return f.sign(map[string]any{"alg": "RS256"}, c, f.jwks[0])
		}
	}
	tests := []struct {
		name     string
		redirect func(q url.Values) url.Values
		idToken  func(f *fakeIDP, c map[string]any) string
		token    func(w http.ResponseWriter, form url.Values)
		// want are substrings of stderr naming the failed check.
		want []string
		// exchanged: whether the code reaches the token endpoint.
		exchanged bool
		// ignored: a callback that does not carry this login's state is ignored (and
		// reported) while the login goes on waiting, here until a short --timeout.
		ignored bool
	}{
		{
			name: "signature by a key not in the JWKS",
			idToken: func(f *fakeIDP, c map[string]any) string {
				return f.sign(map[string]any{"alg": "RS256"}, c, f.rogue)
			},
			want: []string{"the signature check"}, exchanged: true,
		},
		{
			name: "alg none",
			idToken: func(f *fakeIDP, c map[string]any) string {
				return jwtInput(t, map[string]any{"alg": "none", "typ": "JWT"}, c) + "."
			},
			want: []string{"the alg check", `"none"`}, exchanged: true,
		},
		{
			name: "HS256 keyed with the RSA public key",
			idToken: func(f *fakeIDP, c map[string]any) string {
				return f.hs256(c, f.publicPEM())
			},
			want: []string{"the alg check", "HS256"}, exchanged: true,
		},
		{
			name:    "issuer on a look-alike host",
			idToken: resign(func(c map[string]any) { c["iss"] = "https://idbroker.webex.com.evil.com/idb" }),
			want:    []string{"the iss check", "idbroker.webex.com.evil.com"}, exchanged: true,
		},
		{
			name:    "audience is another client",
			idToken: resign(func(c map[string]any) { c["aud"] = "C" + strings.Repeat("cd", 32) }),
			want:    []string{"the aud check"}, exchanged: true,
		},
		{
			name: "expired",
			idToken: resign(func(c map[string]any) {
				c["iat"] = now().Add(-3 * time.Hour).Unix()
				c["auth_time"] = c["iat"]
				c["exp"] = now().Add(-time.Hour).Unix()
			}),
			want: []string{"the exp check", "expired"}, exchanged: true,
		},
		{
			name: "issued an hour in the future",
			idToken: resign(func(c map[string]any) {
				c["iat"] = now().Add(time.Hour).Unix()
				c["exp"] = now().Add(3 * time.Hour).Unix()
			}),
			want: []string{"the iat check", "future"}, exchanged: true,
		},
		{
			name:    "nonce of another login",
			idToken: resign(func(c map[string]any) { c["nonce"] = "n-0S6_WzA2Mj" }),
			want:    []string{"the nonce check", "does not match"}, exchanged: true,
		},
		{
			name:    "no nonce",
			idToken: resign(func(c map[string]any) { delete(c, "nonce") }),
			want:    []string{"the nonce check", "no nonce"}, exchanged: true,
		},
		{
			name: "kid not in the JWKS, even after a refetch",
			idToken: func(f *fakeIDP, c map[string]any) string {
				return f.sign(map[string]any{"alg": "RS256", "kid": "rotated-away"}, c, f.jwks[0])
			},
			want: []string{"the signature check"}, exchanged: true,
		},
		{
			name: "state does not match",
			redirect: func(q url.Values) url.Values {
				q.Set("state", q.Get("state")+"x")
				return q
			},
			want: []string{"state mismatch"}, ignored: true,
		},
		{
			name: "no state",
			redirect: func(q url.Values) url.Values {
				q.Del("state")
				return q
			},
			want: []string{"state mismatch"}, ignored: true,
		},
		{
			name: "access denied",
			redirect: func(q url.Values) url.Values {
				return url.Values{"error": {"access_denied"}, "error_description": {"The user denied the request"}, "state": q["state"]}
			},
			want: []string{"refused the sign-in", "access_denied", "The user denied the request"},
		},
		{
			name: "token endpoint refuses the code",
			token: func(w http.ResponseWriter, form url.Values) {
				writeJSONBody(w, http.StatusBadRequest, map[string]any{
					"error":             "invalid_grant",
					"error_description": "The authorization code is invalid or has expired",
				})
			},
			want: []string{"exchanging the authorization code", "invalid_grant", "HTTP 400", fakeTrackingID}, exchanged: true,
		},
		{
			name:    "no id_token although openid was requested",
			idToken: func(*fakeIDP, map[string]any) string { return "" },
			want:    []string{"no ID token", "openid"}, exchanged: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIDP(t, func(f *fakeIDP) {
				f.Redirect = tc.redirect
				f.IDToken = tc.idToken
				f.TokenAnswer = tc.token
			})
			h := newHarness(t, f.env())
			b := &recordingBrowser{}
			h.browser = b.open

			args := browserLoginArgs
			if tc.ignored {
				args = append(append([]string{}, args...), "--timeout", "3s")
			}
			r := h.run(args...)
			b.wg.Wait()
			if r.code != ExitFailure {
				t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
			}
			lines := errLines(r.stderr)
			last := lines[len(lines)-1]
			if tc.ignored {
				mustContain(t, "stderr", r.stderr, "Ignored an answer at the callback")
				mustContain(t, "error line", last, "webex: the login did not complete within 3s")
				last = "webex: " + r.stderr
			}
			if !strings.HasPrefix(last, "webex: ") {
				t.Errorf("last stderr line is not the error: %q", last)
			}
			mustContain(t, "error line", last, tc.want...)
			if tc.idToken != nil && !strings.Contains(last, "nothing was stored") {
				t.Errorf("error does not say nothing was stored: %q", last)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			if strings.Contains(tc.want[0], "signature") && f.Hits("/v1/verification") == 0 {
				t.Error("the signature was judged without fetching the JWKS")
			}
			if got := f.Hits("/v1/access_token"); (got == 1) != tc.exchanged {
				t.Errorf("token endpoint hit %d times, exchanged=%v", got, tc.exchanged)
			}
			for _, s := range f.Secrets() {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr holds a secret (%d bytes): %q", len(s), last)
				}
			}
			// The browser waits for the outcome and is told the truth.
			b.mu.Lock()
			if len(b.status) != 1 || b.status[0] == http.StatusOK || !strings.Contains(b.pages[0], "<") {
				t.Errorf("the browser saw %v, want one error page", b.status)
			}
			for _, s := range f.Secrets() {
				for _, p := range b.pages {
					if strings.Contains(p, s) {
						t.Errorf("the browser page holds a secret (%d bytes)", len(s))
					}
				}
			}
			b.mu.Unlock()
			assertNothingStored(t, h, "default")
			if _, err := os.Stat(filepath.Join(h.env["WEBEX_CONFIG_DIR"], "default-profile")); err == nil {
				t.Error("a default profile was set")
			}
		})
	}
}

// TestLoginFakeIDPAcceptsGoodToken is the positive control: the same fake with a correct
// ID token logs in, so the rejections above are the CLI's doing.
func TestLoginFakeIDPAcceptsGoodToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		idToken func(f *fakeIDP, c map[string]any) string
	}{
		{"default Webex header, first key", nil},
		{"second key of the JWKS, typ JWT", func(f *fakeIDP, c map[string]any) string {
			return f.sign(map[string]any{"alg": "RS256", "typ": "JWT"}, c, f.jwks[1])
		}},
		{"iat two minutes ahead (within skew)", func(f *fakeIDP, c map[string]any) string {
			c["iat"] = time.Now().Add(2 * time.Minute).Unix()
			return f.sign(map[string]any{"alg": "RS256"}, c, f.jwks[0])
		}},
		{"aud as a list", func(f *fakeIDP, c map[string]any) string {
			c["aud"] = []string{f.clientID}
			return f.sign(map[string]any{"alg": "RS256"}, c, f.jwks[0])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIDP(t, func(f *fakeIDP) { f.IDToken = tc.idToken })
			h := newHarness(t, f.env())
			b := &recordingBrowser{}
			h.browser = b.open
			r := h.run(append(browserLoginArgs, "--json")...)
			b.wg.Wait()
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			ev := jsonLines(t, r.stdout)
			if len(ev) != 1 || ev[0]["event"] != "logged_in" || ev[0]["subject"] != fakeSubject || ev[0]["email"] != fakeEmail {
				t.Errorf("events: %v", ev)
			}
			sec, err := h.stored("default")
			if err != nil {
				t.Fatal(err)
			}
			if sec.IDToken != f.LastIDToken() || !strings.HasPrefix(sec.AccessToken, "fakeaccess-") || sec.ClientSecret != f.clientSecret {
				t.Errorf("stored secrets: %v", sec)
			}
			p, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("default")
			if err != nil {
				t.Fatal(err)
			}
			if p.Email != fakeEmail || p.Subject != fakeSubject || p.BaseURL != f.BaseURL() || p.RefreshExpiry.IsZero() {
				t.Errorf("profile: %+v", p)
			}
			if f.Hits("/v1/verification") == 0 || f.Hits("/v1/userinfo") != 1 {
				t.Errorf("JWKS %d, userinfo %d requests", f.Hits("/v1/verification"), f.Hits("/v1/userinfo"))
			}
			b.mu.Lock()
			defer b.mu.Unlock()
			if len(b.status) != 1 || b.status[0] != http.StatusOK {
				t.Errorf("browser saw %v", b.status)
			}
			u, _ := url.Parse(b.urls[0])
			if q := u.Query(); q.Get("scope") != "openid email profile spark:people_read" || q.Get("code_challenge_method") != "S256" {
				t.Errorf("authorize URL: %s", b.urls[0])
			}
		})
	}
}

// failingBackend is a keyring whose every call fails, like a Linux without Secret Service.
type failingBackend struct{}

func (failingBackend) Get(string, string) (string, error) {
	return "", errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")
}
func (b failingBackend) Set(s, u, p string) error { _, err := b.Get(s, u); return err }
func (b failingBackend) Delete(s, u string) error { _, err := b.Get(s, u); return err }

// blockingBackend is a keyring that never answers (a locked keyring waiting on a prompt
// nobody sees). Its calls return when the test ends.
type blockingBackend struct{ release chan struct{} }

func (b blockingBackend) Get(string, string) (string, error) {
	<-b.release
	return "", errors.New("released")
}
func (b blockingBackend) Set(s, u, p string) error { _, err := b.Get(s, u); return err }
func (b blockingBackend) Delete(s, u string) error { _, err := b.Get(s, u); return err }

// TestLoginKeyringUnavailable: when the keyring fails or does not answer, login stops before
// the device flow starts and says to use --storage file; nothing is stored anywhere.
func TestLoginKeyringUnavailable(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	for _, tc := range []struct {
		name    string
		backend tokenstore.Backend
		timeout time.Duration // long where the backend answers, so the answer wins
		want    []string
	}{
		{"failing", failingBackend{}, 10 * time.Second, []string{"keyring failed", "ServiceUnknown"}},
		{"blocking", blockingBackend{release}, 50 * time.Millisecond, []string{"did not answer within 50ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
			h := newHarness(t, emulatorEnv(srv))
			open := func(kind, dir string) (tokenstore.Store, error) {
				return tokenstore.NewKeyring(dir, tc.backend, tc.timeout), nil
			}
			r := h.runWithStore(open, "login", "--flow", "device", "--json", "--timeout", "30s")
			if r.code != ExitFailure {
				t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
			}
			lines := errLines(r.stderr)
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want the error alone:\n%s", len(lines), r.stderr)
			}
			mustContain(t, "stderr", r.stderr, append([]string{"webex: ", "--storage file"}, tc.want...)...)
			if r.stdout != "" {
				t.Errorf("stdout: %q (no device_code event may be printed)", r.stdout)
			}
			if st := srv.Stats(); st.DeviceAuthorizations != 0 || st.DeviceCodeGrants != 0 {
				t.Errorf("the device flow started: %+v", st)
			}
			assertNothingStored(t, h, "default")
			fs, err := tokenstore.New("file", h.env["WEBEX_CONFIG_DIR"])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fs.Load(context.Background(), "default", ""); !errors.Is(err, tokenstore.ErrNotFound) {
				t.Errorf("fell back to the file store: %v", err)
			}
		})
	}
}

// TestLoginStorageFileWhenKeyringUnavailable: the advice in the error works.
func TestLoginStorageFileWhenKeyringUnavailable(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	open := func(kind, dir string) (tokenstore.Store, error) {
		return tokenstore.NewKeyring(dir, failingBackend{}, 10*time.Second), nil
	}
	r := h.runWithStore(open, "login", "--flow", "device", "--storage", "file", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var last map[string]any
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["event"] != "logged_in" {
		t.Fatalf("stdout: %s", r.stdout)
	}
	fs, _ := tokenstore.New("file", h.env["WEBEX_CONFIG_DIR"])
	p, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if sec, err := fs.Load(context.Background(), "default", p.Binding()); err != nil || sec.AccessToken == "" {
		t.Fatalf("file store: %v", err)
	}
	if r := h.runWithStore(open, "token"); r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Errorf("token from the file store: %d %s", r.code, r.stderr)
	}
}
