package provider

import (
	"context"

	"github.com/coreos/go-oidc/v3/oidc"
)

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
