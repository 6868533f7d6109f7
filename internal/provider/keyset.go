package provider

import (
	"context"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keySet is the provider's JWKS for a one-shot CLI: every verification fetches the set with
// go-oidc's RemoteKeySet and, when that set cannot verify the token, fetches it once more at
// once, since a provider in the middle of a key rotation or a CDN's stale copy can serve a
// first set without the new key (OpenID Connect Core §10.1.1). Nothing is cached across
// verifications: a warm RemoteKeySet refetches on a miss only when no fetch of its own has
// just finished, which would make the count of fetches depend on timing.
type keySet struct {
	ctx context.Context // carries the HTTP client (oidc.ClientContext)
	url string
}

func newKeySet(ctx context.Context, url string) *keySet { return &keySet{ctx: ctx, url: url} }

// VerifySignature implements oidc.KeySet. ctx is passed on unchanged, so go-oidc's
// pre-parsed JWS reaches the RemoteKeySet; when it is done, nothing is fetched again.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := oidc.NewRemoteKeySet(k.ctx, k.url).VerifySignature(ctx, jwt)
	if err == nil || ctx.Err() != nil {
		return payload, err
	}
	return oidc.NewRemoteKeySet(k.ctx, k.url).VerifySignature(ctx, jwt)
}
