package provider

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/webex-cli/webex/internal/config"
)

func FuzzParseDiscovery(f *testing.F) {
	full, _ := json.Marshal(discoveryDocFor(testIssuer))
	loop, _ := json.Marshal(discoveryDocFor("http://127.0.0.1:8080"))
	for _, seed := range []struct{ issuer, body string }{
		{testIssuer, string(full)},
		{"http://127.0.0.1:8080", string(loop)},
		{testIssuer, `{"issuer":"https://login.example.com","authorization_endpoint":"https://login.example.com/a","token_endpoint":"https://login.example.com/t","jwks_uri":"https://login.example.com/k"}`},
		{testIssuer, `{"issuer":"https://login.example.com/"}`},
		{testIssuer, `{"issuer":1}`},
		{testIssuer, `{"scopes_supported":"openid"}`},
		{testIssuer, `{"id_token_signing_alg_values_supported":["none","HS256"]}`},
		{testIssuer, `[]`},
		{testIssuer, `null`},
		{testIssuer, `<html></html>`},
		{testIssuer, ``},
		{"http://example.com", `{}`},
		{"", `{}`},
	} {
		f.Add(seed.issuer, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, issuer string, body []byte) {
		p, err := ParseDiscovery(issuer, body, Options{})
		if err != nil {
			return
		}
		if p.Issuer != issuer || p.Kind != config.ProviderOIDC {
			t.Fatalf("provider %+v for issuer %q", p, issuer)
		}
		if err := ValidateURL(issuer, false); err != nil {
			t.Fatalf("accepted an invalid issuer %q: %v", issuer, err)
		}
		for _, a := range p.SigningAlgs {
			if !allowedAlg(a) {
				t.Fatalf("accepted algorithm %q", a)
			}
		}
		for _, u := range []string{p.Endpoints.Authorize, p.Endpoints.Token, p.Endpoints.JWKS} {
			if err := ValidateURL(u, true); err != nil {
				t.Fatalf("accepted endpoint %q: %v", u, err)
			}
		}
	})
}

func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{
		"https://webexapis.com/v1", "http://127.0.0.1:8080/v1", "http://[::1]/", "http://localhost",
		"http://example.com", "https://u:p@x/", "https://x/#f", "https://x/?q", "", "%", "http://[::1%25lo]/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if ValidateURL(raw, false) != nil {
			return
		}
		// Accepted: https, or http on a loopback host only.
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted unparsable %q", raw)
		}
		if scheme := strings.ToLower(u.Scheme); scheme != "https" && (scheme != "http" || !IsLoopbackHost(u.Hostname())) {
			t.Fatalf("accepted %q", raw)
		}
		if u.User != nil || u.Fragment != "" || u.RawQuery != "" {
			t.Fatalf("accepted %q with user info, fragment or query", raw)
		}
	})
}

// FuzzVerifyIDToken feeds arbitrary strings to VerifyIDToken with a static
// key set (no network): it must never panic, and a failure must be a
// *VerifyError.
func FuzzVerifyIDToken(f *testing.F) {
	key := testRSAKeys()[0]
	good := signJWTForFuzz(key, goodClaims())
	f.Add(good)
	f.Add(unsignedJWT(`{"alg":"none"}`, goodClaims(), ""))
	f.Add(unsignedJWT(`{"alg":"HS256"}`, goodClaims(), "c2ln"))
	f.Add(unsignedJWT(`{"alg":"RS256","crit":["exp"]}`, goodClaims(), "c2ln"))
	f.Add(unsignedJWT(`{"alg":1}`, goodClaims(), ""))
	f.Add("a.b.c")
	f.Add("..")
	f.Add(`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJSUzI1NiJ9","signature":""}]}`)
	f.Add("")

	p, err := NewWebex(config.ProviderWebex, "", Options{Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	p.keys = &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{key.Public()}}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := p.VerifyIDToken(context.Background(), raw, VerifyOptions{ClientID: testClientID, Nonce: testNonce})
		if err == nil {
			if tok == nil || tok.Subject == "" {
				t.Fatalf("success without claims")
			}
			return
		}
		var ve *VerifyError
		if !errors.As(err, &ve) {
			t.Fatalf("error %v (%T) is not a *VerifyError", err, err)
		}
	})
}

func signJWTForFuzz(key crypto.Signer, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}
