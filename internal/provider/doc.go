// Package provider describes the identity providers the webex command signs in to, and
// verifies the ID tokens they issue.
//
// The Webex kinds have static endpoints under an API base; an oidc provider is configured by
// OpenID Connect Discovery. Webex's ID tokens carry an "iss" that varies by data centre, so
// the Webex kinds accept any issuer matching [WebexIssuerPattern] (plus configured patterns).
// [Resolve] turns flags, environment and a profile's saved [Settings] into the provider a
// command uses, and [New] builds it. [Provider.VerifyIDToken] adds to go-oidc only what it
// lacks.
//
// This package never prints, prompts, stores tokens or runs the OAuth flows; its errors never
// contain a token, code, nonce or secret.
package provider
