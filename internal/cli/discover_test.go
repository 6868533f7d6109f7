package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/emulator"
)

func TestDiscoverEmulator(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	h := newHarness(t, emulatorEnv(srv))

	r := h.run("discover", "--json", "alice@example.com")
	if r.code != 0 {
		t.Fatalf("discover: %d %s", r.code, r.stderr)
	}
	var rep struct {
		Provider  string `json:"provider"`
		WebFinger struct {
			Issuers []string `json:"issuers"`
		} `json:"webfinger"`
		Announced map[string]any `json:"announced"`
		Used      map[string]any `json:"used"`
		Keys      []struct {
			KID string `json:"kid"`
			Kty string `json:"kty"`
		} `json:"keys"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Provider != "webex" || len(rep.Keys) != 3 || rep.Announced["issuer"] != emulator.DefaultDiscoveryIssuer {
		t.Errorf("report: %s", r.stdout)
	}
	if len(rep.WebFinger.Issuers) == 0 {
		t.Errorf("no WebFinger issuer: %s", r.stdout)
	}
	if rep.Used["token"] != srv.BaseURL()+"/access_token" || rep.Used["device_authorization"] != srv.BaseURL()+"/device/authorize" {
		t.Errorf("used endpoints: %v", rep.Used)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, want := range []string{"is not the API base", "varies by data centre", "no device authorization endpoint"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}

	r = h.run("discover")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	mustContain(t, "discover table", r.stdout, "ANNOUNCED", "USED BY WEBEX", "KEYS", "NOTES", "issuer_pattern", emulator.DefaultDiscoveryIssuer)

	if r := h.run("discover", "not-an-email"); r.code != ExitFailure || !strings.Contains(r.stderr, "not an email address") {
		t.Errorf("bad email: %d %s", r.code, r.stderr)
	}
	if r := h.run("discover", "--issuer", "http://example.com"); r.code != ExitUsage {
		t.Errorf("plain-http issuer: exit %d", r.code)
	}
}

// TestDiscoverIssuerNeedsOIDC checks that discover, like login, refuses --issuer with a Webex
// kind instead of ignoring it: both resolve the provider by the one rule.
func TestDiscoverIssuerNeedsOIDC(t *testing.T) {
	h := newHarness(t, map[string]string{})
	r := h.run("discover", "--provider", "webex", "--issuer", "https://login.example.com")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--issuer is for OpenID providers") {
		t.Fatalf("discover --provider webex --issuer: exit %d, stderr %q; want a usage error", r.code, r.stderr)
	}
}

// TestProviderOrderWithSavedLogin pins the one resolution rule: with a saved login at A and
// WEBEX_BASE_URL naming B, discover shows B, the provider `webex login` would use now, while
// userinfo sends the saved login's token to A, the provider it came from, and nothing to B.
func TestProviderOrderWithSavedLogin(t *testing.T) {
	a := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	b := startEmulator(t, emulator.Config{})
	h := newHarness(t, emulatorEnv(a))
	if r := h.run("login", "--flow", "device"); r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	h.env["WEBEX_BASE_URL"] = b.BaseURL()

	r := h.run("discover", "--json")
	if r.code != 0 {
		t.Fatalf("discover: %d %s", r.code, r.stderr)
	}
	var rep struct {
		Used map[string]any `json:"used"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Used["token"] != b.BaseURL()+"/access_token" {
		t.Errorf("discover with WEBEX_BASE_URL set used %v, want %s as login would", rep.Used["token"], b.BaseURL())
	}

	if r := h.run("userinfo", "--json"); r.code != 0 {
		t.Fatalf("userinfo: %d %s", r.code, r.stderr)
	}
	if got := a.Stats().PeopleMeRequests; got != 2 { // the login's, then userinfo's
		t.Errorf("the saved login's provider answered %d /people/me requests, want 2", got)
	}
	if st := b.Stats(); st.PeopleMeRequests+st.UserInfoRequests+st.APIRequests != 0 {
		t.Errorf("WEBEX_BASE_URL's provider was sent the token: %+v", st)
	}
}
