package emulator_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/emulator"
)

// mustContain asserts the page has every fragment.
func mustContain(t *testing.T, page []byte, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(string(page), f) {
			t.Errorf("page lacks %q", f)
		}
	}
}

func TestSignInPage(t *testing.T) {
	users := []string{"alice@example.com", "bob@example.com"}
	e := start(t, emulator.Config{Users: users})
	verifier, challenge := pkce()
	page := e.get(t, e.authorizeURL(loopbackRedirect, "openid email profile spark:people_read", "state-1", "nonce-1", challenge,
		url.Values{"login_hint": {"BOB@example.com"}}), "")
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d type %q", page.status, page.header.Get("Content-Type"))
	}
	mustContain(t, page.body,
		"<title>Webex emulator - Sign in</title>",
		`<form id="signin" method="post" action="/v1/authorize">`,
		`id="user-0" name="user" value="alice@example.com">`,
		`id="user-1" name="user" value="bob@example.com" checked>`,
		`<button id="approve" type="submit" name="decision" value="approve"`,
		`<button id="deny" type="submit" name="decision" value="deny"`,
		`data-scope="spark:people_read"`,
		`<code id="client_id">`+e.srv.ClientID()+`</code>`,
		`<code id="redirect_uri">`+loopbackRedirect+`</code>`)
	if strings.Contains(string(page.body), "<script") {
		t.Error("the page uses JavaScript")
	}
	token := csrf(t, page.body)

	t.Run("missing decision keeps the request", func(t *testing.T) {
		r := e.post(t, e.base+"/authorize", url.Values{"csrf_token": {token}, "user": {"bob@example.com"}}, "", "")
		if r.status != 400 || r.header.Get("Location") != "" {
			t.Fatalf("status %d", r.status)
		}
		mustContain(t, r.body, `id="error"`, `value="bob@example.com" checked>`)
	})
	t.Run("unknown user keeps the request", func(t *testing.T) {
		r := e.post(t, e.base+"/authorize", url.Values{"csrf_token": {token}, "user": {"mallory@example.com"}, "decision": {"approve"}}, "", "")
		if r.status != 400 || r.header.Get("Location") != "" {
			t.Fatalf("status %d", r.status)
		}
		mustContain(t, r.body, `id="error"`)
	})
	t.Run("forged token", func(t *testing.T) {
		r := e.post(t, e.base+"/authorize", url.Values{"csrf_token": {token + "x"}, "user": {"bob@example.com"}, "decision": {"approve"}}, "", "")
		if r.status != 400 || r.header.Get("Location") != "" {
			t.Fatalf("status %d", r.status)
		}
		mustContain(t, r.body, "<title>Webex emulator - Error</title>", `id="error"`)
	})

	r := e.post(t, e.base+"/authorize", url.Values{"csrf_token": {token}, "user": {"bob@example.com"}, "decision": {"approve"}}, "", "")
	if r.status != 303 {
		t.Fatalf("approve: status %d: %s", r.status, r.body)
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Scheme+"://"+loc.Host+loc.Path != loopbackRedirect || loc.Query().Get("state") != "state-1" {
		t.Fatalf("Location %q", loc)
	}
	tk := decodeTokens(t, e.exchange(t, loc.Query().Get("code"), verifier))
	if got := e.get(t, e.base+"/userinfo", tk.AccessToken).json(t)["email"]; got != "bob@example.com" {
		t.Errorf("signed in as %v", got)
	}

	// The form is single use.
	r = e.post(t, e.base+"/authorize", url.Values{"csrf_token": {token}, "user": {"bob@example.com"}, "decision": {"approve"}}, "", "")
	if r.status != 400 || r.header.Get("Location") != "" {
		t.Errorf("replayed form: status %d Location %q", r.status, r.header.Get("Location"))
	}

	t.Run("deny", func(t *testing.T) {
		page := e.get(t, e.authorizeURL(loopbackRedirect, "openid", "state-2", "n", challenge, nil), "")
		mustContain(t, page.body, `id="user-0" name="user" value="alice@example.com" checked>`)
		r := e.post(t, e.base+"/authorize", url.Values{"csrf_token": {csrf(t, page.body)}, "decision": {"deny"}}, "", "")
		loc, _ := url.Parse(r.header.Get("Location"))
		if r.status != 303 || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "state-2" || loc.Query().Get("code") != "" {
			t.Errorf("deny: status %d Location %q", r.status, loc)
		}
	})
	t.Run("expired form", func(t *testing.T) {
		page := e.get(t, e.authorizeURL(loopbackRedirect, "openid", "s", "n", challenge, nil), "")
		e.clock.Advance(16 * 60e9)
		r := e.post(t, e.base+"/authorize", url.Values{"csrf_token": {csrf(t, page.body)}, "user": {"alice@example.com"}, "decision": {"approve"}}, "", "")
		if r.status != 400 || r.header.Get("Location") != "" {
			t.Errorf("status %d", r.status)
		}
	})
	if s := e.srv.Stats(); s.AuthorizeDenials != 1 || s.CodesIssued != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

var codeRE = regexp.MustCompile(`<span id="code" class="code">([0-9]{6})</span>`)

func TestDevicePage(t *testing.T) {
	e := start(t, emulator.Config{Users: []string{"alice@example.com", "dave@example.com"}})
	dc, uc, m := e.deviceStart(t, "spark:people_read")

	entry := e.get(t, m["verification_uri"].(string), "")
	if entry.status != 200 {
		t.Fatalf("status %d", entry.status)
	}
	mustContain(t, entry.body, "<title>Webex emulator - Device sign-in</title>",
		`<form id="code-form" method="post" action="/verify">`,
		`id="user_code" name="user_code"`, `<button id="continue" type="submit"`)

	// A wrong or malformed code shows an error on the form.
	for _, bad := range []string{"12345", "abcdef", "999999x"} {
		r := e.post(t, e.root+"/verify", url.Values{"user_code": {bad}}, "", "")
		if r.status != 400 {
			t.Errorf("code %q: status %d", bad, r.status)
		}
		mustContain(t, r.body, `id="error"`, `id="user_code"`)
	}
	wrong := "000000"
	if uc == wrong {
		wrong = "000001"
	}
	r := e.post(t, e.root+"/verify", url.Values{"user_code": {wrong}}, "", "")
	mustContain(t, r.body, `id="error"`)

	// People type spaces in codes.
	typed := uc[:3] + " " + uc[3:]
	confirm := e.post(t, e.root+"/verify", url.Values{"user_code": {typed}}, "", "")
	if confirm.status != 200 {
		t.Fatalf("confirm: status %d: %s", confirm.status, confirm.body)
	}
	mustContain(t, confirm.body, `<form id="device-form" method="post" action="/verify">`,
		`id="user-1" name="user" value="dave@example.com">`, `id="approve"`, `id="deny"`, `data-scope="spark:people_read"`)
	if got := codeRE.FindSubmatch(confirm.body); got == nil || string(got[1]) != uc {
		t.Errorf("confirmation shows code %q, want %s", got, uc)
	}
	checkEnvelope(t, e.poll(t, dc), 428, "")

	done := e.post(t, e.root+"/verify", url.Values{"csrf_token": {csrf(t, confirm.body)}, "user": {"dave@example.com"}, "decision": {"approve"}}, "", "")
	if done.status != 200 {
		t.Fatalf("approve: status %d: %s", done.status, done.body)
	}
	mustContain(t, done.body, "<title>Webex emulator - Done</title>", `id="result" data-result="approved"`, "dave@example.com")
	tk := decodeTokens(t, e.poll(t, dc))
	if got := string(e.get(t, e.base+"/people/me", tk.AccessToken).body); !strings.Contains(got, `"emails":["dave@example.com"]`) {
		t.Errorf("people/me = %s", got)
	}

	// A used code cannot be entered again.
	r = e.post(t, e.root+"/verify", url.Values{"user_code": {uc}}, "", "")
	if r.status != 400 {
		t.Errorf("used code: status %d", r.status)
	}
}

func TestDevicePageCompleteURIAndDeny(t *testing.T) {
	e := start(t, emulator.Config{})
	dc, uc, m := e.deviceStart(t, "spark:people_read")
	confirm := e.get(t, m["verification_uri_complete"].(string), "")
	if confirm.status != 200 {
		t.Fatalf("status %d: %s", confirm.status, confirm.body)
	}
	mustContain(t, confirm.body, `<span id="code" class="code">`+uc+`</span>`, `id="device-form"`)
	token := csrf(t, confirm.body)

	r := e.post(t, e.root+"/verify", url.Values{"csrf_token": {token}, "user": {"alice@example.com"}}, "", "")
	if r.status != 400 {
		t.Errorf("no decision: status %d", r.status)
	}
	mustContain(t, r.body, `id="error"`, `id="device-form"`)

	done := e.post(t, e.root+"/verify", url.Values{"csrf_token": {token}, "decision": {"deny"}}, "", "")
	mustContain(t, done.body, `id="result" data-result="denied"`)
	checkEnvelope(t, e.poll(t, dc), 400, "access_denied")

	// Replays and unknown hashes are refused.
	r = e.post(t, e.root+"/verify", url.Values{"csrf_token": {token}, "decision": {"approve"}, "user": {"alice@example.com"}}, "", "")
	if r.status != 400 {
		t.Errorf("replay: status %d", r.status)
	}
	r = e.get(t, e.root+"/verify?userCode="+strings.Repeat("ab", 32), "")
	if r.status != 400 {
		t.Errorf("unknown hash: status %d", r.status)
	}
	mustContain(t, r.body, `id="error"`, `id="user_code"`)

	// An expired code is refused by the page.
	_, _, m2 := e.deviceStart(t, "spark:people_read")
	e.clock.Advance(5 * 60e9)
	r = e.get(t, m2["verification_uri_complete"].(string), "")
	if r.status != 400 {
		t.Errorf("expired: status %d", r.status)
	}
}

func TestIndexPage(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto})
	r := e.get(t, e.root+"/", "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, r.body, `<code id="base_url">`+e.base+`</code>`, e.srv.ClientID(), `<code id="approve_mode">auto</code>`)
	if strings.Contains(string(r.body), e.srv.ClientSecret()) {
		t.Error("the index page shows the client secret")
	}
}
