package provider

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// testRSAKeys are generated once per test binary: RSA key generation is slow.
var testRSAKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

var testECKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

// fakeIdP is an httptest server that serves a JWKS (at /v1/verification, the
// Webex path, and at /jwks) and an optional discovery document, and counts
// JWKS fetches. Its key set can be replaced to simulate a key rotation, and
// the first fetches can be given other answers (see setFirstAnswers).
type fakeIdP struct {
	srv *httptest.Server

	mu            sync.Mutex
	jwks          jose.JSONWebKeySet
	first         []jose.JSONWebKeySet // answers of the first fetches, before jwks
	jwksFetches   int
	discovery     []byte
	discoveryType string
	discoveryCode int
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	f := &fakeIdP{discoveryCode: http.StatusOK, discoveryType: "application/json"}
	mux := http.NewServeMux()
	jwks := func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		set := f.jwks
		if f.jwksFetches < len(f.first) {
			set = f.first[f.jwksFetches]
		}
		f.jwksFetches++
		body, _ := json.Marshal(set)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
	mux.HandleFunc("GET /v1/verification", jwks)
	mux.HandleFunc("GET /jwks", jwks)
	disc := func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body, ct, code := f.discovery, f.discoveryType, f.discoveryCode
		f.mu.Unlock()
		if body == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", disc)
	mux.HandleFunc("GET /tenant/.well-known/openid-configuration", disc)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// setKeys publishes the public halves of keys under the given kids ("" = no kid).
func (f *fakeIdP) setKeys(kids []string, keys ...crypto.Signer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwks = jwksOf(kids, keys...)
}

// setFirstAnswers makes the first fetches answer sets, in order; later ones
// get what setKeys published.
func (f *fakeIdP) setFirstAnswers(sets ...jose.JSONWebKeySet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.first = sets
}

// jwksOf is a key set of the public halves of keys under the given kids.
func jwksOf(kids []string, keys ...crypto.Signer) jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for i, k := range keys {
		alg := "RS256"
		if _, ok := k.(*ecdsa.PrivateKey); ok {
			alg = "ES256"
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: kids[i], Algorithm: alg, Use: "sig"})
	}
	return set
}

func (f *fakeIdP) fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksFetches
}

func (f *fakeIdP) setDiscovery(t *testing.T, doc any) {
	t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.discovery = body
	f.mu.Unlock()
}

// signJWT signs claims as a compact JWS with key and alg; kid "" leaves the
// header without a kid, as Webex does.
func signJWT(t *testing.T, key any, kid string, alg jose.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	var sk jose.SigningKey
	if kid != "" {
		sk = jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg)}}
	} else {
		sk = jose.SigningKey{Algorithm: alg, Key: key}
	}
	signer, err := jose.NewSigner(sk, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const (
	testClientID  = "C0123456789abcdef"
	testNonce     = "nonce-6f1c2a9e"
	testWebexIss  = "https://idbroker-b-us.webex.com/idb"
	testSubject   = "2d6b3c5e-9b1a-4f7e-8c2d-1a2b3c4d5e6f"
	testUserEmail = "ada@example.com"
)

// goodClaims are valid claims for a Webex ID token at testNow.
func goodClaims() map[string]any {
	return map[string]any{
		"iss":            testWebexIss,
		"sub":            testSubject,
		"aud":            testClientID,
		"exp":            testNow.Add(2 * time.Hour).Unix(),
		"iat":            testNow.Add(-time.Minute).Unix(),
		"auth_time":      testNow.Add(-2 * time.Minute).Unix(),
		"nonce":          testNonce,
		"email":          testUserEmail,
		"email_verified": "true",
		"name":           "Ada Lovelace",
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(c, k)
		} else {
			c[k] = kv[i+1]
		}
	}
	return c
}
