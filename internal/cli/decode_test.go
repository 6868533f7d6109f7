package cli

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/emulator"
)

// seg is the base64url (no padding) of s: one part of a compact JWT.
func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

var (
	goodHeader = seg(`{"alg":"RS256","typ":"JWT"}`)
	goodClaims = seg(`{"sub":"3f9d4c1e","iss":"https://idbroker.webex.com/idb"}`)
	goodSig    = seg("not really a signature")
)

// TestDecodeMalformed: every malformed token exits 1 (bad input) or 2 (bad usage) with one
// error line naming what is wrong, prints nothing on stdout, and never echoes the input.
// Each input is given both as the argument and on stdin (`webex decode -`).
func TestDecodeMalformed(t *testing.T) {
	huge := goodHeader + "." + strings.Repeat("A", 64<<10) + "." + goodSig
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"whitespace only", " \t\r\n ", "input is empty"},
		{"Bearer prefix only", "Bearer ", "input is empty"},
		{"Bearer prefix, any case, with tabs", "bEaReR\t\t", "input is empty"},
		{"opaque Webex access token", "NjFkZmE0ZGUtYTc1Ny00ZmQxLWE5ZDItY2I1N2RjYmRkMmI3ZmQ0NjRkYWQtNzMx_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f", "not a JWT"},
		{"JWE (five parts)", seg(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a2V5.aXY.Y2lwaGVy.dGFn", "encrypted JWT (JWE)"},
		{"two parts", goodHeader + "." + goodClaims, "expected 3 dot-separated parts, got 2"},
		{"four parts", goodHeader + "." + goodClaims + "." + goodSig + ".eHh4", "expected 3 dot-separated parts, got 4"},
		{"header is not base64url", "eyJ!bGciOiJSUzI1NiJ9." + goodClaims + "." + goodSig, "header is not valid base64url (character '!' at offset 3)"},
		{"header with padding", base64.URLEncoding.EncodeToString([]byte(`{"alg": "RS256"}`)) + "." + goodClaims + "." + goodSig, "padding '='"},
		{"claims in standard base64", goodHeader + "." + "ab+/" + "." + goodSig, "claims are not valid base64url (standard base64 character"},
		{"header of impossible length", "eyJhb." + goodClaims + "." + goodSig, "impossible length 5"},
		{"space inside the header", "eyJ hbGciOiJSUzI1NiJ9." + goodClaims + "." + goodSig, "space at offset 3"},
		{"empty header", "." + goodClaims + "." + goodSig, "header is empty"},
		{"empty claims", goodHeader + ".." + goodSig, "claims segment is empty"},
		{"header is not JSON", seg(`{alg: RS256}`) + "." + goodClaims + "." + goodSig, "header is not valid JSON (syntax error"},
		{"header is a JSON array", seg(`["RS256"]`) + "." + goodClaims + "." + goodSig, "header is not a JSON object (found an array)"},
		{"header without alg", seg(`{"typ":"JWT","kid":"k1"}`) + "." + goodClaims + "." + goodSig, `header has no "alg"`},
		{"header with empty alg", seg(`{"alg":""}`) + "." + goodClaims + "." + goodSig, `"alg" is not a non-empty string`},
		{"header with numeric alg", seg(`{"alg":256}`) + "." + goodClaims + "." + goodSig, `"alg" is not a non-empty string`},
		{"header with data after the object", seg(`{"alg":"RS256"}{}`) + "." + goodClaims + "." + goodSig, "header is not a single JSON object"},
		{"claims are an array", goodHeader + "." + seg(`[{"sub":"x"}]`) + "." + goodSig, "claims are not a JSON object (found an array)"},
		{"claims are a string", goodHeader + "." + seg(`"sub"`) + "." + goodSig, "claims are not a JSON object (found a string)"},
		{"claims are null", goodHeader + "." + seg(`null`) + "." + goodSig, "claims are not a JSON object (found null)"},
		{"claims are truncated JSON", goodHeader + "." + seg(`{"sub":"x","exp":`) + "." + goodSig, "claims are not valid JSON (truncated)"},
		{"claims are not UTF-8", goodHeader + "." + seg("\xff\xfe{}") + "." + goodSig, "claims are not valid JSON (not UTF-8 text)"},
		{"signature is not base64url", goodHeader + "." + goodClaims + ".c2ln*", "signature is not valid base64url"},
		{"binary garbage", "\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n", "binary or non-printable data (byte 0x00 at offset 0)"},
		{"non-ASCII inside", goodHeader + ".é." + goodSig, "binary or non-printable data (byte 0xc3"},
		{"a pasted JSON document", `{"access_token":"abc","token_type":"Bearer"}`, "input is JSON, not a compact JWT"},
		{"over 64 KiB", huge, "input is too large"},
	}
	if len(tests) < 20 {
		t.Fatalf("only %d cases", len(tests))
	}
	h := newHarness(t, nil)
	for _, tc := range tests {
		for _, via := range []string{"argument", "stdin"} {
			t.Run(tc.name+" via "+via, func(t *testing.T) {
				var r result
				if via == "stdin" {
					r = h.runIn(tc.input, "decode", "-")
				} else {
					r = h.run("decode", tc.input)
				}
				if r.code != ExitFailure {
					t.Errorf("exit %d, want 1", r.code)
				}
				checkOneErrorLine(t, r, tc.want)
				if len(tc.input) >= 16 && strings.Contains(r.stderr, strings.TrimSpace(tc.input)[:16]) {
					t.Errorf("stderr echoes the input: %q", r.stderr)
				}
			})
		}
	}
}

// checkOneErrorLine asserts stdout is empty and stderr is exactly "webex: ...want...\n".
func checkOneErrorLine(t *testing.T, r result, want string) {
	t.Helper()
	if r.stdout != "" {
		t.Errorf("stdout is not empty: %q", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "webex: ") || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr is not one error line: %q", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not contain %q", r.stderr, want)
	}
}

// TestDecodeUsageErrors: bad arguments exit 2 with the error on the first stderr line and,
// at most, cobra's pointer to --help on the second.
func TestDecodeUsageErrors(t *testing.T) {
	tok := goodHeader + "." + goodClaims + "." + goodSig
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"two tokens", []string{"decode", tok, tok}, "accepts at most 1 arg(s), received 2"},
		{"stdin and a token", []string{"decode", "-", tok}, "accepts at most 1 arg(s), received 2"},
		{"unknown flag", []string{"decode", "--pretty", tok}, "unknown flag: --pretty"},
		{"flag value for a bool", []string{"decode", "--json=maybe", tok}, `invalid argument "maybe"`},
	}
	h := newHarness(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run(tc.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want 2", r.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "webex: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("first stderr line %q, want %q", lines[0], tc.want)
			}
			if len(lines) > 2 || len(lines) == 2 && lines[1] != "Run 'webex decode --help' for usage." {
				t.Errorf("stderr: %q", r.stderr)
			}
		})
	}
}

// webexGuestToken is a Webex-style self-contained token (a guest issuer JWT): HS256, no kid,
// and a millisecond expiry_time instead of exp.
func webexGuestToken(expiry time.Time) string {
	claims := `{"sub":"guest-1234","name":"Guest User","iss":"Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9leGFtcGxl","expiry_time":` +
		jsonNumber(expiry.UnixMilli()) + `}`
	return seg(`{"typ":"JWT","alg":"HS256"}`) + "." + seg(claims) + "." + seg("hmac-of-the-guest-issuer-secret!")
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestDecodeShowsWebexTokens(t *testing.T) {
	now := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	h := newHarness(t, nil)
	h.now = func() time.Time { return now }

	t.Run("millisecond expiry_time", func(t *testing.T) {
		exp := now.Add(90 * time.Minute)
		for _, via := range []string{"argument", "stdin"} {
			var r result
			if via == "stdin" {
				r = h.runIn("Bearer "+webexGuestToken(exp)+"\n", "decode", "-")
			} else {
				r = h.run("decode", webexGuestToken(exp))
			}
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%s: exit %d, stderr %q", via, r.code, r.stderr)
			}
			mustContain(t, "decode", r.stdout, `"alg": "HS256"`, `"sub": "guest-1234"`, "expiry_time",
				exp.Local().Format("2006-01-02 15:04:05"), "in 1h30m", "present (not verified; use --verify)")
			if strings.Contains(r.stdout, "EXPIRED") || strings.Contains(r.stdout, "expired") {
				t.Errorf("a valid token is flagged expired:\n%s", r.stdout)
			}
		}
	})

	t.Run("expired expiry_time", func(t *testing.T) {
		r := h.run("decode", webexGuestToken(now.Add(-2*time.Hour)))
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		mustContain(t, "decode", r.stdout, "EXPIRED", "This token has expired.", "2h ago")
	})

	t.Run("expired exp, no kid", func(t *testing.T) {
		tok := seg(`{"alg":"RS256"}`) + "." + seg(`{"iss":"https://idbroker.webex.com/idb","sub":"u","aud":"C1","iat":`+
			jsonNumber(now.Add(-3*time.Hour).Unix())+`,"exp":`+jsonNumber(now.Add(-time.Hour).Unix())+`}`) + "." + goodSig
		r := h.run("decode", tok)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		mustContain(t, "decode", r.stdout, `"alg": "RS256"`, "exp", "EXPIRED", "This token has expired.", "1h ago")
		if strings.Contains(r.stdout, "kid") {
			t.Errorf("a kid appeared:\n%s", r.stdout)
		}
	})

	t.Run("unsigned", func(t *testing.T) {
		r := h.run("decode", seg(`{"alg":"none"}`)+"."+seg(`{"sub":"u"}`)+".")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		mustContain(t, "decode", r.stdout, "absent: this token is unsigned")
	})

	t.Run("json", func(t *testing.T) {
		exp := now.Add(-time.Minute)
		r := h.run("decode", "--json", webexGuestToken(exp))
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var out struct {
			Header           map[string]any   `json:"header"`
			Claims           map[string]any   `json:"claims"`
			SignaturePresent *bool            `json:"signature_present"`
			Expired          *bool            `json:"expired"`
			Times            []map[string]any `json:"times"`
			Verification     any              `json:"verification"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.stdout)
		}
		if out.Header["alg"] != "HS256" || out.Claims["sub"] != "guest-1234" {
			t.Errorf("header %v claims %v", out.Header, out.Claims)
		}
		if out.SignaturePresent == nil || !*out.SignaturePresent || out.Expired == nil || !*out.Expired {
			t.Errorf("signature_present %v expired %v", out.SignaturePresent, out.Expired)
		}
		if len(out.Times) != 1 || out.Times[0]["claim"] != "expiry_time" || out.Times[0]["time"] != exp.UTC().Format(time.RFC3339) {
			t.Errorf("times %v", out.Times)
		}
		if out.Verification != nil {
			t.Errorf("verification without --verify: %v", out.Verification)
		}
	})
}

// TestDecodeVerifyAgainstEmulator: --verify accepts a real ID token and rejects a tampered
// or expired one, naming the check.
func TestDecodeVerifyAgainstEmulator(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback", "--timeout", "30s"); r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	sec, err := h.stored("default")
	if err != nil || sec.IDToken == "" {
		t.Fatalf("no ID token: %v", err)
	}
	idt := sec.IDToken
	parts := strings.Split(idt, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(claims, &m); err != nil {
		t.Fatal(err)
	}
	m["sub"] = "00000000-0000-0000-0000-000000000000"
	forged, _ := json.Marshal(m)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]

	t.Run("genuine", func(t *testing.T) {
		for _, args := range [][]string{{"decode", "--verify", idt}, {"decode", "--verify"}} {
			r := h.run(args...)
			if r.code != 0 {
				t.Fatalf("%v: exit %d: %s", args[:2], r.code, r.stderr)
			}
			mustContain(t, "decode --verify", r.stdout, "Verified: signature, issuer, audience and expiry all hold.")
		}
		r := h.runIn(idt, "decode", "--verify", "--json", "-")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		mustContain(t, "decode --verify --json", r.stdout, `"valid": true`)
	})

	t.Run("tampered claim", func(t *testing.T) {
		r := h.run("decode", "--verify", tampered)
		if r.code != ExitFailure {
			t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "Verified") {
			t.Errorf("stdout claims verification:\n%s", r.stdout)
		}
		checkVerifyError(t, r.stderr, "the signature check")
		r = h.run("decode", "--verify", "--json", tampered)
		if r.code != ExitFailure {
			t.Fatalf("--json exit %d", r.code)
		}
		var out struct {
			Verification map[string]any `json:"verification"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("not JSON: %s", r.stdout)
		}
		if out.Verification["valid"] != false || out.Verification["failed_check"] != "signature" {
			t.Errorf("verification %v", out.Verification)
		}
	})

	t.Run("expired", func(t *testing.T) {
		later := newHarness(t, emulatorEnv(srv))
		later.env = h.env
		later.keyring = h.keyring
		later.now = func() time.Time { return time.Now().Add(3 * time.Hour) }
		r := later.run("decode", "--verify", idt)
		if r.code != ExitFailure {
			t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
		}
		checkVerifyError(t, r.stderr, "the exp check")
		mustContain(t, "decode", r.stdout, "EXPIRED", "This token has expired.")
	})
}

// checkVerifyError asserts stderr is one line reporting a failed verification check.
func checkVerifyError(t *testing.T, stderr, check string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "webex: verification failed: ") || !strings.Contains(stderr, check) {
		t.Errorf("stderr %q does not report %q alone", stderr, check)
	}
}
