package provider

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// The checks a VerifyError can name.
const (
	CheckMalformed = "malformed" // not a compact JWS, or a claim of the wrong type
	CheckAlg       = "alg"       // algorithm not accepted ("none", HMAC, or not announced)
	CheckSignature = "signature" // no key of the JWKS verifies it (after one refetch), or the JWKS could not be fetched
	CheckIssuer    = "iss"
	CheckSubject   = "sub"
	CheckAudience  = "aud" // the client id is not in "aud", or "azp" names another client or is missing with several audiences
	CheckExpiry    = "exp"
	CheckNotBefore = "nbf"
	CheckIssuedAt  = "iat"
	CheckNonce     = "nonce"
	CheckClaims    = "claims" // any other rejection by go-oidc
)

// ClockSkew is the leeway allowed for "iat" and "nbf" in the future.
const ClockSkew = 5 * time.Minute

// VerifyError reports an ID token that failed a check. Check is one of the
// Check constants; Err says why, without repeating the token or the nonce.
type VerifyError struct {
	Check string
	Err   error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("ID token failed the %s check: %v", e.Check, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// VerifyOptions are the per-login expectations for an ID token.
type VerifyOptions struct {
	// ClientID must be among the token's audiences. Required.
	ClientID string
	// Nonce, when not empty, must equal the token's "nonce" claim; a token
	// without one is rejected. Empty means the nonce is not checked (device
	// flow, refresh: OpenID Connect Core §12.2).
	Nonce string
}

// IDToken is a verified ID token's claims.
type IDToken struct {
	Issuer   string
	Subject  string
	Audience []string
	Expiry   time.Time
	IssuedAt time.Time
	AuthTime time.Time // zero when absent
	Nonce    string
	// Email, EmailVerified and Name are taken from the token when present;
	// Webex does not reliably include them (use UserInfo).
	Email         string
	EmailVerified *bool // nil when absent or not a boolean
	Name          string
	// Claims is the whole payload, JSON numbers as float64.
	Claims map[string]any
}

// VerifyIDToken verifies raw, a compact JWS ID token, as OpenID Connect Core
// 1.0 §3.1.3.7 asks, and returns its claims. All of these must hold:
//
//   - the "alg" header is one of SigningAlgs, never "none" nor HMAC;
//   - a key of the provider's JWKS verifies the signature: with no "kid"
//     every key is tried; when no key of the set fetched for this call (or
//     cached by an earlier one) verifies, the JWKS is fetched again once (key
//     rotation, Core §10.1; see keySet);
//   - "iss" matches the issuer rule: the exact Issuer for oidc, and for the
//     Webex kinds WebexIssuerPattern or one of Options.IssuerPatterns;
//   - "sub" is present; "aud" contains v.ClientID; "azp", when present,
//     equals it, and a token with several audiences must have it (Core
//     §3.1.3.7 items 4 and 5);
//   - "exp" is after now; "nbf" and "iat" are not later than now + ClockSkew
//     ("iat" is required);
//   - "nonce" equals v.Nonce (compared in constant time) when v.Nonce is set.
//
// A failed check returns a *VerifyError naming it. The context bounds a JWKS
// fetch this call waits for.
func (p *Provider) VerifyIDToken(ctx context.Context, raw string, v VerifyOptions) (*IDToken, error) {
	if p == nil || p.keys == nil {
		return nil, errors.New("provider: not initialised (use NewWebex, Discover or ParseDiscovery)")
	}
	if v.ClientID == "" {
		return nil, errors.New("provider: verifying an ID token needs the client id")
	}
	alg, err := jwsAlg(raw)
	if err != nil {
		return nil, &VerifyError{Check: CheckMalformed, Err: err}
	}
	if !allowedAlg(alg) {
		return nil, &VerifyError{Check: CheckAlg, Err: fmt.Errorf("algorithm %q is never accepted", alg)}
	}
	if !slices.Contains(p.algs, alg) {
		return nil, &VerifyError{Check: CheckAlg, Err: fmt.Errorf("algorithm %q is not one the provider signs with (%s)", alg, strings.Join(p.algs, ", "))}
	}

	probe := &sigProbe{}
	verifier := oidc.NewVerifier(p.issuer, probingKeySet{p.keys}, &oidc.Config{
		ClientID:             v.ClientID,
		SupportedSigningAlgs: p.algs,
		SkipIssuerCheck:      true, // checkClaims applies the rule of the kind
		Now:                  p.now,
	})
	tok, err := verifier.Verify(context.WithValue(ctx, sigProbeKey{}, probe), raw)
	if err != nil {
		switch {
		case !probe.called:
			return nil, &VerifyError{Check: CheckMalformed, Err: err}
		case probe.err != nil:
			return nil, &VerifyError{Check: CheckSignature, Err: probe.err}
		}
		// The signature is good: find which claim go-oidc rejected.
		c, perr := parseClaims(probe.payload)
		if perr != nil {
			return nil, &VerifyError{Check: CheckMalformed, Err: perr}
		}
		if cerr := p.checkClaims(c, v); cerr != nil {
			return nil, cerr
		}
		var te *oidc.TokenExpiredError
		if errors.As(err, &te) {
			return nil, &VerifyError{Check: CheckExpiry, Err: err}
		}
		return nil, &VerifyError{Check: CheckClaims, Err: err}
	}

	c, err := parseClaims(probe.payload)
	if err != nil {
		return nil, &VerifyError{Check: CheckMalformed, Err: err}
	}
	if err := p.checkClaims(c, v); err != nil {
		return nil, err
	}
	var all map[string]any
	if err := json.Unmarshal(probe.payload, &all); err != nil {
		return nil, &VerifyError{Check: CheckMalformed, Err: err}
	}
	out := &IDToken{
		Issuer:        tok.Issuer,
		Subject:       tok.Subject,
		Audience:      tok.Audience,
		Expiry:        c.exp,
		IssuedAt:      c.iat,
		AuthTime:      c.authTime,
		Nonce:         tok.Nonce,
		EmailVerified: BoolClaim(all["email_verified"]),
		Claims:        all,
	}
	out.Email, _ = all["email"].(string)
	out.Name, _ = all["name"].(string)
	return out, nil
}

// BoolClaim reads a claim that should be a JSON boolean but that some
// providers send as a string: Webex UserInfo's "email_verified" may be "true".
// It returns nil for any other value.
func BoolClaim(v any) *bool {
	var b bool
	switch x := v.(type) {
	case bool:
		b = x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			b = true
		case "false":
			b = false
		default:
			return nil
		}
	default:
		return nil
	}
	return &b
}

// checkClaims applies every claim rule of VerifyIDToken to c, in a fixed
// order, and returns the first failure.
func (p *Provider) checkClaims(c *claims, v VerifyOptions) *VerifyError {
	now := p.now()
	fail := func(check, format string, args ...any) *VerifyError {
		return &VerifyError{Check: check, Err: fmt.Errorf(format, args...)}
	}

	switch {
	case c.iss == "":
		return fail(CheckIssuer, "the token has no issuer")
	case p.Kind == KindOIDC:
		if c.iss != p.issuer {
			return fail(CheckIssuer, "issuer %q is not the provider's issuer %q", c.iss, p.issuer)
		}
	default:
		if !slices.ContainsFunc(p.issuerRes, func(re *regexp.Regexp) bool { return re.MatchString(c.iss) }) {
			return fail(CheckIssuer, "issuer %q is not a Webex IdBroker issuer", c.iss)
		}
	}
	if c.sub == "" {
		return fail(CheckSubject, "the token has no subject")
	}
	if !slices.Contains(c.aud, v.ClientID) {
		return fail(CheckAudience, "the token is for %q, not for client %q", c.aud, v.ClientID)
	}
	if c.azp == "" && len(c.aud) > 1 {
		return fail(CheckAudience, "the token has several audiences but no authorized party (azp)")
	}
	if c.azp != "" && c.azp != v.ClientID {
		return fail(CheckAudience, "the token's authorized party is %q, not client %q", c.azp, v.ClientID)
	}
	if c.exp.IsZero() {
		return fail(CheckExpiry, "the token has no expiry")
	}
	if c.exp.Before(now) {
		return fail(CheckExpiry, "the token expired at %s", c.exp.UTC().Format(time.RFC3339))
	}
	if !c.nbf.IsZero() && c.nbf.After(now.Add(ClockSkew)) {
		return fail(CheckNotBefore, "the token is not valid before %s", c.nbf.UTC().Format(time.RFC3339))
	}
	if c.iat.IsZero() {
		return fail(CheckIssuedAt, "the token has no issue time")
	}
	if c.iat.After(now.Add(ClockSkew)) {
		return fail(CheckIssuedAt, "the token was issued in the future (%s); check the system clock", c.iat.UTC().Format(time.RFC3339))
	}
	if v.Nonce != "" {
		if c.nonce == "" {
			return fail(CheckNonce, "the token has no nonce, but the login sent one")
		}
		if subtle.ConstantTimeCompare([]byte(c.nonce), []byte(v.Nonce)) != 1 {
			return fail(CheckNonce, "the token's nonce does not match the login's")
		}
	}
	return nil
}

// claims are the registered claims checkClaims looks at.
type claims struct {
	iss, sub, azp, nonce    string
	aud                     []string
	exp, iat, nbf, authTime time.Time
}

// parseClaims reads the registered claims of a JWT payload, failing on a
// claim of the wrong JSON type.
func parseClaims(payload []byte) (*claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New("the payload is not a JSON object")
	}
	var c claims
	for _, f := range []struct {
		name string
		dst  *string
	}{{"iss", &c.iss}, {"sub", &c.sub}, {"azp", &c.azp}, {"nonce", &c.nonce}} {
		if v, ok := m[f.name]; ok {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("the %q claim is not a string", f.name)
			}
			*f.dst = s
		}
	}
	switch a := m["aud"].(type) {
	case nil:
	case string:
		c.aud = []string{a}
	case []any:
		for _, x := range a {
			s, ok := x.(string)
			if !ok {
				return nil, errors.New(`the "aud" claim is not a string or a list of strings`)
			}
			c.aud = append(c.aud, s)
		}
	default:
		return nil, errors.New(`the "aud" claim is not a string or a list of strings`)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"exp", &c.exp}, {"iat", &c.iat}, {"nbf", &c.nbf}, {"auth_time", &c.authTime}} {
		v, ok := m[f.name]
		if !ok || v == nil {
			continue
		}
		t, err := numericDate(v)
		if err != nil {
			return nil, fmt.Errorf("the %q claim: %w", f.name, err)
		}
		*f.dst = t
	}
	return &c, nil
}

// numericDate converts a JSON NumericDate (RFC 7519 §2: seconds since the
// epoch, possibly fractional) to a time.
func numericDate(v any) (time.Time, error) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, errors.New("not a number")
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e12 {
		return time.Time{}, errors.New("not a valid date")
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)), nil
}

// jwsAlg returns the "alg" header of a compact JWS (RFC 7515 §7.1) without
// verifying anything.
func jwsAlg(raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("not a signed JWT: want 3 dot-separated parts, got %d", len(parts))
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return "", errors.New("the JWT header is not base64url")
	}
	var h struct {
		Alg any `json:"alg"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return "", errors.New("the JWT header is not a JSON object")
	}
	alg, ok := h.Alg.(string)
	if !ok || alg == "" {
		return "", errors.New(`the JWT header has no "alg"`)
	}
	return alg, nil
}

// sigProbe records, for one VerifyIDToken call, what the key set said, so
// that a go-oidc failure can be attributed to the signature or to a claim.
type sigProbe struct {
	called  bool
	payload []byte // verified payload
	err     error
}

type sigProbeKey struct{}

// probingKeySet wraps the provider's key set and fills the sigProbe found in
// the context. It forwards the context unchanged, so go-oidc's pre-parsed
// JWS reaches the RemoteKeySet.
type probingKeySet struct{ inner oidc.KeySet }

func (k probingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.inner.VerifySignature(ctx, jwt)
	if pr, ok := ctx.Value(sigProbeKey{}).(*sigProbe); ok {
		pr.called = true
		pr.payload, pr.err = payload, err
	}
	return payload, err
}
