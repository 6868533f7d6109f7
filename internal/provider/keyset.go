package provider

import (
	"context"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keySet is the provider's JWKS (go-oidc's RemoteKeySet, which caches the keys and fetches
// the set again when no cached key verifies a token) with one rule added for a one-shot CLI:
// when the set fetched for a verification is the first one (a cold cache, as in every new
// `webex login` process) and it cannot verify the token, it is fetched once more at once.
// A provider in the middle of a key rotation, or a CDN's stale copy, can serve a first set
// that lacks the new key (OpenID Connect Core §10.1.1); go-oidc alone would give up after
// that first fetch. With a warm cache go-oidc's own single refetch applies.
type keySet struct {
	ctx context.Context // carries the HTTP client (oidc.ClientContext)
	url string

	mu     sync.Mutex
	remote *oidc.RemoteKeySet // nil until the first verification
}

func newKeySet(ctx context.Context, url string) *keySet { return &keySet{ctx: ctx, url: url} }

// VerifySignature implements oidc.KeySet. ctx is passed on unchanged, so go-oidc's
// pre-parsed JWS reaches the RemoteKeySet; when it is done, nothing is fetched again.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	k.mu.Lock()
	remote, cold := k.remote, k.remote == nil
	if cold {
		remote = oidc.NewRemoteKeySet(k.ctx, k.url)
		k.remote = remote
	}
	k.mu.Unlock()
	payload, err := remote.VerifySignature(ctx, jwt)
	if err == nil || !cold || ctx.Err() != nil {
		return payload, err
	}
	// A fresh RemoteKeySet fetches exactly once: the first one may still be settling the
	// fetch it just made, and would hand back that same set.
	remote = oidc.NewRemoteKeySet(k.ctx, k.url)
	payload, err = remote.VerifySignature(ctx, jwt)
	if err == nil {
		k.mu.Lock()
		k.remote = remote
		k.mu.Unlock()
	}
	return payload, err
}
