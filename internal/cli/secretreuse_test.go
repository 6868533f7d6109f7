package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/webex-cli/webex/internal/emulator"
)

// recorder is a provider on 127.0.0.1 that records every request and lets no login succeed:
// device codes are denied, and the sign-in page sends the browser straight back with a code
// that the token endpoint refuses.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string // each request as sent, with the Basic credentials decoded
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(rec.serve))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) serve(w http.ResponseWriter, r *http.Request) {
	dump, _ := httputil.DumpRequest(r, true)
	user, pass, _ := r.BasicAuth()
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, fmt.Sprintf("%s\nbasic user=%s password=%s", dump, user, pass))
	rec.mu.Unlock()
	switch r.URL.Path {
	case "/v1/device/authorize":
		writeJSONBody(w, http.StatusOK, map[string]any{"device_code": "dc-recorded", "user_code": "123456",
			"verification_uri": rec.srv.URL + "/verify", "expires_in": 60, "interval": 1})
	case "/v1/authorize":
		q := r.URL.Query()
		back := q.Get("redirect_uri") + "?" + url.Values{"code": {"code-recorded"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back, http.StatusFound)
	case "/v1/device/token", "/v1/access_token":
		writeJSONBody(w, http.StatusBadRequest, map[string]any{"error": "invalid_client"})
	default:
		http.NotFound(w, r)
	}
}

// sent returns the recorded requests whose path ends with suffix.
func (rec *recorder) sent(suffix string) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, r := range rec.reqs {
		if first, _, _ := strings.Cut(r, " HTTP/1.1"); strings.HasSuffix(first, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// TestStoredSecretGoesOnlyWhereItWasGiven: after a login to one base URL, a login pointed at
// another (WEBEX_BASE_URL left set in the shell, say) with the same client id and no secret
// given does not send the stored secret there, in either flow; it says why and goes on as a
// first login without a secret would. A login to the same base URL still reuses it.
func TestStoredSecretGoesOnlyWhereItWasGiven(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device"); r.code != 0 {
		t.Fatalf("first login: %s", r.stderr)
	}
	secret := srv.ClientSecret()
	delete(h.env, "WEBEX_CLIENT_SECRET")

	rec := newRecorder(t)
	h.env["WEBEX_BASE_URL"] = rec.srv.URL + "/v1"
	for _, flow := range []struct {
		args      []string
		tokenPath string
	}{
		{[]string{"--flow", "device"}, "/v1/device/token"},
		{[]string{"--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback"}, "/v1/access_token"},
	} {
		r := h.run(append([]string{"login"}, flow.args...)...)
		if r.code != ExitFailure {
			t.Errorf("login %v at the recorder: exit %d, want 1: %s", flow.args, r.code, r.stderr)
		}
		mustContain(t, "stderr", r.stderr, "Not reusing the client secret")
		if len(rec.sent(flow.tokenPath)) == 0 {
			t.Errorf("login %v never reached the recorder's token endpoint", flow.args)
		}
	}
	for _, req := range rec.sent("") {
		if strings.Contains(req, secret) {
			t.Fatalf("the stored client secret was sent to another base URL:\n%s", strings.ReplaceAll(req, secret, "[THE SECRET]"))
		}
	}

	h.env["WEBEX_BASE_URL"] = srv.BaseURL()
	r := h.run("login", "--flow", "device")
	if r.code != 0 || strings.Contains(r.stderr, "Not reusing") {
		t.Fatalf("login again to the same base URL: exit %d: %s", r.code, r.stderr)
	}
	if sec, err := h.stored("default"); err != nil || sec.ClientSecret != secret {
		t.Fatalf("the stored secret was not reused: %v", err)
	}
}
