package redact

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// fuzzSecret accepts secrets that cannot occur by accident in the redacted output's own
// words (markers, names, numbers).
var fuzzSecret = regexp.MustCompile(`^[A-Za-z0-9]{12,64}$`)

// FuzzRedactJSON checks that redactJSON never panics, keeps valid JSON valid, and never lets
// through a seeded secret placed under secret names, inside a JWT, or in a URL parameter,
// whatever JSON surrounds it.
func FuzzRedactJSON(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","nested":[{"x":{"client_secret":"b"}}],"trackingId":"T"}`), "S3cr3tValue0123")
	f.Add([]byte(`[1,"two",null,true,{"code":3}]`), "AAAAAAAAAAAAAAAAAA")
	f.Add([]byte(`{"a":`), "zzzzzzzzzzzzzzzz")
	f.Add([]byte(`"eyJhbGciOiJub25lIn0.e30."`), "eyJhbGciOiJub25l")
	f.Add([]byte(`{"password":{"deep":[[["x"]]]},"n":1e309}`), "0123456789abcdef")
	f.Add([]byte("\xff\x00{\"token\":\"t\"}"), "QWERTYUIOPASDFGH")
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB","d":"y","dp":"z"}],"session_state":"s","sid":"i"}`), "PrivateKeyPart01")
	f.Add([]byte("{\"error_description\":\"\u009b\u202e\"}"), "C1C1C1C1C1C1C1C1")
	f.Fuzz(func(t *testing.T, doc []byte, secret string) {
		out := redactJSON(doc)
		if json.Valid(doc) && !json.Valid(out) {
			t.Fatalf("valid input gave invalid output %q", out)
		}
		if !fuzzSecret.MatchString(secret) || bytes.Contains(doc, []byte(secret)) {
			return
		}
		var inner any = string(doc)
		if json.Valid(doc) {
			inner = json.RawMessage(doc)
		}
		// The doc's own encoding may spell the secret ("\u0000" followed by "0000..."): then
		// the secret is the doc's text, not a value to redact.
		if enc, err := json.Marshal(inner); err != nil || bytes.Contains(enc, []byte(secret)) {
			return
		}
		wrapped, err := json.Marshal(map[string]any{
			"doc":          inner,
			"access_token": secret,
			"nested":       []any{map[string]any{"deep": map[string]any{"clientSecret": secret, "list": []any{inner}}}},
			"userCode":     []any{secret, map[string]any{"v": secret}},
			"other":        "eyJ" + secret + ".e30.sig",
			"url":          "https://h/cb?state=s&code=" + secret,
			"auth":         "Bearer " + secret,
			"jwk":          map[string]any{"kty": "RSA", "d": secret, "p": secret, "qi": []any{secret}},
			"session":      map[string]any{"session_state": secret, "sid": secret, "private_key": secret, "otp": secret},
		})
		if err != nil {
			t.Fatal(err)
		}
		out = redactJSON(wrapped)
		if bytes.Contains(out, []byte(secret)) && !bytes.Contains(redactJSON(bytes.ReplaceAll(wrapped, []byte(secret), []byte("X"))), []byte(secret)) {
			t.Fatalf("secret %q survived in %s", secret, out)
		}
	})
}

// FuzzRedactForm checks redactForm, URL, Text and Header on arbitrary text
// with seeded secrets appended in secret parameters.
func FuzzRedactForm(f *testing.F) {
	f.Add("grant_type=authorization_code&code=c&code_verifier=v&state=s", "S3cr3tValue0123")
	f.Add("a=%zz&&=&b", "AAAAAAAAAAAAAAAA")
	f.Add("x=https%3A%2F%2Fh%2F%3Fcode%3Dq#frag", "zzzzzzzzzzzzzzzz")
	f.Add("\x00\x7f;password=p", "0123456789abcdef")
	f.Add("redirect_uri=http://127.0.0.1:8085/callback?x=", "QWERTYUIOPASDFGH")
	f.Add("code=c&state=s&session_state=x&sid=y", "SessionValue0001")
	f.Fuzz(func(t *testing.T, form string, secret string) {
		_ = redactForm(form)
		_ = URL(form)
		_ = Text(form)
		_ = Header(http.Header{"X": {form}, "Authorization": {form}})
		if !fuzzSecret.MatchString(secret) || strings.Contains(form, secret) {
			return
		}
		seeded := form + "&code=" + secret + "&client_secret=" + url.QueryEscape(secret) +
			"&x=eyJ" + secret + ".e30.s&device_code=" + secret + "&session_state=" + secret + "&sid=" + secret + "&pin=" + secret
		for name, got := range map[string]string{
			"redactForm": redactForm(seeded),
			"URL":        URL("https://127.0.0.1/cb?" + seeded),
			"Text":       Text("Authorization: Bearer " + secret + "\n" + seeded),
			"Header": strings.Join(Header(http.Header{
				"Authorization": {"Bearer " + secret}, "Cookie": {form + secret},
				"Location": {"/cb?" + seeded},
			})["Location"], ""),
			"Header X-Session-Id": Header(http.Header{"X-Session-Id": {form + secret}}).Get("X-Session-Id"),
		} {
			if strings.Contains(got, secret) {
				t.Fatalf("%s let %q through: %q", name, secret, got)
			}
		}
	})
}
