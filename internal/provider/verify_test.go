package provider

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/webex-cli/webex/internal/config"
)

// newWebexAt returns a config.ProviderWebex provider whose base is the fake IdP.
func newWebexAt(t *testing.T, f *fakeIdP, opts Options) *Provider {
	t.Helper()
	if opts.HTTPClient == nil {
		opts.HTTPClient = f.srv.Client()
	}
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	p, err := NewWebex(config.ProviderWebex, f.srv.URL+"/v1", opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// unsignedJWT builds header.payload.sig from raw JSON parts.
func unsignedJWT(header string, claims map[string]any, sig string) string {
	payload, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc(payload) + "." + sig
}

func TestVerifyIDTokenWebex(t *testing.T) {
	keys := testRSAKeys()
	f := newFakeIdP(t)
	// Webex publishes several keys and signs without a kid.
	f.setKeys([]string{"k1", "k2", "k3"}, keys[0], keys[1], keys[2])
	p := newWebexAt(t, f, Options{})

	pubDER, err := x509.MarshalPKIXPublicKey(&keys[2].PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tampered := func() string {
		raw := signJWT(t, keys[2], "", jose.RS256, goodClaims())
		parts := strings.Split(raw, ".")
		payload, _ := json.Marshal(with(goodClaims(), "sub", "someone-else"))
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	}

	tests := []struct {
		name  string
		raw   string
		nonce string
		check string // "" = success
	}{
		{"no kid, third of three keys", signJWT(t, keys[2], "", jose.RS256, goodClaims()), testNonce, ""},
		{"matching kid", signJWT(t, keys[1], "k2", jose.RS256, goodClaims()), testNonce, ""},
		{"nonce not checked", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "nonce", nil)), "", ""},
		{"iat within skew", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "iat", testNow.Add(4*time.Minute).Unix())), testNonce, ""},
		{"plain idbroker issuer", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "iss", "https://idbroker.webex.com/idb")), testNonce, ""},
		{"aud list", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "aud", []string{"other", testClientID}, "azp", testClientID)), testNonce, ""},
		{"aud list of one without azp", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "aud", []string{testClientID})), testNonce, ""},

		{"bad signature (unknown key)", signJWT(t, keys[3], "", jose.RS256, goodClaims()), testNonce, CheckSignature},
		{"bad signature (tampered payload)", tampered(), testNonce, CheckSignature},
		{"kid of another key", signJWT(t, keys[0], "k2", jose.RS256, goodClaims()), testNonce, CheckSignature},
		{"alg none", unsignedJWT(`{"alg":"none"}`, goodClaims(), ""), testNonce, CheckAlg},
		{"alg none with kid", unsignedJWT(`{"alg":"none","kid":"k1"}`, goodClaims(), "x"), testNonce, CheckAlg},
		{"HS256 with a random secret", signJWT(t, []byte("0123456789abcdef0123456789abcdef"), "", jose.HS256, goodClaims()), testNonce, CheckAlg},
		{"HS256 keyed with the RSA public key", signJWT(t, pubDER, "", jose.HS256, goodClaims()), testNonce, CheckAlg},
		{"HS256 keyed with the RSA public key and kid", signJWT(t, pubDER, "k3", jose.HS256, goodClaims()), testNonce, CheckAlg},
		{"RS384 not announced", signJWT(t, keys[0], "", jose.RS384, goodClaims()), testNonce, CheckAlg},
		{"wrong issuer", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "iss", "https://idbroker.webex.com.evil.com/idb")), testNonce, CheckIssuer},
		{"missing issuer", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "iss", nil)), testNonce, CheckIssuer},
		{"missing subject", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "sub", nil)), testNonce, CheckSubject},
		{"wrong audience", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "aud", "C-other")), testNonce, CheckAudience},
		{"missing audience", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "aud", nil)), testNonce, CheckAudience},
		{"several audiences without azp", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "aud", []string{"other", testClientID})), testNonce, CheckAudience},
		{"azp of another client", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "aud", []string{testClientID, "x"}, "azp", "x")), testNonce, CheckAudience},
		{"expired", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "exp", testNow.Add(-time.Second).Unix())), testNonce, CheckExpiry},
		{"missing exp", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "exp", nil)), testNonce, CheckExpiry},
		{"nbf in the future", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "nbf", testNow.Add(time.Hour).Unix())), testNonce, CheckNotBefore},
		{"iat in the future", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "iat", testNow.Add(10*time.Minute).Unix())), testNonce, CheckIssuedAt},
		{"missing iat", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "iat", nil)), testNonce, CheckIssuedAt},
		{"wrong nonce", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "nonce", "nonce-other")), testNonce, CheckNonce},
		{"missing nonce", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "nonce", nil)), testNonce, CheckNonce},
		{"exp is a string", signJWT(t, keys[0], "", jose.RS256, with(goodClaims(), "exp", "tomorrow")), testNonce, CheckMalformed},
		{"not a JWT", "not-a-jwt", testNonce, CheckMalformed},
		{"two parts", "a.b", testNonce, CheckMalformed},
		{"JWE shape", "a.b.c.d.e", testNonce, CheckMalformed},
		{"JSON serialization", `{"payload":"e30","signatures":[]}`, testNonce, CheckMalformed},
		{"header not base64", "!!.e30.sig", testNonce, CheckMalformed},
		{"header without alg", unsignedJWT(`{"typ":"JWT"}`, goodClaims(), "x"), testNonce, CheckMalformed},
		{"bad signature encoding", unsignedJWT(`{"alg":"RS256"}`, goodClaims(), "!!"), testNonce, CheckMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := p.VerifyIDToken(context.Background(), tt.raw, VerifyOptions{ClientID: testClientID, Nonce: tt.nonce})
			if tt.check == "" {
				if err != nil {
					t.Fatalf("VerifyIDToken: %v", err)
				}
				if tok.Subject != testSubject || !contains(tok.Audience, testClientID) {
					t.Errorf("token = %+v", tok)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v (%T), want *VerifyError{Check: %q}", err, err, tt.check)
			}
			if ve.Check != tt.check {
				t.Fatalf("Check = %q (%v), want %q", ve.Check, err, tt.check)
			}
			if tok != nil {
				t.Errorf("token returned with error")
			}
			msg := err.Error()
			if strings.Contains(msg, tt.raw) || strings.Contains(msg, testNonce) || strings.Contains(msg, "nonce-other") {
				t.Errorf("error leaks the token or nonce: %s", msg)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestVerifyIDTokenClaims(t *testing.T) {
	keys := testRSAKeys()
	f := newFakeIdP(t)
	f.setKeys([]string{""}, keys[0])
	p := newWebexAt(t, f, Options{})
	raw := signJWT(t, keys[0], "", jose.RS256, goodClaims())
	tok, err := p.VerifyIDToken(context.Background(), raw, VerifyOptions{ClientID: testClientID, Nonce: testNonce})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Issuer != testWebexIss || tok.Subject != testSubject || tok.Nonce != testNonce ||
		tok.Email != testUserEmail || tok.Name != "Ada Lovelace" {
		t.Errorf("token = %+v", tok)
	}
	if !tok.Expiry.Equal(testNow.Add(2*time.Hour)) || !tok.IssuedAt.Equal(testNow.Add(-time.Minute)) {
		t.Errorf("times = %v %v", tok.Expiry, tok.IssuedAt)
	}
}

func TestVerifyIDTokenNeedsClientID(t *testing.T) {
	f := newFakeIdP(t)
	p := newWebexAt(t, f, Options{})
	raw := signJWT(t, testRSAKeys()[0], "", jose.RS256, goodClaims())
	if _, err := p.VerifyIDToken(context.Background(), raw, VerifyOptions{}); err == nil {
		t.Fatal("no error without a client id")
	}
	var zero *Provider
	if _, err := zero.VerifyIDToken(context.Background(), raw, VerifyOptions{ClientID: testClientID}); err == nil {
		t.Fatal("nil provider verified a token")
	}
	if _, err := (&Provider{}).VerifyIDToken(context.Background(), raw, VerifyOptions{ClientID: testClientID}); err == nil {
		t.Fatal("zero provider verified a token")
	}
}

// TestVerifyIDTokenStaleFirstJWKS verifies once, with a cold cache as every
// new `webex login` process has, while the provider's first JWKS answer lacks
// the signing key (a rotation in progress, a cache's old copy): the set is
// fetched exactly once more, and only a second answer without the key fails.
func TestVerifyIDTokenStaleFirstJWKS(t *testing.T) {
	keys := testRSAKeys()
	tests := []struct {
		name   string
		kid    string // of the token and of the new key; "" as on Webex
		second jose.JSONWebKeySet
		ok     bool
	}{
		{"no kid, new key in the second answer", "", jwksOf([]string{"", ""}, keys[0], keys[1]), true},
		{"unknown kid, in the second answer", "new", jwksOf([]string{"old", "new"}, keys[0], keys[1]), true},
		{"no kid, both answers lack the key", "", jwksOf([]string{""}, keys[0]), false},
		{"unknown kid, both answers lack it", "new", jwksOf([]string{"old"}, keys[0]), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIdP(t)
			oldKid := ""
			if tt.kid != "" {
				oldKid = "old"
			}
			f.setFirstAnswers(jwksOf([]string{oldKid}, keys[0]), tt.second)
			f.setKeys([]string{tt.kid}, keys[1]) // never reached: a third fetch would verify
			p := newWebexAt(t, f, Options{})
			_, err := p.VerifyIDToken(context.Background(), signJWT(t, keys[1], tt.kid, jose.RS256, goodClaims()), VerifyOptions{ClientID: testClientID})
			var ve *VerifyError
			switch {
			case tt.ok && err != nil:
				t.Fatalf("VerifyIDToken: %v", err)
			case !tt.ok && (!errors.As(err, &ve) || ve.Check != CheckSignature):
				t.Fatalf("err = %v, want a signature check failure", err)
			}
			if n := f.fetches(); n != 2 {
				t.Fatalf("JWKS fetched %d times, want 2", n)
			}
		})
	}
}

// TestVerifyIDTokenKeyRotation: a provider verifies one token at a time from the key set
// the provider serves at that moment. After a rotation between two verifications, the second
// one sees the new key at once, with one fetch each and no refetch needed.
func TestVerifyIDTokenKeyRotation(t *testing.T) {
	keys := testRSAKeys()
	vo := VerifyOptions{ClientID: testClientID}
	for _, kid := range []string{"", "new"} {
		t.Run("kid "+strconv.Quote(kid), func(t *testing.T) {
			f := newFakeIdP(t)
			f.setKeys([]string{"old"}, keys[0])
			p := newWebexAt(t, f, Options{})
			if _, err := p.VerifyIDToken(context.Background(), signJWT(t, keys[0], "old", jose.RS256, goodClaims()), vo); err != nil {
				t.Fatal(err)
			}
			f.setKeys([]string{kid}, keys[1])
			if _, err := p.VerifyIDToken(context.Background(), signJWT(t, keys[1], kid, jose.RS256, goodClaims()), vo); err != nil {
				t.Fatalf("token signed with the rotated key: %v", err)
			}
			if n := f.fetches(); n != 2 {
				t.Fatalf("JWKS fetched %d times for two verifications, want 2", n)
			}
		})
	}
}

func TestVerifyIDTokenJWKSUnavailable(t *testing.T) {
	f := newFakeIdP(t)
	p, err := NewWebex(config.ProviderWebex, f.srv.URL+"/nothing-here", Options{HTTPClient: f.srv.Client(), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.VerifyIDToken(context.Background(), signJWT(t, testRSAKeys()[0], "", jose.RS256, goodClaims()), VerifyOptions{ClientID: testClientID})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Check != CheckSignature || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want a signature check failure naming the 404", err)
	}
}

func TestVerifyIDTokenOIDC(t *testing.T) {
	f := newFakeIdP(t)
	issuer := f.srv.URL
	ec := testECKey()
	rsaKey := testRSAKeys()[0]
	f.setKeys([]string{"ec1", "rsa1"}, ec, rsaKey)
	f.setDiscovery(t, map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                issuer + "/authorize",
		"token_endpoint":                        issuer + "/token",
		"jwks_uri":                              issuer + "/jwks",
		"id_token_signing_alg_values_supported": []string{"ES256", "HS256", "none"},
	})
	p, err := Discover(context.Background(), issuer, Options{HTTPClient: f.srv.Client(), Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.SigningAlgs, ","); got != "ES256" {
		t.Fatalf("SigningAlgs = %s, want ES256 only", got)
	}
	claims := func() map[string]any { return with(goodClaims(), "iss", issuer) }
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	tests := []struct {
		name  string
		raw   string
		check string
	}{
		{"ES256 ok", signJWT(t, ec, "ec1", jose.ES256, claims()), ""},
		{"ES256 without kid", signJWT(t, ec, "", jose.ES256, claims()), ""},
		{"RS256 not announced", signJWT(t, rsaKey, "rsa1", jose.RS256, claims()), CheckAlg},
		{"HS256 announced but never accepted", signJWT(t, pubDER, "", jose.HS256, claims()), CheckAlg},
		{"none announced but never accepted", unsignedJWT(`{"alg":"none"}`, claims(), ""), CheckAlg},
		{"Webex issuer is not this issuer", signJWT(t, ec, "ec1", jose.ES256, goodClaims()), CheckIssuer},
		{"issuer with trailing slash", signJWT(t, ec, "ec1", jose.ES256, with(claims(), "iss", issuer+"/")), CheckIssuer},
		{"wrong audience", signJWT(t, ec, "ec1", jose.ES256, with(claims(), "aud", "x")), CheckAudience},
		{"expired", signJWT(t, ec, "ec1", jose.ES256, with(claims(), "exp", testNow.Add(-time.Hour).Unix())), CheckExpiry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.VerifyIDToken(context.Background(), tt.raw, VerifyOptions{ClientID: testClientID, Nonce: testNonce})
			if tt.check == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Check != tt.check {
				t.Fatalf("err = %v, want check %q", err, tt.check)
			}
		})
	}
}

func TestIssuerRule(t *testing.T) {
	tests := []struct {
		iss  string
		want bool
	}{
		{"https://idbroker.webex.com/idb", true},
		{"https://idbroker-b-us.webex.com/idb", true},
		{"https://idbroker-eu.webex.com/idb", true},
		{"https://idbroker-ca.webex.com/idb", true},
		{"https://idbroker-sg.webex.com/idb", true},
		{"https://idbroker-in.webex.com/idb", true},
		{"https://idbroker-ae.webex.com/idb", true},
		{"https://idbroker-au.webex.com/idb", true},
		{"http://idbroker.webex.com/idb", false},
		{"https://idbroker.webex.com.evil.com/idb", false},
		{"https://idbroker.evil.com/idb", false},
		{"https://evil-idbroker.webex.com/idb", false},
		{"https://idbroker-eu.evil.webex.com/idb", false},
		{"https://idbroker-.webex.com/idb", false},
		{"https://idbroker.webex.com", false},
		{"https://idbroker.webex.com/", false},
		{"https://idbroker.webex.com/idb/", false},
		{"https://idbroker.webex.com/idbx", false},
		{"https://idbroker.webex.com/idb\n", false},
		{"https://IDBROKER.webex.com/idb", false},
		{"https://idbroker.webex.com:443/idb", false},
		{"https://idbroker.webexXcom/idb", false},
		{"https://webexapis.com/v1", false},
		{"https://idbroker.gov.example/idb", false}, // only with IssuerPatterns
		{"", false},
	}
	p, err := NewWebex(config.ProviderWebex, "", Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		err := p.checkIssuer(tt.iss)
		if got := err == nil; got != tt.want {
			t.Errorf("issuer %q accepted = %v, want %v (%v)", tt.iss, got, tt.want, err)
		}
		if err != nil && err.Check != CheckIssuer {
			t.Errorf("issuer %q: check %q, want iss", tt.iss, err.Check)
		}
	}
}

func TestIssuerPatterns(t *testing.T) {
	p, err := NewWebex(config.ProviderWebexGov, "", Options{Now: fixedNow, IssuerPatterns: []string{`https://idbroker\.gov\.example/idb`, `idbroker-f`}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		iss  string
		want bool
	}{
		{"https://idbroker.gov.example/idb", true},
		{"https://idbroker-b-us.webex.com/idb", true},
		{"https://idbroker.gov.example/idb/", false},
		{"https://idbroker.gov.example.evil/idb", false},
		{"https://idbroker-f.evil.com/idb", false}, // patterns are anchored
		{"idbroker-f", true},
	}
	for _, tt := range tests {
		if got := p.checkIssuer(tt.iss) == nil; got != tt.want {
			t.Errorf("issuer %q accepted = %v, want %v", tt.iss, got, tt.want)
		}
	}
	if _, err := NewWebex(config.ProviderWebexGov, "", Options{IssuerPatterns: []string{"("}}); err == nil {
		t.Error("bad issuer pattern accepted")
	}
}
