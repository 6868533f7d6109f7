package userinfo

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// roundTripper answers requests in memory.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzAnswers feeds arbitrary answers (status, Retry-After and body) to UserInfo and PeopleMe
// through an in-memory transport. They must never panic, never sleep for long, and their
// errors must be one line without control characters that never repeats the token.
func FuzzAnswers(f *testing.F) {
	id := "Y2lzY29zcGFyazovL3VzL1BFT1BMRS81ZjVjYmY0YS0wZDA3LTRiOGMtYjNiNC04ZjZmMWJiMWFjMWY"
	for _, seed := range []struct {
		status int
		retry  string
		body   string
	}{
		{200, "", `{"sub":"s","email":"a@example.com","email_verified":"true"}`},
		{200, "", `{"id":"` + id + `","emails":["a@example.com"],"displayName":"A","orgId":"o"}`},
		{200, "", `{"email_verified":"FALSE","phone_number_verified":" true "}`},
		{200, "", `{"emails":null,"id":7}`},
		{200, "", `null`},
		{200, "", `[1,2]`},
		{200, "", `<html>\n</html>`},
		{200, "", "{\"sub\":\"\xff\xfe\"}"},
		{200, "", `{"a":{"b":{"c":[[[[{}]]]]}}}`},
		{401, "", `{"message":"The request requires a valid access token","errors":[{"description":"x\ny"}],"trackingId":"T1"}`},
		{403, "", `{"error":"insufficient_scope","error_description":"needs openid\r\n\x1b[31m"}`},
		{429, "1", `{"message":"Too many requests"}`},
		{429, "Wed, 21 Oct 2015 07:28:00 GMT", ``},
		{429, "-5", `{}`},
		{500, "", "<h1>Internal\nServer Error</h1>"},
		{302, "", ``},
		{0, "", ``},
	} {
		f.Add(seed.status, seed.retry, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, retry string, body []byte) {
		if status < 100 || status > 999 {
			status = 200 + (status%800+800)%800 // keep it a valid three-digit status
		}
		header := http.Header{"Content-Type": {"application/json"}}
		if retry != "" && !strings.ContainsAny(retry, "\r\n") {
			header.Set("Retry-After", retry)
		}
		rt := roundTripper(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: status, Status: strconv.Itoa(status), Header: header.Clone(),
				Body: io.NopCloser(strings.NewReader(string(body))), Request: r,
			}, nil
		})
		c := &Client{
			HTTP: &http.Client{Transport: rt},
			Sleep: func(_ context.Context, d time.Duration) error {
				if d <= 0 || d > MaxRetryAfter {
					t.Fatalf("asked to sleep %v", d)
				}
				return nil
			},
		}
		const token = "fuzz-token-0123456789"
		check := func(what string, err error) {
			if err == nil {
				return
			}
			msg := err.Error()
			if strings.Contains(msg, token) {
				t.Fatalf("%s error holds the token: %q", what, msg)
			}
			for _, r := range msg {
				if unicode.IsControl(r) {
					t.Fatalf("%s error holds control character %U: %q", what, r, msg)
				}
			}
		}
		claims, err := c.UserInfo(context.Background(), "https://webex.invalid/v1/userinfo", token)
		check("UserInfo", err)
		if err == nil {
			if claims == nil {
				t.Fatal("UserInfo returned no claims and no error")
			}
			for _, k := range []string{"email_verified", "phone_number_verified"} {
				if s, ok := claims[k].(string); ok && (strings.EqualFold(strings.TrimSpace(s), "true") || strings.EqualFold(strings.TrimSpace(s), "false")) {
					t.Fatalf("%s left as the string %q", k, s)
				}
			}
		}
		p, err := c.PeopleMe(context.Background(), "https://webex.invalid/v1/people/me", token)
		check("PeopleMe", err)
		if err == nil {
			_ = p.UUID()
			_ = p.Email()
		}
	})
}
