package userinfo

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/flow/device"
	"github.com/webex-cli/webex/internal/oautherr"
)

const testToken = "AT-secret_PF84_org"

// fake is a provider on 127.0.0.1 that answers from a script, one entry per request (the last
// one repeats), and records what it was sent.
type fake struct {
	srv *httptest.Server

	mu       sync.Mutex
	answers  []answer
	requests []*http.Request
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func newFake(t *testing.T, answers ...answer) *fake {
	t.Helper()
	f := &fake{answers: answers}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		n := len(f.requests)
		f.requests = append(f.requests, r.Clone(context.Background()))
		a := f.answers[min(n, len(f.answers)-1)]
		f.mu.Unlock()
		for k, v := range a.header {
			w.Header()[k] = []string{v}
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// sleeper records the waits asked for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
	err   error
}

func (s *sleeper) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return s.err
}

func client(f *fake, s *sleeper) *Client {
	c := &Client{HTTP: f.srv.Client()}
	if s != nil {
		c.Sleep = s.sleep
	}
	return c
}

func TestUserInfo(t *testing.T) {
	f := newFake(t, answer{status: 200, body: `{"sub":"5f5cbf4a-0d07-4b8c-b3b4-8f6f1bb1ac1f","email":"alice@example.com",` +
		`"email_verified":"true","phone_number_verified":"FALSE","name":"Alice Example","address":{"country":"US"}}`})
	claims, err := client(f, nil).UserInfo(context.Background(), f.srv.URL+"/v1/userinfo", testToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "5f5cbf4a-0d07-4b8c-b3b4-8f6f1bb1ac1f" || claims["email"] != "alice@example.com" || claims["name"] != "Alice Example" {
		t.Errorf("claims = %v", claims)
	}
	if claims["email_verified"] != true || claims["phone_number_verified"] != false {
		t.Errorf("verified flags not normalised: %#v, %#v", claims["email_verified"], claims["phone_number_verified"])
	}
	if addr, ok := claims["address"].(map[string]any); !ok || addr["country"] != "US" {
		t.Errorf("address = %#v", claims["address"])
	}
	req := f.requests[0]
	if req.Method != http.MethodGet || req.URL.Path != "/v1/userinfo" {
		t.Errorf("request %s %s", req.Method, req.URL.Path)
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := req.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   any
		want any
	}{
		{"true", true},
		{"false", false},
		{"True", true},
		{" FALSE ", false},
		{true, true},
		{false, false},
		{"yes", "yes"},
		{"", ""},
		{nil, nil},
		{1.0, 1.0},
	}
	for _, tt := range tests {
		m := map[string]any{"email_verified": tt.in, "phone_number_verified": tt.in, "other": "true"}
		normalize(m)
		if m["email_verified"] != tt.want || m["phone_number_verified"] != tt.want {
			t.Errorf("normalize(%#v) = %#v, %#v; want %#v", tt.in, m["email_verified"], m["phone_number_verified"], tt.want)
		}
		if m["other"] != "true" {
			t.Errorf("normalize changed another claim: %#v", m["other"])
		}
	}
	m := map[string]any{}
	normalize(m)
	if len(m) != 0 {
		t.Errorf("normalize added claims: %v", m)
	}
	normalize(nil) // must not panic
}

// webexPersonID is how Webex spells a person id: base64 of ciscospark://us/PEOPLE/<uuid>.
const personUUID = "5f5cbf4a-0d07-4b8c-b3b4-8f6f1bb1ac1f"

func TestPeopleMe(t *testing.T) {
	id := base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + personUUID))
	f := newFake(t, answer{status: 200, body: `{"id":"` + id + `","emails":["alice@example.com","a2@example.com"],` +
		`"displayName":"Alice Example","orgId":"org-1","type":"person","phoneNumbers":[{"type":"work","value":"+1 555"}]}`})
	p, err := client(f, nil).PeopleMe(context.Background(), f.srv.URL+"/v1/people/me", testToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != id || p.Email() != "alice@example.com" || p.DisplayName != "Alice Example" {
		t.Errorf("person = %+v", p)
	}
	if p.UUID() != personUUID {
		t.Errorf("UUID() = %q, want %q", p.UUID(), personUUID)
	}
	if p.Raw["type"] != "person" || p.Raw["phoneNumbers"] == nil {
		t.Errorf("Raw = %v", p.Raw)
	}
	if got := f.requests[0].Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
}

func TestPersonUUID(t *testing.T) {
	uri := "ciscospark://us/PEOPLE/" + personUUID
	tests := []struct {
		name, id, want string
	}{
		{"raw URL base64 (Webex)", base64.RawURLEncoding.EncodeToString([]byte(uri)), personUUID},
		{"padded URL base64", base64.URLEncoding.EncodeToString([]byte(uri)), personUUID},
		{"standard base64", base64.StdEncoding.EncodeToString([]byte(uri)), personUUID},
		{"raw standard base64", base64.RawStdEncoding.EncodeToString([]byte(uri)), personUUID},
		{"EU cluster", base64.RawURLEncoding.EncodeToString([]byte("ciscospark://eu/PEOPLE/" + personUUID)), personUUID},
		{"a room id is not a person", base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/ROOM/" + personUUID)), ""},
		{"another scheme", base64.RawURLEncoding.EncodeToString([]byte("https://x/PEOPLE/" + personUUID)), ""},
		{"plain UUID", personUUID, personUUID},
		{"not base64", "not base64!", "not base64!"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.id // returned unchanged
			}
			p := &Person{ID: tt.id}
			if got := p.UUID(); got != want {
				t.Errorf("UUID() = %q, want %q", got, want)
			}
		})
	}
	if (&Person{}).Email() != "" {
		t.Error("Email() of a person without addresses")
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		want   []string
		code   string
	}{
		{
			name: "401 expired token",
			answer: answer{status: 401, header: map[string]string{"TrackingID": "ROUTER_1", "WWW-Authenticate": `Bearer error="invalid_token"`},
				body: `{"message":"The request requires a valid access token set in the Authorization request header.","errors":[{"description":"x"}],"trackingId":"ROUTER_1"}`},
			want: []string{"rejected the access token (HTTP 401)", "webex login", "trackingId ROUTER_1"},
		},
		{
			name:   "403 missing scope",
			answer: answer{status: 403, body: `{"message":"insufficient_scope","errors":[{"description":"UserInfo needs openid."}],"trackingId":"T403"}`},
			want:   []string{"lacks the scope for this (HTTP 403)", "--scopes", "insufficient_scope", "T403"},
			code:   "insufficient_scope",
		},
		{
			name:   "429 waiting too long",
			answer: answer{status: 429, header: map[string]string{"Retry-After": "3600"}, body: `{"message":"Too many requests","trackingId":"T429"}`},
			want:   []string{"rate limiting these requests (HTTP 429)", "try again later"},
		},
		{
			name:   "500 with HTML",
			answer: answer{status: 500, header: map[string]string{"Content-Type": "text/html"}, body: "<html><body><h1>Oops</h1>\n<p>backend down</p></body></html>"},
			want:   []string{"the provider answered HTTP 500"},
		},
		{
			name:   "404 OAuth shape",
			answer: answer{status: 404, body: `{"error":"invalid_request","error_description":"no such endpoint"}`},
			want:   []string{"HTTP 404", "invalid_request", "no such endpoint"},
			code:   "invalid_request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answer)
			s := &sleeper{}
			c := client(f, s)
			for name, call := range map[string]func() error{
				"UserInfo": func() error { _, err := c.UserInfo(context.Background(), f.srv.URL, testToken); return err },
				"PeopleMe": func() error { _, err := c.PeopleMe(context.Background(), f.srv.URL, testToken); return err },
			} {
				err := call()
				var se *StatusError
				if !errors.As(err, &se) || se.Status != tt.answer.status {
					t.Fatalf("%s: error %v (%T), want *StatusError %d", name, err, err, tt.answer.status)
				}
				msg := err.Error()
				for _, w := range tt.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: %q lacks %q", name, msg, w)
					}
				}
				if strings.ContainsAny(msg, "\r\n") || strings.Contains(msg, testToken) {
					t.Errorf("%s: message is not one clean line: %q", name, msg)
				}
				var pe *oautherr.Error
				if !errors.As(err, &pe) || pe.Status != tt.answer.status {
					t.Errorf("%s: no provider error in the chain: %v", name, err)
				} else if tt.code != "" && pe.Code != tt.code {
					t.Errorf("%s: code %q, want %q", name, pe.Code, tt.code)
				}
			}
			if len(s.waits) != 0 {
				t.Errorf("slept %v", s.waits)
			}
		})
	}
	if msg := (&StatusError{Status: 502}).Error(); msg != "the provider answered HTTP 502" {
		t.Errorf("StatusError without detail = %q", msg)
	}
}

func TestRetryAfter429(t *testing.T) {
	ok := answer{status: 200, body: `{"sub":"s","email_verified":"false"}`}
	limited := func(retry string) answer {
		h := map[string]string{}
		if retry != "" {
			h["Retry-After"] = retry
		}
		return answer{status: 429, header: h, body: `{"message":"Too many requests","trackingId":"T"}`}
	}
	tests := []struct {
		name      string
		answers   []answer
		wantWaits []time.Duration
		wantHits  int
		wantErr   bool
	}{
		{"retried after Retry-After", []answer{limited("3"), ok}, []time.Duration{3 * time.Second}, 2, false},
		{"no Retry-After waits 2s", []answer{limited(""), ok}, []time.Duration{2 * time.Second}, 2, false},
		{"twice then success", []answer{limited("1"), limited("2"), ok}, []time.Duration{time.Second, 2 * time.Second}, 3, false},
		{"gives up after two retries", []answer{limited("1")}, []time.Duration{time.Second, time.Second}, 3, true},
		{"at most MaxRetryAfter", []answer{limited("30"), ok}, []time.Duration{MaxRetryAfter}, 2, false},
		{"longer waits are not honoured", []answer{limited("31"), ok}, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.answers...)
			s := &sleeper{}
			claims, err := client(f, s).UserInfo(context.Background(), f.srv.URL, testToken)
			if (err != nil) != tt.wantErr {
				t.Fatalf("UserInfo() = %v, %v", claims, err)
			}
			if err == nil && claims["email_verified"] != false {
				t.Errorf("claims = %v", claims)
			}
			var se *StatusError
			if err != nil && (!errors.As(err, &se) || se.Status != 429) {
				t.Errorf("error %v, want a 429 StatusError", err)
			}
			if f.hits() != tt.wantHits {
				t.Errorf("%d requests, want %d", f.hits(), tt.wantHits)
			}
			if len(s.waits) != len(tt.wantWaits) {
				t.Fatalf("waits %v, want %v", s.waits, tt.wantWaits)
			}
			for i := range s.waits {
				if s.waits[i] != tt.wantWaits[i] {
					t.Errorf("waits %v, want %v", s.waits, tt.wantWaits)
				}
			}
		})
	}

	t.Run("a failed wait ends the request", func(t *testing.T) {
		f := newFake(t, limited("1"), ok)
		s := &sleeper{err: context.Canceled}
		_, err := client(f, s).PeopleMe(context.Background(), f.srv.URL, testToken)
		if !errors.Is(err, context.Canceled) || f.hits() != 1 {
			t.Errorf("PeopleMe() error %v after %d requests", err, f.hits())
		}
	})

	t.Run("the real clock honours the context", func(t *testing.T) {
		// The context ends while the 429 is answered, so the wait on the real clock must
		// return at once rather than after 20s.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		rt := roundTripper(func(r *http.Request) (*http.Response, error) {
			calls++
			cancel()
			return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"20"}},
				Body: io.NopCloser(strings.NewReader(`{"message":"slow down"}`)), Request: r}, nil
		})
		c := &Client{HTTP: &http.Client{Transport: rt}, Sleep: device.NowClock(time.Now).Sleep} // as webex userinfo's
		_, err := c.UserInfo(ctx, "https://webex.invalid/v1/userinfo", testToken)
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Errorf("UserInfo() error %v after %d requests, want context.Canceled after 1", err, calls)
		}
	})
}

func TestBadBodies(t *testing.T) {
	tests := []struct {
		name, body string
		userInfo   bool // UserInfo fails
		peopleMe   bool // PeopleMe fails
	}{
		{"HTML", "<html>sign in</html>", true, true},
		{"empty", "", true, true},
		{"array", `[{"sub":"x"}]`, true, true},
		{"string", `"hello"`, true, true},
		{"number", `42`, true, true},
		{"JSON null", `null`, true, true},
		{"truncated", `{"sub":"x"`, true, true},
		{"wrong types", `{"id":1,"emails":"a@example.com"}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, answer{status: 200, header: map[string]string{"Content-Type": "text/html"}, body: tt.body})
			c := client(f, nil)
			_, err := c.UserInfo(context.Background(), f.srv.URL, testToken)
			if (err != nil) != tt.userInfo {
				t.Errorf("UserInfo error = %v, want failure %v", err, tt.userInfo)
			}
			if err != nil && err.Error() != "the UserInfo answer is not a JSON object" {
				t.Errorf("UserInfo error = %q", err)
			}
			_, err = c.PeopleMe(context.Background(), f.srv.URL, testToken)
			if (err != nil) != tt.peopleMe {
				t.Errorf("PeopleMe error = %v, want failure %v", err, tt.peopleMe)
			}
			if err != nil && err.Error() != "the people/me answer is not a JSON object" {
				t.Errorf("PeopleMe error = %q", err)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	c := &Client{HTTP: &http.Client{}}
	if _, err := c.UserInfo(context.Background(), "http://127.0.0.1:0\x7f/userinfo", testToken); err == nil || !strings.Contains(err.Error(), "bad endpoint URL") {
		t.Errorf("bad URL: %v", err)
	}
	// A closed server: the request fails and the error does not hold the token.
	f := newFake(t, answer{status: 200, body: `{}`})
	f.srv.Close()
	_, err := (&Client{HTTP: f.srv.Client()}).PeopleMe(context.Background(), f.srv.URL, testToken)
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("closed server: %v", err)
	}
}
