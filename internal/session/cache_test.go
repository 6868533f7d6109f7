package session

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// versionedStore is a tokenstore.Store with a versioned access-token cache in front of it,
// as the keyring has on Linux, but deliberately worse: Save and Delete do NOT clear it, so
// only the version the Manager asks for keeps a refreshed token from being served stale.
type versionedStore struct {
	tokenstore.Store
	mu       sync.Mutex
	cache    map[string]string // profile + "\x00" + version
	versions []string          // versions asked for, in order
	reads    int               // LoadAccessToken calls that reached the store
}

func (v *versionedStore) LoadAccessToken(ctx context.Context, profile, binding, version string) (string, error) {
	v.mu.Lock()
	if version == "" {
		v.reads++
		v.mu.Unlock()
		return v.Store.LoadAccessToken(ctx, profile, binding, "")
	}
	v.versions = append(v.versions, version)
	at, ok := v.cache[profile+"\x00"+version]
	v.mu.Unlock()
	if ok {
		return at, nil
	}
	at, err := v.LoadAccessToken(ctx, profile, binding, "")
	if err != nil {
		return "", err
	}
	v.mu.Lock()
	v.cache[profile+"\x00"+version] = at
	v.mu.Unlock()
	return at, nil
}

func (v *versionedStore) state() (versions []string, reads int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.versions...), v.reads
}

func TestTokenUsesVersionedCache(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	e.login()
	vs := &versionedStore{Store: e.store, cache: map[string]string{}}
	m := e.manager()
	m.OpenStore = func(string) (tokenstore.Store, error) { return vs, nil }
	ctx := context.Background()
	first := e.secrets().AccessToken

	for range 2 {
		tok, err := m.Token(ctx, "default", 0)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != first || tok.Refreshed {
			t.Fatalf("Token: refreshed=%t, want the stored token", tok.Refreshed)
		}
	}
	versions, reads := vs.state()
	if len(versions) != 2 || versions[0] == "" || versions[0] != versions[1] {
		t.Fatalf("versions asked = %q, want the same non-empty version twice", versions)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(versions[0]) {
		t.Errorf("version %q, want 16 lowercase hex digits", versions[0])
	}
	if reads != 1 {
		t.Errorf("the store was read %d times for two fresh tokens of one version, want 1", reads)
	}

	// A refresh (another process, later) stores a new token; the cache still holds the old one
	// under the old version.
	e.clock.Set(e.clock.Now().Add(time.Second))
	ref, err := e.manager().Refresh(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if ref.AccessToken == first {
		t.Fatal("the refresh returned the old token")
	}
	tok, err := m.Token(ctx, "default", 0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != ref.AccessToken {
		t.Error("after a refresh Token returned another token than the refreshed one (the cached old one?)")
	}
	versions, reads = vs.state()
	if len(versions) != 3 || versions[2] == versions[0] {
		t.Errorf("versions asked = %q, want a new version after the refresh", versions)
	}
	if reads != 2 {
		t.Errorf("the store was read %d times, want 2 (once per version)", reads)
	}
}

func TestAccessVersion(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	base := config.Profile{Name: "default", Provider: config.ProviderWebex, BaseURL: "http://127.0.0.1:1/v1",
		ClientID: "C1", AccessIssuedAt: t0, AccessExpiry: t0.Add(time.Hour)}
	v0 := accessVersion(&base)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(v0) {
		t.Fatalf("accessVersion = %q, want 16 lowercase hex digits", v0)
	}
	same := base
	same.AccessIssuedAt = t0.In(time.FixedZone("X", 3600)) // the same instant in another zone
	same.Scopes = []string{"spark:people_read"}            // not part of the version
	if got := accessVersion(&same); got != v0 {
		t.Errorf("the same token in another time zone has version %q, want %q", got, v0)
	}
	tests := []struct {
		name   string
		change func(p *config.Profile)
	}{
		{"refreshed a nanosecond later", func(p *config.Profile) { p.AccessIssuedAt = t0.Add(time.Nanosecond) }},
		{"other expiry", func(p *config.Profile) { p.AccessExpiry = t0.Add(2 * time.Hour) }},
		{"no expiry", func(p *config.Profile) { p.AccessExpiry = time.Time{} }},
		{"other client", func(p *config.Profile) { p.ClientID = "C2" }},
		{"other base URL", func(p *config.Profile) { p.BaseURL = "http://127.0.0.1:2/v1" }},
		{"other provider", func(p *config.Profile) { p.Provider = config.ProviderWebexGov }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.change(&p)
			if got := accessVersion(&p); got == v0 || got == "" {
				t.Errorf("version %q, want one other than %q", got, v0)
			}
		})
	}
	noIssue := base
	noIssue.AccessIssuedAt = time.Time{}
	if got := accessVersion(&noIssue); got != "" {
		t.Errorf("without an issue time the version is %q, want \"\" (no cache)", got)
	}
}
