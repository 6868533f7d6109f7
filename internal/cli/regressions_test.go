package cli

// Regression tests: an empty token argument, secrets a provider echoes back, and usage errors
// of decode --verify.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/emulator"
)

// `webex decode "$TOKEN"` with TOKEN empty must fail on the empty input, not silently decode
// (and, with --verify, vouch for) the profile's stored ID token instead.
func TestDecodeEmptyArgumentIsNotTheStoredToken(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run(browserLoginArgs...); r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"decode", ""}, {"decode", "--verify", ""}} {
		r := h.run(args...)
		if r.code != ExitFailure {
			t.Errorf("%q: exit %d, want 1", args, r.code)
		}
		checkOneErrorLine(t, r, "input is empty")
	}
}

// A provider (or a proxy in front of it) that echoes a secret in its error text must not get
// it printed: errors never carry a token, code or secret (cli.md, Output and exit codes).
func TestProviderErrorTextIsRedacted(t *testing.T) {
	t.Run("token endpoint echoes the code and the PKCE verifier", func(t *testing.T) {
		f := newFakeIDP(t, func(f *fakeIDP) {
			f.TokenAnswer = func(w http.ResponseWriter, form url.Values) {
				writeJSONBody(w, http.StatusBadRequest, map[string]any{
					"error":             "invalid_grant",
					"error_description": "code=" + form.Get("code") + " code_verifier=" + form.Get("code_verifier") + " is not valid",
				})
			}
		})
		h := newHarness(t, f.env())
		b := &recordingBrowser{}
		h.browser = b.open
		r := h.run(browserLoginArgs...)
		b.wg.Wait()
		if r.code != ExitFailure {
			t.Fatalf("exit %d", r.code)
		}
		mustContain(t, "stderr", r.stderr, "invalid_grant")
		for _, s := range f.Secrets() {
			if strings.Contains(r.stderr, s) {
				t.Errorf("stderr holds a secret (%d bytes): %s", len(s), r.stderr)
			}
			for _, p := range b.pages {
				if strings.Contains(p, s) {
					t.Errorf("the browser's error page holds a secret (%d bytes)", len(s))
				}
			}
		}
	})
	t.Run("userinfo 401 echoes the bearer token", func(t *testing.T) {
		const token = "ZmFrZS1hY2Nlc3MtdG9rZW4tZm9yLXVzZXJpbmZv_PF84_test"
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			webexError(w, http.StatusUnauthorized, "Invalid access token: "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}))
		t.Cleanup(srv.Close)
		h := newHarness(t, map[string]string{"WEBEX_ACCESS_TOKEN": token, "WEBEX_BASE_URL": srv.URL + "/v1"})
		r := h.run("userinfo")
		if r.code != ExitFailure {
			t.Fatalf("exit %d", r.code)
		}
		mustContain(t, "stderr", r.stderr, "HTTP 401")
		if strings.Contains(r.stderr, token) {
			t.Errorf("stderr holds the access token: %s", r.stderr)
		}
	})
}

// A usage error of `decode --verify` (missing --client-id, --jwks-url without --issuer, a
// non-https --issuer) is found only after the token has been printed, and is reported as a
// failed verification: stdout must stay empty and the error must not read as if the token
// had been checked.
func TestDecodeVerifyUsageErrorPrintsNothing(t *testing.T) {
	tok := goodHeader + "." + goodClaims + "." + goodSig
	h := newHarness(t, nil)
	for _, args := range [][]string{
		{"decode", "--verify", tok},
		{"decode", "--verify", "--client-id", "C1", "--jwks-url", "http://127.0.0.1:1/keys", tok},
		{"decode", "--verify", "--client-id", "C1", "--issuer", "ftp://example.com", tok},
		{"decode", "--verify", "--json", tok},
	} {
		r := h.run(args...)
		if r.code != ExitUsage {
			t.Errorf("%q: exit %d, want 2", args, r.code)
		}
		if r.stdout != "" {
			t.Errorf("%q: stdout %q", args, r.stdout)
		}
		if strings.Contains(r.stderr, "verification failed") {
			t.Errorf("%q: a usage error reads as a failed verification: %q", args, r.stderr)
		}
	}
}
