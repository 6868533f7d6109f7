package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		out = append(out, m)
	}
	return out
}

func TestDeviceLoginAgainstEmulator(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))

	r := h.run("login", "--flow", "device", "--json")
	if r.code != 0 {
		t.Fatalf("login exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"event":"device_code","user_code":"`) || !strings.HasPrefix(lines[1], `{"event":"logged_in","profile":"default","provider":"webex","subject":"`) {
		t.Errorf("events are not in the contract's field order:\n%s", r.stdout)
	}
	events := jsonLines(t, r.stdout)
	if len(events) != 2 || events[0]["event"] != "device_code" || events[1]["event"] != "logged_in" {
		t.Fatalf("events: %v", events)
	}
	if uc, _ := events[0]["user_code"].(string); len(uc) != 6 {
		t.Errorf("user_code %q", uc)
	}
	if !strings.Contains(events[0]["verification_uri_complete"].(string), "userCode=") {
		t.Errorf("verification_uri_complete %v", events[0]["verification_uri_complete"])
	}
	in := events[1]
	if in["provider"] != "webex" || in["email"] != emulator.DefaultUser || in["profile"] != "default" || in["subject"] == "" {
		t.Errorf("logged_in event: %v", in)
	}
	if _, err := time.Parse(time.RFC3339, in["expires_at"].(string)); err != nil {
		t.Errorf("expires_at: %v", err)
	}
	mustContain(t, "stderr", r.stderr, "enter the code", "Logged in as alice@example.com")

	st := srv.Stats()
	if st.DeviceCodeGrants != 1 || st.PeopleMeRequests != 1 {
		t.Errorf("stats after login: %+v", st)
	}

	sec, err := h.stored("default")
	if err != nil {
		t.Fatal(err)
	}
	if sec.AccessToken == "" || sec.RefreshToken == "" || sec.IDToken != "" || sec.ClientSecret != srv.ClientSecret() {
		t.Errorf("stored secrets incomplete")
	}
	p, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Scopes, " ") != "spark:people_read" || p.Flow != "device" || p.RefreshExpiry.IsZero() || p.AccessExpiry.IsZero() {
		t.Errorf("profile: %+v", p)
	}

	r = h.run("token")
	if r.code != 0 || strings.TrimSpace(r.stdout) != sec.AccessToken {
		t.Fatalf("token: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	r = h.run("userinfo", "--json")
	if r.code != 0 {
		t.Fatalf("userinfo: %d %s", r.code, r.stderr)
	}
	mustContain(t, "userinfo", r.stdout, emulator.DefaultUser, "displayName")
	mustContain(t, "userinfo stderr", r.stderr, "/people/me")

	r = h.run("status", "--json")
	var status struct {
		Active   string           `json:"active_profile"`
		Profiles []map[string]any `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil || r.code != 0 {
		t.Fatalf("status: %v %d %s", err, r.code, r.stderr)
	}
	if status.Active != "default" || len(status.Profiles) != 1 || status.Profiles[0]["email"] != emulator.DefaultUser {
		t.Errorf("status: %s", r.stdout)
	}

	r = h.run("logout")
	if r.code != 0 {
		t.Fatalf("logout: %d %s", r.code, r.stderr)
	}
	if _, err := h.stored("default"); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Error("tokens left after logout")
	}
	if r := h.run("token"); r.code != ExitLoginRequired {
		t.Errorf("token after logout: exit %d, want 4", r.code)
	}
}

func TestBrowserLoginAgainstEmulator(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))

	r := h.run("login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback", "--json", "--login-hint", "alice@example.com")
	if r.code != 0 {
		t.Fatalf("login exit %d: %s", r.code, r.stderr)
	}
	ev := jsonLines(t, r.stdout)
	if len(ev) != 1 || ev[0]["event"] != "logged_in" || ev[0]["email"] != emulator.DefaultUser {
		t.Fatalf("events %v", ev)
	}
	sec, err := h.stored("default")
	if err != nil || sec.IDToken == "" {
		t.Fatalf("no ID token stored: %v", err)
	}
	if st := srv.Stats(); st.AuthorizationCodeGrants != 1 || st.UserInfoRequests != 1 {
		t.Errorf("stats %+v", st)
	}
	// The default scopes give a token that can call /people/me, the documented first call.
	r = h.run("token", "--json")
	var tok struct{ Scopes []string }
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil || strings.Join(tok.Scopes, " ") != "openid email profile spark:people_read" {
		t.Errorf("token --json: %v %s %s", err, r.stdout, r.stderr)
	}
	r = h.run("token", "--id-token")
	if strings.TrimSpace(r.stdout) != sec.IDToken {
		t.Errorf("token --id-token printed %q", r.stdout)
	}
	r = h.run("decode", "--verify")
	if r.code != 0 {
		t.Fatalf("decode --verify: %d %s", r.code, r.stderr)
	}
	mustContain(t, "decode", r.stdout, `"alg": "RS256"`, "Verified", "auth_time")

	r = h.run("userinfo", "--json")
	if r.code != 0 {
		t.Fatalf("userinfo: %d %s", r.code, r.stderr)
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &claims); err != nil {
		t.Fatal(err)
	}
	if claims["email_verified"] != true {
		t.Errorf("email_verified not normalised: %v", claims["email_verified"])
	}
}

func TestRefreshAgainstEmulator(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, AccessTTL: 2 * time.Hour})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device"); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	first, _ := h.stored("default")

	// Fresh: no refresh.
	if r := h.run("token"); r.code != 0 || srv.Stats().RefreshTokenGrants != 0 {
		t.Fatalf("token refreshed a fresh token: %+v %s", srv.Stats(), r.stderr)
	}
	// 90 minutes later, 30 are left: --min-ttl 1h forces a refresh.
	h.now = func() time.Time { return time.Now().Add(90 * time.Minute) }
	r := h.run("token", "--min-ttl", "1h")
	if r.code != 0 || srv.Stats().RefreshTokenGrants != 1 {
		t.Fatalf("token --min-ttl 1h: exit %d, %+v, %s", r.code, srv.Stats(), r.stderr)
	}
	second, _ := h.stored("default")
	if strings.TrimSpace(r.stdout) != second.AccessToken || second.AccessToken == first.AccessToken {
		t.Error("refreshed token not printed or not stored")
	}
	if second.RefreshToken != first.RefreshToken {
		t.Error("refresh token changed although the emulator does not rotate")
	}
	r = h.run("refresh", "--json")
	if r.code != 0 || srv.Stats().RefreshTokenGrants != 2 {
		t.Fatalf("refresh: %d %s", r.code, r.stderr)
	}
	mustContain(t, "refresh --json", r.stdout, `"refreshed": true`, `"expires_at"`)
}

func TestDeniedDeviceLoginStoresNothing(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	h := newHarness(t, emulatorEnv(srv))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			time.Sleep(50 * time.Millisecond)
			// The user code is on stderr only; deny whichever code is pending.
			if srv.Stats().DeviceAuthorizations > 0 {
				for _, code := range srv.PendingUserCodes() {
					_ = srv.DenyDevice(code)
				}
				return
			}
		}
	}()
	r := h.run("login", "--flow", "device", "--json")
	<-done
	if r.code != ExitFailure {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "denied")
	if _, err := h.stored("default"); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Error("tokens stored after a denied login")
	}
	if _, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("default"); err == nil {
		t.Error("profile stored after a denied login")
	}
}

// A --min-ttl longer than the provider's whole token lifetime cannot be honoured: a clear
// error, and no refresh grant spent on it.
func TestMinTTLLongerThanTheLifetime(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, AccessTTL: 30 * time.Minute})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device"); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	for _, args := range [][]string{{"token", "--min-ttl", "1h"}, {"exec", "--min-ttl", "1h", "--", "true"}} {
		r := h.run(args...)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "live only 30m0s, less than the 1h0m0s asked for") || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if n := srv.Stats().RefreshTokenGrants; n != 0 {
		t.Errorf("%d refresh grants spent on a lifetime that cannot be met", n)
	}
	for _, cmd := range []string{"token", "exec"} {
		if r := h.run(cmd, "--help"); !strings.Contains(r.stdout, "A --min-ttl longer than the whole\nlifetime of the provider's access tokens is refused") &&
			!strings.Contains(r.stdout, "A --min-ttl longer\nthan the whole lifetime of the provider's access tokens is refused") {
			t.Errorf("%s --help does not say that a --min-ttl past the lifetime is refused:\n%s", cmd, r.stdout)
		}
	}
}

// The government cloud's IdBroker host is unknown: --allow-issuer adds to the accepted iss
// patterns, and the profile keeps them for later verifications.
func TestAllowIssuerForWebexGov(t *testing.T) {
	const govIss = "https://idbroker.gov.example/idb"
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, IDTokenIssuer: govIss})
	h := newHarness(t, emulatorEnv(srv))
	args := []string{"login", "--provider", "webex-gov", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback"}
	r := h.run(args...)
	if r.code != ExitFailure || !strings.Contains(r.stderr, "the iss check") {
		t.Fatalf("unknown IdBroker accepted: %d %s", r.code, r.stderr)
	}
	if r := h.run(append(args, "--allow-issuer", "[")...); r.code != ExitUsage {
		t.Errorf("bad pattern: exit %d", r.code)
	}
	r = h.run(append(args, "--allow-issuer", `https://idbroker\.gov\.example/idb`)...)
	if r.code != 0 {
		t.Fatalf("login with --allow-issuer: %s", r.stderr)
	}
	if r := h.run("decode", "--verify"); r.code != 0 {
		t.Errorf("the saved pattern is not used later: %s", r.stderr)
	}
	if r := h.run("status", "--json"); !strings.Contains(r.stdout, `"provider": "webex-gov"`) {
		t.Errorf("status: %s", r.stdout)
	}
}

// Webex documents no client authentication at device authorization: for the webex kinds
// nothing but client_id and scope reaches it (the emulator also refuses more), while the
// polls keep HTTP Basic.
func TestDeviceAuthorizationWithoutClientAuth(t *testing.T) {
	for _, kind := range []string{"webex", "webex-gov"} {
		t.Run(kind, func(t *testing.T) {
			srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
			target, _ := url.Parse(srv.BaseURL())
			var mu sync.Mutex
			var seen []string // Authorization headers and form keys at /v1/device/authorize
			proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
			rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/device/authorize" {
					body, _ := io.ReadAll(r.Body)
					form, _ := url.ParseQuery(string(body))
					mu.Lock()
					seen = append(seen, "Authorization="+r.Header.Get("Authorization"))
					for k := range form {
						seen = append(seen, k)
					}
					mu.Unlock()
					r.Body = io.NopCloser(bytes.NewReader(body))
				}
				proxy.ServeHTTP(w, r)
			}))
			t.Cleanup(rec.Close)
			env := emulatorEnv(srv)
			env["WEBEX_BASE_URL"] = rec.URL + "/v1"
			h := newHarness(t, env)
			if r := h.run("login", "--provider", kind, "--flow", "device"); r.code != 0 {
				t.Fatalf("login: %d %s", r.code, r.stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			slices.Sort(seen)
			if got := strings.Join(seen, " "); got != "Authorization= client_id scope" {
				t.Errorf("device authorization request carried %q, want client_id and scope only", got)
			}
			if st := srv.Stats(); st.DeviceCodeGrants != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// A first key set without the signing key (a rotation in progress) costs one more fetch in
// the same login, not the login.
func TestBrowserLoginStaleJWKS(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, StaleJWKS: 1})
	h := newHarness(t, emulatorEnv(srv))
	r := h.run("login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback")
	if r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	if n := srv.Stats().JWKSRequests; n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

// A scope the integration lacks: the device login says which scope to tick, and not that
// redirect URIs may be missing; the browser login says the provider's invalid_scope.
func TestLoginUnregisteredScope(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, Scopes: []string{"spark:rooms_read"}})
	h := newHarness(t, emulatorEnv(srv))
	r := h.run("login", "--flow", "device")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "invalid_scope") || !strings.Contains(r.stderr, "tick spark:people_read on the integration") ||
		strings.Contains(r.stderr, "oauth-helper") {
		t.Errorf("device: %d %s", r.code, r.stderr)
	}
	r = h.run("login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "invalid_scope") {
		t.Errorf("browser: %d %s", r.code, r.stderr)
	}
	if r := h.run("login", "--flow", "device", "--scopes", "spark:rooms_read"); r.code != 0 {
		t.Errorf("registered scope: %d %s", r.code, r.stderr)
	}
}
