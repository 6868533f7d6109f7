package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// scriptedUserInfo answers GET /v1/userinfo with answers in turn, repeating the last one, and
// records the Authorization header of each request.
type scriptedUserInfo struct {
	answers []func(w http.ResponseWriter)

	mu   sync.Mutex
	auth []string
}

func (s *scriptedUserInfo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/userinfo" || r.Method != http.MethodGet {
		webexError(w, http.StatusNotFound, "not found")
		return
	}
	s.mu.Lock()
	n := len(s.auth)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	if n >= len(s.answers) {
		n = len(s.answers) - 1
	}
	w.Header().Set("TrackingID", fakeTrackingID)
	s.answers[n](w)
}

func (s *scriptedUserInfo) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

var userInfoDoc = map[string]any{
	"sub":                   fakeSubject,
	"email":                 fakeEmail,
	"email_verified":        "true",
	"phone_number_verified": "false",
	"name":                  "Bob Builder",
	"locale":                "en_US",
}

func okUserInfo(w http.ResponseWriter) { writeJSONBody(w, http.StatusOK, userInfoDoc) }

func status(code int, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		webexError(w, code, http.StatusText(code))
	}
}

// TestUserinfoErrors maps each provider answer to an exit code and one clear error line.
// The token comes from WEBEX_ACCESS_TOKEN and the endpoint from WEBEX_BASE_URL, with no
// profile.
func TestUserinfoErrors(t *testing.T) {
	const token = "ZmFrZS1hY2Nlc3MtdG9rZW4tZm9yLXVzZXJpbmZv_PF84_test"
	tests := []struct {
		name     string
		answers  []func(w http.ResponseWriter)
		code     int
		requests int
		want     []string // in stderr (errors) or stdout (success)
	}{
		{"200", []func(http.ResponseWriter){okUserInfo}, 0, 1, []string{fakeEmail}},
		{"401", []func(http.ResponseWriter){status(401, "")}, 1, 1,
			[]string{"rejected the access token", "HTTP 401", "`webex login`", fakeTrackingID}},
		{"403", []func(http.ResponseWriter){status(403, "")}, 1, 1,
			[]string{"lacks the scope", "HTTP 403", "--scopes"}},
		{"429 with Retry-After 1, then 200", []func(http.ResponseWriter){status(429, "1"), okUserInfo}, 0, 2, []string{fakeEmail}},
		{"429 every time", []func(http.ResponseWriter){status(429, "1")}, 1, 3,
			[]string{"rate limiting", "HTTP 429", "try again later"}},
		{"429 asking for an hour", []func(http.ResponseWriter){status(429, "3600")}, 1, 1,
			[]string{"rate limiting", "HTTP 429"}},
		{"500", []func(http.ResponseWriter){status(500, "")}, 1, 1, []string{"HTTP 500", fakeTrackingID}},
		{"200 that is not JSON", []func(http.ResponseWriter){func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>maintenance</html>"))
		}}, 1, 1, []string{"not a JSON object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := &scriptedUserInfo{answers: tc.answers}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			h := newHarness(t, map[string]string{"WEBEX_ACCESS_TOKEN": token, "WEBEX_BASE_URL": srv.URL + "/v1"})

			r := h.run("userinfo")
			if r.code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			reqs := fake.requests()
			if len(reqs) != tc.requests {
				t.Errorf("%d requests, want %d", len(reqs), tc.requests)
			}
			for _, a := range reqs {
				if a != "Bearer "+token {
					t.Errorf("Authorization %q", a)
				}
			}
			if strings.Contains(r.stderr, token) {
				t.Error("stderr holds the token")
			}
			if tc.code == 0 {
				mustContain(t, "stdout", r.stdout, tc.want...)
				return
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "webex: ") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one error line: %q", r.stderr)
			}
			mustContain(t, "stderr", r.stderr, tc.want...)
		})
	}
}

// TestUserinfoOutput: JSON when stdout is not a terminal or with --json, a table on a
// terminal; Webex's string booleans become booleans either way.
func TestUserinfoOutput(t *testing.T) {
	fake := &scriptedUserInfo{answers: []func(http.ResponseWriter){okUserInfo}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	h := newHarness(t, map[string]string{"WEBEX_ACCESS_TOKEN": "tok-123456", "WEBEX_BASE_URL": srv.URL + "/v1"})
	tty := func(d *deps) { d.io.SetTTY(false, true, false) }

	for _, tc := range []struct {
		name string
		run  func() result
	}{
		{"piped", func() result { return h.run("userinfo") }},
		{"piped --json", func() result { return h.run("userinfo", "--json") }},
		{"terminal --json", func() result { return h.runTweaked(tty, "userinfo", "--json") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run()
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, r.stdout)
			}
			if m["email_verified"] != true || m["phone_number_verified"] != false {
				t.Errorf("booleans not normalised: email_verified %#v, phone_number_verified %#v", m["email_verified"], m["phone_number_verified"])
			}
			if m["email"] != fakeEmail || m["sub"] != fakeSubject || len(m) != len(userInfoDoc) {
				t.Errorf("claims: %v", m)
			}
		})
	}

	t.Run("terminal table", func(t *testing.T) {
		r := h.runTweaked(tty, "userinfo")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if json.Valid([]byte(r.stdout)) {
			t.Fatalf("JSON on a terminal:\n%s", r.stdout)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != len(userInfoDoc) {
			t.Fatalf("%d lines, want %d:\n%s", len(lines), len(userInfoDoc), r.stdout)
		}
		want := []string{"email", "email_verified", "locale", "name", "phone_number_verified", "sub"}
		vals := map[string]string{"email": fakeEmail, "email_verified": "true", "locale": "en_US", "name": "Bob Builder", "phone_number_verified": "false", "sub": fakeSubject}
		for i, l := range lines {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] != want[i] || strings.Join(f[1:], " ") != vals[want[i]] {
				t.Errorf("line %d: %q, want %s %s", i, l, want[i], vals[want[i]])
			}
		}
	})
}

// TestUserinfoLoggedInProfile: with a stored login (no WEBEX_ACCESS_TOKEN), userinfo uses the
// stored token, and a 401 still points to `webex login`.
func TestUserinfoLoggedInProfile(t *testing.T) {
	f := newFakeIDP(t)
	h := newHarness(t, f.env())
	if r := h.run(browserLoginArgs...); r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	r := h.run("userinfo")
	if r.code != 0 {
		t.Fatalf("userinfo: %d %s", r.code, r.stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m["email_verified"] != true || m["email"] != fakeEmail {
		t.Errorf("userinfo: %v %s", err, r.stdout)
	}

	f.SetUserInfo(func(w http.ResponseWriter, r *http.Request) { status(401, "")(w) })
	r = h.run("userinfo")
	if r.code != ExitFailure || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "`webex login`", "HTTP 401")
	if f.Hits("/v1/userinfo") != 3 { // login, then the two calls
		t.Errorf("%d userinfo requests", f.Hits("/v1/userinfo"))
	}
}
