package e2e

// End-to-end tests with a real headless Chromium: a person's path through `webex login` in
// both flows, against `webex emulator --approve manual`, clicking the emulator's pages and
// landing on the CLI's own loopback pages. They run only with WEBEX_TEST_CHROMIUM=1 and save
// screenshots to $WEBEX_TEST_ARTIFACTS (default <repo>/.artifacts).

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browserLogin is a `webex login --flow browser --no-browser` waiting for the browser.
type browserLogin struct {
	proc    *liveProc
	authURL *url.URL
}

// startBrowserLogin starts a browser-flow login against emu with a random loopback port and
// reads the sign-in URL it prints, checking the authorization request it describes.
func startBrowserLogin(t *testing.T, ctx context.Context, emu *liveEmulator, configDir string) *browserLogin {
	t.Helper()
	p := startLive(t, emu.env(configDir), "login", "--flow", "browser", "--no-browser",
		"--redirect-uri", "http://127.0.0.1:0/callback", "--storage", "file")
	p.line(ctx, p.errs, "the sign-in prompt", func(l string) bool {
		return strings.Contains(l, "Open this URL in a browser to sign in:")
	})
	raw := strings.TrimSpace(p.line(ctx, p.errs, "the sign-in URL", func(l string) bool {
		return strings.TrimSpace(l) != ""
	}))
	if !strings.HasPrefix(raw, emu.baseURL+"/authorize?") {
		t.Fatalf("sign-in URL %q is not under %s/authorize", withoutQuery(raw), emu.baseURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("sign-in URL: %v", err)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             emu.clientID,
		"code_challenge_method": "S256",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("sign-in URL: %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if q.Get(k) == "" {
			t.Errorf("sign-in URL: no %s", k)
		}
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		t.Errorf("sign-in URL: scope %q lacks openid", q.Get("scope"))
	}
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || ru.Scheme != "http" || ru.Hostname() != "127.0.0.1" || ru.Port() == "" || ru.Port() == "0" || ru.Path != "/callback" {
		t.Fatalf("sign-in URL: redirect_uri %q is not http://127.0.0.1:PORT/callback with the bound port", q.Get("redirect_uri"))
	}
	return &browserLogin{proc: p, authURL: u}
}

// onLoopback reports whether u is the CLI's loopback listener named in the sign-in URL.
func (l *browserLogin) onLoopback(u *url.URL) bool {
	ru, _ := url.Parse(l.authURL.Query().Get("redirect_uri"))
	return u.Scheme == "http" && u.Host == ru.Host
}

// TestChromiumBrowserLogin signs in through the emulator's sign-in page in Chromium: the CLI
// prints the URL, the person picks a user and approves, Chromium follows the redirect to the
// CLI's loopback listener and shows its success page, and the CLI verifies and stores tokens.
func TestChromiumBrowserLogin(t *testing.T) {
	chrome := chromiumPath(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	defer cancel()

	emu := startLiveEmulator(t, ctx, "--approve", "manual")
	configDir := t.TempDir()
	env := emu.env(configDir)
	login := startBrowserLogin(t, ctx, emu, configDir)
	tab := newChromeTab(t, ctx, chrome)

	tab.do("opening the sign-in URL",
		chromedp.Navigate(login.authURL.String()),
		chromedp.WaitVisible(chromedp.CSS("form#signin")),
	)
	if got, want := tab.title(), "Webex emulator - Sign in"; got != want {
		t.Errorf("sign-in page title %q, want %q", got, want)
	}
	if got := tab.text("#client_id"); !strings.Contains(got, emu.clientID) {
		t.Errorf("sign-in page shows client id %q, want %s", got, emu.clientID)
	}
	if got := tab.text("ul#scopes"); !strings.Contains(got, "openid") {
		t.Errorf("sign-in page scopes %q lack openid", got)
	}
	tab.screenshot("signin.png")

	tab.do("approving as the first user",
		chromedp.Click(chromedp.CSS("input#user-0")),
		chromedp.Click(chromedp.CSS("button#approve")),
	)
	landed := tab.waitURL("the CLI's loopback page", login.onLoopback)
	if landed.Path != "/callback" {
		t.Errorf("loopback page path %q, want /callback", landed.Path)
	}
	tab.do("loading the loopback page", chromedp.WaitReady(chromedp.CSS("body")))
	page := tab.text("body")
	t.Logf("loopback page %q: %q", tab.title(), page)
	if !strings.Contains(strings.ToLower(page), "terminal") {
		t.Errorf("success page does not send the person back to the terminal: %q", page)
	}
	if code := landed.Query().Get("code"); code != "" && strings.Contains(page, code) {
		t.Error("success page shows the authorization code")
	}
	tab.screenshot("success.png")

	if code := login.proc.wait(ctx); code != 0 {
		t.Fatalf("webex login exit %d, want 0\n%s", code, login.proc.stderr.String())
	}
	if code := landed.Query().Get("code"); code != "" && strings.Contains(login.proc.stderr.String(), code) {
		t.Error("webex login printed the authorization code")
	}
	if !strings.Contains(login.proc.stderr.String(), "Logged in as alice@example.com") {
		t.Errorf("webex login did not say who signed in:\n%s", login.proc.stderr.String())
	}

	ps := statusProfiles(t, env)
	if len(ps) != 1 {
		t.Fatalf("status lists %d profiles, want 1: %+v", len(ps), ps)
	}
	p := ps[0]
	if p.Email != "alice@example.com" || p.Flow != "browser" || p.Storage != "file" || p.ClientID != emu.clientID || p.Subject == "" || !p.AccessValid || !p.HasRefreshToken {
		t.Errorf("status profile %+v, want alice@example.com, browser flow, file storage, a subject, valid access and a refresh token", p)
	}

	tok := runWebex(t, env, "", "token", "--id-token")
	if tok.code != 0 {
		t.Fatalf("webex token --id-token: exit %d\n%s", tok.code, tok.stderr)
	}
	header, claims := decodeJWTParts(t, strings.TrimSpace(tok.stdout))
	if header["alg"] != "RS256" {
		t.Errorf("ID token alg %v, want RS256", header["alg"])
	}
	if claims["aud"] != emu.clientID || claims["sub"] != p.Subject {
		t.Errorf("ID token aud %v sub %v, want %s and %s", claims["aud"], claims["sub"], emu.clientID, p.Subject)
	}
	if claims["nonce"] != login.authURL.Query().Get("nonce") {
		t.Errorf("ID token nonce %v is not the one the CLI sent", claims["nonce"])
	}
	at := runWebex(t, env, "", "token")
	if at.code != 0 || !strings.Contains(at.stdout, "_PF84_") {
		t.Errorf("webex token: exit %d, stdout %d bytes, want an emulator access token\n%s", at.code, len(at.stdout), at.stderr)
	}
}

// TestChromiumBrowserLoginDenied presses Deny on the sign-in page: Chromium lands on the CLI's
// error page, the CLI exits 1 naming access_denied, and nothing is stored.
func TestChromiumBrowserLoginDenied(t *testing.T) {
	chrome := chromiumPath(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	defer cancel()

	emu := startLiveEmulator(t, ctx, "--approve", "manual")
	configDir := t.TempDir()
	env := emu.env(configDir)
	login := startBrowserLogin(t, ctx, emu, configDir)
	tab := newChromeTab(t, ctx, chrome)

	tab.do("denying on the sign-in page",
		chromedp.Navigate(login.authURL.String()),
		chromedp.WaitVisible(chromedp.CSS("form#signin")),
		chromedp.Click(chromedp.CSS("button#deny")),
	)
	landed := tab.waitURL("the CLI's loopback page", login.onLoopback)
	if got := landed.Query().Get("error"); got != "access_denied" {
		t.Errorf("redirect error %q, want access_denied", got)
	}
	tab.do("loading the loopback page", chromedp.WaitReady(chromedp.CSS("body")))
	page := tab.text("body")
	t.Logf("loopback page %q: %q", tab.title(), page)
	if low := strings.ToLower(page); !strings.Contains(low, "denied") && !strings.Contains(low, "access_denied") {
		t.Errorf("error page does not say that access was denied: %q", page)
	}
	tab.screenshot("error.png")

	if code := login.proc.wait(ctx); code != 1 {
		t.Fatalf("webex login exit %d, want 1\n%s", code, login.proc.stderr.String())
	}
	if !strings.Contains(login.proc.stderr.String(), "access_denied") {
		t.Errorf("webex login stderr does not name access_denied:\n%s", login.proc.stderr.String())
	}
	if ps := statusProfiles(t, env); len(ps) != 0 {
		t.Errorf("status lists %+v after a denied login, want nothing stored", ps)
	}
	if tok := runWebex(t, env, "", "token"); tok.code != 4 || tok.stdout != "" {
		t.Errorf("webex token after a denied login: exit %d stdout %q, want exit 4 and nothing", tok.code, tok.stdout)
	}
}

// deviceEvent is the first --json line of a device login.
type deviceEvent struct {
	Event                   string `json:"event"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresAt               string `json:"expires_at"`
}

// startDeviceLogin starts `webex login --flow device --json` against emu and returns the
// process and its device_code event.
func startDeviceLogin(t *testing.T, ctx context.Context, emu *liveEmulator, configDir string) (*liveProc, deviceEvent) {
	t.Helper()
	p := startLive(t, emu.env(configDir), "login", "--flow", "device", "--json", "--storage", "file")
	line := p.line(ctx, p.out, "the device_code event", func(string) bool { return true })
	var ev deviceEvent
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("first stdout line of a device login is not JSON: %v\n%s", err, line)
	}
	root := strings.TrimSuffix(emu.baseURL, "/v1")
	if ev.Event != "device_code" || len(ev.UserCode) != 6 || ev.VerificationURI != root+"/verify" ||
		!strings.HasPrefix(ev.VerificationURIComplete, root+"/verify?userCode=") || ev.ExpiresAt == "" {
		t.Fatalf("device_code event %+v, want a six-digit code and %s/verify URIs", ev, root)
	}
	return p, ev
}

// finishDeviceLogin approves on the device confirmation form, screenshots it as confirmShot and
// the done page as doneShot, and checks that the CLI stored the login.
func finishDeviceLogin(t *testing.T, ctx context.Context, tab *chromeTab, p *liveProc, ev deviceEvent, env []string, confirmShot, doneShot string) {
	t.Helper()
	tab.do("waiting for the confirmation form", chromedp.WaitVisible(chromedp.CSS("form#device-form")))
	if got := tab.text("#code"); !strings.Contains(strings.ReplaceAll(strings.ReplaceAll(got, " ", ""), "-", ""), ev.UserCode) {
		t.Errorf("confirmation page shows code %q, want %s", got, ev.UserCode)
	}
	tab.screenshot(confirmShot)
	tab.do("approving the device",
		chromedp.Click(chromedp.CSS("input#user-0")),
		chromedp.Click(chromedp.CSS("button#approve")),
		chromedp.WaitVisible(chromedp.CSS(`p#result[data-result="approved"]`)),
	)
	if got, want := tab.title(), "Webex emulator - Done"; got != want {
		t.Errorf("done page title %q, want %q", got, want)
	}
	t.Logf("done page: %q", tab.text("body"))
	tab.screenshot(doneShot)

	if code := p.wait(ctx); code != 0 {
		t.Fatalf("webex login exit %d, want 0\n%s", code, p.stderr.String())
	}
	var last struct {
		Event, Email, Provider, Profile string
	}
	lines := strings.Split(strings.TrimSpace(p.stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Event != "logged_in" || last.Email != "alice@example.com" || last.Provider != "webex" {
		t.Errorf("last --json event %q (%v), want logged_in for alice@example.com", lines[len(lines)-1], err)
	}
	ps := statusProfiles(t, env)
	if len(ps) != 1 || ps[0].Email != "alice@example.com" || ps[0].Flow != "device" || !ps[0].AccessValid {
		t.Fatalf("status %+v, want one device-flow profile for alice@example.com", ps)
	}
	if tok := runWebex(t, env, "", "token"); tok.code != 0 || !strings.Contains(tok.stdout, "_PF84_") {
		t.Errorf("webex token: exit %d, want an emulator access token\n%s", tok.code, tok.stderr)
	}
}

// TestChromiumDeviceLogin types the user code on the emulator's device page, as a person
// reading it off the terminal would, and approves.
func TestChromiumDeviceLogin(t *testing.T) {
	chrome := chromiumPath(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	defer cancel()

	emu := startLiveEmulator(t, ctx, "--approve", "manual", "--device-interval", "1s")
	configDir := t.TempDir()
	p, ev := startDeviceLogin(t, ctx, emu, configDir)
	tab := newChromeTab(t, ctx, chrome)

	tab.do("entering the user code",
		chromedp.Navigate(ev.VerificationURI),
		chromedp.WaitVisible(chromedp.CSS("form#code-form")),
	)
	if got, want := tab.title(), "Webex emulator - Device sign-in"; got != want {
		t.Errorf("device page title %q, want %q", got, want)
	}
	tab.screenshot("device-code.png")
	tab.do("submitting the user code",
		chromedp.SendKeys(chromedp.CSS("input#user_code"), ev.UserCode),
		chromedp.Click(chromedp.CSS("button#continue")),
	)
	finishDeviceLogin(t, ctx, tab, p, ev, emu.env(configDir), "device-confirm.png", "device.png")
}

// TestChromiumDeviceLoginComplete arrives through verification_uri_complete (what the QR code
// holds), so there is no code to type.
func TestChromiumDeviceLoginComplete(t *testing.T) {
	chrome := chromiumPath(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	defer cancel()

	emu := startLiveEmulator(t, ctx, "--approve", "manual", "--device-interval", "1s")
	configDir := t.TempDir()
	p, ev := startDeviceLogin(t, ctx, emu, configDir)
	tab := newChromeTab(t, ctx, chrome)

	tab.do("opening verification_uri_complete", chromedp.Navigate(ev.VerificationURIComplete))
	finishDeviceLogin(t, ctx, tab, p, ev, emu.env(configDir), "device-complete-confirm.png", "device-complete.png")
}
