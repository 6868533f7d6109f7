package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestKeyringFoldersAreSealed: two config folders, each with its own "default" profile, on the
// real Secret Service. A login in one (a throw-away WEBEX_CONFIG_DIR, say) leaves the other's
// token as it was, and a logout in it leaves the other logged in.
func TestKeyringFoldersAreSealed(t *testing.T) {
	if !keyringEnabled(t) {
		t.Skip("set WEBEX_TEST_KEYRING=1 and run inside dbus-run-session (scripts/integration) to use the real Secret Service")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	emu := startLiveEmulator(t, ctx, "--approve", "auto", "--device-interval", "1s")
	envA, envB := emu.env(t.TempDir()), emu.env(t.TempDir())
	token := func(env []string) proc {
		t.Helper()
		return runWebex(t, env, "", "token")
	}
	login := func(env []string) string {
		t.Helper()
		if r := runWebex(t, env, "", "login", "--device", "--storage", "keyring"); r.code != 0 {
			t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
		}
		r := token(env)
		if r.code != 0 {
			t.Fatalf("token after login: exit %d\n%s", r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	t.Cleanup(func() {
		runWebex(t, envA, "", "logout")
		runWebex(t, envB, "", "logout")
	})

	tokenA := login(envA)
	tokenB := login(envB)
	if tokenA == tokenB {
		t.Fatal("the emulator issued one token to both logins")
	}
	if r := token(envA); r.code != 0 || strings.TrimSpace(r.stdout) != tokenA {
		t.Fatalf("folder A after a login in folder B: exit %d, its own token: %t, folder B's: %t\n%s",
			r.code, strings.TrimSpace(r.stdout) == tokenA, strings.TrimSpace(r.stdout) == tokenB, r.stderr)
	}
	if r := runWebex(t, envB, "", "logout"); r.code != 0 {
		t.Fatalf("logout in folder B: exit %d\n%s", r.code, r.stderr)
	}
	if r := token(envA); r.code != 0 || strings.TrimSpace(r.stdout) != tokenA {
		t.Fatalf("folder A after a logout in folder B: exit %d, its own token: %t\n%s", r.code, strings.TrimSpace(r.stdout) == tokenA, r.stderr)
	}
	if r := token(envB); r.code != 4 {
		t.Errorf("folder B after its logout: exit %d, want 4\n%s", r.code, r.stderr)
	}
}
