package provider

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/webex-cli/webex/internal/config"
)

// The checks a VerifyError can name.
const (
	CheckMalformed = "malformed" // not a compact JWS, or a claim of the wrong type
	CheckAlg       = "alg"
	CheckSignature = "signature" // no key of the JWKS verifies it, or the JWKS could not be fetched
	CheckIssuer    = "iss"
	CheckSubject   = "sub"
	CheckAudience  = "aud" // "aud" and "azp"
	CheckExpiry    = "exp"
	CheckNotBefore = "nbf"
	CheckIssuedAt  = "iat"
	CheckNonce     = "nonce"
	CheckClaims    = "claims" // any other rejection by go-oidc
)

// ClockSkew is the leeway allowed for "iat" and "nbf" in the future.
const ClockSkew = 5 * time.Minute

// VerifyError reports an ID token that failed a check (a Check constant); Err says why,
// without repeating the token or the nonce.
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
	ClientID string // required
	// Nonce, when set, must equal the token's "nonce"; empty (device flow, refresh) checks none.
	Nonce string
}

// IDToken is a verified ID token's claims. Email and Name are "" when absent; Webex does not
// reliably include them (use UserInfo).
type IDToken struct {
	Issuer   string
	Subject  string
	Audience []string
	Expiry   time.Time
	IssuedAt time.Time
	Nonce    string
	Email    string
	Name     string
}

// VerifyIDToken verifies raw, a compact JWS ID token, as OpenID Connect Core 1.0 §3.1.3.7
// asks. go-oidc checks the signature, the claims' types, "exp" and "nbf"; this method adds
// the algorithm, the issuer rule of the kind, "sub", "aud" with "azp", "iat" and the nonce.
// A failed check returns a *VerifyError naming it.
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
	if !slices.Contains(p.SigningAlgs, alg) {
		return nil, &VerifyError{Check: CheckAlg, Err: fmt.Errorf("algorithm %q is not one the provider signs with (%s)", alg, strings.Join(p.SigningAlgs, ", "))}
	}
	keys := &sigRecorder{KeySet: p.keys}
	tok, err := oidc.NewVerifier("", keys, &oidc.Config{
		SupportedSigningAlgs: p.SigningAlgs,
		SkipIssuerCheck:      true, // checkIssuer applies the rule of the kind
		SkipClientIDCheck:    true, // checkClaims checks aud and azp together
		Now:                  p.now,
	}).Verify(ctx, raw)
	if err != nil {
		return nil, keys.failure(err)
	}
	var all map[string]any
	if err := tok.Claims(&all); err != nil {
		return nil, &VerifyError{Check: CheckMalformed, Err: err}
	}
	out := &IDToken{Issuer: tok.Issuer, Subject: tok.Subject, Audience: tok.Audience, Expiry: tok.Expiry,
		IssuedAt: tok.IssuedAt, Nonce: tok.Nonce}
	out.Email, _ = all["email"].(string)
	out.Name, _ = all["name"].(string)
	azp, _ := all["azp"].(string)
	if err := p.checkClaims(out, azp, v); err != nil {
		return nil, err
	}
	return out, nil
}

// checkIssuer applies the issuer rule of the provider's kind.
func (p *Provider) checkIssuer(iss string) *VerifyError {
	switch {
	case iss == "":
		return &VerifyError{Check: CheckIssuer, Err: errors.New("the token has no issuer")}
	case p.Kind == config.ProviderOIDC && iss != p.Issuer:
		return &VerifyError{Check: CheckIssuer, Err: fmt.Errorf("issuer %q is not the provider's issuer %q", iss, p.Issuer)}
	case p.Kind != config.ProviderOIDC && !slices.ContainsFunc(p.issuerRes, func(re *regexp.Regexp) bool { return re.MatchString(iss) }):
		return &VerifyError{Check: CheckIssuer, Err: fmt.Errorf("issuer %q is not a Webex IdBroker issuer", iss)}
	}
	return nil
}

// checkClaims applies the rules go-oidc lacks, in a fixed order, and returns the first failure.
func (p *Provider) checkClaims(t *IDToken, azp string, v VerifyOptions) *VerifyError {
	fail := func(check, format string, args ...any) *VerifyError {
		return &VerifyError{Check: check, Err: fmt.Errorf(format, args...)}
	}
	if err := p.checkIssuer(t.Issuer); err != nil {
		return err
	}
	switch now := p.now(); {
	case t.Subject == "":
		return fail(CheckSubject, "the token has no subject")
	case !slices.Contains(t.Audience, v.ClientID):
		return fail(CheckAudience, "the token is for %q, not for client %q", t.Audience, v.ClientID)
	case azp == "" && len(t.Audience) > 1:
		return fail(CheckAudience, "the token has several audiences but no authorized party (azp)")
	case azp != "" && azp != v.ClientID:
		return fail(CheckAudience, "the token's authorized party is %q, not client %q", azp, v.ClientID)
	case t.IssuedAt.IsZero():
		return fail(CheckIssuedAt, "the token has no issue time")
	case t.IssuedAt.After(now.Add(ClockSkew)):
		return fail(CheckIssuedAt, "the token was issued in the future (%s); check the system clock", t.IssuedAt.UTC().Format(time.RFC3339))
	case v.Nonce != "" && t.Nonce == "":
		return fail(CheckNonce, "the token has no nonce, but the login sent one")
	case v.Nonce != "" && subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(v.Nonce)) != 1:
		return fail(CheckNonce, "the token's nonce does not match the login's")
	}
	return nil
}

// jwsAlg returns the "alg" header of a compact JWS without verifying anything, so that a
// refused algorithm is named as such.
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

// sigRecorder is the key set of one VerifyIDToken call: it remembers whether the signature
// was checked and how that went, which go-oidc reports only in words.
type sigRecorder struct {
	oidc.KeySet
	called bool
	err    error
}

func (k *sigRecorder) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.KeySet.VerifySignature(ctx, jwt)
	k.called, k.err = true, err
	return payload, err
}

// failure names the check behind a go-oidc rejection: only expiry has a typed error; after a
// good signature go-oidc otherwise names "nbf" or the claims in its messages.
func (k *sigRecorder) failure(err error) *VerifyError {
	var te *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case !k.called:
		return &VerifyError{Check: CheckMalformed, Err: err}
	case k.err != nil:
		return &VerifyError{Check: CheckSignature, Err: k.err}
	case errors.As(err, &te) && te.Expiry.IsZero():
		return &VerifyError{Check: CheckExpiry, Err: errors.New("the token has no expiry")}
	case errors.As(err, &te):
		return &VerifyError{Check: CheckExpiry, Err: fmt.Errorf("the token expired at %s", te.Expiry.UTC().Format(time.RFC3339))}
	case strings.Contains(msg, "nbf"):
		return &VerifyError{Check: CheckNotBefore, Err: fmt.Errorf("the token is not valid before its nbf time (%v)", err)}
	case strings.Contains(msg, "unmarshal claims"):
		return &VerifyError{Check: CheckMalformed, Err: err}
	}
	return &VerifyError{Check: CheckClaims, Err: err}
}

// keySet is the provider's JWKS: every verification fetches the set and, when it cannot
// verify the token, once more (a key rotation or a stale CDN copy). A cached RemoteKeySet
// would refetch on a miss only when no fetch had just finished: timing, not the token.
type keySet struct {
	ctx context.Context // carries the HTTP client (oidc.ClientContext)
	url string
}

// VerifySignature implements oidc.KeySet; ctx passes on go-oidc's pre-parsed JWS.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := oidc.NewRemoteKeySet(k.ctx, k.url).VerifySignature(ctx, jwt)
	if err == nil || ctx.Err() != nil {
		return payload, err
	}
	return oidc.NewRemoteKeySet(k.ctx, k.url).VerifySignature(ctx, jwt)
}
