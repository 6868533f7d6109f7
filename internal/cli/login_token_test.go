package cli

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
)

var apiUsers = []string{"ann@example.com", "bob@example.com", "cy@example.com"}

// tokenLogin starts an emulator with three users and logs ann in with a personal access token
// (login --with-token), the way a developer-portal token is used.
func tokenLogin(t *testing.T, cfg emulator.Config) (*emulator.Server, *harness, string) {
	t.Helper()
	if cfg.Users == nil {
		cfg.Users = apiUsers
	}
	srv := startEmulator(t, cfg)
	pat, err := srv.PersonalAccessToken("ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, map[string]string{"WEBEX_BASE_URL": srv.BaseURL()})
	if r := h.runIn(pat+"\n", "login", "--with-token"); r.code != 0 {
		t.Fatalf("login --with-token: exit %d: %s", r.code, r.stderr)
	}
	return srv, h, pat
}

func TestLoginWithToken(t *testing.T) {
	srv, h, pat := tokenLogin(t, emulator.Config{})
	p, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if p.Flow != config.FlowToken || p.UserType != "person" || p.Email != "ann@example.com" || p.Subject == "" ||
		!p.AccessExpiry.IsZero() || p.HasRefreshToken || p.ClientID != "" || p.BaseURL != srv.BaseURL() {
		t.Errorf("profile %+v", p)
	}
	sec, err := h.stored("default")
	if err != nil || sec.AccessToken != pat || sec.RefreshToken != "" || sec.ClientSecret != "" || sec.Binding != p.Binding() {
		t.Fatalf("secrets %v, %v", sec, err)
	}

	// An unknown expiry is never "about to expire", whatever --min-ttl asks.
	for _, args := range [][]string{{"token"}, {"token", "--min-ttl", "24h"}} {
		if r := h.run(args...); r.code != 0 || r.stdout != pat+"\n" {
			t.Errorf("%v: exit %d %q %s", args, r.code, r.stdout, r.stderr)
		}
	}
	r := h.run("token", "--json")
	var tj map[string]any
	if json.Unmarshal([]byte(r.stdout), &tj); tj["expires_at"] != nil || tj["token"] != pat {
		t.Errorf("token --json: %s", r.stdout)
	}
	r = h.run("status", "--json")
	var st struct {
		Profiles []map[string]any `json:"profiles"`
	}
	if json.Unmarshal([]byte(r.stdout), &st); len(st.Profiles) != 1 || st.Profiles[0]["access_expires_at"] != nil ||
		st.Profiles[0]["flow"] != "token" || st.Profiles[0]["user_type"] != "person" || st.Profiles[0]["has_refresh_token"] != false {
		t.Errorf("status --json: %s", r.stdout)
	}
	if r := h.run("status"); !strings.Contains(r.stdout, "unknown") || !strings.Contains(r.stdout, "none") {
		t.Errorf("status: %s", r.stdout)
	}
	r = h.run("refresh")
	if r.code != ExitLoginRequired || !strings.Contains(r.stderr, "cannot be refreshed") || !strings.Contains(r.stderr, "webex login --with-token") {
		t.Errorf("refresh: exit %d %s", r.code, r.stderr)
	}
	if runtime.GOOS != "windows" {
		if r := h.run("exec", "--", "sh", "-c", `test "$WEBEX_ACCESS_TOKEN" = "`+pat+`"`); r.code != 0 {
			t.Errorf("exec: exit %d %s", r.code, r.stderr)
		}
	}
	if srv.Stats().RefreshTokenGrants != 0 {
		t.Error("a refresh grant was made")
	}
}

func TestLoginWithBotToken(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Users: []string{"ann@example.com", "helper@webex.bot"}})
	bot, _ := srv.PersonalAccessToken("helper@webex.bot")
	h := newHarness(t, map[string]string{"WEBEX_BASE_URL": srv.BaseURL()})
	r := h.runIn(bot, "login", "--with-token", "--profile", "bot", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"event":"logged_in","profile":"bot"`) || !strings.Contains(r.stdout, `"expires_at":null`) {
		t.Fatalf("exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	if p, _ := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("bot"); p == nil || p.UserType != "bot" {
		t.Errorf("profile %+v", p)
	}
	if r := h.run("status"); !strings.Contains(r.stdout, "helper@webex.bot (bot)") {
		t.Errorf("status: %s", r.stdout)
	}
}

func TestLoginWithTokenRefused(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	h := newHarness(t, map[string]string{"WEBEX_BASE_URL": srv.BaseURL()})
	r := h.runIn("not-a-token-webex-knows\n", "login", "--with-token")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "refused the token") || !strings.Contains(r.stderr, "nothing was stored") {
		t.Errorf("exit %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "not-a-token-webex-knows") {
		t.Error("the token is in the error")
	}
	assertNothingStored(t, h, "default")

	// A refused token leaves an earlier login as it was.
	pat, _ := srv.PersonalAccessToken(emulator.DefaultUser)
	if r := h.runIn(pat, "login", "--with-token"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := h.runIn("another-bad-token", "login", "--with-token"); r.code != ExitFailure {
		t.Errorf("second bad token: exit %d", r.code)
	}
	if sec, _ := h.stored("default"); sec == nil || sec.AccessToken != pat {
		t.Error("the earlier token was replaced")
	}
}

func TestLoginWithTokenInput(t *testing.T) {
	h := newHarness(t, map[string]string{"WEBEX_BASE_URL": "http://127.0.0.1:1/v1"})
	for name, stdin := range map[string]string{"empty": " \n", "two lines": "abc\ndef\n", "spaces": "abc def"} {
		if r := h.runIn(stdin, "login", "--with-token"); r.code != ExitUsage || !strings.Contains(r.stderr, "--with-token") {
			t.Errorf("%s: exit %d %s", name, r.code, r.stderr)
		}
	}
	r := h.exec("tok", func(d *deps) { d.io.SetTTY(true, false, false) }, "login", "--with-token")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "pipe it in") {
		t.Errorf("terminal stdin: exit %d %s", r.code, r.stderr)
	}
	if r := h.runIn("tok", "login", "--with-token", "--issuer", "https://idp.example"); r.code != ExitUsage {
		t.Errorf("--issuer: exit %d %s", r.code, r.stderr)
	}
	assertNothingStored(t, h, "default")
}
