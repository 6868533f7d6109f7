package httpx

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxy is a forward proxy on 127.0.0.1 that records what it is asked for and refuses
// CONNECT, so no request ever leaves the machine. It is started before any test runs because
// http.ProxyFromEnvironment reads the environment once per process.
var proxy struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func proxySeen() []string {
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	return append([]string(nil), proxy.seen...)
}

func TestMain(m *testing.M) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	proxy.addr = ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveProxy(c)
		}
	}()
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		os.Unsetenv(k)
	}
	os.Setenv("HTTPS_PROXY", "http://"+proxy.addr)
	os.Setenv("HTTP_PROXY", "http://"+proxy.addr)
	os.Setenv("NO_PROXY", "direct.test")
	code := m.Run()
	ln.Close()
	os.Exit(code)
}

func serveProxy(c net.Conn) {
	defer c.Close()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	proxy.mu.Lock()
	proxy.seen = append(proxy.seen, req.Method+" "+req.RequestURI)
	proxy.mu.Unlock()
	if req.Method == http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		return
	}
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Type: text/plain\r\n\r\nvia proxy")
}

func baseTransport(t *testing.T, c *http.Client) *http.Transport {
	t.Helper()
	rt := c.Transport
	for {
		switch x := rt.(type) {
		case *http.Transport:
			return x
		case *userAgentTransport:
			rt = x.next
		case *traceTransport:
			rt = x.next
		default:
			t.Fatalf("unexpected transport %T", rt)
		}
	}
}

func TestNewClientSettings(t *testing.T) {
	c := NewClient(Options{})
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v", c.Timeout)
	}
	tr := baseTransport(t, c)
	if tr == http.DefaultTransport {
		t.Error("shares http.DefaultTransport")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 {
		t.Errorf("TLS config %+v", tr.TLSClientConfig)
	}
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.DialContext == nil || !tr.ForceAttemptHTTP2 {
		t.Errorf("transport settings %+v", tr)
	}
	if reflect.ValueOf(tr.Proxy).Pointer() != reflect.ValueOf(http.ProxyFromEnvironment).Pointer() {
		t.Error("Proxy is not http.ProxyFromEnvironment")
	}
	if _, ok := c.Transport.(*userAgentTransport); !ok {
		t.Errorf("outer transport %T", c.Transport)
	}
	if _, ok := NewClient(Options{Debug: io.Discard}).Transport.(*userAgentTransport).next.(*traceTransport); !ok {
		t.Error("Debug does not install the trace")
	}
	if _, ok := c.Transport.(*userAgentTransport).next.(*http.Transport); !ok {
		t.Error("trace installed without Debug")
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	c := NewClient(Options{UserAgent: UserAgent("1.0.0")})
	tr := baseTransport(t, c)
	for _, tt := range []struct{ url, want string }{
		{"https://webexapis.com/v1/people/me", "http://" + proxy.addr},
		{"http://webex.test/", "http://" + proxy.addr},
		{"https://direct.test/", ""},     // NO_PROXY
		{"http://127.0.0.1:9/", ""},      // loopback is never proxied
		{"https://localhost:8080/x", ""}, // nor localhost
	} {
		req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
		u, err := tr.Proxy(req)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != tt.want {
			t.Errorf("Proxy(%s) = %q, %v; want %q", tt.url, got, err, tt.want)
		}
	}

	// A real exchange through the proxy: HTTPS tunnels with CONNECT, HTTP uses the absolute
	// form. The hosts are never resolved: only the proxy on 127.0.0.1 is dialled.
	_, err := c.Get("https://webex.test/v1/people/me")
	if err == nil {
		t.Fatal("CONNECT refused by the proxy, yet the request succeeded")
	}
	resp, err := c.Get("http://webex.test/v1/ping")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "via proxy" {
		t.Errorf("body %q", body)
	}
	seen := strings.Join(proxySeen(), "\n")
	for _, want := range []string{"CONNECT webex.test:443", "GET http://webex.test/v1/ping"} {
		if !strings.Contains(seen, want) {
			t.Errorf("proxy saw %q, want %q", seen, want)
		}
	}
}

func TestUserAgent(t *testing.T) {
	if UserAgent("") != "webex/dev" || UserAgent("1.2.3") != "webex/1.2.3" {
		t.Errorf("UserAgent: %q %q", UserAgent(""), UserAgent("1.2.3"))
	}
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.UserAgent())
		mu.Unlock()
	}))
	defer srv.Close()
	for _, tt := range []struct {
		opt    string
		header string
		want   string
	}{
		{"", "", "webex"},
		{"webex/1.2.3", "", "webex/1.2.3"},
		{"webex/1.2.3", "custom/9", "custom/9"},
	} {
		got = nil
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if tt.header != "" {
			req.Header.Set("User-Agent", tt.header)
		}
		resp, err := NewClient(Options{UserAgent: tt.opt}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("UserAgent %q / header %q: server saw %q, want %q", tt.opt, tt.header, got, tt.want)
		}
		if tt.header == "" && req.Header.Get("User-Agent") != "" {
			t.Errorf("caller's request was modified")
		}
	}
}

func TestSelfSignedRefused(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
	srv.StartTLS()
	defer srv.Close()
	if _, err := NewClient(Options{}).Get(srv.URL); err == nil {
		t.Error("self-signed server trusted")
	}
}

func TestRedirectPolicy(t *testing.T) {
	// other is the host a redirect points to; it records every request it gets.
	var mu sync.Mutex
	var otherSaw []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		otherSaw = append(otherSaw, r.Method+" "+r.URL.Path+" "+r.PostForm.Encode())
		mu.Unlock()
		io.WriteString(w, "other")
	}))
	defer other.Close()
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		s := otherSaw
		otherSaw = nil
		return s
	}
	redirector := func(status int, to string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, to, status)
		})
	}

	t.Run("other methods get the 3xx itself", func(t *testing.T) {
		for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
				srv := httptest.NewServer(redirector(status, other.URL+"/stolen"))
				req, _ := http.NewRequest(method, srv.URL+"/v1/access_token", strings.NewReader("grant_type=refresh_token&refresh_token=rt-secret&client_secret=cs"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := NewClient(Options{}).Do(req)
				srv.Close()
				if err != nil {
					t.Fatalf("%s answered %d: %v", method, status, err)
				}
				resp.Body.Close()
				if resp.StatusCode != status || resp.Header.Get("Location") != other.URL+"/stolen" {
					t.Errorf("%s answered %d: client returned %d (Location %q)", method, status, resp.StatusCode, resp.Header.Get("Location"))
				}
				if got := seen(); len(got) != 0 {
					t.Errorf("%s answered %d: the redirect was followed: %q", method, status, got)
				}
			}
		}
	})

	t.Run("GET and HEAD follow plain redirects", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			srv := httptest.NewServer(redirector(http.StatusFound, other.URL+"/moved"))
			req, _ := http.NewRequest(method, srv.URL+"/v1/people/me", nil)
			resp, err := NewClient(Options{}).Do(req)
			srv.Close()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", method, resp.StatusCode)
			}
			if got := seen(); len(got) != 1 || !strings.HasPrefix(got[0], method+" /moved") {
				t.Errorf("%s: other saw %q", method, got)
			}
		}
	})

	t.Run("GET never goes from https to http", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(redirector(http.StatusFound, other.URL+"/downgraded"))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		defer srv.Close()
		client := NewClient(Options{})
		baseTransport(t, client).TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, srv.URL+"/v1/userinfo", nil)
			resp, err := client.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "refused a redirect from https to plain http") {
				t.Errorf("%s: err = %v, want the downgrade refused", method, err)
			}
			if got := seen(); len(got) != 0 {
				t.Errorf("%s: the downgrade was followed: %q", method, got)
			}
		}
	})

	t.Run("at most MaxRedirects", func(t *testing.T) {
		var hits int
		var loop *httptest.Server
		loop = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits++
			mu.Unlock()
			http.Redirect(w, r, loop.URL+"/again", http.StatusFound)
		}))
		defer loop.Close()
		resp, err := NewClient(Options{}).Get(loop.URL)
		if resp != nil {
			resp.Body.Close()
		}
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("stopped after %d redirects", MaxRedirects)) {
			t.Errorf("err = %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if hits != MaxRedirects {
			t.Errorf("server hit %d times, want %d", hits, MaxRedirects)
		}
	})
}
