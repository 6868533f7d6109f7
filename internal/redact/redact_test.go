package redact

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const testJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"

func TestIsSecretName(t *testing.T) {
	secret := []string{
		"access_token", "refresh_token", "id_token", "code", "code_verifier", "client_secret",
		"device_code", "user_code", "password", "assertion", "client_assertion", "token",
		"subject_token", "actor_token", "accessToken", "refreshToken", "idToken", "clientSecret",
		"deviceCode", "userCode", "ACCESS-TOKEN", "X-Auth-Token", "X-Api-Key", "api_key",
		"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "passwd", "db.password",
		"private_key_credential", "X-Goog-Signature", "auth_code", "session_token",
		"private_key", "privateKey", "signing_key", "session_state", "sessionId", "X-Session-Id",
		"sid", "otp", "totp", "pin", "PIN",
	}
	visible := []string{
		"", "state", "nonce", "client_id", "scope", "redirect_uri", "grant_type", "token_type",
		"expires_in", "refresh_token_expires_in", "token_endpoint", "device_authorization_endpoint",
		"code_challenge", "code_challenge_method", "code_challenge_methods_supported",
		"token_endpoint_auth_methods_supported", "response_type", "subject_token_type",
		"issued_token_type", "token_type_hint", "trackingId", "TrackingID", "error",
		"error_description", "error_code", "errorCode", "message", "interval", "verification_uri",
		"verification_uri_complete", "Content-Type", "WWW-Authenticate", "User-Agent", "email",
		"keys", "kid", "key_ops", "jwks_uri", "end_session_endpoint", "check_session_iframe",
		"frontchannel_logout_session_supported", "d", "p", "q", "mapping",
	}
	for _, n := range secret {
		if !isSecretName(n) {
			t.Errorf("isSecretName(%q) = false, want true", n)
		}
	}
	for _, n := range visible {
		if isSecretName(n) {
			t.Errorf("isSecretName(%q) = true, want false", n)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://webexapis.com/v1/people/me", "https://webexapis.com/v1/people/me"},
		{"http://127.0.0.1:8085/callback?code=abc123&state=st4te", "http://127.0.0.1:8085/callback?code=[REDACTED len=6]&state=st4te"},
		{"/callback?state=s&code=x%2By", "/callback?state=s&code=[REDACTED len=3]"},
		{"https://h/authorize?response_type=code&client_id=C1&code_challenge=abc&nonce=n1", "https://h/authorize?response_type=code&client_id=C1&code_challenge=abc&nonce=n1"},
		{"https://user:pa55@proxy.example:3128/", "https://[REDACTED len=9]@proxy.example:3128/"},
		{"https://TOKEN123@github.com/x", "https://[REDACTED len=8]@github.com/x"},
		{"https://h/cb#access_token=tok&token_type=Bearer&expires_in=3600", "https://h/cb#access_token=[REDACTED len=3]&token_type=Bearer&expires_in=3600"},
		{"https://h/verify?userCode=0a1b2c", "https://h/verify?userCode=[REDACTED len=6]"},
		{"https://h/x/" + testJWT + "/y", "https://h/x/[REDACTED len=49]/y"},
		{"https://h/logout?id_token_hint=" + testJWT + "&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F", "https://h/logout?id_token_hint=[REDACTED len=49]&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F"},
		{"https://h/?", "https://h/?"},
		{"https://h/?code=", "https://h/?code="},
		{"mailto:a@b.c", "mailto:a@b.c"},
		{"http://[::1]:%zz/?code=x", "http://[::1]:%zz/?code=[REDACTED len=1]"}, // does not parse
		{"https://h/#frag", "https://h/#frag"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactForm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"grant_type=authorization_code&code=c0de&redirect_uri=http%3A%2F%2F127.0.0.1%3A8085%2Fcallback&code_verifier=v3rifier&client_id=C1&client_secret=s3cret",
			"grant_type=authorization_code&code=[REDACTED len=4]&redirect_uri=http%3A%2F%2F127.0.0.1%3A8085%2Fcallback&code_verifier=[REDACTED len=8]&client_id=C1&client_secret=[REDACTED len=6]"},
		{"grant_type=refresh_token&refresh_token=r%2Fr", "grant_type=refresh_token&refresh_token=[REDACTED len=3]"},
		{"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=d-1&client_id=C1",
			"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=[REDACTED len=3]&client_id=C1"},
		{"client_id=C1&scope=spark%3Apeople_read", "client_id=C1&scope=spark%3Apeople_read"},
		{"assertion=" + testJWT + "&x=1", "assertion=[REDACTED len=49]&x=1"},
		{"other=" + testJWT, "other=[REDACTED len=49]"},
		{"username=me&password=hunter2", "username=me&password=[REDACTED len=7]"},
		{"token=t&token_type_hint=refresh_token", "token=[REDACTED len=1]&token_type_hint=refresh_token"},
		{"flag&code", "flag&code"},
		{"bad%zz=1&code=%zz", "bad%zz=1&code=[REDACTED len=3]"},
		{"next=https%3A%2F%2Fh%2Fcb%3Fcode%3Dabc", "next=https://h/cb?code=[REDACTED len=3]"},
		{"note=Bearer%20abcdefgh", "note=Bearer [REDACTED len=8]"},
		{"&&=&", "&&=&"},
	}
	for _, tt := range tests {
		if got := redactForm(tt.in); got != tt.want {
			t.Errorf("redactForm(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"token response",
			`{"access_token":"AAA","expires_in":1209599,"refresh_token":"RRRR","refresh_token_expires_in":7775999,"token_type":"Bearer","id_token":"` + testJWT + `","scope":"openid email"}`,
			`{"access_token":"[REDACTED len=3]","expires_in":1209599,"refresh_token":"[REDACTED len=4]","refresh_token_expires_in":7775999,"token_type":"Bearer","id_token":"[REDACTED len=49]","scope":"openid email"}`},
		{"device authorization",
			`{"device_code":"8a1f","user_code":"123456","verification_uri":"https://oauth-helper-r.wbx2.com/verify","verification_uri_complete":"https://oauth-helper-r.wbx2.com/verify?userCode=abcdef","expires_in":300,"interval":2}`,
			`{"device_code":"[REDACTED len=4]","user_code":"[REDACTED len=6]","verification_uri":"https://oauth-helper-r.wbx2.com/verify","verification_uri_complete":"https://oauth-helper-r.wbx2.com/verify?userCode=[REDACTED len=6]","expires_in":300,"interval":2}`},
		{"webex envelope keeps trackingId",
			`{"message":"precondition required","errors":[{"description":"authorization_pending"}],"trackingId":"ROUTER_1234"}`,
			`{"message":"precondition required","errors":[{"description":"authorization_pending"}],"trackingId":"ROUTER_1234"}`},
		{"deep and nested secrets",
			`{"a":[{"b":{"clientSecret":"x"}},[{"password":["p1",{"q":"p2"},7,true,null]}]],"data":{"token":{"value":"v","n":12}}}`,
			`{"a":[{"b":{"clientSecret":"[REDACTED len=1]"}},[{"password":["[REDACTED len=2]",{"q":"[REDACTED len=2]"},"[REDACTED len=1]",true,null]}]],"data":{"token":{"value":"[REDACTED len=1]","n":"[REDACTED len=2]"}}}`},
		{"JWT under a plain name", `{"x":"see ` + testJWT + ` here"}`, `{"x":"see [REDACTED len=49] here"}`},
		{"numeric user code", `{"user_code":123456}`, `{"user_code":"[REDACTED len=6]"}`},
		{"empty secret kept", `{"code":""}`, `{"code":""}`},
		{"order and escapes kept", `{"z":"<a&b>","a":"\u00e9\n","b":1.5e10}`, `{"z":"<a&b>","a":"é\n","b":1.5e10}`},
		{"top-level array", `[{"code":"c"},"s"]`, `[{"code":"[REDACTED len=1]"},"s"]`},
		{"scalar", `"x"`, `"x"`},
		{"invalid JSON falls back to text", `{"access_token":"abc","x":`, `{"access_token":"[REDACTED len=3]","x":`},
		{"big number", `{"n":123456789012345678901234567890}`, `{"n":123456789012345678901234567890}`},
		{"private JWKs", `{"keys":[{"kty":"RSA","kid":"k1","n":"nn","e":"AQAB","d":"dd","p":"pp","q":"qq","dp":"a","dq":"b","qi":"c"},{"kty":"oct","k":"kk"}]}`,
			`{"keys":[{"kty":"RSA","kid":"k1","n":"nn","e":"AQAB","d":"[REDACTED len=2]","p":"[REDACTED len=2]","q":"[REDACTED len=2]","dp":"[REDACTED len=1]","dq":"[REDACTED len=1]","qi":"[REDACTED len=1]"},{"kty":"oct","k":"[REDACTED len=2]"}]}`},
		{"key and session names", `{"private_key":"-----BEGIN","session_state":"ss","sid":"s1","otp":123456,"pin":"0000","sessionKey":"x"}`,
			`{"private_key":"[REDACTED len=10]","session_state":"[REDACTED len=2]","sid":"[REDACTED len=2]","otp":"[REDACTED len=6]","pin":"[REDACTED len=4]","sessionKey":"[REDACTED len=1]"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(redactJSON([]byte(tt.in)))
			if got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
			if json.Valid([]byte(tt.in)) && !json.Valid([]byte(got)) {
				t.Errorf("output is not valid JSON")
			}
		})
	}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	if got := redactJSON([]byte(deep)); string(got) != deep {
		t.Errorf("deep nesting changed")
	}
}

func TestRedactHeader(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Basic QzE6c2VjcmV0"},
		"Proxy-Authorization": {"Bearer abc.def"},
		"Cookie":              {"sid=123; other=4"},
		"Set-Cookie":          {"sid=123; HttpOnly", "b=2"},
		"X-Auth-Token":        {"xyz"},
		"X-Session-Id":        {"sess-1"},
		"Trackingid":          {"ROUTER_5F3A"},
		"Www-Authenticate":    {`Bearer error="invalid_token", error_description="expired"`},
		"Location":            {"http://127.0.0.1:8085/callback?code=c0de&state=s"},
		"Link":                {"<https://h/x?access_token=t>; rel=next"},
		"X-Note":              {"id " + testJWT},
		"Content-Type":        {"application/json"},
		"Empty":               {""},
	}
	orig := h.Clone()
	got := Header(h)
	want := http.Header{
		"Authorization":       {"Basic [REDACTED len=12]"},
		"Proxy-Authorization": {"Bearer [REDACTED len=7]"},
		"Cookie":              {"[REDACTED len=16]"},
		"Set-Cookie":          {"[REDACTED len=17]", "[REDACTED len=3]"},
		"X-Auth-Token":        {"[REDACTED len=3]"},
		"X-Session-Id":        {"[REDACTED len=6]"},
		"Trackingid":          {"ROUTER_5F3A"},
		"Www-Authenticate":    {`Bearer error="invalid_token", error_description="expired"`},
		"Location":            {"http://127.0.0.1:8085/callback?code=[REDACTED len=4]&state=s"},
		"Link":                {"<https://h/x?access_token=[REDACTED len=1]>; rel=next"},
		"X-Note":              {"id [REDACTED len=49]"},
		"Content-Type":        {"application/json"},
		"Empty":               {""},
	}
	if !reflect.DeepEqual(got, want) {
		for k := range want {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s: got %q, want %q", k, got[k], want[k])
			}
		}
	}
	if !reflect.DeepEqual(h, orig) {
		t.Errorf("RedactHeader modified its input")
	}
	if got := Header(http.Header{"Authorization": {"opaqueWithoutScheme"}}); got.Get("Authorization") != "[REDACTED len=19]" {
		t.Errorf("scheme-less Authorization = %q", got.Get("Authorization"))
	}
}

func TestRedactText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words stay", "plain words stay"},
		{"curl -H 'Authorization: Bearer ZDI3abc_def-1'", "curl -H 'Authorization: Bearer [REDACTED len=13]'"},
		{"password=hunter2 user=me", "password=[REDACTED len=7] user=me"},
		{`"client_secret": "s3"`, `"client_secret": "[REDACTED len=2]"`},
		{"<input name=x value=1> code: 9a8b", "<input name=x value=1> code: [REDACTED len=4]"},
		{`Post "https://h/token?code=abc": dial tcp: connection refused`, `Post "https://h/token?code=[REDACTED len=3]": dial tcp: connection refused`},
		{"proxyconnect tcp: http://u:p@127.0.0.1:1 refused", "proxyconnect tcp: http://[REDACTED len=3]@127.0.0.1:1 refused"},
		{"token_type=Bearer expires_in=5", "token_type=Bearer expires_in=5"},
		{"jwt " + testJWT + ".", "jwt [REDACTED len=50]"},
		// Prose after a scheme name stays; credentials go.
		{"HTTP Basic client authentication is required", "HTTP Basic client authentication is required"},
		{"Use HTTP Basic authentication.", "Use HTTP Basic authentication."},
		{"HTTP Basic Authentication required", "HTTP Basic Authentication required"},
		{"BASIC AUTHENTICATION REQUIRED", "BASIC AUTHENTICATION REQUIRED"},
		{"a Bearer token is required", "a Bearer token is required"},
		{"send a Bearer token-based header", "send a Bearer token-based header"},
		{"The Bearer credentials expired", "The Bearer credentials expired"},
		{"sent Basic dXNlcjpwYXNz to h", "sent Basic [REDACTED len=12] to h"},
		{"sent Basic dXNlcjpwYXNzd29yZA== to h", "sent Basic [REDACTED len=20] to h"},
		{"got Bearer abc123DEF456ghi789 back", "got Bearer [REDACTED len=18] back"},
		{"got bearer ZDI3abc_def-1.", "got bearer [REDACTED len=14]"},
		{"got Bearer abcdefghijklmnopqrstuvwxyz", "got Bearer [REDACTED len=26]"},
		{"got Bearer " + testJWT, "got Bearer [REDACTED len=49]"},
		// Where an Authorization value is certain, any credential goes.
		{"Bearer abcdefgh", "Bearer [REDACTED len=8]"},
		{"  Basic secret \n", "  Basic [REDACTED len=6] \n"},
		{"Authorization: Bearer lowercaseword", "Authorization: Bearer [REDACTED len=13]"},
		{`"authorization":"Basic password" next`, `"authorization":"Basic [REDACTED len=8]" next`},
		{`Bearer realm="webex", error="invalid_token"`, `Bearer realm="webex", error="invalid_token"`},
		{`{"note":"Bearer abc123DEF456"`, `{"note":"Bearer [REDACTED len=12]"`},
		{"proxy-authorization = Bearer tok later", "proxy-authorization = Bearer [REDACTED len=3] later"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactBody(t *testing.T) {
	tests := []struct{ name, ct, in, want string }{
		{"empty", "application/json", "", ""},
		{"form", "application/x-www-form-urlencoded; charset=utf-8", "code=abc&state=s\n", "code=[REDACTED len=3]&state=s"},
		{"json indented", "application/json;charset=UTF-8", `{"access_token":"a","trackingId":"T1"}`, "{\n  \"access_token\": \"[REDACTED len=1]\",\n  \"trackingId\": \"T1\"\n}"},
		{"problem+json", "application/problem+json", `{"token":"t"}`, "{\n  \"token\": \"[REDACTED len=1]\"\n}"},
		{"untyped json", "", `{"code":"c"}`, "{\n  \"code\": \"[REDACTED len=1]\"\n}"},
		{"html", "text/html", `<p>code=abc</p>`, `<p>code=[REDACTED len=3]</p>`},
		{"binary by type", "image/png", "PNG but text", "[binary body, 12 bytes, image/png]"},
		{"binary by content", "text/plain", "a\x00b", "[binary body, 3 bytes, text/plain]"},
		{"invalid utf8", "", "\xff\xfe", "[binary body, 2 bytes]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Body(tt.ct, []byte(tt.in)); got != tt.want {
				t.Errorf("\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
