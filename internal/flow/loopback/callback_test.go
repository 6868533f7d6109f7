package loopback

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/webex-cli/webex/internal/oautherr"
)

const wantState = "c3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3Q"

// State checks come first, in handler.foreign; TestRunIgnoresForeignCallbacks covers them.
func TestParseCallback(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		want     string
		wantIs   string // the error's beginning
		wantCode string // provider error code
		wantMsg  string
	}{
		{name: "code", query: "code=abc-123&state=" + wantState, want: "abc-123"},
		{name: "extra params ignored", query: "code=abc&state=" + wantState + "&iss=https%3A%2F%2Fidbroker.webex.com%2Fidb&session_state=x", want: "abc"},
		{name: "missing code", query: "state=" + wantState, wantIs: "the sign-in answer carries no authorization code"},
		{name: "repeated code", query: "code=a&code=b&state=" + wantState, wantIs: "the sign-in answer is malformed: "},
		{name: "code with control chars", query: "code=a%0Ab&state=" + wantState, wantIs: "the sign-in answer is malformed: "},
		{name: "code too long", query: "code=" + strings.Repeat("a", 5000) + "&state=" + wantState, wantIs: "the sign-in answer is malformed: "},
		{
			name: "provider error", query: "error=access_denied&error_description=The+user+cancelled&state=" + wantState,
			wantCode: "access_denied", wantMsg: "the provider refused the sign-in: provider error access_denied: The user cancelled",
		},
		{name: "error wins over code", query: "error=server_error&code=abc&state=" + wantState, wantCode: "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			code, err := parseCallback(q)
			switch {
			case tt.want != "":
				if err != nil || code != tt.want {
					t.Fatalf("parseCallback() = %q, %v; want %q", code, err, tt.want)
				}
			case tt.wantIs != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantIs) || code != "" {
					t.Fatalf("parseCallback() = %q, %v; want %v", code, err, tt.wantIs)
				}
			default:
				var perr *oautherr.Error
				if !errors.As(err, &perr) || perr.Code != tt.wantCode || code != "" {
					t.Fatalf("parseCallback() = %q, %v; want provider error %s", code, err, tt.wantCode)
				}
				if tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Errorf("message = %q, want %q", err, tt.wantMsg)
				}
			}
			if err != nil && (strings.Contains(err.Error(), wantState) || strings.Contains(err.Error(), "abc")) {
				t.Errorf("error %q quotes the state or the code", err)
			}
		})
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{
		"code=abc&state=" + wantState,
		"code=abc&state=x",
		"state=" + wantState,
		"error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E%1B&state=" + wantState,
		"error=login_required",
		"code=a&code=b&state=" + wantState,
		"code=%00&state=" + wantState,
		"",
		"%zz&code=;state=",
		"error=&code=\xff&state=" + wantState,
	} {
		f.Add(s, wantState)
	}
	f.Add("code=a&state=", "")
	f.Fuzz(func(t *testing.T, raw, want string) {
		q, _ := url.ParseQuery(raw) // keeps what it could parse, as net/http does
		if (&handler{state: want}).foreign(q) != nil {
			return // ignored before parseCallback
		}
		code, err := parseCallback(q)
		if err != nil {
			if code != "" {
				t.Fatal("code and error both returned")
			}
			for _, r := range err.Error() {
				if unicode.IsControl(r) {
					t.Fatalf("error holds control rune %U: %q", r, err)
				}
			}
			return
		}
		if want == "" || q.Get("state") != want || len(q["state"]) != 1 {
			t.Fatalf("accepted state %q for %q", q["state"], want)
		}
		if q.Get("error") != "" {
			t.Fatal("accepted an error answer")
		}
		if code == "" || code != q.Get("code") || len(code) > 4096 {
			t.Fatalf("bad code %q", code)
		}
	})
}
