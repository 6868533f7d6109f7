package emulator_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/emulator"
)

// Keys are shared by every test server: generating RSA keys is the slow part of New.
var (
	keysOnce  sync.Once
	keysValue []*rsa.PrivateKey
)

func testKeys(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keysValue = append(keysValue, k)
		}
	})
	return keysValue
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a started emulator with its clock.
type env struct {
	srv   *emulator.Server
	base  string // http://127.0.0.1:PORT/v1
	root  string // http://127.0.0.1:PORT
	clock *fakeClock
	c     *http.Client
}

func start(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	clock := newClock()
	cfg.Keys = testKeys(t)
	cfg.Now = clock.Now
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{
		srv: srv, base: base, root: strings.TrimSuffix(base, "/v1"), clock: clock,
		c: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// response is an answer with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (e *env) do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := e.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (e *env) get(t *testing.T, target, bearer string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return e.do(t, req)
}

// post sends a form; user and pass go in HTTP Basic when user is not empty.
func (e *env) post(t *testing.T, target string, form url.Values, user, pass string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return e.do(t, req)
}

// pkce returns a fresh verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf extracts the hidden csrf_token of a page.
func csrf(t *testing.T, page []byte) string {
	t.Helper()
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf_token in page:\n%s", page)
	}
	return string(m[1])
}

// checkEnvelope asserts a Webex error envelope with a tracking id matching the header.
func checkEnvelope(t *testing.T, r response, status int, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	var env struct {
		Message string `json:"message"`
		Errors  []struct {
			Description string `json:"description"`
		} `json:"errors"`
		TrackingID string `json:"trackingId"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("envelope: %v: %s", err, r.body)
	}
	if message != "" && env.Message != message {
		t.Errorf("message = %q, want %q", env.Message, message)
	}
	if len(env.Errors) == 0 || env.Errors[0].Description == "" {
		t.Errorf("errors[].description missing: %s", r.body)
	}
	if env.TrackingID == "" || env.TrackingID != r.header.Get("TrackingID") {
		t.Errorf("trackingId %q, TrackingID header %q", env.TrackingID, r.header.Get("TrackingID"))
	}
}

// checkOAuthError asserts an RFC 6749 error body.
func checkOAuthError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["error"] != code {
		t.Errorf("error = %v, want %q; body %s", m["error"], code, r.body)
	}
	if r.header.Get("TrackingID") == "" {
		t.Error("no TrackingID header")
	}
}
