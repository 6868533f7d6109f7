// Package provider describes the identity providers the webex command signs in to, and
// verifies the ID tokens they issue.
//
// The Webex kinds have static endpoints under an API base and accept any ID token issuer
// matching [WebexIssuerPattern]; an oidc provider is configured by discovery. [Resolve] turns
// flags, environment and a profile's saved [Settings] into the provider a command uses, and
// [New] builds it.
//
// This package never prints, prompts, stores tokens or runs the OAuth flows; its errors never
// contain a token, code, nonce or secret.
package provider
