package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	unitKeyOnce sync.Once
	unitKey     *rsa.PrivateKey
)

// oneKey returns a shared RSA key so unit tests skip most of the key generation.
func oneKey(t testing.TB) []*rsa.PrivateKey {
	t.Helper()
	unitKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		unitKey = k
	})
	return []*rsa.PrivateKey{unitKey}
}

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = oneKey(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConfigDefaults(t *testing.T) {
	s := newTestServer(t, Config{})
	if !regexp.MustCompile(`^C[0-9a-f]{64}$`).MatchString(s.ClientID()) {
		t.Errorf("client id %q", s.ClientID())
	}
	if len(s.ClientSecret()) != 64 {
		t.Errorf("client secret length %d", len(s.ClientSecret()))
	}
	c := s.cfg
	if c.Approve != ApproveManual || c.AccessTTL != DefaultAccessTTL || c.RefreshTTL != DefaultRefreshTTL ||
		c.IDTokenTTL != DefaultIDTokenTTL || c.DeviceTTL != DefaultDeviceTTL || c.DeviceInterval != DefaultDeviceInterval ||
		c.IDTokenIssuer != DefaultIDTokenIssuer || c.DiscoveryIssuer != DefaultDiscoveryIssuer || c.MaxPending != DefaultMaxPending {
		t.Errorf("defaults not applied: %+v", c)
	}
	if got := s.Users(); len(got) != 1 || got[0] != DefaultUser {
		t.Errorf("Users() = %v", got)
	}
	if s.BaseURL() != "" {
		t.Error("BaseURL before Start")
	}
}

func TestConfigErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"approve mode", Config{Approve: "sometimes"}},
		{"negative TTL", Config{AccessTTL: -time.Second}},
		{"negative delay", Config{ApproveDelay: -time.Second}},
		{"negative slow down", Config{SlowDownEvery: -1}},
		{"negative cap", Config{MaxPending: -1}},
		{"user not an address", Config{Users: []string{"alice"}}},
		{"user with space", Config{Users: []string{"a lice@example.com"}}},
		{"relative redirect", Config{RedirectURIs: []string{"/callback"}}},
		{"redirect with fragment", Config{RedirectURIs: []string{"http://127.0.0.1:1/cb#x"}}},
		{"client id with space", Config{ClientID: "C 1"}},
		{"short key", Config{Keys: []*rsa.PrivateKey{small}}},
		{"nil key", Config{Keys: []*rsa.PrivateKey{nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

func TestUsersDerived(t *testing.T) {
	a, b := newUser("jane.q.doe@Example.com", 0), newUser("JANE.Q.DOE@example.com", 5)
	if a.sub != b.sub || a.org != b.org {
		t.Error("subject or org depends on case")
	}
	if a.givenName != "Jane" || a.familyName != "Q Doe" || a.displayName != "Jane Q Doe" {
		t.Errorf("names %q %q %q", a.givenName, a.familyName, a.displayName)
	}
	if c := newUser("bob@example.com", 1); c.sub == a.sub || c.org != a.org {
		t.Error("users must differ, orgs of one domain must not")
	}
	s := newTestServer(t, Config{Users: []string{"x@example.com", "X@example.com", "y@example.com"}})
	if got := s.Users(); len(got) != 2 {
		t.Errorf("duplicates kept: %v", got)
	}
}

func TestRedirectAllowed(t *testing.T) {
	open := newTestServer(t, Config{})
	reg := newTestServer(t, Config{RedirectURIs: []string{"http://127.0.0.1:8085/callback", "https://app.example/cb?x=1"}})
	tests := []struct {
		s    *Server
		uri  string
		want bool
	}{
		{open, "http://127.0.0.1:8085/callback", true},
		{open, "http://127.0.0.1:1/callback", true},
		{open, "http://127.0.0.1:65535/callback", true},
		{open, "http://127.0.0.1:65536/callback", false},
		{open, "http://127.0.0.1:0/callback", false},
		{open, "http://127.0.0.1:08085/callback", false},
		{open, "http://127.0.0.1:+80/callback", false},
		{open, "http://127.0.0.1:8085/callback/", false},
		{open, "http://127.0.0.1:8085/callback?x", false},
		{open, "http://127.0.0.1:8085/callback#x", false},
		{open, "http://127.0.0.1/callback", false},
		{open, "http://127.0.0.1:8085@evil.example/callback", false},
		{open, "http://localhost:8085/callback", false},
		{open, "http://[::1]:8085/callback", false},
		{open, "https://127.0.0.1:8085/callback", false},
		{open, "", false},
		{reg, "http://127.0.0.1:8085/callback", true},
		{reg, "https://app.example/cb?x=1", true},
		{reg, "https://app.example/cb", false},
		{reg, "http://127.0.0.1:8086/callback", false},
		{reg, "HTTP://127.0.0.1:8085/callback", false},
	}
	for _, tt := range tests {
		if got := tt.s.redirectAllowed(tt.uri); got != tt.want {
			t.Errorf("redirectAllowed(%q) = %v, want %v (registered %v)", tt.uri, got, tt.want, tt.s.cfg.RedirectURIs)
		}
	}
}

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestCheckPKCE(t *testing.T) {
	v := strings.Repeat("a", 43)
	long := strings.Repeat("Z", 128)
	tests := []struct {
		name                        string
		challenge, method, verifier string
		want                        bool
	}{
		{"S256 match", s256(v), "S256", v, true},
		{"S256 128 chars", s256(long), "S256", long, true},
		{"S256 wrong", s256(v), "S256", strings.Repeat("b", 43), false},
		{"S256 missing", s256(v), "S256", "", false},
		{"S256 verifier too short", s256("abc"), "S256", "abc", false},
		{"S256 verifier too long", s256(long + "Z"), "S256", long + "Z", false},
		{"S256 bad characters", s256(v[:42] + "+"), "S256", v[:42] + "+", false},
		{"S256 challenge as verifier", s256(v), "S256", s256(v), false},
		{"plain match", v, "plain", v, true},
		{"plain wrong", v, "plain", v + "b", false},
		{"no challenge no verifier", "", "", "", true},
		{"no challenge but verifier", "", "", v, false},
	}
	for _, tt := range tests {
		if got := checkPKCE(tt.challenge, tt.method, tt.verifier); got != tt.want {
			t.Errorf("%s: checkPKCE = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestParseClientAuth(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		form     url.Values
		want     clientAuth
		wantFail bool
	}{
		{"none", "", url.Values{}, clientAuth{}, false},
		{"basic", basic("C1", "s"), nil, clientAuth{id: "C1", secret: "s", basic: true, present: true}, false},
		{"basic lower-case scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("C1:s")), nil, clientAuth{id: "C1", secret: "s", basic: true, present: true}, false},
		{"basic unpadded", "Basic " + base64.RawStdEncoding.EncodeToString([]byte("C1:sx")), nil, clientAuth{id: "C1", secret: "sx", basic: true, present: true}, false},
		{"basic form-encoded parts", basic("C%3A1", "a%2Bb+c"), nil, clientAuth{id: "C:1", secret: "a+b c", basic: true, present: true}, false},
		{"basic raw percent", basic("C1", "100%"), nil, clientAuth{id: "C1", secret: "100%", basic: true, present: true}, false},
		{"basic secret with colon", basic("C1", "a:b"), nil, clientAuth{id: "C1", secret: "a:b", basic: true, present: true}, false},
		{"basic and same form id", basic("C1", "s"), url.Values{"client_id": {"C1"}}, clientAuth{id: "C1", secret: "s", basic: true, present: true}, false},
		{"basic and other form id", basic("C1", "s"), url.Values{"client_id": {"C2"}}, clientAuth{}, true},
		{"basic and form secret", basic("C1", "s"), url.Values{"client_secret": {"s"}}, clientAuth{}, true},
		{"basic without colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("C1")), nil, clientAuth{}, true},
		{"basic bad base64", "Basic !!!", nil, clientAuth{}, true},
		{"bearer", "Bearer abc", nil, clientAuth{}, true},
		{"form", "", url.Values{"client_id": {"C1"}, "client_secret": {"s"}}, clientAuth{id: "C1", secret: "s", present: true}, false},
		{"form id only", "", url.Values{"client_id": {"C1"}}, clientAuth{id: "C1", present: true}, false},
	}
	for _, tt := range tests {
		got, err := parseClientAuth(tt.header, tt.form)
		if (err != nil) != tt.wantFail || (err == nil && got != tt.want) {
			t.Errorf("%s: parseClientAuth = %+v, %v; want %+v, fail %v", tt.name, got, err, tt.want, tt.wantFail)
		}
	}
}

func TestStart(t *testing.T) {
	s := newTestServer(t, Config{})
	if err := s.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
	for _, addr := range []string{"0.0.0.0:0", "localhost:0", "[::1]:0", "192.0.2.1:0", "nonsense"} {
		if _, err := s.Start(addr); err == nil {
			t.Errorf("Start(%q) accepted a non-loopback address", addr)
		}
	}
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/v1$`).MatchString(base) || s.BaseURL() != base {
		t.Errorf("base URL %q, BaseURL() %q", base, s.BaseURL())
	}
	if _, err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	s.mu.Lock()
	hs := s.httpSrv
	s.mu.Unlock()
	if hs.ReadHeaderTimeout != 10*time.Second || hs.ReadTimeout != 30*time.Second || hs.WriteTimeout != 30*time.Second || hs.IdleTimeout != 120*time.Second {
		t.Errorf("timeouts: header %v, read %v, write %v, idle %v", hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout)
	}
	resp, err := http.Get(base + "/verification")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestStartAllowNonLoopback(t *testing.T) {
	s := newTestServer(t, Config{AllowNonLoopback: true})
	base, err := s.Start("localhost:0")
	if err != nil {
		t.Fatalf("Start(localhost:0) with AllowNonLoopback: %v", err)
	}
	defer s.Close()
	if base == "" {
		t.Error("no base URL")
	}
}

// call sends one request straight to the handler.
func call(h http.Handler, method, target, auth string, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestLogHasNoSecrets(t *testing.T) {
	var log bytes.Buffer
	s := newTestServer(t, Config{Log: &log, Approve: ApproveAuto, ClientSecret: "very-secret-value"})
	h := s.Handler()
	v := strings.Repeat("v", 43)
	w := call(h, "GET", "http://127.0.0.1:9/v1/authorize?response_type=code&scope=openid&state=STATE-SECRET&client_id="+s.ClientID()+
		"&redirect_uri="+url.QueryEscape("http://127.0.0.1:8085/callback")+"&code_challenge="+s256(v)+"&code_challenge_method=S256", "", nil)
	loc, _ := url.Parse(w.Header().Get("Location"))
	code := loc.Query().Get("code")
	w = call(h, "POST", "http://127.0.0.1:9/v1/access_token", basic(s.ClientID(), s.ClientSecret()), url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:8085/callback"}, "code_verifier": {v}})
	if w.Code != 200 {
		t.Fatalf("exchange: %d %s", w.Code, w.Body)
	}
	tokenBody := w.Body.String()
	w = call(h, "POST", "http://127.0.0.1:9/v1/device/authorize", "", url.Values{"client_id": {s.ClientID()}, "scope": {"spark:people_read"}})
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log has %d lines, want 3:\n%s", len(lines), log.String())
	}
	if !regexp.MustCompile(`^\d\d:\d\d:\d\d GET /v1/authorize 302 \S+$`).MatchString(lines[0]) {
		t.Errorf("log line %q", lines[0])
	}
	secrets := []string{code, "STATE-SECRET", "very-secret-value", v, s256(v)}
	for _, f := range regexp.MustCompile(`"[a-z_]+":"([^"]{12,})"`).FindAllStringSubmatch(tokenBody+w.Body.String(), -1) {
		secrets = append(secrets, f[1])
	}
	for _, sec := range secrets {
		if strings.Contains(log.String(), sec) {
			t.Errorf("log contains a secret value: %q", sec)
		}
	}
}

func TestPrune(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, Config{Now: func() time.Time { return now }, Approve: ApproveAuto})
	h := s.Handler()
	for range 10 {
		call(h, "POST", "/v1/device/authorize", "", url.Values{"client_id": {s.ClientID()}, "scope": {"spark:people_read"}})
		call(h, "GET", "/v1/authorize?response_type=code&scope=openid&client_id="+s.ClientID()+"&redirect_uri="+url.QueryEscape("http://127.0.0.1:8085/callback"), "", nil)
	}
	s.mu.Lock()
	if len(s.devices) != 10 || len(s.codes) != 10 || len(s.userCodes) != 10 || len(s.hashCodes) != 10 {
		t.Errorf("before: %d devices, %d codes", len(s.devices), len(s.codes))
	}
	s.mu.Unlock()
	now = now.Add(DefaultDeviceTTL + deviceGrace + time.Minute)
	call(h, "POST", "/v1/device/authorize", "", url.Values{"client_id": {s.ClientID()}, "scope": {"spark:people_read"}})
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.devices) != 1 || len(s.codes) != 0 || len(s.userCodes) != 1 || len(s.hashCodes) != 1 {
		t.Errorf("after: %d devices, %d codes, %d user codes", len(s.devices), len(s.codes), len(s.userCodes))
	}
}

func TestIDTokenTTLAndIssuer(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, Config{IDTokenTTL: 10 * time.Minute, IDTokenIssuer: "https://idbroker-eu.webex.com/idb", Now: func() time.Time { return now }})
	tok, err := s.signIDToken(grant{user: s.users[0], clientID: "C1", authTime: now}, "", now)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	for _, want := range []string{`"iss":"https://idbroker-eu.webex.com/idb"`, `"exp":` + strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10), `"aud":"C1"`} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("claims %s lack %s", payload, want)
		}
	}
	if strings.Contains(string(payload), "nonce") {
		t.Error("empty nonce serialized")
	}
}
