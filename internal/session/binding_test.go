package session

import (
	"context"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// TestEveryReadRefusesSecretsOfAnotherLogin: secrets bound to other settings than the
// profile's are refused by every read, not only by a refresh: Token with a fresh access token
// (with and without a cache in front of the store), Stored, and Refresh all say "login
// required", and nothing is sent.
func TestEveryReadRefusesSecretsOfAnotherLogin(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	e.login()
	sec := e.secrets()
	other := *e.profile()
	other.BaseURL = "http://127.0.0.1:1/v1"
	sec.Binding = other.Binding()
	if err := e.store.Save(context.Background(), "default", sec); err != nil {
		t.Fatal(err)
	}
	cached := e.manager()
	vs := &versionedStore{Store: e.store, cache: map[string]string{}}
	cached.OpenStore = func(string) (tokenstore.Store, error) { return vs, nil }
	ctx := context.Background()
	reads := map[string]func() error{
		"Token":          func() error { _, err := e.manager().Token(ctx, "default", 0); return err },
		"Token (cached)": func() error { _, err := cached.Token(ctx, "default", 0); return err },
		"Stored":         func() error { _, _, err := e.manager().Stored(context.Background(), "default"); return err },
		"Refresh":        func() error { _, err := e.manager().Refresh(ctx, "default"); return err },
	}
	for name, read := range reads {
		if lr := wantLoginRequired(t, read()); lr.Reason != errOtherLogin {
			t.Errorf("%s: reason %q", name, lr.Reason)
		}
	}
	if n := e.requests.Load(); n != 0 {
		t.Errorf("%d requests sent with the secrets of another login, want none", n)
	}
}
