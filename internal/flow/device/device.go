// Package device is the client side of the OAuth 2.0 Device Authorization Grant (RFC 8628),
// with the quirks of Login with Webex: pending answered as HTTP 428 at its own /device/token
// endpoint, errors in the Webex envelope, tokenlimit_reached. golang.org/x/oauth2's
// DeviceAccessToken cannot treat 428 as pending, so Authorize and Poll are written here,
// returning *oauth2.Token like x/oauth2 does.
//
// It never prints, prompts or opens a browser: progress is reported through the PollEvent
// callback and failures as *Error, which never contains a token, a device code or a secret.
package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/oautherr"
)

// GrantType is the grant_type of device token requests (RFC 8628 §3.4).
const GrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Defaults.
const (
	// DefaultInterval is the polling interval when the provider names none (RFC 8628 §3.2).
	DefaultInterval = 5 * time.Second
	// SlowDownStep is added to the interval on every slow_down answer (RFC 8628 §3.5).
	SlowDownStep = 5 * time.Second
	// DefaultMaxTransientErrors is how many server errors (5xx) or network failures in a row
	// Poll tolerates before giving up.
	DefaultMaxTransientErrors = 5

	// Authorize retries a 429 answer this many times, waiting Retry-After (or
	// DefaultInterval) each time, unless the provider asks for more than maxAuthorizeWait.
	authorizeRetries = 3
	maxAuthorizeWait = time.Minute
	// maxBody bounds what is read of any answer.
	maxBody = 1 << 20
)

// HelperRedirectsHint names what a Webex integration needs for the device flow; see
// Config.Webex.
const HelperRedirectsHint = "the integration may be missing Webex's device-flow redirect URIs " +
	"(https://oauth-helper-{a,r,k,d}.wbx2.com/helperservice/v1/actions/device/callback)"

// Config describes the provider and the client. The zero values of the optional fields are
// usable defaults.
type Config struct {
	// DeviceAuthURL is the device authorization endpoint (RFC 8628 §3.1).
	DeviceAuthURL string
	// TokenURL is the endpoint polled with the device code (RFC 8628 §3.4); Webex's is
	// /device/token, not its token endpoint.
	TokenURL string
	ClientID string
	// ClientSecret is optional (public clients have none). When set, both requests are
	// authenticated with it as AuthStyle says, except the device authorization request when
	// Webex is set.
	ClientSecret string
	// Scopes are sent space-separated as scope; none means no scope parameter.
	Scopes []string
	// AuthStyle oauth2.AuthStyleInParams sends the secret as the client_secret form field;
	// anything else sends it as HTTP Basic (RFC 6749 §2.3.1), which Webex requires.
	AuthStyle oauth2.AuthStyle
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Clock gives the time and the waits between polls; nil means the wall clock.
	Clock Clock
	// Webex selects Login with Webex's device authorization: the request carries client_id
	// and scope only, never the secret (Webex documents no client authentication there),
	// and a 400 answer gets a hint: for invalid_scope, the scopes to tick on the
	// integration; for an answer about neither the scope nor the client (Webex's generic
	// 400), HelperRedirectsHint.
	Webex bool
	// MaxTransientErrors is how many 5xx answers or network failures in a row Poll tolerates;
	// 0 means DefaultMaxTransientErrors.
	MaxTransientErrors int
}

// Code is a device authorization answer (RFC 8628 §3.2). DeviceCode is a secret of the
// client: show UserCode and the verification URIs, never DeviceCode.
type Code struct {
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string // "" when the provider gave none; put it in the QR code otherwise
	// ExpiresAt is when the code stops working (Clock.Now + expires_in). A zero ExpiresAt
	// (a Code built by hand) sets no deadline of its own.
	ExpiresAt time.Time
	// Interval is the minimum wait between polls; DefaultInterval when the provider named none.
	Interval time.Duration
}

// Errors a caller can branch on with errors.Is. The *Error returned by Authorize and Poll
// wraps one of them (or none) and the provider's *oautherr.Error (or none).
var (
	// ErrDenied: the person refused the request (access_denied).
	ErrDenied = errors.New("the sign-in request was denied")
	// ErrExpired: the device code expired before it was approved (expired_token,
	// invalid_grant, or ExpiresAt reached).
	ErrExpired = errors.New("the code expired before it was approved; run `webex login` again")
	// ErrTokenLimit: Webex's tokenlimit_reached.
	ErrTokenLimit = errors.New("the user holds too many tokens for this integration " +
		"(tokenlimit_reached); revoke old ones (sign out of other sessions of the integration) " +
		"or wait for them to expire, then try again")
	// ErrInvalidClient: the provider rejected the client id or secret (invalid_client,
	// unauthorized_client, or HTTP 401). The *Error carrying it names the provider's code.
	ErrInvalidClient = errors.New("the provider rejected the client; check the client id and secret")
	// ErrRateLimited: device authorization stayed rate limited (HTTP 429).
	ErrRateLimited = errors.New("the provider is rate limiting sign-in requests; try again later")
)

// Error is a failed device authorization or polling.
type Error struct {
	// Op is "device authorization" or "device token".
	Op string
	// Kind is one of the Err* sentinels, or nil.
	Kind error
	// Provider is the provider's error answer, or nil (for example when ExpiresAt passed).
	Provider *oautherr.Error
	// Err is a transport failure, or nil.
	Err error
	// Hint is extra advice, or "".
	Hint string
}

// Error is one sentence: the kind (or the operation), then the provider's error and the hint.
func (e *Error) Error() string {
	var parts []string
	if e.Kind != nil {
		parts = append(parts, e.Kind.Error())
	} else {
		parts = append(parts, e.Op+" failed")
	}
	if e.Provider != nil {
		parts = append(parts, e.Provider.Error())
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	s := strings.Join(parts, ": ")
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap exposes Kind, Provider and Err to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Provider != nil {
		errs = append(errs, e.Provider)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Outcome is what one poll answered.
type Outcome string

// Outcomes of a poll.
const (
	OutcomePending     Outcome = "pending"       // not approved yet (HTTP 428 or authorization_pending)
	OutcomeSlowDown    Outcome = "slow_down"     // interval grew by SlowDownStep
	OutcomeRateLimited Outcome = "rate_limited"  // HTTP 429; the next wait honours Retry-After
	OutcomeServerError Outcome = "server_error"  // 5xx, server_error or temporarily_unavailable; retried
	OutcomeNetError    Outcome = "network_error" // no answer; retried
	OutcomeApproved    Outcome = "approved"      // a token came back; Poll returns it
	OutcomeFailed      Outcome = "failed"        // Poll returns the error in Err
)

// PollEvent reports one poll, for progress display.
type PollEvent struct {
	Attempt  int           // 1 for the first poll
	Outcome  Outcome       // what the provider answered
	Interval time.Duration // the polling interval now in force (after any slow_down)
	Wait     time.Duration // the wait before the next poll; 0 when polling stops
	Err      error         // the provider or network error behind the outcome, if any
}

func (c *Config) clock() Clock {
	if c.Clock != nil {
		return c.Clock
	}
	return realClock{}
}

func (c *Config) client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// post sends form to endpoint, with client authentication when authenticate is set, and
// reads at most maxBody of the answer.
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
	resp, err := c.client().Do(req)
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

// Authorize requests a device code (RFC 8628 §3.1-3.2): a form POST of client_id and scope to
// DeviceAuthURL, authenticated with the secret when there is one and Config.Webex is not set.
// An answer without device_code, user_code, verification_uri (or Google's verification_url)
// or a positive expires_in is an error; a missing interval means DefaultInterval. A 429 is
// retried after Retry-After a few times. With Config.Webex a 400 carries a hint (see there).
func Authorize(ctx context.Context, cfg Config) (*Code, error) {
	const op = "device authorization"
	if cfg.DeviceAuthURL == "" || cfg.ClientID == "" {
		return nil, errors.New("device authorization: the device authorization URL and client id are required")
	}
	clk := cfg.clock()
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
			return nil, &Error{Op: op, Err: err}
		}
		if resp.StatusCode == http.StatusOK {
			return parseCode(body, clk.Now())
		}
		perr := oautherr.ParseAt(clk.Now(), resp.StatusCode, resp.Header, body)
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := perr.RetryAfter
			if wait == 0 {
				wait = DefaultInterval
			}
			if try >= authorizeRetries || wait > maxAuthorizeWait {
				return nil, &Error{Op: op, Kind: ErrRateLimited, Provider: perr}
			}
			if err := clk.Sleep(ctx, wait); err != nil {
				return nil, sleepErr(ctx, err)
			}
			continue
		}
		e := &Error{Op: op, Provider: perr}
		if perr.Code == oautherr.InvalidClient || perr.Code == oautherr.UnauthorizedClient ||
			resp.StatusCode == http.StatusUnauthorized {
			e.Kind = ErrInvalidClient
		}
		if resp.StatusCode == http.StatusBadRequest && cfg.Webex {
			switch {
			case perr.Code == oautherr.InvalidScope:
				e.Hint = scopeHint(cfg.Scopes)
			case e.Kind == nil:
				e.Hint = HelperRedirectsHint
			}
		}
		return nil, e
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
	if c.DeviceCode == "" {
		missing = append(missing, "device_code")
	}
	if c.UserCode == "" {
		missing = append(missing, "user_code")
	}
	if c.VerificationURI == "" {
		missing = append(missing, "verification_uri")
	}
	exp, err := Seconds(raw["expires_in"])
	if err != nil || exp == 0 {
		missing = append(missing, "expires_in")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("device authorization: the answer lacks a valid %s", strings.Join(missing, ", "))
	}
	if !printable(c.UserCode) {
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

// printable reports whether s has no control or format characters (it will be shown on a
// terminal).
func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// webURI reports whether s is an absolute http or https URL safe to show and encode in a QR
// code.
func webURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && printable(s) && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Poll polls TokenURL with code until the person approves (RFC 8628 §3.4-3.5) and returns the
// token. It waits code.Interval before the first poll and between polls, never less;
// slow_down adds SlowDownStep to the interval for good; a 429 waits Retry-After (at least the
// interval); HTTP 428 and authorization_pending mean keep polling. It stops with ErrExpired
// when code.ExpiresAt comes (without polling after it) or the provider says expired_token or
// invalid_grant, with ErrDenied on access_denied, ErrTokenLimit on tokenlimit_reached,
// ErrInvalidClient on invalid_client, and after MaxTransientErrors server or network
// failures in a row (5xx, server_error and temporarily_unavailable count as server
// failures). Any other provider error ends polling with an *Error. When ctx is done,
// Poll returns ctx.Err(). onPoll, if not nil, is called after every poll, on the calling
// goroutine.
func Poll(ctx context.Context, cfg Config, code *Code, onPoll func(PollEvent)) (*oauth2.Token, error) {
	if code == nil || code.DeviceCode == "" || cfg.TokenURL == "" || cfg.ClientID == "" {
		return nil, errors.New("device token: the token URL, client id and device code are required")
	}
	p := &poller{cfg: cfg, clk: cfg.clock(), code: code, interval: code.Interval, maxTransient: cfg.MaxTransientErrors}
	if p.maxTransient <= 0 {
		p.maxTransient = DefaultMaxTransientErrors
	}
	if p.interval <= 0 {
		p.interval = DefaultInterval
	}
	wait := p.interval
	for attempt := 1; ; attempt++ {
		if err := p.sleep(ctx, wait); err != nil {
			return nil, err
		}
		ev, tok, err := p.poll(ctx)
		if err != nil {
			return nil, err
		}
		ev.Attempt = attempt
		if onPoll != nil {
			onPoll(ev)
		}
		if ev.Outcome == OutcomeFailed {
			return nil, ev.Err
		}
		if tok != nil {
			return tok, nil
		}
		wait = ev.Wait
	}
}

// opToken is the Op of the errors Poll returns.
const opToken = "device token"

// poller is the state of one Poll.
type poller struct {
	cfg          Config
	clk          Clock
	code         *Code
	interval     time.Duration
	transient    int // server or network failures in a row
	maxTransient int
}

// sleep waits d before the next poll, and ends polling with ErrExpired when the code expires
// before then, without polling after its expiry.
func (p *poller) sleep(ctx context.Context, d time.Duration) error {
	expired := &Error{Op: opToken, Kind: ErrExpired}
	exp := p.code.ExpiresAt
	if !exp.IsZero() {
		left := exp.Sub(p.clk.Now())
		if left <= 0 {
			return expired
		}
		if d >= left {
			// The code expires before the next poll is allowed: wait out its life, then stop.
			if err := p.clk.Sleep(ctx, left); err != nil {
				return sleepErr(ctx, err)
			}
			return expired
		}
	}
	if err := p.clk.Sleep(ctx, d); err != nil {
		return sleepErr(ctx, err)
	}
	if !exp.IsZero() && !p.clk.Now().Before(exp) {
		return expired
	}
	return nil
}

// poll sends one token request and says what it answered: the event to report (an
// OutcomeFailed event carries the *Error that ends polling) and the token once approved. The
// error is ctx.Err() when ctx ended during the request.
func (p *poller) poll(ctx context.Context) (PollEvent, *oauth2.Token, error) {
	resp, body, err := p.cfg.post(ctx, p.cfg.TokenURL, url.Values{
		"grant_type":  {GrantType},
		"device_code": {p.code.DeviceCode},
	}, true)
	ev := PollEvent{Wait: p.interval}
	var (
		tok  *oauth2.Token
		fail *Error
	)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return ev, nil, ctx.Err()
		}
		ev.Outcome, ev.Err = OutcomeNetError, err
		if p.transient++; p.transient >= p.maxTransient {
			fail = &Error{Op: opToken, Err: fmt.Errorf("%d failed requests in a row: %w", p.transient, err)}
		}
	case resp.StatusCode == http.StatusOK:
		ev.Outcome = OutcomeApproved
		if tok, err = ParseTokenResponse(body, p.clk.Now()); err != nil {
			fail = &Error{Op: opToken, Err: err}
		}
	default:
		perr := oautherr.ParseAt(p.clk.Now(), resp.StatusCode, resp.Header, body)
		var kind error
		ev.Outcome, kind = classify(resp.StatusCode, perr)
		ev.Err = perr
		switch ev.Outcome {
		case OutcomePending:
			ev.Err = nil
		case OutcomeSlowDown:
			p.interval += SlowDownStep
		case OutcomeServerError:
			if p.transient++; p.transient >= p.maxTransient {
				fail = &Error{Op: opToken, Provider: perr, Err: fmt.Errorf("%d server errors in a row", p.transient)}
			}
		case OutcomeFailed:
			fail = &Error{Op: opToken, Kind: kind, Provider: perr}
		}
		ev.Wait = max(p.interval, perr.RetryAfter)
	}
	if ev.Outcome != OutcomeServerError && ev.Outcome != OutcomeNetError {
		p.transient = 0
	}
	ev.Interval = p.interval
	if fail != nil {
		ev.Outcome, ev.Err, ev.Wait = OutcomeFailed, fail, 0
		return ev, nil, nil
	}
	if tok != nil {
		ev.Wait = 0
	}
	return ev, tok, nil
}

// classify maps an error answer of the token endpoint to an outcome, and a failure to its
// kind (nil for a failure without one). The status comes first: 429 is rate limiting and 428
// pending (oautherr gives every 428 the code authorization_pending), then the code.
func classify(status int, perr *oautherr.Error) (Outcome, error) {
	switch {
	case status == http.StatusTooManyRequests:
		return OutcomeRateLimited, nil
	case perr.Code == oautherr.AuthorizationPending:
		return OutcomePending, nil
	case perr.Code == oautherr.SlowDown:
		return OutcomeSlowDown, nil
	case perr.Code == oautherr.AccessDenied:
		return OutcomeFailed, ErrDenied
	case perr.Code == oautherr.ExpiredToken || perr.Code == oautherr.InvalidGrant:
		return OutcomeFailed, ErrExpired
	case perr.Code == oautherr.TokenLimitReached:
		return OutcomeFailed, ErrTokenLimit
	case perr.Code == oautherr.InvalidClient || perr.Code == oautherr.UnauthorizedClient ||
		status == http.StatusUnauthorized:
		return OutcomeFailed, ErrInvalidClient
	case status >= 500 || perr.Code == oautherr.ServerError || perr.Code == oautherr.TemporarilyUnavailable:
		return OutcomeServerError, nil
	}
	return OutcomeFailed, nil
}

// sleepErr prefers ctx.Err() so cancellation is reported as such.
func sleepErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
