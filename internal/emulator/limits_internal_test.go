package emulator

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestListenRoot(t *testing.T) {
	tests := []struct {
		addr     net.Addr
		want     string
		fromHost bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080", false},
		{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8080}, "http://192.168.1.5:8080", false},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://127.0.0.1:8080", true},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 9}, "http://[::1]:9", true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9}, "http://[::1]:9", false},
	}
	for _, tt := range tests {
		root, fromHost := listenRoot(tt.addr)
		if root != tt.want || fromHost != tt.fromHost {
			t.Errorf("listenRoot(%v) = %q, %v; want %q, %v", tt.addr, root, fromHost, tt.want, tt.fromHost)
		}
	}
}

func TestValidHostPort(t *testing.T) {
	for h, want := range map[string]bool{
		"192.168.1.20:8080":      true,
		"192.168.1.20":           true,
		"laptop.local:8080":      true,
		"LAPTOP":                 true,
		"[fe80::1]:8080":         true,
		"[::1]":                  true,
		"":                       false,
		":8080":                  false,
		"host:":                  false,
		"host:0":                 false,
		"host:65536":             false,
		"host:08080":             false,
		"host:80:80":             false,
		"evil.example/x":         false,
		"a@evil.example":         false,
		"evil.example?x=1":       false,
		"evil.example#x":         false,
		"evil example":           false,
		"evil\"example":          false,
		"<script>":               false,
		"-host":                  false,
		"[127.0.0.1]:80":         false,
		"[::1":                   false,
		"[::1]x":                 false,
		"fe80::1":                false,
		strings.Repeat("a", 300): false,
	} {
		if got := validHostPort(h); got != want {
			t.Errorf("validHostPort(%q) = %v, want %v", h, got, want)
		}
	}
}

// TestUnspecifiedListenURLs: on 0.0.0.0 the URLs handed out follow the Host a client used.
func TestUnspecifiedListenURLs(t *testing.T) {
	s := newTestServer(t, Config{AllowNonLoopback: true})
	s.mu.Lock()
	s.root, s.rootFromHost = listenRoot(&net.TCPAddr{IP: net.IPv4zero, Port: 8080})
	s.mu.Unlock()
	h := s.Handler()
	device := func(host string) map[string]any {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/v1/device/authorize",
			strings.NewReader(url.Values{"client_id": {s.ClientID()}, "scope": {"spark:people_read"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 {
			t.Fatalf("device/authorize with Host %q: %d %s", host, w.Code, w.Body)
		}
		return m
	}
	for host, want := range map[string]string{
		"192.168.1.20:8080": "http://192.168.1.20:8080/verify",
		"laptop.local:8080": "http://laptop.local:8080/verify",
		"[fe80::1]:8080":    "http://[fe80::1]:8080/verify",
		"evil.example/path": "http://127.0.0.1:8080/verify",
		"a@evil.example":    "http://127.0.0.1:8080/verify",
		"":                  "http://127.0.0.1:8080/verify",
	} {
		m := device(host)
		if got := m["verification_uri"]; got != want {
			t.Errorf("Host %q: verification_uri = %v, want %s", host, got, want)
		}
		if got, _ := m["verification_uri_complete"].(string); !strings.HasPrefix(got, want+"?userCode=") {
			t.Errorf("Host %q: verification_uri_complete = %q", host, got)
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/.well-known/openid-configuration", nil)
	req.Host = "192.168.1.20:8080"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if !strings.Contains(w.Body.String(), `"token_endpoint":"http://192.168.1.20:8080/v1/access_token"`) {
		t.Errorf("discovery: %s", w.Body)
	}

	// A specific listen address is used as it is, whatever the Host.
	s.mu.Lock()
	s.root, s.rootFromHost = listenRoot(&net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8080})
	s.mu.Unlock()
	if got := device("other.example:1")["verification_uri"]; got != "http://192.168.1.5:8080/verify" {
		t.Errorf("specific address: verification_uri = %v", got)
	}
}

// TestWrongCodeLimitPerAddress: the limit on wrong user codes counts per client address.
func TestWrongCodeLimitPerAddress(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, Config{Now: func() time.Time { return now }})
	h := s.Handler()
	w := call(h, "POST", "/v1/device/authorize", "", url.Values{"client_id": {s.ClientID()}, "scope": {"spark:people_read"}})
	var m map[string]string
	json.Unmarshal(w.Body.Bytes(), &m)
	right := m["user_code"]
	wrong := "000000"
	if wrong == right {
		wrong = "000001"
	}
	enter := func(remote, code string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/verify", strings.NewReader(url.Values{"user_code": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for i := 0; i < maxWrongCodes; i++ {
		// The port differs per connection; the address is what counts.
		if w := enter("198.51.100.7:"+string(rune('1'+i%9))+"000", wrong); w.Code != http.StatusBadRequest {
			t.Fatalf("wrong code %d: status %d", i, w.Code)
		}
	}
	if w := enter("198.51.100.7:5555", right); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "60" {
		t.Fatalf("after %d wrong codes: status %d, Retry-After %q", maxWrongCodes, w.Code, w.Header().Get("Retry-After"))
	}
	if w := enter("198.51.100.8:5555", right); w.Code != http.StatusOK {
		t.Errorf("another address: status %d", w.Code)
	}
	now = now.Add(wrongCodeWindow / 2)
	if w := enter("198.51.100.7:5555", right); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "30" {
		t.Errorf("mid-window: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	now = now.Add(wrongCodeWindow / 2)
	if w := enter("198.51.100.7:5555", right); w.Code != http.StatusOK {
		t.Errorf("after the window: status %d", w.Code)
	}
}

// TestWrongCodeAddressTableIsCapped: when the table of client addresses is full of live
// windows, a new address is refused rather than tracked.
func TestWrongCodeAddressTableIsCapped(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, Config{Now: func() time.Time { return now }, MaxPending: 2})
	for _, a := range []string{"198.51.100.1", "198.51.100.2"} {
		if ok, _ := s.codeGuessAllowed(a, now); !ok {
			t.Fatalf("%s refused", a)
		}
		s.noteWrongCode(a, now)
	}
	if ok, _ := s.codeGuessAllowed("198.51.100.3", now); ok {
		t.Error("a third address was allowed with a full table")
	}
	if ok, _ := s.codeGuessAllowed("198.51.100.1", now); !ok {
		t.Error("a tracked address under its limit was refused")
	}
	now = now.Add(wrongCodeWindow)
	if ok, _ := s.codeGuessAllowed("198.51.100.3", now); !ok {
		t.Error("stale windows were not pruned")
	}
}
