// Package device is the client side of the OAuth 2.0 Device Authorization Grant (RFC 8628)
// with the quirks of Login with Webex (pending as HTTP 428 at /device/token, which
// golang.org/x/oauth2 cannot take for pending). It never prints; its errors never contain a
// token, a device code or a secret.
package device

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/termsafe"
)

// GrantType is the grant_type of device token requests (RFC 8628 §3.4).
const GrantType = "urn:ietf:params:oauth:grant-type:device_code"

const (
	// DefaultInterval is the polling interval when the provider names none (RFC 8628 §3.2).
	DefaultInterval = 5 * time.Second
	// SlowDownStep is added to the interval on every slow_down answer (RFC 8628 §3.5).
	SlowDownStep = 5 * time.Second
	// maxTransientErrors is how many server errors or network failures in a row Poll
	// tolerates.
	maxTransientErrors = 5
	// Authorize retries a 429 this many times, unless it asks for more than maxAuthorizeWait.
	authorizeRetries = 3
	maxAuthorizeWait = time.Minute
	maxBody          = 1 << 20
)

// HelperRedirectsHint names what a Webex integration needs for the device flow.
const HelperRedirectsHint = "the integration may be missing Webex's device-flow redirect URIs " +
	"(https://oauth-helper-{a,r,k,d}.wbx2.com/helperservice/v1/actions/device/callback)"

// Config describes the provider and the client; the optional fields' zero values are usable.
type Config struct {
	DeviceAuthURL string
	// TokenURL is polled with the device code; Webex's is /device/token.
	TokenURL string
	ClientID string
	// ClientSecret, when set, authenticates both requests as AuthStyle says (the device
	// authorization request only without Webex).
	ClientSecret string
	Scopes       []string
	// AuthStyle oauth2.AuthStyleInParams sends the secret as a form field; anything else as
	// HTTP Basic, which Webex requires.
	AuthStyle  oauth2.AuthStyle
	HTTPClient *http.Client // nil means http.DefaultClient
	Clock      Clock        // required
	// Webex selects Login with Webex's device authorization: no client authentication there
	// (Webex documents none), and a 400 gets a hint (scopes to tick, or HelperRedirectsHint).
	Webex bool
}

// Code is a device authorization answer (RFC 8628 §3.2). DeviceCode is a secret of the
// client: show UserCode and the verification URIs, never DeviceCode.
type Code struct {
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string        // "" when the provider gave none
	ExpiresAt               time.Time     // Clock.Now + expires_in
	Interval                time.Duration // the minimum wait between polls
}

// What ended a device authorization or polling, said first in its error.
const (
	errDenied = "the sign-in request was denied"
	// errExpired: expired_token, invalid_grant, or ExpiresAt reached.
	errExpired    = "the code expired before it was approved; run `webex login` again"
	errTokenLimit = "the user holds too many tokens for this integration " +
		"(tokenlimit_reached); revoke old ones (sign out of other sessions of the integration) " +
		"or wait for them to expire, then try again"
	// errInvalidClient: invalid_client, unauthorized_client, or HTTP 401.
	errInvalidClient = "the provider rejected the client; check the client id and secret"
	errRateLimited   = "the provider is rate limiting sign-in requests; try again later"
)

// failure is one sentence: what went wrong (an err* kind, or that the operation failed), then
// the provider's error and the transport failure, both wrapped, then the hint.
func failure(what string, perr *oautherr.Error, err error, hint string) error {
	format, args := "%s", []any{what}
	if perr != nil {
		format, args = format+": %w", append(args, perr)
	}
	if err != nil {
		format, args = format+": %w", append(args, err)
	}
	if hint != "" {
		format, args = format+"; %s", append(args, hint)
	}
	return fmt.Errorf(format, args...)
}

// post sends form to endpoint, with client authentication when authenticate is set.
func (c *Config) post(ctx context.Context, endpoint string, form url.Values, authenticate bool) (*http.Response, []byte, error) {
	form.Set("client_id", c.ClientID)
	basic := false
	if authenticate && c.ClientSecret != "" {
		if c.AuthStyle == oauth2.AuthStyleInParams {
			form.Set("client_secret", c.ClientSecret)
		} else {
			basic = true
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// RFC 6749 §2.3.1: form-encode, then Basic; as golang.org/x/oauth2 does.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := cmp.Or(c.HTTPClient, http.DefaultClient).Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	return resp, body, nil
}

// Authorize requests a device code (RFC 8628 §3.1-3.2). An answer without device_code,
// user_code, verification_uri (or Google's verification_url) or a positive expires_in is an
// error. A 429 is retried after Retry-After a few times.
func Authorize(ctx context.Context, cfg Config) (*Code, error) {
	const failed = "device authorization failed"
	if cfg.DeviceAuthURL == "" || cfg.ClientID == "" {
		return nil, errors.New("device authorization: the device authorization URL and client id are required")
	}
	clk := cfg.Clock
	form := url.Values{}
	if len(cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(cfg.Scopes, " "))
	}
	for try := 0; ; try++ {
		resp, body, err := cfg.post(ctx, cfg.DeviceAuthURL, form, !cfg.Webex)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, failure(failed, nil, err, "")
		}
		if resp.StatusCode == http.StatusOK {
			return parseCode(body, clk.Now())
		}
		perr := oautherr.ParseAt(clk.Now(), resp.StatusCode, resp.Header, body)
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := cmp.Or(perr.RetryAfter, DefaultInterval)
			if try >= authorizeRetries || wait > maxAuthorizeWait {
				return nil, failure(errRateLimited, perr, nil, "")
			}
			if err := clk.Sleep(ctx, wait); err != nil {
				return nil, sleepErr(ctx, err)
			}
			continue
		}
		what, hint := failed, ""
		if invalidClient(resp.StatusCode, perr) {
			what = errInvalidClient
		}
		if resp.StatusCode == http.StatusBadRequest && cfg.Webex {
			switch {
			case perr.Code == oautherr.InvalidScope:
				hint = scopeHint(cfg.Scopes)
			case what == failed:
				hint = HelperRedirectsHint
			}
		}
		return nil, failure(what, perr, nil, hint)
	}
}

// scopeHint says what to do about Webex's invalid_scope for scopes: its device flow refuses
// the OpenID Connect scopes, and any other scope must be ticked on the integration.
func scopeHint(scopes []string) string {
	var openID, data []string
	for _, s := range scopes {
		switch s {
		case "openid", "email", "profile", "phone", "address":
			openID = append(openID, s)
		default:
			data = append(data, s)
		}
	}
	if len(openID) > 0 {
		return "Webex's device flow takes no OpenID Connect scopes (" + strings.Join(openID, " ") + "); ask for data scopes only"
	}
	return "the integration may lack the scopes asked for: tick " + strings.Join(data, " ") +
		" on the integration at developer.webex.com (My Webex Apps)"
}

// parseCode reads a device authorization answer (RFC 8628 §3.2).
func parseCode(body []byte, now time.Time) (*Code, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, errors.New("device authorization: the answer is not a JSON object")
	}
	str := func(k string) string {
		s, _ := raw[k].(string)
		return s
	}
	c := &Code{
		DeviceCode:              str("device_code"),
		UserCode:                str("user_code"),
		VerificationURI:         str("verification_uri"),
		VerificationURIComplete: str("verification_uri_complete"),
	}
	if c.VerificationURI == "" {
		c.VerificationURI = str("verification_url") // Google's spelling
	}
	var missing []string
	for _, f := range [][2]string{{"device_code", c.DeviceCode}, {"user_code", c.UserCode}, {"verification_uri", c.VerificationURI}} {
		if f[1] == "" {
			missing = append(missing, f[0])
		}
	}
	exp, err := Seconds(raw["expires_in"])
	if err != nil || exp == 0 {
		missing = append(missing, "expires_in")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("device authorization: the answer lacks a valid %s", strings.Join(missing, ", "))
	}
	if strings.ContainsFunc(c.UserCode, termsafe.Unsafe) {
		return nil, errors.New("device authorization: the user_code holds unprintable characters")
	}
	if !webURI(c.VerificationURI) {
		return nil, errors.New("device authorization: verification_uri is not an http(s) URL")
	}
	if c.VerificationURIComplete != "" && !webURI(c.VerificationURIComplete) {
		c.VerificationURIComplete = "" // optional: fall back to the plain URI and user code
	}
	interval, err := Seconds(raw["interval"])
	if err != nil {
		return nil, fmt.Errorf("device authorization: interval: %w", err)
	}
	c.Interval = time.Duration(interval) * time.Second
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	c.ExpiresAt = now.Add(time.Duration(exp) * time.Second)
	return c, nil
}

// webURI reports whether s is an absolute http(s) URL safe to show and put in a QR code.
func webURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && !strings.ContainsFunc(s, termsafe.Unsafe) && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Poll polls cfg.TokenURL with code, from Authorize, until the person approves (RFC 8628
// §3.4-3.5) and returns the token. It waits the interval before every poll (slow_down adds
// SlowDownStep for good; a longer Retry-After wins), and stops with errExpired at
// code.ExpiresAt, with an error on a failure, or with ctx.Err().
func Poll(ctx context.Context, cfg Config, code *Code) (*oauth2.Token, error) {
	if code == nil || code.DeviceCode == "" || cfg.TokenURL == "" || cfg.ClientID == "" {
		return nil, errors.New("device token: the token URL, client id and device code are required")
	}
	p := &poller{cfg: cfg, clk: cfg.Clock, code: code, interval: code.Interval}
	wait := p.interval
	for {
		if err := p.sleep(ctx, wait); err != nil {
			return nil, err
		}
		tok, next, err := p.poll(ctx)
		if tok != nil || err != nil {
			return tok, err
		}
		wait = next
	}
}

// pollFailed starts an error of Poll that has no err* kind.
const pollFailed = "device token failed"

// poller is the state of one Poll.
type poller struct {
	cfg       Config
	clk       Clock
	code      *Code
	interval  time.Duration
	transient int // server or network failures in a row
}

// sleep waits d before the next poll, and ends polling with errExpired when the code expires
// before then, without polling after its expiry.
func (p *poller) sleep(ctx context.Context, d time.Duration) error {
	expired := failure(errExpired, nil, nil, "")
	left := p.code.ExpiresAt.Sub(p.clk.Now())
	if left <= 0 {
		return expired
	}
	// When the code expires before the next poll is allowed, wait out its life, then stop.
	if err := p.clk.Sleep(ctx, min(d, left)); err != nil {
		return sleepErr(ctx, err)
	}
	if d >= left || !p.clk.Now().Before(p.code.ExpiresAt) {
		return expired
	}
	return nil
}

// poll sends one token request and returns the token once approved, else the wait before the
// next poll. An error ends polling; it is ctx.Err() when ctx ended during the request.
func (p *poller) poll(ctx context.Context) (*oauth2.Token, time.Duration, error) {
	resp, body, err := p.cfg.post(ctx, p.cfg.TokenURL, url.Values{
		"grant_type":  {GrantType},
		"device_code": {p.code.DeviceCode},
	}, true)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		if p.transient++; p.transient >= maxTransientErrors {
			return nil, 0, failure(pollFailed, nil, fmt.Errorf("%d failed requests in a row: %w", p.transient, err), "")
		}
		return nil, p.interval, nil
	}
	if resp.StatusCode == http.StatusOK {
		tok, err := ParseTokenResponse(body, p.clk.Now())
		if err != nil {
			return nil, 0, failure(pollFailed, nil, err, "")
		}
		return tok, 0, nil
	}
	// The status comes first: 429 is rate limiting and 428 pending (oautherr gives every 428
	// the code authorization_pending), then the code.
	perr := oautherr.ParseAt(p.clk.Now(), resp.StatusCode, resp.Header, body)
	switch kind := failureKind(resp.StatusCode, perr); {
	case resp.StatusCode == http.StatusTooManyRequests || perr.Code == oautherr.AuthorizationPending:
		p.transient = 0
	case perr.Code == oautherr.SlowDown:
		p.transient = 0
		p.interval += SlowDownStep
	case kind == "" && (resp.StatusCode >= 500 || perr.Code == oautherr.ServerError || perr.Code == oautherr.TemporarilyUnavailable):
		if p.transient++; p.transient >= maxTransientErrors {
			return nil, 0, failure(pollFailed, perr, fmt.Errorf("%d server errors in a row", p.transient), "")
		}
	default:
		return nil, 0, failure(cmp.Or(kind, pollFailed), perr, nil, "")
	}
	return nil, max(p.interval, perr.RetryAfter), nil
}

// failureKind is the err* kind of a token error answer that ends polling, or "".
func failureKind(status int, perr *oautherr.Error) string {
	switch perr.Code {
	case oautherr.AccessDenied:
		return errDenied
	case oautherr.ExpiredToken, oautherr.InvalidGrant:
		return errExpired
	case oautherr.TokenLimitReached:
		return errTokenLimit
	}
	if invalidClient(status, perr) {
		return errInvalidClient
	}
	return ""
}

// invalidClient reports an answer rejecting the client id or secret.
func invalidClient(status int, perr *oautherr.Error) bool {
	return perr.Code == oautherr.InvalidClient || perr.Code == oautherr.UnauthorizedClient || status == http.StatusUnauthorized
}

// sleepErr prefers ctx.Err() so cancellation is reported as such.
func sleepErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
