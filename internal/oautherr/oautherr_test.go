package oautherr

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   Error
	}{
		{
			name: "oauth shape", status: 400, header: jsonHdr,
			body: `{"error":"invalid_grant","error_description":"The device code has expired"}`,
			want: Error{Status: 400, Code: InvalidGrant, Description: "The device code has expired"},
		},
		{
			name: "webex envelope with message sentence", status: 400, header: jsonHdr,
			body: `{"message":"Invalid client id","errors":[{"description":"Invalid client id"}],"trackingId":"ROUTER_5F3A"}`,
			want: Error{Status: 400, Description: "Invalid client id", TrackingID: "ROUTER_5F3A"},
		},
		{
			name: "webex message is a code", status: 400, header: jsonHdr,
			body: `{"message":"slow_down","errors":[{"description":"Polling too fast"}],"trackingId":"T1"}`,
			want: Error{Status: 400, Code: SlowDown, Description: "Polling too fast", TrackingID: "T1"},
		},
		{
			name: "webex message contains a code", status: 400, header: jsonHdr,
			body: `{"message":"Device flow: authorization_pending.","errors":[]}`,
			want: Error{Status: 400, Code: AuthorizationPending, Description: "Device flow: authorization_pending."},
		},
		{
			name: "code only in errors description", status: 400, header: jsonHdr,
			body: `{"message":"Bad request","errors":[{"description":"tokenlimit_reached"}]}`,
			want: Error{Status: 400, Code: TokenLimitReached, Description: "Bad request"},
		},
		{
			name: "code in message case-insensitive", status: 400,
			body: `{"message":"SLOW_DOWN"}`,
			want: Error{Status: 400, Code: SlowDown},
		},
		{
			name: "code token inside a longer word is not a code", status: 400,
			body: `{"message":"xinvalid_grant is not it"}`,
			want: Error{Status: 400, Description: "xinvalid_grant is not it"},
		},
		{
			name: "error wins over message", status: 400,
			body: `{"error":"access_denied","message":"slow_down"}`,
			want: Error{Status: 400, Code: AccessDenied, Description: "slow_down"},
		},
		{
			name: "unknown error code kept, sanitised", status: 400,
			body: `{"error":"weird \"code\"\u001b[31m with space"}`,
			want: Error{Status: 400, Code: "weirdcode[31mwithspace"},
		},
		{
			name: "nested error object", status: 401,
			body: `{"error":{"code":"invalid_token","message":"expired"}}`,
			want: Error{Status: 401, Code: "invalid_token", Description: "expired"},
		},
		{
			name: "428 is pending whatever the body", status: 428,
			body: `{"message":"The user has not yet authorized","trackingId":"T428"}`,
			want: Error{Status: 428, Code: AuthorizationPending, Description: "The user has not yet authorized", TrackingID: "T428"},
		},
		{
			name: "428 empty body", status: 428,
			want: Error{Status: 428, Code: AuthorizationPending},
		},
		{
			name: "429 retry-after seconds and tracking header", status: 429,
			header: http.Header{"Retry-After": {"7"}, "Trackingid": {"HDR_1"}},
			want:   Error{Status: 429, TrackingID: "HDR_1", RetryAfter: 7 * time.Second},
		},
		{
			name: "body tracking id wins over header", status: 400,
			header: http.Header{"Trackingid": {"HDR"}},
			body:   `{"message":"x","trackingID":"BODY"}`,
			want:   Error{Status: 400, Description: "x", TrackingID: "BODY"},
		},
		{
			name: "retry-after http-date", status: 429,
			header: http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}},
			want:   Error{Status: 429, RetryAfter: 30 * time.Second},
		},
		{
			name: "html error page gives its title only", status: 502,
			header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
			body:   "<html><head><title>502 Bad Gateway &amp; co</title></head><body><script>alert(1)</script></body></html>",
			want:   Error{Status: 502, Description: "502 Bad Gateway & co"},
		},
		{
			name: "html without content type", status: 503,
			body: "<!DOCTYPE html><html><body>down</body></html>",
			want: Error{Status: 503},
		},
		{
			name: "plain text snippet", status: 500, header: http.Header{"Content-Type": {"text/plain"}},
			body: "upstream\tconnect error\x1b[0m\n",
			want: Error{Status: 500, Description: "upstream connect error[0m"},
		},
		{
			name: "form encoded body", status: 400,
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			body:   "error=invalid_client&error_description=no+such+client",
			want:   Error{Status: 400, Code: InvalidClient, Description: "no such client"},
		},
		{
			name: "broken json with json type gives no snippet", status: 400, header: jsonHdr,
			body: `{"error":`,
			want: Error{Status: 400},
		},
		{name: "empty", status: 503, want: Error{Status: 503}},
		{
			name: "binary garbage", status: 500, header: http.Header{"Content-Type": {"application/octet-stream"}},
			body: "\x00\x01\xff\xfe",
			want: Error{Status: 500},
		},
		{
			name: "bom and whitespace", status: 400,
			body: "\xef\xbb\xbf  \n{\"error\":\"invalid_request\"}",
			want: Error{Status: 400, Code: "invalid_request"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseAt(now, tt.status, tt.header, []byte(tt.body))
			if *got != tt.want {
				t.Errorf("ParseAt() = %#v\nwant %#v", *got, tt.want)
			}
		})
	}
}

func TestParseNeverLeaksTokens(t *testing.T) {
	body := `{"access_token":"AT-SECRET","refresh_token":"RT-SECRET","id_token":"IDT","error":"invalid_grant"}`
	msg := ParseAt(time.Now(), 400, nil, []byte(body)).Error()
	for _, s := range []string{"AT-SECRET", "RT-SECRET", "IDT"} {
		if strings.Contains(msg, s) {
			t.Fatalf("message %q contains %q", msg, s)
		}
	}
}

func TestParseTruncatesDescription(t *testing.T) {
	long := strings.Repeat("é", 1000)
	e := ParseAt(time.Now(), 400, nil, []byte(`{"error":"invalid_request","error_description":"`+long+`"}`))
	if n := utf8.RuneCountInString(e.Description); n != maxDescription {
		t.Fatalf("description has %d runes, want %d", n, maxDescription)
	}
	if !strings.HasSuffix(e.Description, "…") {
		t.Fatalf("cut description lacks an ellipsis: %q", e.Description)
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Status: 400, Code: "invalid_grant", Description: "expired", TrackingID: "XYZ"},
			"provider error invalid_grant: expired (HTTP 400, trackingId XYZ)"},
		{Error{Status: 503}, "provider error: Service Unavailable (HTTP 503)"},
		{Error{Status: 429, RetryAfter: 3 * time.Second}, "provider error: Too Many Requests (HTTP 429, retry after 3s)"},
		{Error{Code: "access_denied"}, "provider error access_denied"},
		{Error{}, "provider error"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"12", 12 * time.Second},
		{" 5 ", 5 * time.Second},
		{"999999999999", 24 * time.Hour},
		{"soon", 0},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), 24 * time.Hour},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		if got := RetryAfter(h, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
	// Sub-second offsets round up, never down.
	h := http.Header{"Retry-After": {now.Add(10 * time.Second).Format(http.TimeFormat)}}
	if got := RetryAfter(h, now.Add(-300*time.Millisecond)); got != 11*time.Second {
		t.Errorf("RetryAfter with sub-second now = %v, want 11s", got)
	}
}

func TestFromParams(t *testing.T) {
	if FromParams(url.Values{"code": {"x"}}) != nil {
		t.Fatal("FromParams without error = non-nil")
	}
	e := FromParams(url.Values{"error": {"ACCESS_DENIED"}, "error_description": {"user said\nno\u202e"}})
	want := Error{Code: AccessDenied, Description: "user said no"}
	if *e != want {
		t.Fatalf("FromParams = %#v, want %#v", *e, want)
	}
}

func TestFromRetrieveError(t *testing.T) {
	if _, ok := FromRetrieveError(errors.New("plain")); ok {
		t.Fatal("plain error reported as RetrieveError")
	}
	if _, ok := FromRetrieveError(nil); ok {
		t.Fatal("nil reported as RetrieveError")
	}
	re := &oauth2.RetrieveError{
		Response: &http.Response{StatusCode: 400, Header: http.Header{"Trackingid": {"TR"}}},
		Body:     []byte(`{"message":"invalid_grant","errors":[{"description":"Refresh token expired"}]}`),
	}
	e, ok := FromRetrieveError(fmt.Errorf("refresh: %w", re))
	if !ok {
		t.Fatal("wrapped RetrieveError not found")
	}
	want := Error{Status: 400, Code: InvalidGrant, Description: "Refresh token expired", TrackingID: "TR"}
	if *e != want {
		t.Fatalf("FromRetrieveError = %#v, want %#v", *e, want)
	}

	// No response, body unparsable: fall back to the fields x/oauth2 parsed itself.
	re = &oauth2.RetrieveError{ErrorCode: "invalid_client", ErrorDescription: "bad secret"}
	e, _ = FromRetrieveError(re)
	want = Error{Code: InvalidClient, Description: "bad secret"}
	if *e != want {
		t.Fatalf("FromRetrieveError without response = %#v, want %#v", *e, want)
	}
}

func checkSafe(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			t.Fatalf("%s holds control/format rune %U: %q", what, r, s)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []struct {
		status int
		ctype  string
		body   string
	}{
		{400, "application/json", `{"error":"invalid_grant","error_description":"expired"}`},
		{400, "application/json", `{"message":"slow_down","errors":[{"description":"too fast"}],"trackingId":"T"}`},
		{428, "application/json", `{"message":"authorization_pending"}`},
		{400, "", `{"error":{"code":"x","message":"y"}}`},
		{502, "text/html", "<html><title>Bad\x1b Gateway</title></html>"},
		{500, "text/plain", "oops\x00\u202e"},
		{400, "application/x-www-form-urlencoded", "error=access_denied&error_description=%0A"},
		{503, "", ""},
		{400, "", "\xff\xfe{\"error"},
		{400, "", `{"errors":"not a list","message":7,"trackingId":{}}`},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ctype, "5", []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, ctype, retryAfter string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", ctype)
		h.Set("Retry-After", retryAfter)
		e := ParseAt(now, status, h, body)
		if e == nil {
			t.Fatal("ParseAt returned nil")
		}
		if e.Status != status {
			t.Fatalf("Status = %d, want %d", e.Status, status)
		}
		if utf8.RuneCountInString(e.Description) > maxDescription || len(e.Code) > maxCode ||
			utf8.RuneCountInString(e.TrackingID) > maxTrackingID {
			t.Fatalf("limits exceeded: %#v", *e)
		}
		if e.RetryAfter < 0 || e.RetryAfter > 24*time.Hour {
			t.Fatalf("RetryAfter out of range: %v", e.RetryAfter)
		}
		checkSafe(t, "Code", e.Code)
		checkSafe(t, "Description", e.Description)
		checkSafe(t, "TrackingID", e.TrackingID)
		checkSafe(t, "Error()", e.Error())
	})
}
