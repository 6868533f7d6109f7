package inspect

import (
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	keys, err := ParseKeys([]byte(`{"keys":[{"kty":"RSA","n":"x","e":"AQAB"},{"kty":"EC","kid":"k2","alg":"ES256","use":"sig"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].KeyID != "" || keys[1].KeyID != "k2" || keys[1].Algorithm != "ES256" {
		t.Fatalf("keys = %+v", keys)
	}
	for _, bad := range []string{``, `[]`, `{}`, `{"keys":[{}]}`, `{"keys":[1]}`, `{"keys":"x"}`} {
		if _, err := ParseKeys([]byte(bad)); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}

func TestParseWebFinger(t *testing.T) {
	got, err := ParseWebFinger([]byte(`{"subject":"acct:a@b","links":[{"rel":"other","href":"x"},{"rel":"` + IssuerRel + `","href":"https://idbroker.webex.com/idb"}]}`))
	if err != nil || len(got) != 1 || got[0] != "https://idbroker.webex.com/idb" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{``, `{}`, `{"links":[]}`, `{"links":[{"rel":"` + IssuerRel + `"}]}`, `nope`} {
		if _, err := ParseWebFinger([]byte(bad)); err == nil {
			t.Errorf("ParseWebFinger(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"keys":[{"kty":"RSA","kid":"a"}]}`,
		`{"links":[{"rel":"` + IssuerRel + `","href":"https://x"}]}`,
		`{"issuer":"https://idbroker-b-us.webex.com/idb","jwks_uri":"https://webexapis.com/v1/verification"}`,
		`{"keys":[null]}`, `null`, `[`, "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fn := range []func([]byte) error{
			func(b []byte) error { _, err := ParseKeys(b); return err },
			func(b []byte) error { _, err := ParseWebFinger(b); return err },
			func(b []byte) error { _, err := ParseDocument(b); return err },
		} {
			if err := fn(b); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
		}
	})
}
