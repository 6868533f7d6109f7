// Package httpx is the one place webex builds an *http.Client: timeouts, proxy from the
// environment, TLS floor, User-Agent, and the debug trace behind --debug and WEBEX_DEBUG=1,
// which shows every exchange through package redact and escapes it with package termsafe.
package httpx

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultTimeout bounds a whole request: connect, TLS, headers and reading the body.
const DefaultTimeout = 30 * time.Second

// MaxRedirects is how many redirects a GET or HEAD request follows before the client gives up.
const MaxRedirects = 10

// Options configures NewClient. The zero value is usable.
type Options struct {
	// UserAgent is sent on every request that sets none; empty means "webex".
	UserAgent string
	// Debug, when non-nil, receives the redacted trace of every exchange.
	Debug io.Writer
	// Now times the exchanges in the trace. Nil means time.Now.
	Now func() time.Time
}

// UserAgent returns the User-Agent for a build: "webex/<version>", or "webex/dev" when
// version is empty.
func UserAgent(version string) string {
	return "webex/" + cmp.Or(version, "dev")
}

// NewClient returns an *http.Client for talking to providers: a clone of
// http.DefaultTransport (pooling, HTTP/2, the proxy from the environment) with TLS 1.2 at
// least, 10s dial and handshake timeouts and a 1 MiB header limit.
//
// A request other than GET or HEAD never follows a redirect: a 307 or 308 from a token
// endpoint must not re-send its form (codes, refresh tokens, client secrets) elsewhere, so the
// caller gets the 3xx itself. GET and HEAD follow at most MaxRedirects, never to plain http.
func NewClient(o Options) *http.Client {
	var rt http.RoundTripper = newTransport()
	if o.Debug != nil {
		tt := &traceTransport{next: rt, w: o.Debug, now: o.Now}
		if tt.now == nil {
			tt.now = time.Now
		}
		rt = tt
	}
	rt = &userAgentTransport{next: rt, ua: cmp.Or(o.UserAgent, "webex")}
	return &http.Client{Transport: rt, Timeout: DefaultTimeout, CheckRedirect: checkRedirect}
}

// checkRedirect is the redirect policy NewClient documents.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", MaxRedirects)
	}
	if via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return errors.New("refused a redirect from https to plain http")
	}
	return nil
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxResponseHeaderBytes = 1 << 20
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return t
}

// userAgentTransport sets User-Agent on requests that have none.
type userAgentTransport struct {
	next http.RoundTripper
	ua   string
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") != "" {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context()) // RoundTrip must not modify the caller's request
	r.Header.Set("User-Agent", t.ua)
	return t.next.RoundTrip(r)
}
