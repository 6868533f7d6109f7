package httpx

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a Debug writer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixedClock returns a clock that advances 25ms per call.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(25 * time.Millisecond)
		return t
	}
}

// Secrets that appear on the wire in the exchanges below; none may appear in the trace.
const (
	clientID      = "C0123456789abcdef"
	clientSecret  = "sEcReT-0f9e8d7c6b5a"
	authCode      = "AuThCoDe-7f6e5d4c3b2a1"
	codeVerifier  = "VeRiFiEr-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	accessToken   = "ZDI3MGEyYzQtNmFlNS00NDNhLWFlNzAtZGVjNjE0MGU1OGZm_PF84_1eb65fdf"
	refreshToken  = "NjQ4ZjM4ZGEtYTk5ZC00YmNmLWE4YjUtM2RlNjk1NmE5MWI4_PF84_REFRESH"
	deviceCode    = "devc0de-8a1f-4d6c-9e3b-1c2d3e4f5a6b"
	userCode      = "482913"
	userCodeHash  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	sessionCookie = "SeSsIoNcOoKiE42"
	trackingID    = "ROUTER_65A1B2C3-0B00-01BB-0C5B-AC12D0260C5B"
	headerTracker = "WEBEX-CLI_5b3a1c2d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
	pollTracker   = "ROUTER_POLL_0001"
)

var idToken = "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"u","nonce":"n"}`)) + ".c2lnbmF0dXJlLWJ5dGVz"

func webexFake(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/access_token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != clientID || secret != clientSecret {
			t.Errorf("basic auth %q %q %v", id, secret, ok)
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		for k, want := range map[string]string{"code": authCode, "code_verifier": codeVerifier, "client_secret": clientSecret, "grant_type": "authorization_code", "state": "st4te"} {
			if got := r.PostForm.Get(k); got != want {
				t.Errorf("server got %s=%q, want %q", k, got, want)
			}
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("TrackingID", headerTracker)
		w.Header().Add("Set-Cookie", "sid="+sessionCookie+"; HttpOnly")
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": accessToken, "expires_in": 1209599, "refresh_token": refreshToken,
			"refresh_token_expires_in": 7775999, "token_type": "Bearer", "id_token": idToken,
			"trackingId": trackingID,
		})
	})
	mux.HandleFunc("POST /v1/device/authorize", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"device_code": deviceCode, "user_code": userCode,
			"verification_uri":          "https://oauth-helper-r.wbx2.com/verify",
			"verification_uri_complete": "https://oauth-helper-r.wbx2.com/verify?userCode=" + userCodeHash,
			"expires_in":                300, "interval": 2,
		})
	})
	mux.HandleFunc("POST /v1/device/token", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("device_code") != deviceCode {
			t.Errorf("device_code %q", r.FormValue("device_code"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("TrackingID", pollTracker)
		w.WriteHeader(http.StatusPreconditionRequired)
		io.WriteString(w, `{"message":"The user has not yet approved","errors":[{"description":"authorization_pending"}],"trackingId":"`+pollTracker+`"}`)
	})
	mux.HandleFunc("GET /v1/userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+accessToken {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"sub":"u","email":"a@example.com","email_verified":"true"}`)
	})
	mux.HandleFunc("GET /v1/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/landing?code="+authCode+"&state=st4te", http.StatusFound)
	})
	mux.HandleFunc("GET /v1/landing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<p>code=`+r.URL.Query().Get("code")+`</p>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestTraceRedactsTokenExchange(t *testing.T) {
	srv := webexFake(t)
	var trace syncBuffer
	c := NewClient(Options{UserAgent: UserAgent("1.0.0"), Debug: &trace, Now: fixedClock()})

	// Authorization code exchange: Basic auth, and the secret in the form too.
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {authCode}, "code_verifier": {codeVerifier},
		"redirect_uri": {"http://127.0.0.1:8085/callback"}, "client_id": {clientID},
		"client_secret": {clientSecret}, "state": {"st4te"},
	}.Encode()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/access_token", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tok["access_token"] != accessToken || tok["refresh_token"] != refreshToken || tok["id_token"] != idToken {
		t.Errorf("caller got altered tokens: %v", tok)
	}

	// Device authorization and one pending poll.
	resp, err = c.PostForm(srv.URL+"/v1/device/authorize", url.Values{"client_id": {clientID}, "scope": {"spark:people_read"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(deviceCode)) || !bytes.Contains(body, []byte(userCodeHash)) {
		t.Errorf("caller got altered device response: %s", body)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/v1/device/token", strings.NewReader(url.Values{
		"grant_type":  {"urn:ietf:params:oauth:grant-type:device_code"},
		"device_code": {deviceCode}, "client_id": {clientID},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPreconditionRequired {
		t.Errorf("status %d", resp.StatusCode)
	}

	// UserInfo with the access token, and a redirect carrying a code in Location.
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/v1/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(srv.URL + "/v1/redirect")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "<p>code="+authCode+"</p>" {
		t.Errorf("landing body %q", body)
	}

	out := trace.String()
	t.Logf("trace:\n%s", out)
	basic := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + clientSecret))
	secrets := map[string]string{
		"client secret": clientSecret, "code": authCode, "code verifier": codeVerifier,
		"access token": accessToken, "refresh token": refreshToken, "ID token": idToken,
		"ID token signature": "c2lnbmF0dXJlLWJ5dGVz", "device code": deviceCode, "user code": userCode,
		"user code hash": userCodeHash, "cookie": sessionCookie, "Basic credentials": basic,
		"form-encoded code verifier": url.QueryEscape(codeVerifier),
	}
	for name, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("trace contains the %s", name)
		}
	}
	for _, want := range []string{
		trackingID, headerTracker, pollTracker, // support needs these
		"> #1 POST " + srv.URL + "/v1/access_token",
		"> Authorization: Basic [REDACTED len=",
		"> User-Agent: webex/1.0.0",
		"code=[REDACTED len=", "client_secret=[REDACTED len=", "state=st4te", "client_id=" + clientID,
		"< #1 HTTP/1.1 200 OK (25ms)",
		`"access_token": "[REDACTED len=`, `"id_token": "[REDACTED len=`, `"token_type": "Bearer"`, `"expires_in": 1209599`,
		"< Set-Cookie: [REDACTED len=",
		`"device_code": "[REDACTED len=`, `"interval": 2`, "verify?userCode=[REDACTED len=64]",
		"428 Precondition Required", "authorization_pending",
		"> Authorization: Bearer [REDACTED len=",
		`"email": "a@example.com"`,
		"< Location: /v1/landing?code=[REDACTED len=", "> #6 GET " + srv.URL + "/v1/landing?code=[REDACTED len=",
		"<p>code=[REDACTED len=",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

func TestTraceBodies(t *testing.T) {
	big := bytes.Repeat([]byte("abcdefgh"), 100<<10/8) // 100 KiB, more than MaxTraceBody
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	var received []byte
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(big)
	})
	mux.HandleFunc("/png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		received, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("not really gzip but opaque"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var trace syncBuffer
	c := NewClient(Options{Debug: &trace, Now: fixedClock()})
	get := func(path string) []byte {
		t.Helper()
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := get("/big"); !bytes.Equal(got, big) {
		t.Errorf("big body: caller got %d bytes, want %d", len(got), len(big))
	}
	if got := get("/png"); !bytes.Equal(got, png) {
		t.Errorf("binary body altered")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/gzip", nil)
	req.Header.Set("Accept-Encoding", "gzip") // the caller asked, so the transport passes it through
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	upload := append(bytes.Repeat([]byte("x"), MaxTraceBody), []byte("&password=tail")...)
	resp, err = c.Post(srv.URL+"/upload", "application/x-www-form-urlencoded", bytes.NewReader(upload))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !bytes.Equal(received, upload) {
		t.Errorf("server received %d bytes, want %d", len(received), len(upload))
	}

	out := trace.String()
	for _, want := range []string{
		"[body longer than 65536 bytes; the rest is not shown]",
		"[binary body, 108 bytes, image/png]",
		"[gzip-encoded body, 26 bytes]",
		"< #4 HTTP/1.1 204 No Content",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q", want)
		}
	}
	if strings.Count(out, "abcdefgh") > MaxTraceBody/8 {
		t.Errorf("trace shows more than MaxTraceBody of the big body")
	}
	if strings.Contains(out, "\x00") || strings.Contains(out, "PNG") || strings.Contains(out, "tail") {
		t.Errorf("trace shows binary or beyond-limit content")
	}
}

func TestTraceTransportError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/v1/token?code=" + authCode
	srv.Close() // nothing listens any more

	var trace syncBuffer
	c := NewClient(Options{Debug: &trace, Now: fixedClock()})
	_, err := c.Get(target)
	if err == nil {
		t.Fatal("request to a closed server succeeded")
	}
	out := trace.String()
	if strings.Contains(out, authCode) {
		t.Errorf("trace contains the code:\n%s", out)
	}
	if !strings.Contains(out, "< #1 error after 25ms: ") || !strings.Contains(out, "code=[REDACTED len=") {
		t.Errorf("trace:\n%s", out)
	}
}

func TestTraceConcurrentAndCancelled(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		io.WriteString(w, `{"access_token":"`+accessToken+`"}`)
	}))
	defer srv.Close()
	defer close(release)

	var trace syncBuffer
	c := NewClient(Options{Debug: &trace}) // real clock: durations are shown, never asserted
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(srv.URL + "/fast")
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	wg.Wait()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow", nil)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(req)
		errc <- err
	}()
	for !strings.Contains(trace.String(), "/slow") {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}

	out := trace.String()
	if n := strings.Count(out, "< #"); n != 9 {
		t.Errorf("%d response blocks, want 9", n)
	}
	if strings.Contains(out, accessToken) {
		t.Error("trace contains the access token")
	}
}

// failingWriter stands for a closed stderr: the trace must not fail requests.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestTraceWriterErrorsIgnored(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	resp, err := NewClient(Options{Debug: failingWriter{}}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Errorf("body %q", b)
	}
}

// TestTraceEscapesTerminalControls: what a server sends cannot drive the terminal the trace
// is read on: C1 controls and bidirectional overrides in headers, JSON and text bodies and
// errors are shown escaped, as in webex's normal output.
func TestTraceEscapesTerminalControls(t *testing.T) {
	const evil = "a\u009b2Jb\u202ec\u0085d"
	const shown = `a\u009b2Jb\u202ec\u0085d`
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Note", evil)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"error_description":"`+evil+`"}`)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "line one\n"+evil+"\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var trace syncBuffer
	c := NewClient(Options{Debug: &trace, Now: fixedClock()})
	for _, path := range []string{"/json", "/text"} {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	out := trace.String()
	if strings.ContainsAny(out, "\u009b\u202e\u0085") {
		t.Errorf("the trace holds raw control or format characters:\n%s", out)
	}
	if n := strings.Count(out, shown); n != 3 {
		t.Errorf("the trace shows the escaped text %d times, want 3 (header, JSON, text):\n%s", n, out)
	}
	if !strings.Contains(out, "line one\n") {
		t.Errorf("the text body lost its layout:\n%s", out)
	}
}
