package provider

import (
	"strings"
	"testing"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string // "" = valid
	}{
		{"https://webexapis.com/v1", ""},
		{"https://login.example.com", ""},
		{"https://login.example.com/", ""},
		{"https://login.example.com:8443/realms/x", ""},
		{"HTTPS://login.example.com", ""},
		{"http://127.0.0.1:8080/v1", ""},
		{"http://127.0.0.1", ""},
		{"http://127.9.8.7:1/x", ""},
		{"http://localhost:8080", ""},
		{"http://LOCALHOST:8080", ""},
		{"http://[::1]:8080/v1", ""},
		{"http://[::ffff:127.0.0.1]:8080/v1", ""},

		{"", "empty"},
		{"http://example.com", "must use https"},
		{"http://10.0.0.1/v1", "must use https"},
		{"http://[::2]/v1", "must use https"},
		{"http://localhost.evil.com/", "must use https"},
		{"http://127.0.0.1.nip.io/", "must use https"},
		{"http://foo.localhost/", "must use https"},
		{"http://[fe80::1%25lo]/", "must use https"},
		{"ftp://example.com", "only https"},
		{"javascript:alert(1)", "not absolute"},
		{"webexapis.com/v1", "not absolute"},
		{"/v1", "not absolute"},
		{"https://", "no host"},
		{"https:///path", "no host"},
		{"https://:443/", "no host"},
		{"https://user:hunter2@example.com/", "user information"},
		{"https://example.com/#frag", "fragment"},
		{"https://example.com/#", "fragment"},
		{"https://example.com/?a=b", "query"},
		{"https://example.com/?", "query"},
		{"https://exa mple.com/", "not valid"},
		{"https://example.com/%zz", "not valid"},
	}
	for _, tt := range tests {
		err := ValidateURL(tt.raw, false)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidateURL(%q) = %v, want nil", tt.raw, err)
		case tt.wantErr != "" && err == nil:
			t.Errorf("ValidateURL(%q) = nil, want error containing %q", tt.raw, tt.wantErr)
		case err != nil && !strings.Contains(err.Error(), tt.wantErr):
			t.Errorf("ValidateURL(%q) = %v, want it to contain %q", tt.raw, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ValidateURL(%q) leaks the password: %v", tt.raw, err)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.255.255.254": true, "::1": true,
		"0.0.0.0": false, "::": false, "128.0.0.1": false, "example.com": false, "": false,
		"localhost.": false, "[::1]": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}
