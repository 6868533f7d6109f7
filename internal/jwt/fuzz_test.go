package jwt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, that every error is one short line of a known
// kind that does not echo the input, and that a decoded token is internally consistent.
// Seeds: the f.Add calls below and testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(tok(okHeader, okClaims, "sig"))
	f.Add(tok(`{"alg":"RS256"}`, webexIDTokenClaims, "sig"))
	f.Add(tok(`{"alg":"RS256"}`, webexSelfContainedClaims, "sig"))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".")
	f.Add("Bearer " + tok(okHeader, `{"exp":1.5e9,"iat":-1,"nbf":1e400}`, ""))
	f.Add("ZDI3MGEyYzQtNmFlNS00NDNhLWFlNzAtZGVjNjE0MGU1OGZm_PF84_1eb65fdf")
	f.Add("a.b.c.d.e")
	f.Add("..")
	f.Add("\x00\xff.\x01.")
	f.Add(b64(`{"alg":"RS256"}`) + "==." + b64("[1]") + ".x")
	f.Add(b64(`{"alg":"RS256"}`) + "." + b64(`{"a":{"b":[1,2,{"c":null}]}}`) + ".AAAA")
	f.Fuzz(func(t *testing.T, in string) {
		tk, err := Decode(in)
		if err != nil {
			if tk != nil {
				t.Fatal("token and error both returned")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("multi-line error %q", msg)
			}
			if len(msg) > 160 {
				t.Fatalf("error too long (%d bytes) %q", len(msg), msg)
			}
			if !strings.HasPrefix(msg, "invalid JWT: ") && msg != notJWT && !strings.HasPrefix(msg, "this is an encrypted JWT (JWE)") {
				t.Fatalf("error of unknown kind %q", msg)
			}
			return
		}
		if alg, _ := tk.Header["alg"].(string); tk.Claims == nil || alg == "" {
			t.Fatalf("incomplete token %+v", tk)
		}
		if !json.Valid(tk.HeaderJSON) || !json.Valid(tk.ClaimsJSON) {
			t.Fatal("raw JSON not valid")
		}
		if (len(tk.Signature) > 0) != tk.SignaturePresent {
			t.Fatalf("signature %v with %d bytes", tk.SignaturePresent, len(tk.Signature))
		}
		now := time.Unix(1700000000, 0)
		for _, tc := range tk.TimeClaims() {
			if tc.Time.Year() < 1 || tc.Time.Year() > 9999 {
				t.Fatalf("time claim out of range: %v", tc.Time)
			}
			if r := Relative(tc.Time, now); r == "" || strings.Contains(r, "-") {
				t.Fatalf("Relative = %q", r)
			}
		}
		tk.Expired(now)
		// Decoding is idempotent on the canonical form.
		again, err := Decode(tk.Raw)
		if err != nil || string(again.ClaimsJSON) != string(tk.ClaimsJSON) {
			t.Fatalf("re-decoding Raw: %v", err)
		}
	})
}
