// Integration test against the real OS keyring (the Secret Service on
// Linux). It runs only with WEBEX_TEST_KEYRING=1 and then FAILS, never
// skips, when no keyring answers.
//
// On a headless Linux (CI), run it in a private D-Bus session with a fresh,
// unlocked gnome-keyring (packages: dbus, gnome-keyring, libsecret-tools):
//
//	export XDG_DATA_HOME="$(mktemp -d)"   # fresh keyrings folder, so the password below always matches
//	dbus-run-session -- sh -c '
//	  echo -n webex-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
//	  WEBEX_TEST_KEYRING=1 go test ./internal/tokenstore/ -run Keyring -count=1 -v'
//
// Notes that make this work:
//   - gnome-keyring-daemon --unlock reads the password from stdin, creates the
//     "login" collection with it when none exists (go-keyring writes to
//     /org/freedesktop/secrets/collection/login, else the "default" alias),
//     unlocks it, daemonizes and returns.
//   - The password must NOT be empty: with an empty one the daemon wants to
//     show a prompt (gcr-prompter), which fails without a display, and every
//     write then fails with "Object does not exist at path
//     /org/freedesktop/secrets/collection/login".
//   - A login.keyring left in $XDG_DATA_HOME/keyrings (default
//     ~/.local/share/keyrings) with another password cannot be unlocked
//     without a prompt, hence the fresh XDG_DATA_HOME.
//   - If the test starts before the daemon owns org.freedesktop.secrets,
//     D-Bus activation starts gnome-keyring, which joins the running daemon;
//     no sleep is needed.
//
// The tests use service "webex" (as the product does) with random profile
// names in a test folder, and remove their items at the end.
package tokenstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func requireRealKeyring(t *testing.T) *Keyring {
	t.Helper()
	if os.Getenv("WEBEX_TEST_KEYRING") != "1" {
		t.Skip("set WEBEX_TEST_KEYRING=1 to test against the real OS keyring")
	}
	k := NewKeyring(testFolder, nil, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := k.Probe(ctx); err != nil {
		t.Fatalf("WEBEX_TEST_KEYRING=1 but the OS keyring does not work: %v", err)
	}
	return k
}

func randomProfile(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "it-" + hex.EncodeToString(b[:])
}

func TestKeyringIntegration(t *testing.T) {
	k := requireRealKeyring(t)
	profile := randomProfile(t)
	t.Cleanup(func() { _ = k.Delete(context.Background(), profile) })

	idToken := strings.Repeat("eyJ", 2048) // 6 KB: needs chunking
	want := Secrets{
		AccessToken:  "AT-" + strings.Repeat("a", 180),
		RefreshToken: "RT-" + strings.Repeat("r", 180),
		IDToken:      idToken,
		ClientSecret: "CS-" + strings.Repeat("c", 60),
	}
	if err := k.Save(context.Background(), profile, &want); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := k.Load(context.Background(), profile, "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if *got != want {
		t.Fatalf("Load returned different secrets (lens %d/%d/%d/%d)",
			len(got.AccessToken), len(got.RefreshToken), len(got.IDToken), len(got.ClientSecret))
	}
	if at, err := k.LoadAccessToken(context.Background(), profile, "", ""); err != nil || at != want.AccessToken {
		t.Fatalf("LoadAccessToken: %v", err)
	}

	// Every item of the profile fits Windows Credential Manager's limit.
	items := 0
	for _, user := range []string{k.items(profile) + "/access", k.items(profile) + "/rest"} {
		v, err := (systemBackend{}).Get(KeyringService, user)
		if err != nil {
			t.Fatalf("reading item %s: %v", user, err)
		}
		items++
		if len(v) > windowsLimit {
			t.Errorf("item %s is %d bytes, over %d", user, len(v), windowsLimit)
		}
	}
	for i := 0; ; i++ {
		v, err := (systemBackend{}).Get(KeyringService, chunkUser(k.items(profile), fieldRest, 'a', i))
		if err != nil {
			if i < 3 {
				t.Fatalf("chunk %d of the 6 KB ID token: %v", i, err)
			}
			break
		}
		items++
		if len(v) > windowsLimit {
			t.Errorf("chunk %d is %d bytes, over %d", i, len(v), windowsLimit)
		}
	}
	if n := secretToolSizes(t, k.items(profile)); n >= 0 && n != items {
		t.Errorf("secret-tool sees %d items of the profile, go-keyring %d", n, items)
	}

	// Replace with smaller secrets: the chunks go away.
	small := Secrets{AccessToken: "AT2", RefreshToken: "RT2"}
	if err := k.Save(context.Background(), profile, &small); err != nil {
		t.Fatalf("Save smaller: %v", err)
	}
	if got, err := k.Load(context.Background(), profile, ""); err != nil || *got != small {
		t.Fatalf("Load after shrinking: %v", err)
	}
	for _, slot := range []byte{'a', 'b'} {
		if _, err := (systemBackend{}).Get(KeyringService, chunkUser(k.items(profile), fieldRest, slot, 0)); !isNotFound(err) {
			t.Errorf("chunk of slot %c survived shrinking: %v", slot, err)
		}
	}

	if err := k.Delete(context.Background(), profile); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Load(context.Background(), profile, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
	}
	if n := secretToolSizes(t, k.items(profile)); n > 0 {
		t.Errorf("secret-tool still sees %d items after Delete", n)
	}
}

// secretToolSizes checks with `secret-tool search --all service webex` that
// every secret whose name starts with items (Keyring.items) is at most
// windowsLimit bytes and returns how many there are, or -1 when secret-tool
// is not installed.
func secretToolSizes(t *testing.T, items string) int {
	t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Log("secret-tool not installed; item sizes checked through go-keyring only")
		return -1
	}
	// The search lists the items of every process that uses the service, and
	// fails when one of them is deleted between the listing and the reading
	// ("No such secret item"); other tests and logins do that all the time,
	// so a failed search is tried again.
	var stdout, stderr bytes.Buffer
	for try := 1; ; try++ {
		stdout.Reset()
		stderr.Reset()
		cmd := exec.Command("secret-tool", "search", "--all", "--unlock", "service", KeyringService)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err == nil {
			break
		}
		if try == 10 {
			t.Fatalf("secret-tool search: %v: %s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// stdout has one block per item: "[/path]", "label = ...", "secret = ...",
	// ...; the attributes go to stderr, so match on go-keyring's label,
	// "Password for '<user>' on 'webex'".
	n := 0
	for _, block := range strings.Split(stdout.String(), "\n[") {
		if !strings.Contains(block, "label = Password for '"+items+"/") {
			continue
		}
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "secret = "); ok {
				n++
				if len(v) > windowsLimit {
					t.Errorf("secret-tool shows an item of %d bytes", len(v))
				}
			}
		}
	}
	return n
}

// TestKeyringIntegrationCache runs the access-token cache in front of the real
// Secret Service, under a service name of its own.
func TestKeyringIntegrationCache(t *testing.T) {
	requireRealKeyring(t)
	service := "webex-test-" + randomProfile(t)
	k := withService(NewKeyring(testFolder, nil, 10*time.Second), service)
	profile := randomProfile(t)
	t.Cleanup(func() { _ = k.Delete(context.Background(), profile) })
	if k.cache == nil {
		t.Skip("no access-token cache on this OS")
	}
	if err := k.Save(context.Background(), profile, &Secrets{AccessToken: "AT-1", RefreshToken: "RT-1"}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	ckey, _ := cacheKey(profile, "v1")
	for range 2 {
		if at, err := k.LoadAccessToken(context.Background(), profile, "", "v1"); err != nil || at != "AT-1" {
			t.Fatalf("LoadAccessToken: %v", err)
		}
	}
	if v, ok := k.cache.get(ckey); !ok || v != "AT-1" {
		t.Errorf("the token is not in the cache after a load (hit=%t)", ok)
	}
	if err := k.Save(context.Background(), profile, &Secrets{AccessToken: "AT-2"}); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if _, ok := k.cache.get(ckey); ok {
		t.Error("Save left the old token in the cache")
	}
	if at, err := k.LoadAccessToken(context.Background(), profile, "", "v1"); err != nil || at != "AT-2" {
		t.Fatalf("LoadAccessToken after Save: %v (new token: %t)", err, at == "AT-2")
	}
	if err := k.Delete(context.Background(), profile); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := k.cache.get(ckey); ok {
		t.Error("Delete left a token in the cache")
	}
	if _, err := k.LoadAccessToken(context.Background(), profile, "", "v1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadAccessToken after Delete = %v, want ErrNotFound", err)
	}
}

// TestKeyringIntegrationFolders: two config folders with a profile of the
// same name keep their own secrets on the real Secret Service, and their own
// access-token caches: a login and a logout in one folder neither serve nor
// clear the other's token.
func TestKeyringIntegrationFolders(t *testing.T) {
	requireRealKeyring(t)
	profile := randomProfile(t)
	a := NewKeyring(t.TempDir(), nil, 10*time.Second)
	b := NewKeyring(t.TempDir(), nil, 10*time.Second)
	t.Cleanup(func() { _ = a.Delete(context.Background(), profile); _ = b.Delete(context.Background(), profile) })
	if err := a.Save(context.Background(), profile, &Secrets{AccessToken: "AT-A", RefreshToken: "RT-A", ClientSecret: "CS-A", Binding: "bind"}); err != nil {
		t.Fatalf("Save in folder A: %v", err)
	}
	if at, err := a.LoadAccessToken(context.Background(), profile, "bind", "v1"); err != nil || at != "AT-A" {
		t.Fatalf("folder A's token: %v", err)
	}
	if _, err := b.LoadAccessToken(context.Background(), profile, "bind", "v1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("folder B sees a token before its login: %v", err)
	}
	if err := b.Save(context.Background(), profile, &Secrets{AccessToken: "AT-B", RefreshToken: "RT-B", ClientSecret: "CS-B", Binding: "bind"}); err != nil {
		t.Fatalf("Save in folder B: %v", err)
	}
	if at, err := b.LoadAccessToken(context.Background(), profile, "bind", "v1"); err != nil || at != "AT-B" {
		t.Fatalf("folder B's token: %v (folder A's: %t)", err, at == "AT-A")
	}
	if s, err := a.Load(context.Background(), profile, "bind"); err != nil || s.AccessToken != "AT-A" || s.RefreshToken != "RT-A" || s.ClientSecret != "CS-A" {
		t.Fatalf("folder B's login changed folder A's secrets: %v", err)
	}
	if err := b.Delete(context.Background(), profile); err != nil {
		t.Fatalf("Delete in folder B: %v", err)
	}
	if a.cache != nil {
		ckey, _ := cacheKey(profile, "v1")
		if v, ok := a.cache.get(ckey); !ok || v != "AT-A" {
			t.Errorf("folder B's save or delete cleared folder A's cached token (hit=%t)", ok)
		}
	}
	if s, err := a.Load(context.Background(), profile, "bind"); err != nil || s.AccessToken != "AT-A" {
		t.Fatalf("folder B's logout deleted folder A's secrets: %v", err)
	}
	if _, err := b.Load(context.Background(), profile, "bind"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("folder B after its Delete: %v", err)
	}
}
