package jwt

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// tok builds a compact JWS from raw header and claims JSON and a raw signature.
func tok(header, claims, sig string) string {
	return b64(header) + "." + b64(claims) + "." + b64(sig)
}

const (
	okHeader = `{"alg":"RS256","kid":"k1"}`
	okClaims = `{"sub":"u"}`
)

const notJWT = "not a JWT: this looks like an opaque token, which only the provider can inspect"

func TestDecodeMalformed(t *testing.T) {
	h, c, s := b64(okHeader), b64(okClaims), b64("sig")
	tests := []struct {
		name  string
		in    string
		want  string // exact message, or a prefix when prefix is set
		exact bool
	}{
		{"empty", "", "invalid JWT: input is empty", true},
		{"only whitespace", " \t\r\n ", "invalid JWT: input is empty", true},
		{"only Bearer", "Bearer ", "invalid JWT: input is empty", true},
		{"too large", strings.Repeat("a", MaxSize+1), "invalid JWT: input is too large (65537 bytes; the limit is 65536)", true},
		{"webex access token", "ZDI3MGEyYzQtNmFlNS00NDNhLWFlNzAtZGVjNjE0MGU1OGZmZWNmZDEwN2ItYTU3_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f", notJWT, true},
		{"random word", "hello", notJWT, true},
		{"NUL byte", h + ".\x00" + c + "." + s, "invalid JWT: input contains binary or non-printable data (byte 0x00 at offset ", false},
		{"binary garbage", "\x89PNG\r\n\x1a\n\x00\x00", "invalid JWT: input contains binary or non-printable data (byte 0x89 at offset 0)", true},
		{"non-ASCII", "éyJ.a.b", "invalid JWT: input contains binary or non-printable data (byte 0xc3 at offset 0)", true},
		{"embedded newline", h + "\n." + c + "." + s, "invalid JWT: input contains binary or non-printable data (byte 0x0a at offset ", false},
		{"JSON pasted", `{"access_token":"a.b.c"}`, "invalid JWT: input is JSON, not a compact JWT; pass only the token", true},
		{"two parts", h + "." + c, "invalid JWT: expected 3 dot-separated parts, got 2", true},
		{"four parts", h + "." + c + "." + s + ".x", "invalid JWT: expected 3 dot-separated parts, got 4", true},
		{"six parts", "a.b.c.d.e.f", "invalid JWT: expected 3 dot-separated parts, got 6", true},
		{"only dots", "..", "invalid JWT: header is empty", true},
		{"JWE", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", "this is an encrypted JWT (JWE); it cannot be decoded without the key", true},
		{"empty header", "." + c + "." + s, "invalid JWT: header is empty", true},
		{"empty claims", h + ".." + s, "invalid JWT: claims segment is empty", true},
		{"header bad char", "ab!d." + c + "." + s, "invalid JWT: header is not valid base64url (character '!' at offset 2)", true},
		{"header padded", b64(okHeader) + "==." + c + "." + s, "invalid JWT: header is not valid base64url (padding '=' at offset ", false},
		{"header std base64", "ab+d." + c + "." + s, "invalid JWT: header is not valid base64url (standard base64 character '+' at offset 2)", true},
		{"header with space", "ab d." + c + "." + s, "invalid JWT: header is not valid base64url (space at offset 2)", true},
		{"header impossible length", "abcde." + c + "." + s, "invalid JWT: header is not valid base64url (impossible length 5)", true},
		{"header not JSON", b64("hello") + "." + c + "." + s, "invalid JWT: header is not valid JSON (syntax error at offset 1)", true},
		{"header truncated JSON", b64(`{"alg":"RS`) + "." + c + "." + s, "invalid JWT: header is not valid JSON (truncated)", true},
		{"header not UTF-8", b64("{\"alg\":\"\xff\"}") + "." + c + "." + s, "invalid JWT: header is not valid JSON (not UTF-8 text)", true},
		{"header array", b64(`["alg"]`) + "." + c + "." + s, "invalid JWT: header is not a JSON object (found an array)", true},
		{"header null", b64(`null`) + "." + c + "." + s, "invalid JWT: header is not a JSON object (found null)", true},
		{"header whitespace only", b64(`   `) + "." + c + "." + s, "invalid JWT: header is not a JSON object (no JSON value)", true},
		{"header trailing data", b64(`{"alg":"RS256"}{}`) + "." + c + "." + s, "invalid JWT: header is not a single JSON object (data after the object)", true},
		{"header no alg", b64(`{"typ":"JWT"}`) + "." + c + "." + s, `invalid JWT: header has no "alg"`, true},
		{"header alg number", b64(`{"alg":256}`) + "." + c + "." + s, `invalid JWT: header "alg" is not a non-empty string`, true},
		{"header alg empty", b64(`{"alg":""}`) + "." + c + "." + s, `invalid JWT: header "alg" is not a non-empty string`, true},
		{"claims bad base64", h + ".a$b." + s, "invalid JWT: claims are not valid base64url (character '$' at offset 1)", true},
		{"claims not JSON", h + "." + b64("{sub}") + "." + s, "invalid JWT: claims are not valid JSON (syntax error at offset 2)", true},
		{"claims string", h + "." + b64(`"sub"`) + "." + s, "invalid JWT: claims are not a JSON object (found a string)", true},
		{"claims number", h + "." + b64(`42`) + "." + s, "invalid JWT: claims are not a JSON object (found a number)", true},
		{"claims bool", h + "." + b64(`true`) + "." + s, "invalid JWT: claims are not a JSON object (found a boolean)", true},
		{"claims trailing", h + "." + b64(`{} x`) + "." + s, "invalid JWT: claims are not a single JSON object (data after the object)", true},
		{"signature bad", h + "." + c + ".si=g", "invalid JWT: signature is not valid base64url (padding '=' at offset 2 is not allowed)", true},
		{"signature std base64", h + "." + c + ".a/b", "invalid JWT: signature is not valid base64url (standard base64 character '/' at offset 1)", true},
		{"signature impossible length", h + "." + c + ".abcde", "invalid JWT: signature is not valid base64url (impossible length 5)", true},
	}
	if len(tests) < 20 {
		t.Fatalf("only %d malformed cases", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.in)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", got)
			}
			if got != nil {
				t.Errorf("Decode returned a token with an error")
			}
			msg := err.Error()
			if tt.exact && msg != tt.want {
				t.Errorf("error\n got %q\nwant %q", msg, tt.want)
			}
			if !tt.exact && !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error\n got %q\nwant prefix %q", msg, tt.want)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("multi-line error %q", msg)
			}
			if len(tt.in) > 8 && strings.Contains(msg, tt.in) {
				t.Errorf("error repeats the input")
			}
		})
	}
}

func TestDecodeWellFormed(t *testing.T) {
	bigSub := "123456789012345678901234567890"
	tests := []struct {
		name       string
		in         string
		alg        string
		sigPresent bool
		sig        string
		claim      string // a claim to look up
		claimVal   any
		claimsJSON string
	}{
		{
			name: "RS256 with kid", in: tok(okHeader, `{"sub":"u","aud":"C123"}`, "\x01\x02\x03"),
			alg: "RS256", sigPresent: true, sig: "\x01\x02\x03", claim: "aud", claimVal: "C123",
			claimsJSON: `{"sub":"u","aud":"C123"}`,
		},
		{
			name: "unsecured alg none", in: b64(`{"alg":"none"}`) + "." + b64(`{"a":1}`) + ".",
			alg: "none", sigPresent: false, claim: "a", claimVal: json.Number("1"), claimsJSON: `{"a":1}`,
		},
		{
			name: "Bearer prefix and surrounding whitespace", in: "  Bearer\t" + tok(okHeader, okClaims, "s") + "\r\n",
			alg: "RS256", sigPresent: true, sig: "s", claim: "sub", claimVal: "u", claimsJSON: okClaims,
		},
		{
			name: "lower-case bearer", in: "bearer " + tok(okHeader, okClaims, "s"),
			alg: "RS256", sigPresent: true, sig: "s", claim: "sub", claimVal: "u", claimsJSON: okClaims,
		},
		{
			name: "byte order mark", in: "\ufeff" + tok(okHeader, okClaims, "s"),
			alg: "RS256", sigPresent: true, sig: "s", claim: "sub", claimVal: "u", claimsJSON: okClaims,
		},
		{
			name: "big integer survives", in: tok(okHeader, `{"n":`+bigSub+`}`, "s"),
			alg: "RS256", sigPresent: true, sig: "s", claim: "n", claimVal: json.Number(bigSub), claimsJSON: `{"n":` + bigSub + `}`,
		},
		{
			name: "member order and whitespace kept", in: tok(okHeader, "{\n \"z\": 1,\n \"a\": 2\n}", "s"),
			alg: "RS256", sigPresent: true, sig: "s", claim: "z", claimVal: json.Number("1"), claimsJSON: "{\n \"z\": 1,\n \"a\": 2\n}",
		},
		{
			name: "empty claims object", in: tok(`{"alg":"HS256","typ":"JWT"}`, `{}`, "s"),
			alg: "HS256", sigPresent: true, sig: "s", claimsJSON: `{}`,
		},
		{
			name: "unicode in claims", in: tok(okHeader, `{"name":"Stève \u00e9"}`, "s"),
			alg: "RS256", sigPresent: true, sig: "s", claim: "name", claimVal: "Stève é", claimsJSON: `{"name":"Stève \u00e9"}`,
		},
		{
			name: "exactly MaxSize bytes with trailing spaces", in: tok(okHeader, okClaims, "s") + strings.Repeat(" ", MaxSize-len(tok(okHeader, okClaims, "s"))),
			alg: "RS256", sigPresent: true, sig: "s", claim: "sub", claimVal: "u", claimsJSON: okClaims,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Header["alg"] != tt.alg {
				t.Errorf("alg = %q, want %q", got.Header["alg"], tt.alg)
			}
			if got.SignaturePresent != tt.sigPresent || string(got.Signature) != tt.sig {
				t.Errorf("signature = %v %q, want %v %q", got.SignaturePresent, got.Signature, tt.sigPresent, tt.sig)
			}
			if tt.claim != "" && got.Claims[tt.claim] != tt.claimVal {
				t.Errorf("claim %s = %#v, want %#v", tt.claim, got.Claims[tt.claim], tt.claimVal)
			}
			if string(got.ClaimsJSON) != tt.claimsJSON {
				t.Errorf("ClaimsJSON = %s, want %s", got.ClaimsJSON, tt.claimsJSON)
			}
			if strings.ContainsAny(got.Raw, " \t\r\n\ufeff") || strings.HasPrefix(strings.ToLower(got.Raw), "bearer") {
				t.Errorf("Raw not trimmed: %q", got.Raw)
			}
			if got.Header == nil || got.Claims == nil {
				t.Errorf("nil header or claims")
			}
		})
	}
}

// A Webex ID token as issued by Login with Webex: RS256 without kid, idbroker issuer.
const webexIDTokenClaims = `{"iss":"https://idbroker-b-us.webex.com/idb","sub":"8dcc341a-0b7c-4a3b-9f3e-55c80b767a1e","aud":"C0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","exp":1767225600,"iat":1767218400,"auth_time":1767218390,"nonce":"n-0S6_WzA2Mj","realm":"2a9e1fc4-ad3c-991b-1b5c-000000000000"}`

// A Webex self-contained token (guest issuer style): RS256, no kid, expiry_time in ms.
const webexSelfContainedClaims = `{"machine_type":"appuser","expiry_time":1517095624105,"user_type":"machine","realm":"2a9e1fc4-ad3c-991b-1b5c-000000000000","cis_uuid":"8dcc341a-0b7c-4a3b-9f3e-55c80b767a1e","iss":"https://idbroker.webex.com/idb","token_type":"Bearer","client_id":"C311772","user_modify_timestamp":"20180127172701.477Z"}`

func TestDecodeWebexTokens(t *testing.T) {
	t.Run("ID token", func(t *testing.T) {
		tk, err := Decode(tok(`{"alg":"RS256"}`, webexIDTokenClaims, strings.Repeat("\xaa", 256)))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tk.Header["kid"]; ok {
			t.Error("unexpected kid")
		}
		if len(tk.Signature) != 256 {
			t.Errorf("signature length %d", len(tk.Signature))
		}
		tcs := tk.TimeClaims()
		var names []string
		for _, tc := range tcs {
			names = append(names, tc.Name)
		}
		if got := strings.Join(names, ","); got != "exp,iat,auth_time" {
			t.Errorf("time claims %s", got)
		}
		iat := time.Unix(1767218400, 0)
		now := iat.Add(time.Second)
		expired, known := tk.Expired(now)
		if expired || !known {
			t.Errorf("Expired = %v %v", expired, known)
		}
		if got := Relative(tcs[0].Time, now); got != "in 1h59m" {
			t.Errorf("Relative = %q", got)
		}
		expired, known = tk.Expired(iat.Add(2 * time.Hour))
		if !expired || !known {
			t.Errorf("at exp: Expired = %v %v, want expired", expired, known)
		}
	})
	t.Run("self-contained token", func(t *testing.T) {
		tk, err := Decode(tok(`{"alg":"RS256"}`, webexSelfContainedClaims, "sig"))
		if err != nil {
			t.Fatal(err)
		}
		tcs := tk.TimeClaims()
		if len(tcs) != 1 || tcs[0].Name != "expiry_time" || tcs[0].Meaning != "expires" {
			t.Fatalf("time claims %+v", tcs)
		}
		want := time.Date(2018, 1, 27, 23, 27, 4, 105e6, time.UTC)
		if !tcs[0].Time.Equal(want) {
			t.Errorf("expiry_time = %v, want %v", tcs[0].Time, want)
		}
		now := want.Add(3*24*time.Hour + 5*time.Hour)
		if expired, known := tk.Expired(now); !expired || !known {
			t.Errorf("Expired = %v %v", expired, known)
		}
		if got := Relative(tcs[0].Time, now); got != "3d 5h ago" {
			t.Errorf("Relative = %q", got)
		}
	})
	t.Run("no expiry", func(t *testing.T) {
		tk, err := Decode(tok(`{"alg":"RS256"}`, `{"sub":"x","exp":"1767225600"}`, "sig"))
		if err != nil {
			t.Fatal(err)
		}
		if expired, known := tk.Expired(time.Now()); expired || known {
			t.Errorf("Expired = %v %v, want unknown", expired, known)
		}
	})
}

func TestTimeClaims(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any
		want   []string // name=RFC3339Nano
	}{
		{"none", map[string]any{"sub": "x"}, nil},
		{"json numbers in fixed order", map[string]any{
			"auth_time": json.Number("1700000000"), "nbf": json.Number("1700000001"),
			"iat": json.Number("1700000002"), "exp": json.Number("1700000003"),
			"expiry_time": json.Number("1700000004005"),
		}, []string{
			"exp=2023-11-14T22:13:23Z", "iat=2023-11-14T22:13:22Z", "nbf=2023-11-14T22:13:21Z",
			"auth_time=2023-11-14T22:13:20Z", "expiry_time=2023-11-14T22:13:24.005Z",
		}},
		{"fractional seconds", map[string]any{"exp": json.Number("1700000000.5")}, []string{"exp=2023-11-14T22:13:20.5Z"}},
		{"exponent form", map[string]any{"exp": json.Number("1.7e9")}, []string{"exp=2023-11-14T22:13:20Z"}},
		{"strings, bools and nulls ignored", map[string]any{"exp": "1700000000", "iat": true, "nbf": nil}, nil},
		{"out of range ignored", map[string]any{
			"exp": json.Number("1e300"), "iat": json.Number("-99999999999999"),
			"nbf": json.Number("99999999999999999999999"), "expiry_time": json.Number("253402300800000"),
		}, nil},
		{"bad number ignored", map[string]any{"exp": json.Number("abc")}, nil},
		{"epoch zero kept", map[string]any{"iat": json.Number("0")}, []string{"iat=1970-01-01T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tc := range (&Token{Claims: tt.claims}).TimeClaims() {
				got = append(got, tc.Name+"="+tc.Time.Format(time.RFC3339Nano))
				if tc.Time.Location() != time.UTC {
					t.Errorf("%s not UTC", tc.Name)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestExpiredPrefersExp(t *testing.T) {
	for _, claims := range []map[string]any{
		{"expiry_time": json.Number("1000"), "exp": json.Number("2000")},
		{"exp": json.Number("2000"), "expiry_time": json.Number("1000")},
	} {
		tok := &Token{Claims: claims}
		if expired, known := tok.Expired(time.Unix(1999, 0)); expired || !known {
			t.Errorf("Expired(1999) = %v %v", expired, known)
		}
		if expired, known := tok.Expired(time.Unix(2000, 0)); !expired || !known {
			t.Errorf("Expired(2000) = %v %v", expired, known)
		}
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "now"},
		{999 * time.Millisecond, "now"},
		{-999 * time.Millisecond, "now"},
		{time.Second, "in 1s"},
		{-42 * time.Second, "42s ago"},
		{5*time.Minute + 30*time.Second, "in 5m30s"},
		{5 * time.Minute, "in 5m"},
		{2*time.Hour - time.Second, "in 1h59m"},
		{2*time.Hour - 1, "in 1h59m"},
		{2 * time.Hour, "in 2h"},
		{-3 * 24 * time.Hour, "3d ago"},
		{-(3*24*time.Hour + 59*time.Minute), "3d ago"},
		{13*24*time.Hour + 4*time.Hour + 59*time.Minute, "in 13d 4h"},
		{90 * 24 * time.Hour, "in 90d"},
		{-(time.Hour + time.Minute + time.Second), "1h1m ago"},
	}
	for _, tt := range tests {
		if got := Relative(now.Add(tt.d), now); got != tt.want {
			t.Errorf("Relative(now%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	// Beyond time.Duration's range: no saturation.
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := Relative(far, now); got != "in 2912077d 12h" {
		t.Errorf("far future = %q", got)
	}
	if got := Relative(time.Unix(minUnix, 0), now); !strings.HasSuffix(got, " ago") {
		t.Errorf("far past = %q", got)
	}
}
