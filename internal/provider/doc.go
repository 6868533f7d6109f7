// Package provider describes the identity providers the webex command signs
// in to, and verifies the ID tokens they issue.
//
// It owns three provider kinds:
//
//   - [config.ProviderWebex]: Login with Webex, commercial cloud, with static endpoints
//     under the API base https://webexapis.com/v1;
//   - [config.ProviderWebexGov]: the same paths under https://api-usgov.webex.com/v1;
//   - [config.ProviderOIDC]: any standard OpenID Provider, configured by strict
//     OpenID Connect Discovery 1.0 (issuer + "/.well-known/openid-configuration").
//
// For each it knows the endpoints, the default scopes per login flow, the
// client authentication style, the accepted ID token signing algorithms and
// the issuer rule. Webex's discovery document names an IdBroker issuer that
// differs from the API base and its ID tokens carry an "iss" that varies by
// data centre, so the Webex kinds do not use discovery: they use static
// endpoints and accept any issuer matching [WebexIssuerPattern] (plus
// configurable extra patterns).
//
// [Resolve] is the one rule from flags, environment and a profile's saved
// [Settings] to the provider a command uses, and [New] builds it.
//
// ID token verification (OpenID Connect Core 1.0 §3.1.3.7) is built on
// github.com/coreos/go-oidc/v3: go-oidc parses the JWS, enforces the algorithm
// allow-list, verifies the signature against the provider's JWKS (with key
// rotation handled by its RemoteKeySet, plus one immediate refetch when the
// first set fetched cannot verify the token) and checks the claims' types,
// "exp" and "nbf"; this package adds only what go-oidc lacks: the issuer
// rule, "sub", "aud" with "azp" (several audiences), "iat" and "nonce", and
// reports every failure as a [*VerifyError] naming the check that failed.
//
// This package must not print, prompt, open browsers, store tokens or run the
// OAuth flows themselves; it only describes providers and verifies tokens.
// Errors it returns never contain a token, code, nonce or secret.
package provider
