package device

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/oautherr"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock advances only when slept on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// answer is one scripted HTTP answer of the fake provider.
type answer struct {
	status int
	header map[string]string
	body   string
}

// request is what the fake provider saw.
type request struct {
	at         time.Duration // fake time since t0
	form       url.Values
	user, pass string
	basic      bool
}

// fakeWebex serves scripted answers on /device/authorize and /device/token; the last answer of
// a list repeats.
type fakeWebex struct {
	clk *fakeClock
	srv *httptest.Server

	mu        sync.Mutex
	authorize []answer
	token     []answer
	authReqs  []request
	tokenReqs []request
}

func newFake(t *testing.T, clk *fakeClock) *fakeWebex {
	f := &fakeWebex{clk: clk}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/device/authorize", func(w http.ResponseWriter, r *http.Request) {
		f.serve(w, r, &f.authorize, &f.authReqs)
	})
	mux.HandleFunc("POST /v1/device/token", func(w http.ResponseWriter, r *http.Request) {
		f.serve(w, r, &f.token, &f.tokenReqs)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWebex) serve(w http.ResponseWriter, r *http.Request, answers *[]answer, reqs *[]request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	user, pass, basic := r.BasicAuth()
	f.mu.Lock()
	*reqs = append(*reqs, request{at: f.clk.Now().Sub(t0), form: r.PostForm, user: user, pass: pass, basic: basic})
	a := answer{status: 500}
	if len(*answers) > 0 {
		a = (*answers)[0]
		if len(*answers) > 1 {
			*answers = (*answers)[1:]
		}
	}
	f.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if a.body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func (f *fakeWebex) config() Config {
	return Config{
		DeviceAuthURL: f.srv.URL + "/v1/device/authorize",
		TokenURL:      f.srv.URL + "/v1/device/token",
		ClientID:      "Cclient",
		ClientSecret:  "s3cret",
		Scopes:        []string{"spark:people_read", "spark:rooms_read"},
		AuthStyle:     oauth2.AuthStyleInHeader,
		HTTPClient:    f.srv.Client(),
		Clock:         f.clk,
	}
}

func (f *fakeWebex) pollTimes() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var at []time.Duration
	for _, r := range f.tokenReqs {
		at = append(at, r.at)
	}
	return at
}

const (
	deviceCode = "6f5ff6d0-device-code-secret"
	okToken    = `{"access_token":"AT","token_type":"Bearer","expires_in":1209599,"refresh_token":"RT","refresh_token_expires_in":7775999}`
	webexCode  = `{"device_code":"` + deviceCode + `","user_code":"123456","verification_uri":"https://oauth-helper-r.wbx2.com/verify","verification_uri_complete":"https://oauth-helper-r.wbx2.com/verify?userCode=abc","expires_in":300,"interval":2}`
)

func secs(n ...int) []time.Duration {
	var d []time.Duration
	for _, s := range n {
		d = append(d, time.Duration(s)*time.Second)
	}
	return d
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAuthorize(t *testing.T) {
	clk := newClock()
	f := newFake(t, clk)
	f.authorize = []answer{{status: 200, body: webexCode}}
	code, err := Authorize(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	want := Code{
		DeviceCode:              deviceCode,
		UserCode:                "123456",
		VerificationURI:         "https://oauth-helper-r.wbx2.com/verify",
		VerificationURIComplete: "https://oauth-helper-r.wbx2.com/verify?userCode=abc",
		ExpiresAt:               t0.Add(300 * time.Second),
		Interval:                2 * time.Second,
	}
	if *code != want {
		t.Fatalf("Authorize() = %+v\nwant %+v", *code, want)
	}
	r := f.authReqs[0]
	if got := r.form.Get("scope"); got != "spark:people_read spark:rooms_read" {
		t.Errorf("scope = %q", got)
	}
	if got := r.form.Get("client_id"); got != "Cclient" {
		t.Errorf("client_id = %q", got)
	}
}

// RFC 8628 §3.1: the device authorization request is authenticated like token requests
// whenever the client has a secret, except on Webex, which documents no authentication there:
// then it carries client_id and scope only, and the polls keep the secret.
func TestAuthorizeClientAuth(t *testing.T) {
	tests := []struct {
		name       string
		secret     string
		style      oauth2.AuthStyle
		webex      bool
		wantBasic  bool
		wantSecret string // client_secret form field
	}{
		{"basic", "s3cret", oauth2.AuthStyleInHeader, false, true, ""},
		{"auto detect means basic", "s3cret", oauth2.AuthStyleAutoDetect, false, true, ""},
		{"in params", "s3cret", oauth2.AuthStyleInParams, false, false, "s3cret"},
		{"public client", "", oauth2.AuthStyleInHeader, false, false, ""},
		{"webex: basic at polls only", "s3cret", oauth2.AuthStyleInHeader, true, true, ""},
		{"webex: secret field at polls only", "s3cret", oauth2.AuthStyleInParams, true, false, "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			f := newFake(t, clk)
			f.authorize = []answer{{status: 200, body: webexCode}}
			f.token = []answer{{status: 200, body: okToken}}
			cfg := f.config()
			cfg.ClientSecret, cfg.AuthStyle, cfg.Webex = tt.secret, tt.style, tt.webex
			code, err := Authorize(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Poll(context.Background(), cfg, code); err != nil {
				t.Fatal(err)
			}
			reqs := []request{f.authReqs[0], f.tokenReqs[0]}
			if tt.webex {
				r := f.authReqs[0]
				if r.basic || len(r.form) != 2 || r.form.Get("client_id") != "Cclient" || r.form.Get("scope") == "" {
					t.Errorf("webex device authorization: basic %v, form %v; want client_id and scope only", r.basic, r.form)
				}
				reqs = reqs[1:]
			}
			for _, r := range reqs {
				if r.basic != tt.wantBasic || (tt.wantBasic && (r.user != "Cclient" || r.pass != "s3cret")) {
					t.Errorf("basic auth = %v %q:%q, want %v", r.basic, r.user, r.pass, tt.wantBasic)
				}
				if got := r.form.Get("client_secret"); got != tt.wantSecret {
					t.Errorf("client_secret field = %q, want %q", got, tt.wantSecret)
				}
				if got := r.form.Get("client_id"); got != "Cclient" {
					t.Errorf("client_id = %q", got)
				}
			}
		})
	}
}

func TestAuthorizeAnswers(t *testing.T) {
	tests := []struct {
		name      string
		answers   []answer
		hint      bool     // Config.Webex
		scopes    []string // instead of the fake's
		wantKind  string
		wantErr   string // substring of the error; "" = success
		wantCode  *Code  // checked fields: Interval, VerificationURIComplete
		wantSleep []time.Duration
	}{
		{
			name:     "interval defaults to 5s, numbers as strings",
			answers:  []answer{{status: 200, body: `{"device_code":"d","user_code":"u","verification_uri":"https://x.example/verify","expires_in":"300"}`}},
			wantCode: &Code{Interval: 5 * time.Second},
		},
		{
			name:     "google's verification_url, bad complete URI dropped",
			answers:  []answer{{status: 200, body: `{"device_code":"d","user_code":"u","verification_url":"https://x.example/device","verification_uri_complete":"javascript:alert(1)","expires_in":60,"interval":3}`}},
			wantCode: &Code{Interval: 3 * time.Second},
		},
		{
			name:    "expires_in required",
			answers: []answer{{status: 200, body: `{"device_code":"d","user_code":"u","verification_uri":"https://x.example/v"}`}},
			wantErr: "lacks a valid expires_in",
		},
		{
			name:    "several fields missing",
			answers: []answer{{status: 200, body: `{"expires_in":5}`}},
			wantErr: "lacks a valid device_code, user_code, verification_uri",
		},
		{
			name:    "verification_uri must be http(s)",
			answers: []answer{{status: 200, body: `{"device_code":"d","user_code":"u","verification_uri":"file:///etc/passwd","expires_in":5}`}},
			wantErr: "not an http(s) URL",
		},
		{
			name:    "user code with terminal escapes",
			answers: []answer{{status: 200, body: `{"device_code":"d","user_code":"\u001b[2J","verification_uri":"https://x.example/v","expires_in":5}`}},
			wantErr: "unprintable",
		},
		{
			name:    "not json",
			answers: []answer{{status: 200, header: map[string]string{"Content-Type": "text/html"}, body: `<html>`}},
			wantErr: "not a JSON object",
		},
		{
			name:    "webex generic 400 with hint",
			answers: []answer{{status: 400, body: `{"message":"Bad Request","errors":[{"description":"Bad Request"}],"trackingId":"TR_400"}`}},
			hint:    true,
			wantErr: "device authorization failed: provider error: Bad Request (HTTP 400, trackingId TR_400); the integration may be missing Webex's device-flow redirect URIs (https://oauth-helper-{a,r,k,d}.wbx2.com/helperservice/v1/actions/device/callback)",
		},
		{
			name:    "webex invalid_scope names the scopes to tick",
			answers: []answer{{status: 400, body: `{"message":"invalid_scope","errors":[{"description":"invalid_scope"}],"trackingId":"TR_S"}`}},
			hint:    true,
			wantErr: "device authorization failed: provider error invalid_scope (HTTP 400, trackingId TR_S); the integration may lack the scopes asked for: tick spark:people_read spark:rooms_read on the integration at developer.webex.com (My Webex Apps)",
		},
		{
			name:    "webex invalid_scope for OpenID scopes",
			answers: []answer{{status: 400, body: `{"error":"invalid_scope"}`}},
			hint:    true,
			scopes:  []string{"openid", "spark:people_read"},
			wantErr: "Webex's device flow takes no OpenID Connect scopes (openid); ask for data scopes only",
		},
		{
			name:     "webex unauthorized_client is said as such, without the redirect hint",
			answers:  []answer{{status: 400, body: `{"message":"unauthorized_client","errors":[{"description":"The client is not authorized."}],"trackingId":"TR_U"}`}},
			hint:     true,
			wantKind: errInvalidClient,
			wantErr:  "the provider rejected the client; check the client id and secret: provider error unauthorized_client: The client is not authorized. (HTTP 400, trackingId TR_U)",
		},
		{
			name:    "400 without hint option",
			answers: []answer{{status: 400, body: `{"error":"invalid_scope","error_description":"openid not allowed"}`}},
			wantErr: "device authorization failed: provider error invalid_scope: openid not allowed (HTTP 400)",
		},
		{
			name:     "invalid client",
			answers:  []answer{{status: 401, body: `{"error":"invalid_client"}`}},
			wantKind: errInvalidClient,
			wantErr:  "check the client id and secret",
		},
		{
			name: "429 retried after Retry-After",
			answers: []answer{
				{status: 429, header: map[string]string{"Retry-After": "7"}},
				{status: 429},
				{status: 200, body: webexCode},
			},
			wantCode:  &Code{Interval: 2 * time.Second, VerificationURIComplete: "https://oauth-helper-r.wbx2.com/verify?userCode=abc"},
			wantSleep: secs(7, 5),
		},
		{
			name:     "429 asking for too long a wait",
			answers:  []answer{{status: 429, header: map[string]string{"Retry-After": "3600"}}},
			wantKind: errRateLimited,
			wantErr:  "retry after 1h0m0s",
		},
		{
			name:      "429 for ever",
			answers:   []answer{{status: 429, header: map[string]string{"Retry-After": "1"}}},
			wantKind:  errRateLimited,
			wantSleep: secs(1, 1, 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			f := newFake(t, clk)
			f.authorize = tt.answers
			cfg := f.config()
			cfg.Webex = tt.hint
			if tt.scopes != nil {
				cfg.Scopes = tt.scopes
			}
			code, err := Authorize(context.Background(), cfg)
			if tt.wantErr == "" && tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Authorize() error = %v", err)
				}
				if code.Interval != tt.wantCode.Interval || code.VerificationURIComplete != tt.wantCode.VerificationURIComplete {
					t.Errorf("Authorize() = %+v, want interval %v, complete %q", code, tt.wantCode.Interval, tt.wantCode.VerificationURIComplete)
				}
			} else {
				if err == nil {
					t.Fatalf("Authorize() = %+v, want error", code)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %q\nwant it to contain %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantKind) {
					t.Errorf("error = %q\nwant it to contain %q", err, tt.wantKind)
				}
				if (!tt.hint || tt.wantKind != "" || strings.Contains(tt.name, "invalid_scope")) && strings.Contains(err.Error(), "oauth-helper") {
					t.Errorf("redirect URI hint given for an answer about the scope or the client, or without the option: %v", err)
				}
				if strings.Contains(err.Error(), "(invalid_client)") {
					t.Errorf("error names a code of its own: %v", err)
				}
			}
			if !equalDurations(clk.sleeps, tt.wantSleep) {
				t.Errorf("sleeps = %v, want %v", clk.sleeps, tt.wantSleep)
			}
		})
	}
}

func TestPoll(t *testing.T) {
	pending428 := answer{status: 428, body: `{"message":"The user has not yet approved","trackingId":"T"}`}
	tests := []struct {
		name      string
		interval  int // seconds
		expiresIn int // seconds
		answers   []answer
		wantAt    []time.Duration // fake times of the polls
		wantKind  string
		wantErr   string
		wantEnd   time.Duration // fake time when Poll returned
		wantToken bool
	}{
		{
			name: "428 pending then token", interval: 2, expiresIn: 300,
			answers:   []answer{pending428, {status: 428}, {status: 200, body: okToken}},
			wantAt:    secs(2, 4, 6),
			wantToken: true, wantEnd: 6 * time.Second,
		},
		{
			name: "428 with an html body", interval: 2, expiresIn: 300,
			answers: []answer{
				{status: 428, header: map[string]string{"Content-Type": "text/html"}, body: "<html><title>wait</title></html>"},
				{status: 200, body: okToken},
			},
			wantAt: secs(2, 4), wantToken: true, wantEnd: 4 * time.Second,
		},
		{
			name: "RFC 400 authorization_pending, both body shapes", interval: 3, expiresIn: 300,
			answers: []answer{
				{status: 400, body: `{"error":"authorization_pending"}`},
				{status: 400, body: `{"message":"authorization_pending","errors":[{"description":"authorization_pending"}],"trackingId":"X"}`},
				{status: 200, body: okToken},
			},
			wantAt:    secs(3, 6, 9),
			wantToken: true, wantEnd: 9 * time.Second,
		},
		{
			name: "slow_down adds 5s each time, for good", interval: 2, expiresIn: 300,
			answers: []answer{
				{status: 400, body: `{"error":"slow_down"}`},
				{status: 400, body: `{"message":"slow_down","errors":[{"description":"slow_down"}]}`},
				pending428,
				{status: 200, body: okToken},
			},
			wantAt:    secs(2, 9, 21, 33),
			wantToken: true, wantEnd: 33 * time.Second,
		},
		{
			name: "429 waits Retry-After, then the interval again", interval: 2, expiresIn: 300,
			answers: []answer{
				{status: 429, header: map[string]string{"Retry-After": "10"}},
				pending428,
				{status: 429}, // no Retry-After: the interval
				{status: 429, header: map[string]string{"Retry-After": "1"}}, // never sooner than the interval
				{status: 200, body: okToken},
			},
			wantAt:    secs(2, 12, 14, 16, 18),
			wantToken: true, wantEnd: 18 * time.Second,
		},
		{
			name: "stops at expiry without polling after it", interval: 3, expiresIn: 10,
			answers:  []answer{pending428},
			wantAt:   secs(3, 6, 9),
			wantKind: errExpired, wantErr: "the code expired before it was approved; run `webex login` again",
			wantEnd: 10 * time.Second,
		},
		{
			name: "expiry exactly at the next poll", interval: 5, expiresIn: 10,
			answers:  []answer{pending428},
			wantAt:   secs(5),
			wantKind: errExpired, wantEnd: 10 * time.Second,
		},
		{
			name: "slow_down pushes the next poll past expiry", interval: 2, expiresIn: 8,
			answers:  []answer{{status: 400, body: `{"error":"slow_down"}`}},
			wantAt:   secs(2),
			wantKind: errExpired, wantEnd: 8 * time.Second,
		},
		{
			name: "access_denied", interval: 2, expiresIn: 300,
			answers:  []answer{pending428, {status: 400, body: `{"error":"access_denied","error_description":"The user denied"}`}},
			wantAt:   secs(2, 4),
			wantKind: errDenied, wantErr: "the sign-in request was denied: provider error access_denied: The user denied (HTTP 400)",
			wantEnd: 4 * time.Second,
		},
		{
			name: "expired_token", interval: 2, expiresIn: 300,
			answers:  []answer{{status: 400, body: `{"error":"expired_token"}`}},
			wantAt:   secs(2),
			wantKind: errExpired, wantErr: "run `webex login` again", wantEnd: 2 * time.Second,
		},
		{
			name: "webex invalid_grant in the envelope", interval: 2, expiresIn: 300,
			answers:  []answer{{status: 400, body: `{"message":"invalid_grant","errors":[{"description":"Device code expired"}],"trackingId":"TR_9"}`}},
			wantAt:   secs(2),
			wantKind: errExpired, wantErr: "the code expired before it was approved; run `webex login` again: provider error invalid_grant: Device code expired (HTTP 400, trackingId TR_9)",
			wantEnd: 2 * time.Second,
		},
		{
			name: "tokenlimit_reached", interval: 2, expiresIn: 300,
			answers:  []answer{{status: 400, body: `{"message":"tokenlimit_reached","trackingId":"TL"}`}},
			wantAt:   secs(2),
			wantKind: errTokenLimit, wantErr: "too many tokens", wantEnd: 2 * time.Second,
		},
		{
			name: "invalid_client", interval: 2, expiresIn: 300,
			answers:  []answer{{status: 401, body: `{"error":"invalid_client","error_description":"Basic auth required"}`}},
			wantAt:   secs(2),
			wantKind: errInvalidClient, wantErr: "check the client id and secret", wantEnd: 2 * time.Second,
		},
		{
			name: "other errors end polling", interval: 2, expiresIn: 300,
			answers: []answer{{status: 400, body: `{"error":"unsupported_grant_type"}`}},
			wantAt:  secs(2),
			wantErr: "device token failed: provider error unsupported_grant_type (HTTP 400)", wantEnd: 2 * time.Second,
		},
		{
			name: "5xx retried, then success", interval: 2, expiresIn: 300,
			answers: []answer{
				{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: "<html>bad gateway</html>"},
				{status: 503, body: `{"error":"temporarily_unavailable"}`},
				{status: 500},
				{status: 500},
				pending428, // four in a row, and the count starts again
				{status: 500},
				{status: 200, body: okToken},
			},
			wantAt:    secs(2, 4, 6, 8, 10, 12, 14),
			wantToken: true, wantEnd: 14 * time.Second,
		},
		{
			name: "5xx bounded", interval: 2, expiresIn: 300,
			answers: []answer{{status: 500, body: `{"message":"Internal error","trackingId":"T5"}`}},
			wantAt:  secs(2, 4, 6, 8, 10),
			wantErr: "device token failed: provider error: Internal error (HTTP 500, trackingId T5): 5 server errors in a row",
			wantEnd: 10 * time.Second,
		},
		{
			name: "token response without access_token", interval: 2, expiresIn: 300,
			answers: []answer{{status: 200, body: `{"token_type":"Bearer"}`}},
			wantAt:  secs(2),
			wantErr: "token response has no access_token", wantEnd: 2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			f := newFake(t, clk)
			f.token = tt.answers
			cfg := f.config()
			code := &Code{
				DeviceCode: deviceCode, UserCode: "123456", VerificationURI: "https://x.example/verify",
				ExpiresAt: t0.Add(time.Duration(tt.expiresIn) * time.Second),
				Interval:  time.Duration(tt.interval) * time.Second,
			}
			tok, err := Poll(context.Background(), cfg, code)

			if got := f.pollTimes(); !equalDurations(got, tt.wantAt) {
				t.Errorf("polls at %v, want %v", got, tt.wantAt)
			}
			if got := clk.Now().Sub(t0); got != tt.wantEnd {
				t.Errorf("returned at %v, want %v", got, tt.wantEnd)
			}
			if tt.wantToken {
				if err != nil {
					t.Fatalf("Poll() error = %v", err)
				}
				if tok.AccessToken != "AT" || tok.RefreshToken != "RT" || !tok.Expiry.Equal(clk.Now().Add(1209599*time.Second)) {
					t.Errorf("token = %+v", tok)
				}
				return
			}
			if err == nil {
				t.Fatalf("Poll() = %+v, want error", tok)
			}
			if !strings.Contains(err.Error(), tt.wantKind) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), deviceCode) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks a secret: %q", err)
			}
		})
	}
}

func TestPollRequest(t *testing.T) {
	clk := newClock()
	f := newFake(t, clk)
	f.token = []answer{{status: 428}, {status: 200, body: okToken}}
	code := &Code{DeviceCode: deviceCode, ExpiresAt: t0.Add(time.Minute), Interval: time.Second}
	if _, err := Poll(context.Background(), f.config(), code); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.tokenReqs {
		if !r.basic || r.user != "Cclient" || r.pass != "s3cret" {
			t.Errorf("poll without Basic auth: %+v", r)
		}
		want := url.Values{"grant_type": {GrantType}, "device_code": {deviceCode}, "client_id": {"Cclient"}}
		if r.form.Encode() != want.Encode() {
			t.Errorf("poll form = %v, want %v", r.form, want)
		}
	}
}

func TestPollProviderErrorIsReachable(t *testing.T) {
	clk := newClock()
	f := newFake(t, clk)
	f.token = []answer{{status: 400, header: map[string]string{"Trackingid": "HDR"}, body: `{"error":"access_denied"}`}}
	code := &Code{DeviceCode: deviceCode, ExpiresAt: t0.Add(time.Minute), Interval: time.Second}
	_, err := Poll(context.Background(), f.config(), code)
	var perr *oautherr.Error
	if !errors.As(err, &perr) || perr.Code != oautherr.AccessDenied || perr.TrackingID != "HDR" {
		t.Fatalf("errors.As(*oautherr.Error) = %v, %+v", err, perr)
	}
}

func TestPollCancel(t *testing.T) {
	t.Run("cancelled between polls", func(t *testing.T) {
		clk := newClock()
		f := newFake(t, clk)
		f.token = []answer{{status: 428}}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		code := &Code{DeviceCode: deviceCode, ExpiresAt: t0.Add(time.Hour), Interval: time.Second}
		cfg := f.config()
		cfg.Clock = &cancelClock{fakeClock: clk, cancel: cancel}
		_, err := Poll(ctx, cfg, code)
		if !errors.Is(err, context.Canceled) || err != context.Canceled {
			t.Fatalf("Poll() error = %v, want context.Canceled", err)
		}
		if n := len(f.pollTimes()); n != 1 {
			t.Fatalf("%d polls, want 1", n)
		}
	})
	t.Run("cancelled while the real clock waits", func(t *testing.T) {
		f := newFake(t, newClock())
		cfg := f.config()
		cfg.Clock = NowClock(time.Now) // the wall clock: an hour's interval must not be waited out
		ctx, cancel := context.WithCancel(context.Background())
		code := &Code{DeviceCode: deviceCode, ExpiresAt: time.Now().Add(2 * time.Hour), Interval: time.Hour}
		go cancel()
		_, err := Poll(ctx, cfg, code)
		if err != context.Canceled {
			t.Fatalf("Poll() error = %v, want context.Canceled", err)
		}
		if n := len(f.pollTimes()); n != 0 {
			t.Fatalf("%d polls, want 0", n)
		}
	})
	t.Run("cancelled while a request is in flight", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			cancel()
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}))
		defer srv.Close()
		defer close(done)
		cfg := Config{TokenURL: srv.URL, ClientID: "c", Clock: newClock()}
		code := &Code{DeviceCode: deviceCode, ExpiresAt: t0.Add(time.Hour), Interval: time.Second}
		_, err := Poll(ctx, cfg, code)
		if err != context.Canceled {
			t.Fatalf("Poll() error = %v, want context.Canceled", err)
		}
	})
}

// cancelClock cancels its context when asked to wait a second time, after the first poll.
type cancelClock struct {
	*fakeClock
	cancel func()
	waits  int
}

func (c *cancelClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.waits++; c.waits == 2 {
		c.cancel()
	}
	return c.fakeClock.Sleep(ctx, d)
}

func TestPollSlowDownThenRetryAfter(t *testing.T) {
	clk := newClock()
	f := newFake(t, clk)
	f.token = []answer{
		{status: 400, body: `{"error":"slow_down"}`},
		{status: 429, header: map[string]string{"Retry-After": "30"}},
		{status: 200, body: okToken},
	}
	code := &Code{DeviceCode: deviceCode, ExpiresAt: t0.Add(time.Hour), Interval: 2 * time.Second}
	if _, err := Poll(context.Background(), f.config(), code); err != nil {
		t.Fatal(err)
	}
	// slow_down: the interval is 7s from then on; the 429 waits its 30s Retry-After.
	if got, want := f.pollTimes(), secs(2, 9, 39); !equalDurations(got, want) {
		t.Errorf("polls at %v, want %v", got, want)
	}
	if got := clk.Now().Sub(t0); got != 39*time.Second {
		t.Errorf("returned at %v, want 39s", got)
	}
}

func TestPollValidatesInput(t *testing.T) {
	if _, err := Poll(context.Background(), Config{TokenURL: "http://127.0.0.1:1", ClientID: "c"}, nil); err == nil {
		t.Fatal("Poll(nil code) succeeded")
	}
	if _, err := Authorize(context.Background(), Config{}); err == nil {
		t.Fatal("Authorize(empty config) succeeded")
	}
}
