package emulator_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/emulator"
)

// checkBusy asserts the 503 answered when a table is full.
func checkBusy(t *testing.T, r response) {
	t.Helper()
	checkEnvelope(t, r, 503, "Service Unavailable")
	if r.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After = %q, want 60", r.header.Get("Retry-After"))
	}
}

func TestPendingTablesAreCapped(t *testing.T) {
	e := start(t, emulator.Config{MaxPending: 3})
	signIn := func() response {
		return e.get(t, e.authorizeURL("http://127.0.0.1:8085/callback", "openid", "st", "", "", nil), "")
	}
	device := func() response {
		return e.post(t, e.base+"/device/authorize", url.Values{"client_id": {e.srv.ClientID()}, "scope": {"spark:people_read"}}, "", "")
	}

	// Device codes: three live ones, then 503.
	var complete string
	for i := range 3 {
		r := device()
		if r.status != 200 {
			t.Fatalf("device code %d: %d %s", i, r.status, r.body)
		}
		complete, _ = r.json(t)["verification_uri_complete"].(string)
	}
	checkBusy(t, device())

	// Sign-in forms: three pending pages, then 503 for sign-in and device confirmation forms.
	for i := range 3 {
		if r := signIn(); r.status != 200 {
			t.Fatalf("sign-in page %d: %d %s", i, r.status, r.body)
		}
	}
	checkBusy(t, signIn())
	checkBusy(t, e.get(t, complete, ""))

	// Expired entries make room again.
	e.clock.Advance(emulator.DefaultDeviceTTL + 16*time.Minute)
	if r := device(); r.status != 200 {
		t.Errorf("device code after expiry: %d %s", r.status, r.body)
	}
	if r := signIn(); r.status != 200 {
		t.Errorf("sign-in page after expiry: %d %s", r.status, r.body)
	}
}

func TestAuthorizationCodesAreCapped(t *testing.T) {
	e := start(t, emulator.Config{MaxPending: 2, Approve: emulator.ApproveAuto})
	authorize := func() response {
		return e.get(t, e.authorizeURL("http://127.0.0.1:8085/callback", "openid", "st", "", "", nil), "")
	}
	for i := range 2 {
		if r := authorize(); r.status != 302 {
			t.Fatalf("code %d: %d %s", i, r.status, r.body)
		}
	}
	checkBusy(t, authorize())
	e.clock.Advance(5*time.Minute + time.Second)
	if r := authorize(); r.status != 302 {
		t.Errorf("after the codes expired: %d %s", r.status, r.body)
	}
}

func TestVerifyLimitsWrongCodes(t *testing.T) {
	e := start(t, emulator.Config{})
	_, uc, m := e.deviceStart(t, "spark:people_read")
	enter := func(code string) response {
		return e.post(t, e.root+"/verify", url.Values{"user_code": {code}}, "", "")
	}
	// Malformed codes are not guesses and do not count.
	for range 3 {
		if r := enter("12345"); r.status != 400 {
			t.Fatalf("malformed code: %d", r.status)
		}
	}
	n := 0
	for i := 0; n < 10; i++ {
		code := fmt.Sprintf("%06d", i)
		if code == uc {
			continue
		}
		if r := enter(code); r.status != 400 {
			t.Fatalf("wrong code %s: status %d", code, r.status)
		}
		n++
	}
	r := enter(uc)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("the right code after 10 wrong ones: %d (Retry-After %q)", r.status, r.header.Get("Retry-After"))
	}
	mustContain(t, r.body, `id="error"`, "Too many wrong codes")
	if strings.Contains(string(r.body), uc) {
		t.Error("the 429 page shows the code")
	}
	if r := e.get(t, m["verification_uri_complete"].(string), ""); r.status != 429 {
		t.Errorf("verification_uri_complete while limited: %d", r.status)
	}
	e.clock.Advance(time.Minute)
	if r := enter(uc); r.status != 200 {
		t.Errorf("the right code after a minute: %d %s", r.status, r.body)
	}
}
