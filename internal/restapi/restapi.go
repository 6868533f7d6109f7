// Package restapi sends requests to the Webex REST API with a bearer token, for `webex api`:
// it waits out 429 answers, retries a GET or HEAD that got a 5xx, follows rel="next" Link
// headers, and refuses any URL on another origin than the API's, so the token never leaves
// for another host. A 401 is returned like any other answer.
package restapi

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/webex-cli/webex/internal/oautherr"
)

const (
	// maxWait is the longest Retry-After waited for; a 429 asking for more is returned at once.
	maxWait = 60 * time.Second
	// rateLimitWaits is how many 429 answers one request waits out.
	rateLimitWaits = 3
	// serverErrorRetries is how often a GET or HEAD that got a 5xx is sent again, after 1 s
	// and then 2 s (or a shorter Retry-After).
	serverErrorRetries = 2
	// rateLimitDefault is the wait after a 429 without a usable Retry-After.
	rateLimitDefault = 5 * time.Second
	// MaxBody bounds what is read of one answer.
	MaxBody = 64 << 20
)

// Client sends requests; every field but OnWait is required.
type Client struct {
	HTTP *http.Client
	// Sleep waits between attempts; it must return ctx.Err() when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After dates.
	Now func() time.Time
	// OnWait, when set, is told before each wait: the status that caused it and how long.
	OnWait func(status int, wait time.Duration)
}

// Request is one API call. URL must be absolute.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Response is the final answer to a Request, with its whole body.
type Response struct {
	Status int
	// StatusLine is "HTTP/1.1 200 OK".
	StatusLine string
	Header     http.Header
	Body       []byte
}

// Do sends req with the bearer token and returns the last answer, whatever its status, after
// the waits and retries the package describes.
func (c *Client) Do(ctx context.Context, req *Request, token string) (*Response, error) {
	waits, retries := rateLimitWaits, 0
	for {
		resp, err := c.once(ctx, req, token)
		if err != nil {
			return nil, cmp.Or(ctx.Err(), err) // an ended ctx is the cause of what failed
		}
		var wait time.Duration
		switch {
		case resp.Status == http.StatusTooManyRequests && waits > 0:
			waits--
			wait = cmp.Or(oautherr.RetryAfter(resp.Header, c.Now()), rateLimitDefault)
			if wait > maxWait {
				return resp, nil
			}
		case resp.Status >= 500 && (req.Method == http.MethodGet || req.Method == http.MethodHead) && retries < serverErrorRetries:
			retries++
			wait = time.Duration(retries) * time.Second
			if ra := oautherr.RetryAfter(resp.Header, c.Now()); ra > 0 && ra <= maxWait {
				wait = ra
			}
		default:
			return resp, nil
		}
		if c.OnWait != nil {
			c.OnWait(resp.Status, wait)
		}
		if err := c.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) once(ctx context.Context, req *Request, token string) (*Response, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	for k, vs := range req.Header {
		hr.Header[k] = append([]string(nil), vs...)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.HTTP.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(b) > MaxBody {
		return nil, fmt.Errorf("the answer is larger than %d MiB", MaxBody>>20)
	}
	return &Response{Status: resp.StatusCode, StatusLine: resp.Proto + " " + resp.Status, Header: resp.Header, Body: b}, nil
}

// Resolve turns PATH as `webex api` takes it into an absolute URL under base: "people/me" and
// "/people/me" are relative to base (its path kept), a full URL must be on base's origin.
func Resolve(base, path string) (string, error) {
	b, err := url.Parse(base)
	if err != nil || b.Host == "" {
		return "", fmt.Errorf("the API base %q is not an absolute URL", base)
	}
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return sameOrigin(b, path)
	}
	if strings.Contains(path, "://") || strings.HasPrefix(path, "//") {
		return "", fmt.Errorf("%q is neither a path nor an http(s) URL", path)
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/"), nil
}

// Next returns the absolute URL of the rel="next" link in h, resolved against page; "" when
// there is none, and an error when it leaves base's origin.
func Next(base, page string, h http.Header) (string, error) {
	link := NextLink(h)
	if link == "" {
		return "", nil
	}
	ref, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("the next-page link does not parse: %w", err)
	}
	// base and page came from Resolve or an earlier Next, which parsed them.
	b, _ := url.Parse(base)
	p, _ := url.Parse(page)
	return sameOrigin(b, p.ResolveReference(ref).String())
}

// sameOrigin returns target when it has base's scheme, host and port, else an error.
func sameOrigin(base *url.URL, target string) (string, error) {
	t, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("the URL does not parse: %w", err)
	}
	if t.User != nil {
		return "", fmt.Errorf("the URL %s carries user info, which is refused", t.Redacted())
	}
	if !strings.EqualFold(t.Scheme, base.Scheme) || !strings.EqualFold(hostPort(t), hostPort(base)) {
		return "", fmt.Errorf("%s is not on the API's host %s://%s: the token is only sent there", t.Scheme+"://"+t.Host, base.Scheme, base.Host)
	}
	return t.String(), nil
}

// hostPort is the URL's host with its port made explicit.
func hostPort(u *url.URL) string {
	port := cmp.Or(u.Port(), map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)])
	return strings.ToLower(u.Hostname()) + ":" + port
}

// NextLink returns the URI, as written, of the first rel="next" link in h's Link headers.
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for {
			v = strings.TrimLeft(v, " \t,")
			uri, rest, ok := strings.Cut(v, ">")
			if !ok || !strings.HasPrefix(uri, "<") {
				break
			}
			params, tail := cutParams(rest)
			if hasRel(params, "next") {
				return strings.TrimSpace(uri[1:])
			}
			v = tail
		}
	}
	return ""
}

// cutParams splits s at the first comma outside a quoted string: a link's parameters, and
// the links after them.
func cutParams(s string) (params, tail string) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// hasRel reports whether link parameters (";rel=next; title=...") name relation type want.
func hasRel(params, want string) bool {
	for _, p := range strings.Split(params, ";") {
		name, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		rels := strings.Fields(strings.Trim(strings.TrimSpace(val), `"`))
		// Only the first rel counts (RFC 8288 §3.3).
		return slices.ContainsFunc(rels, func(r string) bool { return strings.EqualFold(r, want) })
	}
	return false
}
