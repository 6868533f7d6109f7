package device

import (
	"strings"
	"testing"
	"time"
)

func TestParseTokenResponse(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantErr    string
		wantAT     string
		wantType   string
		wantRT     string
		wantExpiry time.Duration // from t0; 0 = zero Expiry
	}{
		{
			name:   "webex device token",
			body:   `{"access_token":"AT","expires_in":1209599,"refresh_token":"RT","refresh_token_expires_in":7775999,"token_type":"Bearer","scope":"spark:people_read"}`,
			wantAT: "AT", wantType: "Bearer", wantRT: "RT", wantExpiry: 1209599 * time.Second,
		},
		{
			name:   "expires_in as a string",
			body:   `{"access_token":"AT","expires_in":"3600"}`,
			wantAT: "AT", wantExpiry: time.Hour,
		},
		{
			name:   "expires_in fraction truncated",
			body:   `{"access_token":"AT","expires_in":59.9}`,
			wantAT: "AT", wantExpiry: 59 * time.Second,
		},
		{name: "no expires_in", body: `{"access_token":"AT"}`, wantAT: "AT"},
		{name: "empty object", body: `{}`, wantErr: "no access_token"},
		{name: "blank access_token", body: `{"access_token":"  "}`, wantErr: "no access_token"},
		{name: "access_token not a string", body: `{"access_token":42}`, wantErr: "access_token is not a string"},
		{name: "refresh_token not a string", body: `{"access_token":"a","refresh_token":{}}`, wantErr: "refresh_token is not a string"},
		{name: "negative expires_in", body: `{"access_token":"a","expires_in":-1}`, wantErr: "expires_in: out of range"},
		{name: "huge expires_in", body: `{"access_token":"a","expires_in":1e300}`, wantErr: "expires_in: out of range"},
		{name: "word expires_in", body: `{"access_token":"a","expires_in":"soon"}`, wantErr: "expires_in: not a number"},
		{name: "bool expires_in", body: `{"access_token":"a","expires_in":true}`, wantErr: "expires_in: not a number"},
		{name: "array", body: `[]`, wantErr: "not a JSON object"},
		{name: "null", body: `null`, wantErr: "not a JSON object"},
		{name: "html", body: `<html>`, wantErr: "not a JSON object"},
		{name: "empty", body: ``, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := ParseTokenResponse([]byte(tt.body), t0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != tt.wantAT || tok.TokenType != tt.wantType || tok.RefreshToken != tt.wantRT {
				t.Errorf("token = %+v", tok)
			}
			wantExp := time.Time{}
			if tt.wantExpiry != 0 {
				wantExp = t0.Add(tt.wantExpiry)
			}
			if !tok.Expiry.Equal(wantExp) {
				t.Errorf("Expiry = %v, want %v", tok.Expiry, wantExp)
			}
		})
	}
}

func TestParseTokenResponseExtras(t *testing.T) {
	tok, err := ParseTokenResponse([]byte(`{"access_token":"AT","id_token":"h.p.s","refresh_token_expires_in":7775999,"scope":"openid email"}`), t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("id_token"); got != "h.p.s" {
		t.Errorf("id_token extra = %v", got)
	}
	if got := tok.Extra("scope"); got != "openid email" {
		t.Errorf("scope extra = %v", got)
	}
	n, err := Seconds(tok.Extra("refresh_token_expires_in"))
	if err != nil || n != 7775999 {
		t.Errorf("refresh_token_expires_in extra = %v, %v", n, err)
	}
}

func TestParseTokenResponseErrorsDoNotQuote(t *testing.T) {
	_, err := ParseTokenResponse([]byte(`{"access_token":["SECRET-AT"],"refresh_token":"SECRET-RT"}`), t0)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error = %v", err)
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		in      any
		want    int64
		wantErr bool
	}{
		{nil, 0, false},
		{float64(300), 300, false},
		{"300", 300, false},
		{" 2 ", 2, false},
		{"", 0, false},
		{float64(-1), 0, true},
		{"1e20", 0, true},
		{"NaN", 0, true},
		{"x", 0, true},
		{true, 0, true},
		{map[string]any{}, 0, true},
	}
	for _, tt := range tests {
		got, err := Seconds(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("Seconds(%#v) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"AT","expires_in":1209599,"refresh_token":"RT","refresh_token_expires_in":7775999,"token_type":"Bearer"}`,
		`{"access_token":"AT","expires_in":"3600","id_token":"a.b.c","scope":"openid"}`,
		`{"access_token":"AT","expires_in":1e308}`,
		`{"access_token":"AT","expires_in":-0.5}`,
		`{"access_token":null}`,
		`{"error":"invalid_grant"}`,
		`<html><body>oops</body></html>`,
		``,
		`{"access_token":"\u0000","expires_in":"9223372036854775807"}`,
		`{"access_token":"a"}{"trailing":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := ParseTokenResponse(body, t0)
		if err != nil {
			if tok != nil {
				t.Fatal("token and error both returned")
			}
			return
		}
		if strings.TrimSpace(tok.AccessToken) == "" {
			t.Fatal("accepted an empty access_token")
		}
		if !tok.Expiry.IsZero() && (tok.Expiry.Before(t0) || tok.Expiry.After(t0.Add(maxExpiresIn*time.Second))) {
			t.Fatalf("Expiry %v out of range", tok.Expiry)
		}
	})
}

func FuzzSeconds(f *testing.F) {
	for _, s := range []string{"3600", " 2 ", "", "59.9", "-1", "1e20", "NaN", "x", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{s, float64(len(s)) * 1e6} {
			n, err := Seconds(v)
			if err != nil && n != 0 || n < 0 || n > maxExpiresIn {
				t.Fatalf("Seconds(%#v) = %d, %v", v, n, err)
			}
		}
	})
}
