package e2e

import (
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/emulator"
)

// TestAPIWithTokenLogin: the built binary stores a personal access token read from stdin and
// calls the REST API with it, following pagination, with the token on no output.
func TestAPIWithTokenLogin(t *testing.T) {
	srv, err := emulator.New(emulator.Config{Users: []string{"ann@example.com", "bob@example.com", "cy@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pat, err := srv.PersonalAccessToken("ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"WEBEX_CONFIG_DIR=" + t.TempDir(), "WEBEX_BASE_URL=" + base, "WEBEX_STORAGE=file"}

	r := runWebex(t, env, pat+"\n", "login", "--with-token")
	if r.code != 0 || !strings.Contains(r.stderr, "Logged in as ann@example.com") {
		t.Fatalf("login --with-token: exit %d: %s", r.code, r.stderr)
	}
	r = runWebex(t, env, "", "api", "people", "--paginate", "-q", "max=1", "--jq", ".items[].emails[0]")
	if r.code != 0 || r.stdout != "ann@example.com\nbob@example.com\ncy@example.com\n" {
		t.Fatalf("api --paginate: exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	r = runWebex(t, env, "", "api", "rooms", "-f", "title=Standup", "--jq", ".title")
	if r.code != 0 || r.stdout != "Standup\n" {
		t.Fatalf("api POST: exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	r = runWebex(t, env, "", "--debug", "api", "rooms/missing")
	if r.code != 1 || !strings.Contains(r.stderr, "HTTP 404") || strings.Contains(r.stderr+r.stdout, pat) {
		t.Errorf("404 with --debug: exit %d, token shown: %v\n%s", r.code, strings.Contains(r.stderr+r.stdout, pat), r.stderr)
	}
}
