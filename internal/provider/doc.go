// Package provider describes the identity providers the webex command signs
// in to, and verifies the ID tokens they issue.
//
// There are three kinds: [KindWebex] and [KindWebexGov], Login with Webex with
// static endpoints under an API base, and [KindOIDC], any OpenID Provider
// configured by OpenID Connect Discovery 1.0. Webex's discovery document names
// an IdBroker issuer that differs from the API base, and its ID tokens carry
// an "iss" that varies by data centre, so the Webex kinds accept any issuer
// matching [WebexIssuerPattern] (plus configured patterns) instead.
//
// [Resolve] is the one rule from flags, environment and a profile's saved
// [Settings] to the provider a command uses, and [New] builds it.
// [Provider.VerifyIDToken] checks ID tokens on top of
// github.com/coreos/go-oidc/v3, adding only what go-oidc lacks.
//
// This package must not print, prompt, open browsers, store tokens or run the
// OAuth flows themselves. Errors it returns never contain a token, code,
// nonce or secret.
package provider
