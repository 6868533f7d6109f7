package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/testutil/iotest"
)

// sleeps records the waits of a run instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) tweak(d *deps) {
	d.sleep = func(ctx context.Context, w time.Duration) error {
		s.mu.Lock()
		s.d = append(s.d, w)
		s.mu.Unlock()
		return ctx.Err()
	}
}

func emails(t *testing.T, doc string) []string {
	t.Helper()
	var page struct {
		Items []struct {
			Emails []string `json:"emails"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(doc), &page); err != nil {
		t.Fatalf("not a page: %v: %s", err, doc)
	}
	var out []string
	for _, it := range page.Items {
		out = append(out, it.Emails...)
	}
	return out
}

func TestAPIPeopleMe(t *testing.T) {
	_, h, _ := tokenLogin(t, emulator.Config{})
	r := h.run("api", "people/me")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var me map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &me); err != nil || me["emails"].([]any)[0] != "ann@example.com" {
		t.Fatalf("stdout %q: %v", r.stdout, err)
	}
	if strings.Contains(r.stdout, "\n  ") {
		t.Errorf("piped output was reindented: %q", r.stdout)
	}
	// On a terminal: indented and coloured.
	h.tty, h.width = true, 80
	r = h.run("api", "/people/me")
	mustContain(t, "tty stdout", r.stdout, "\n  \x1b[36m\"emails\"\x1b[0m: [")
}

func TestAPIPaginatesAcrossThreePages(t *testing.T) {
	srv, h, _ := tokenLogin(t, emulator.Config{})
	before := srv.Stats().APIRequests
	r := h.run("api", "people", "--paginate", "-q", "max=1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := emails(t, r.stdout); strings.Join(got, ",") != strings.Join(apiUsers, ",") {
		t.Errorf("merged items %v", got)
	}
	if n := srv.Stats().APIRequests - before; n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
	if strings.Contains(r.stderr, "Fetched") {
		t.Errorf("progress on a stderr that is no terminal: %q", r.stderr)
	}

	// --slurp=false: each page as it came.
	r = h.run("api", "people", "--paginate", "--slurp=false", "-q", "max=1", "--jq", ".items[0].emails[0]")
	if r.code != 0 || r.stdout != "ann@example.com\nbob@example.com\ncy@example.com\n" {
		t.Errorf("pages: exit %d %q %s", r.code, r.stdout, r.stderr)
	}

	// A terminal's stderr gets a progress line, cleared at the end.
	h.tty, h.width = true, 80
	r = h.run("api", "people", "--paginate", "-q", "max=1", "--jq", ".items | length")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "\x1b[33m3\x1b[0m" {
		t.Errorf("tty: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "tty stderr", r.stderr, "Fetched page 3 (3 items)...", "\r\x1b[K")

	if r := h.run("api", "-X", "POST", "rooms", "--paginate"); r.code != ExitUsage {
		t.Errorf("--paginate with POST: exit %d", r.code)
	}
}

func TestAPIWaitsOutRateLimit(t *testing.T) {
	// The login's people/me is REST request 1, so the api call is 2 (429) and its retry 3.
	srv, h, _ := tokenLogin(t, emulator.Config{RateLimitEvery: 2})
	var s sleeps
	r := h.exec("", s.tweak, "api", "people/me", "--jq", ".displayName")
	if r.code != 0 || r.stdout != "Ann Emulated\n" {
		t.Fatalf("exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "rate limiting (HTTP 429); retrying in 1s.")
	if len(s.d) != 1 || s.d[0] != time.Second {
		t.Errorf("waits %v, want [1s]", s.d)
	}
	if st := srv.Stats(); st.APIRateLimited != 1 || st.PeopleMeRequests != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestAPIGivesUpAfterThreeRateLimitWaits(t *testing.T) {
	srv := startEmulator(t, emulator.Config{RateLimitEvery: 1})
	pat, _ := srv.PersonalAccessToken(emulator.DefaultUser)
	h := newHarness(t, map[string]string{"WEBEX_BASE_URL": srv.BaseURL(), "WEBEX_ACCESS_TOKEN": pat})
	var s sleeps
	r := h.exec("", s.tweak, "api", "people/me")
	if r.code != ExitFailure || len(s.d) != 3 || r.stdout != "" {
		t.Fatalf("exit %d after waits %v, stdout %q", r.code, s.d, r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "HTTP 429", "trackingId EMULATOR_")
}

// apiClock is the emulator's clock, moved by the test.
type apiClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apiClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *apiClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAPIRefreshesOnceOn401(t *testing.T) {
	clock := &apiClock{t: time.Now()}
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, AccessTTL: time.Hour, Now: clock.now})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device", "--qr", "never"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	sec, _ := h.stored("default")
	// The emulator's clock runs ahead: the token webex holds for fresh is expired there.
	clock.add(2 * time.Hour)

	// WEBEX_ACCESS_TOKEN cannot be refreshed: the 401 is reported.
	h.env["WEBEX_ACCESS_TOKEN"] = sec.AccessToken
	r := h.run("api", "people/me")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "HTTP 401") || srv.Stats().RefreshTokenGrants != 0 {
		t.Errorf("env token: exit %d, %d refreshes: %s", r.code, srv.Stats().RefreshTokenGrants, r.stderr)
	}
	delete(h.env, "WEBEX_ACCESS_TOKEN")

	r = h.run("api", "people/me", "--jq", ".emails[0]")
	if r.code != 0 || r.stdout != emulator.DefaultUser+"\n" {
		t.Fatalf("exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "HTTP 401); refreshing it and trying again")
	if st := srv.Stats(); st.RefreshTokenGrants != 1 {
		t.Errorf("%d refresh grants, want 1", st.RefreshTokenGrants)
	}
	if now, _ := h.stored("default"); now.AccessToken == sec.AccessToken {
		t.Error("the refreshed token was not stored")
	}
}

func TestAPIWithTokenProfileReports401(t *testing.T) {
	clock := &apiClock{t: time.Now()}
	srv, h, _ := tokenLogin(t, emulator.Config{AccessTTL: time.Hour, Now: clock.now})
	clock.add(2 * time.Hour)
	r := h.run("api", "people/me")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "the token was refused") || strings.Contains(r.stderr, "refreshing") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if srv.Stats().RefreshTokenGrants != 0 {
		t.Error("refreshed a token login")
	}
}

func TestAPIPostFieldsAndInput(t *testing.T) {
	_, h, _ := tokenLogin(t, emulator.Config{})
	r := h.run("api", "-X", "POST", "rooms", "-f", "title=Release planning", "--jq", ".id")
	room := strings.TrimSpace(r.stdout)
	if r.code != 0 || room == "" {
		t.Fatalf("create room: exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "note.txt")
	os.WriteFile(file, []byte("from a file"), 0o600)
	// Fields make the method POST.
	if r := h.run("api", "messages", "-F", "roomId="+room, "-F", "text=@"+file); r.code != 0 || !strings.Contains(r.stdout, `"text":"from a file"`) {
		t.Fatalf("-F @file: exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	if r := h.runIn(`{"roomId":"`+room+`","markdown":"**shipped**"}`, "api", "messages", "--input", "-"); r.code != 0 {
		t.Fatalf("--input -: exit %d: %s", r.code, r.stderr)
	}
	// With GET, fields go to the query.
	r = h.run("api", "-X", "GET", "messages", "-f", "roomId="+room, "--jq", ".items[].text")
	if r.code != 0 || r.stdout != "**shipped**\nfrom a file\n" {
		t.Errorf("list: exit %d %q: %s", r.code, r.stdout, r.stderr)
	}
	if r := h.run("api", "rooms", "--jq", ".items[0].title"); r.stdout != "Release planning\n" {
		t.Errorf("rooms: %q %s", r.stdout, r.stderr)
	}
}

func TestAPIFieldTypes(t *testing.T) {
	ios, _, _, _ := iotest.Streams()
	d := newDeps(ios)
	c, err := prepareAPI(d, &APIOptions{RawFields: []string{"s=true", "tag[]=a"}, Fields: []string{"n=42", "f=-1.5e3", "b=false", "z=null", "t=text", "tag[]=7"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":false,"f":-1.5e3,"n":42,"s":"true","t":"text","tag":["a",7],"z":null}`
	if c.method != "POST" || string(c.body) != want || c.header.Get("Content-Type") != "application/json" {
		t.Errorf("%s %s %v, want POST %s", c.method, c.body, c.header, want)
	}
	for _, bad := range [][]string{{"noequals"}, {"=v"}, {"a[b]=v"}, {"k=1", "k=2"}, {"k=1", "k[]=2"}} {
		if _, err := prepareAPI(d, &APIOptions{Fields: bad}); exitCode(err) != ExitUsage {
			t.Errorf("-F %q: %v", bad, err)
		}
	}
}

func TestAPIIncludeHeadersAndErrors(t *testing.T) {
	_, h, _ := tokenLogin(t, emulator.Config{})
	r := h.run("api", "people/me", "--include")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n") || !strings.Contains(r.stdout, "\nTrackingid: EMULATOR_") || !strings.Contains(r.stdout, "\n\n{") {
		t.Errorf("--include: exit %d %q", r.code, r.stdout)
	}
	// -H reaches the server: a text body is refused with 415, whose envelope goes to stderr.
	r = h.runIn(`{"title":"x"}`, "api", "rooms", "--input", "-", "-H", "Content-Type: text/plain")
	if r.code != ExitFailure || r.stdout != "" {
		t.Errorf("415: exit %d stdout %q", r.code, r.stdout)
	}
	mustContain(t, "415 stderr", r.stderr, `"trackingId": "EMULATOR_`, "must be application/json", "HTTP 415, trackingId EMULATOR_")
	r = h.run("api", "rooms/nope")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "HTTP 404") {
		t.Errorf("404: exit %d %s", r.code, r.stderr)
	}
	for _, args := range [][]string{
		{"-H", "Authorization: Bearer other"},
		{"-H", "no colon"},
		{"-q", "novalue"},
		{"--jq", ".["},
	} {
		if r := h.run(append([]string{"api", "people/me"}, args...)...); r.code != ExitUsage {
			t.Errorf("%q: exit %d %s", args, r.code, r.stderr)
		}
	}
}

func TestAPIRefusesOtherHosts(t *testing.T) {
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Write([]byte(`{"items":[]}`))
	}))
	defer other.Close()
	// No real server sends a next link to another host; this fake does.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+other.URL+`/v1/people?cursor=2>; rel="next"`)
		w.Write([]byte(`{"items":[{"id":"1"}]}`))
	}))
	defer api.Close()
	h := newHarness(t, map[string]string{"WEBEX_BASE_URL": api.URL + "/v1", "WEBEX_ACCESS_TOKEN": "secret-token-value"})

	r := h.run("api", "people", "--paginate")
	if r.code != ExitFailure || r.stdout != "" || !strings.Contains(r.stderr, "refusing its next-page link") {
		t.Errorf("foreign Link: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = h.run("api", other.URL+"/v1/people")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "not on the API's host") {
		t.Errorf("foreign URL: exit %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "secret-token-value") {
		t.Error("token in an error")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) != 0 {
		t.Errorf("the other host got %d requests", len(elsewhere))
	}
}

func TestAPIBaseURL(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	pat, _ := srv.PersonalAccessToken(emulator.DefaultUser)
	h := newHarness(t, nil)
	if r := h.run("api", "people/me"); r.code != ExitLoginRequired {
		t.Errorf("no login: exit %d", r.code)
	}
	cfg := config.Open(h.env["WEBEX_CONFIG_DIR"])
	if err := cfg.Save(&config.Profile{Name: "default", Provider: "oidc", Issuer: "https://idp.example"}); err != nil {
		t.Fatal(err)
	}
	h.env["WEBEX_ACCESS_TOKEN"] = pat
	if r := h.run("api", "people/me"); r.code != ExitUsage || !strings.Contains(r.stderr, "--base-url") {
		t.Errorf("oidc profile without a base: exit %d %s", r.code, r.stderr)
	}
	if r := h.run("api", "people/me", "--base-url", srv.BaseURL()); r.code != 0 {
		t.Errorf("oidc profile with --base-url: exit %d %s", r.code, r.stderr)
	}
	// A Webex profile's token goes to its own base only.
	if err := cfg.Save(&config.Profile{Name: "default", Provider: "webex", BaseURL: srv.BaseURL()}); err != nil {
		t.Fatal(err)
	}
	if r := h.run("api", "people/me", "--base-url", "https://webexapis.com/v1"); r.code != ExitUsage || !strings.Contains(r.stderr, "differs") {
		t.Errorf("other --base-url: exit %d %s", r.code, r.stderr)
	}
}

func TestAPICompletesPaths(t *testing.T) {
	h := newHarness(t, nil)
	r := h.run("__complete", "api", "")
	for _, p := range []string{"people/me", "rooms", "messages", "memberships", "teams"} {
		if !strings.Contains(r.stdout, p+"\n") {
			t.Errorf("completion lacks %s: %q", p, r.stdout)
		}
	}
}
