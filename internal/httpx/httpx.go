// Package httpx is the one place webex builds an *http.Client: timeouts, proxy from the
// environment, TLS floor, User-Agent, and the debug trace behind --debug and WEBEX_DEBUG=1.
//
// It must not know any OAuth flow, retry, parse responses for callers, or write anywhere but
// the Debug writer it is given; and the trace must never print a secret in clear: it shows
// every request and response through package redact, then escapes what a terminal would act
// on as webex's normal output does (package termsafe).
package httpx

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultTimeout bounds a whole request (connect, TLS, headers and reading the body) when
// Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MaxRedirects is how many redirects a GET or HEAD request follows before the client gives up.
const MaxRedirects = 10

// ErrInsecureRedirect is returned (inside a *url.Error) when a GET or HEAD request over https
// is redirected to a plain http URL, which would send the request, and what it carries, in
// clear.
var ErrInsecureRedirect = errors.New("refused a redirect from https to plain http")

// Options configures NewClient. The zero value is usable.
type Options struct {
	// Timeout bounds each request from dial to the end of the body (http.Client.Timeout).
	// Zero means DefaultTimeout; negative means no overall limit, for callers that bound
	// requests with a context instead.
	Timeout time.Duration
	// UserAgent is sent on every request that sets none, normally UserAgent(version).
	// Empty means "webex".
	UserAgent string
	// Debug, when non-nil, receives the redacted trace of every exchange.
	Debug io.Writer
	// Now times the exchanges in the trace. Nil means time.Now.
	Now func() time.Time
	// RootCAs replaces the system certificate pool when non-nil (tests serving TLS on
	// 127.0.0.1, private CAs).
	RootCAs *x509.CertPool
}

// UserAgent returns the User-Agent for a build: "webex/<version>", or "webex/dev" when
// version is empty.
func UserAgent(version string) string {
	return "webex/" + cmp.Or(version, "dev")
}

// NewClient returns an *http.Client for talking to providers; build one and reuse it.
//
// Its transport is a clone of http.DefaultTransport (connection pooling, HTTP/2, and the
// proxy from HTTPS_PROXY, HTTP_PROXY and NO_PROXY; Go never proxies requests to loopback
// addresses), with TLS 1.2 as the minimum version, 10s dial and TLS handshake timeouts and
// a 1 MiB response header limit.
//
// A request whose method is not GET or HEAD never follows a redirect: a 307 or 308 from a
// token endpoint must not re-send its form (codes, refresh tokens, verifiers, client secrets)
// elsewhere, so the caller gets the 3xx response itself and treats it as an error answer.
// GET and HEAD follow at most MaxRedirects redirects and never from https to http
// (ErrInsecureRedirect). As with any http.Client, Authorization and Cookie headers are
// dropped when a redirect leaves the original host's domain.
func NewClient(o Options) *http.Client {
	timeout := o.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		timeout = 0
	}
	var rt http.RoundTripper = newTransport(o.RootCAs)
	if o.Debug != nil {
		rt = newTrace(rt, o.Debug, o.Now)
	}
	rt = &userAgentTransport{next: rt, ua: cmp.Or(o.UserAgent, "webex")}
	return &http.Client{Transport: rt, Timeout: timeout, CheckRedirect: checkRedirect}
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
		return ErrInsecureRedirect
	}
	return nil
}

func newTransport(roots *x509.CertPool) *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{ForceAttemptHTTP2: true, MaxIdleConns: 100, IdleConnTimeout: 90 * time.Second, ExpectContinueTimeout: time.Second}
	}
	t.Proxy = http.ProxyFromEnvironment
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxResponseHeaderBytes = 1 << 20
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
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
