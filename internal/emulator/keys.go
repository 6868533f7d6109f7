package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// initKeys generates or adopts the signing keys, builds the signer and the JWKS document.
func (s *Server) initKeys() error {
	s.keys = s.cfg.Keys
	if len(s.keys) == 0 {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return fmt.Errorf("emulator: generate RSA key: %w", err)
			}
			s.keys = append(s.keys, k)
		}
	}
	// Sign with the last key and put no kid in the header, like Webex: a client that only
	// tries the first key of /verification fails.
	signKey := s.keys[len(s.keys)-1]
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: signKey},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return fmt.Errorf("emulator: signer: %w", err)
	}
	s.signer = signer
	var set jose.JSONWebKeySet
	for _, k := range s.keys {
		jwk := jose.JSONWebKey{Key: &k.PublicKey, Algorithm: string(jose.RS256), Use: "sig"}
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return fmt.Errorf("emulator: key thumbprint: %w", err)
		}
		jwk.KeyID = fmt.Sprintf("%x", tp[:8])
		set.Keys = append(set.Keys, jwk)
	}
	if s.jwks, err = json.Marshal(set); err != nil {
		return fmt.Errorf("emulator: JWKS: %w", err)
	}
	set.Keys = set.Keys[:len(set.Keys)-1]
	if s.staleJWKS, err = json.Marshal(set); err != nil {
		return fmt.Errorf("emulator: JWKS: %w", err)
	}
	return nil
}

// idTokenClaims are the claims of an ID token. As on Webex there is no e-mail or name: those
// come from UserInfo.
type idTokenClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce,omitempty"`
}

// signIDToken returns a compact RS256 JWT for g (OpenID Connect Core section 2). nonce is
// empty for ID tokens from a refresh (section 12.2).
func (s *Server) signIDToken(g grant, nonce string, now time.Time) (string, error) {
	claims := idTokenClaims{
		Issuer:   s.cfg.IDTokenIssuer,
		Subject:  g.user.sub,
		Audience: g.clientID,
		IssuedAt: now.Unix(),
		Expiry:   now.Add(s.cfg.IDTokenTTL).Unix(),
		AuthTime: g.authTime.Unix(),
		Nonce:    nonce,
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("emulator: ID token claims: %w", err)
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("emulator: sign ID token: %w", err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("emulator: serialize ID token: %w", err)
	}
	return out, nil
}
