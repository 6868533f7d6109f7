package provider

import (
	"context"
	"errors"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestNewStatic(t *testing.T) {
	idp := newFakeIdP(t)
	keys := testRSAKeys()
	idp.setKeys([]string{"", ""}, keys[0], keys[1])
	p, err := NewStatic(testWebexIss, idp.srv.URL+"/jwks", Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	good := signJWT(t, keys[1], "", jose.RS256, goodClaims())
	if _, err := p.VerifyIDToken(context.Background(), good, VerifyOptions{ClientID: testClientID}); err != nil {
		t.Fatalf("good token rejected: %v", err)
	}
	for name, tc := range map[string]struct {
		raw   string
		check string
	}{
		"other issuer": {signJWT(t, keys[1], "", jose.RS256, with(goodClaims(), "iss", "https://idbroker-eu.webex.com/idb")), CheckIssuer},
		"unknown key":  {signJWT(t, keys[2], "", jose.RS256, goodClaims()), CheckSignature},
		"wrong aud":    {signJWT(t, keys[1], "", jose.RS256, with(goodClaims(), "aud", "someone-else")), CheckAudience},
	} {
		_, err := p.VerifyIDToken(context.Background(), tc.raw, VerifyOptions{ClientID: testClientID})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Check != tc.check {
			t.Errorf("%s: got %v, want the %s check to fail", name, err, tc.check)
		}
	}
	for _, bad := range [][2]string{{"", idp.srv.URL + "/jwks"}, {"http://example.com", idp.srv.URL + "/jwks"}, {testWebexIss, "http://example.com/jwks"}} {
		if _, err := NewStatic(bad[0], bad[1], Options{}); err == nil {
			t.Errorf("NewStatic(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
