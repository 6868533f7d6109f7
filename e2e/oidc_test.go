package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/testutil/oidcprov"
)

// keyringEnabled reports whether the suites may use the real Secret Service, which
// scripts/integration provides inside dbus-run-session.
func keyringEnabled(t *testing.T) bool {
	if os.Getenv("WEBEX_TEST_KEYRING") != "1" {
		return false
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("WEBEX_TEST_KEYRING=1 but there is no D-Bus session: run inside dbus-run-session with gnome-keyring-daemon --unlock (see scripts/integration)")
	}
	return true
}

// oidcEnv is the environment of a webex run against provider p.
func oidcEnv(p *oidcprov.Server, configDir, storage string) []string {
	return []string{
		"WEBEX_CONFIG_DIR=" + configDir,
		"WEBEX_ISSUER=" + p.Issuer,
		"WEBEX_CLIENT_ID=" + p.ClientID,
		"WEBEX_CLIENT_SECRET=" + p.ClientSecret,
		"WEBEX_STORAGE=" + storage,
	}
}

// deviceLogin signs in with the device flow; the provider approves the code by itself.
func deviceLogin(t *testing.T, env []string, profile string) {
	t.Helper()
	r := runWebex(t, env, "", "login", "--flow", "device", "--profile", profile, "--json")
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"event":"logged_in"`) {
		t.Fatalf("no logged_in event: %s", r.stdout)
	}
}

func tokenExpiry(t *testing.T, env []string, profile string) time.Time {
	t.Helper()
	r := runWebex(t, env, "", "token", "--json", "--profile", profile, "--min-ttl", "1ns")
	if r.code != 0 {
		t.Fatalf("token --json: %d %s", r.code, r.stderr)
	}
	var v struct {
		Expires time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	return v.Expires
}

// TestConcurrentTokenSingleRefresh: after the access token expires, 32 concurrent
// `webex token` processes make exactly one refresh grant at the provider, and all print the
// same valid token. With the file store and with the real Secret Service.
//
// The refreshed token lives long, so that however slowly the 32 processes are scheduled, the
// refreshed token is still fresh for the last of them: a second refresh grant can then only
// come from processes that did not share the first one.
func TestConcurrentTokenSingleRefresh(t *testing.T) {
	const accessTTL = 12 * time.Second
	p := oidcprov.Start(t, oidcprov.Options{
		AccessTTL: accessTTL, RefreshedAccessTTL: time.Hour,
		AutoApproveDevice: true, DeviceInterval: time.Second,
	})
	storages := []string{"file"}
	if keyringEnabled(t) {
		storages = append(storages, "keyring")
	}
	for _, storage := range storages {
		t.Run(storage, func(t *testing.T) {
			env := oidcEnv(p, t.TempDir(), storage)
			deviceLogin(t, env, "default")
			exp := tokenExpiry(t, env, "default")
			if wait := time.Until(exp); wait > 0 {
				time.Sleep(wait + 500*time.Millisecond)
			}
			p.ResetStats(t)

			const n = 32
			out := make([]proc, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					out[i] = runWebex(t, env, "", "token")
				}()
			}
			close(start)
			wg.Wait()

			first := strings.TrimSpace(out[0].stdout)
			for i, r := range out {
				if r.code != 0 {
					t.Fatalf("process %d: exit %d: %s", i, r.code, r.stderr)
				}
				if got := strings.TrimSpace(r.stdout); got != first || got == "" {
					t.Fatalf("process %d printed a different token", i)
				}
			}
			if got := p.Stats(t)[oidcprov.GrantRefreshToken]; got != 1 {
				t.Fatalf("refresh grants at the provider: %d, want exactly 1 (stats %v)", got, p.Stats(t))
			}
			// The token the 32 agreed on is valid at the provider.
			r := runWebex(t, env, "", "userinfo", "--json")
			if r.code != 0 || !strings.Contains(r.stdout, "alice@example.com") {
				t.Fatalf("userinfo with the refreshed token: %d %s %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestBrowserLoginOIDCProvider signs in with the authorization code flow and PKCE against
// oidc-provider, whose interaction logs alice in by itself: the "browser" follows redirects.
func TestBrowserLoginOIDCProvider(t *testing.T) {
	p := oidcprov.Start(t, oidcprov.Options{})
	dir := t.TempDir()
	env := append(oidcEnv(p, dir, "file"), "BROWSER="+os.Args[0]+" -test.run=^TestHelperBrowser$ --")
	env = append(env, "WEBEX_E2E_HELPER_BROWSER=1")
	r := runWebex(t, env, "", "login", "--flow", "browser", "--json")
	if r.code != 0 {
		t.Fatalf("login: %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"email":"alice@example.com"`) || !strings.Contains(r.stdout, `"provider":"oidc"`) {
		t.Fatalf("logged_in event: %s", r.stdout)
	}
	r = runWebex(t, env, "", "decode", "--verify", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"valid": true`) {
		t.Fatalf("decode --verify: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// The same ID token, verified against the issuer named explicitly and read from stdin.
	idt := runWebex(t, env, "", "token", "--id-token")
	r = runWebex(t, []string{"WEBEX_CONFIG_DIR=" + t.TempDir()}, idt.stdout, "decode", "-", "--verify", "--issuer", p.Issuer, "--client-id", p.ClientID, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"valid": true`) {
		t.Fatalf("decode - --verify --issuer: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// And tampered: the verdict names the signature.
	parts := strings.Split(strings.TrimSpace(idt.stdout), ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !strings.Contains(string(claims), `"sub":"alice"`) {
		t.Fatalf("claims %s: %v", claims, err)
	}
	forged := strings.Replace(string(claims), `"sub":"alice"`, `"sub":"bob"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	r = runWebex(t, []string{"WEBEX_CONFIG_DIR=" + t.TempDir()}, "", "decode", tampered, "--verify", "--issuer", p.Issuer, "--client-id", p.ClientID)
	if r.code != 1 || !strings.Contains(r.stderr, "the signature check") {
		t.Fatalf("tampered token: %d %s", r.code, r.stderr)
	}
	// What the provider announces, with its keys.
	r = runWebex(t, env, "", "discover", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"provider": "oidc"`) || !strings.Contains(r.stdout, `"kid"`) {
		t.Fatalf("discover: %d %s %s", r.code, r.stdout, r.stderr)
	}

	r = runWebex(t, env, "", "logout")
	if r.code != 0 || !strings.Contains(r.stderr, "Revoked") {
		t.Fatalf("logout: %d %s", r.code, r.stderr)
	}
	if p.Stats(t)[oidcprov.StatRevocation] != 1 {
		t.Errorf("revocations: %v", p.Stats(t))
	}
}

// TestHelperBrowser is the $BROWSER of TestBrowserLoginOIDCProvider: it follows the sign-in
// URL's redirects to the CLI's loopback callback, in the background, as a browser would.
func TestHelperBrowser(t *testing.T) {
	if os.Getenv("WEBEX_E2E_HELPER_BROWSER") != "1" {
		t.Skip("only runs as the $BROWSER of another test")
	}
	args := os.Args
	url := args[len(args)-1]
	// Detach: webex waits for the callback, not for the browser to exit.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFollow$")
	cmd.Env = append(os.Environ(), "WEBEX_E2E_FOLLOW_URL="+url)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// TestHelperFollow follows WEBEX_E2E_FOLLOW_URL with a cookie-keeping client.
func TestHelperFollow(t *testing.T) {
	url := os.Getenv("WEBEX_E2E_FOLLOW_URL")
	if url == "" {
		t.Skip("only runs as a helper process")
	}
	followURL(t, url)
}

// TestBrowserLoginOIDCProviderStaleJWKS: the provider's first JWKS answer lacks the key whose
// kid the ID token names (a rotation in progress). The one `webex login` process fetches the
// set once more and succeeds; when the second answer lacks it too, the login fails on the
// signature and stores nothing. Either way exactly two fetches.
func TestBrowserLoginOIDCProviderStaleJWKS(t *testing.T) {
	for _, tt := range []struct {
		stale int
		ok    bool
	}{{1, true}, {2, false}} {
		t.Run(strconv.Itoa(tt.stale)+" stale answers", func(t *testing.T) {
			p := oidcprov.Start(t, oidcprov.Options{StaleJWKS: tt.stale})
			env := append(oidcEnv(p, t.TempDir(), "file"), "BROWSER="+os.Args[0]+" -test.run=^TestHelperBrowser$ --", "WEBEX_E2E_HELPER_BROWSER=1")
			r := runWebex(t, env, "", "login", "--flow", "browser")
			switch {
			case tt.ok && r.code != 0:
				t.Fatalf("login: %d\n%s", r.code, r.stderr)
			case !tt.ok && (r.code != 1 || !strings.Contains(r.stderr, "the signature check")):
				t.Fatalf("login with two stale answers: %d\n%s", r.code, r.stderr)
			}
			if n := p.Stats(t)[oidcprov.StatJWKS]; n != 2 {
				t.Errorf("JWKS fetched %d times, want 2", n)
			}
			if st := runWebex(t, env, "", "status", "--json"); tt.ok != strings.Contains(st.stdout, `"email": "alice@example.com"`) {
				t.Errorf("status after login: %s", st.stdout)
			}
		})
	}
}

// TestDeviceLoginOIDCProviderWrongSecret: an oidc provider still gets the confidential
// client's credentials at device authorization (RFC 8628 section 3.1), and its refusal is
// reported with its own error code, not a label of ours.
func TestDeviceLoginOIDCProviderWrongSecret(t *testing.T) {
	p := oidcprov.Start(t, oidcprov.Options{})
	env := append(oidcEnv(p, t.TempDir(), "file"), "WEBEX_CLIENT_SECRET=wrong")
	r := runWebex(t, env, "", "login", "--flow", "device")
	if r.code != 1 || !strings.Contains(r.stderr, "check the client id and secret: provider error invalid_client") ||
		strings.Contains(r.stderr, "(invalid_client)") || strings.Contains(r.stderr, "oauth-helper") {
		t.Fatalf("login with a wrong secret: %d\n%s", r.code, r.stderr)
	}
	if n := p.Stats(t)[oidcprov.StatDeviceAuthorization]; n != 0 {
		t.Errorf("device codes issued: %d", n)
	}
}
