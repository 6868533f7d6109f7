package tokenstore

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeCache is an in-memory accessCache that counts its calls.
type fakeCache struct {
	mu               sync.Mutex
	items            map[string]string
	gets, puts, clrs int
}

func newFakeCache() *fakeCache { return &fakeCache{items: map[string]string{}} }

func (f *fakeCache) get(key string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	v, ok := f.items[key]
	return v, ok
}

func (f *fakeCache) put(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if cacheable(value) {
		f.items[key] = value
	}
}

func (f *fakeCache) clearAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clrs++
	clear(f.items)
}

func (f *fakeCache) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items)
}

func TestKeyringCacheDefaults(t *testing.T) {
	if k := NewKeyring(testFolder, newFakeKeyring(), 0); k.cache != nil {
		t.Error("a Keyring with its own backend has a cache; it must not touch the user's real cache")
	}
	k := NewKeyring(testFolder, nil, 0)
	if (k.cache != nil) != (runtime.GOOS == "linux") {
		t.Errorf("the OS keyring on %s has cache=%t, want it on Linux only", runtime.GOOS, k.cache != nil)
	}
}

func TestCacheKey(t *testing.T) {
	tests := []struct {
		version string
		want    string
		ok      bool
	}{
		{"0123456789abcdef", "access:work:0123456789abcdef", true},
		{"A-b_c.9", "access:work:A-b_c.9", true},
		{strings.Repeat("a", maxVersionLen), "access:work:" + strings.Repeat("a", maxVersionLen), true},
		{"", "", false},
		{strings.Repeat("a", maxVersionLen+1), "", false},
		{"a:b", "", false},
		{"a b", "", false},
		{"é", "", false},
		{"a\x00", "", false},
	}
	for _, tt := range tests {
		got, ok := cacheKey("work", tt.version)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cacheKey(work, %q) = %q, %t; want %q, %t", tt.version, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCacheable(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want bool
	}{{0, false}, {1, true}, {maxCachedBytes, true}, {maxCachedBytes + 1, false}} {
		if got := cacheable(strings.Repeat("x", tt.n)); got != tt.want {
			t.Errorf("cacheable(%d bytes) = %t, want %t", tt.n, got, tt.want)
		}
	}
}

// cachedKeyring is a Keyring over a counting fake backend with cache c.
func cachedKeyring(t *testing.T, c accessCache) (*Keyring, *fakeKeyring) {
	t.Helper()
	fk := newFakeKeyring()
	k := NewKeyring(testFolder, fk, 0)
	k.cache = c
	return k, fk
}

// backendGets is how many Gets the backend saw since the last call.
func backendGets(fk *fakeKeyring) int {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	n := fk.gets
	fk.gets = 0
	return n
}

// testVersionedAccess runs the behaviour every accessCache must give a Keyring.
func testVersionedAccess(t *testing.T, newCache func(t *testing.T) accessCache) {
	ld := func(t *testing.T, k *Keyring, version string) string {
		t.Helper()
		v, err := k.LoadAccessToken(context.Background(), "work", "", version)
		if err != nil {
			t.Fatalf("LoadAccessToken(work, %s): %v", version, err)
		}
		return v
	}
	save := func(t *testing.T, k *Keyring, at string) {
		t.Helper()
		if err := k.Save(context.Background(), "work", &Secrets{AccessToken: at, RefreshToken: "rt"}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one version, one backend read", func(t *testing.T) {
		k, fk := cachedKeyring(t, newCache(t))
		save(t, k, "at-1")
		backendGets(fk)
		for range 3 {
			if got := ld(t, k, "v1"); got != "at-1" {
				t.Fatal("wrong token")
			}
		}
		if n := backendGets(fk); n != 1 {
			t.Errorf("3 loads of one version made %d backend reads, want 1", n)
		}
		if got := ld(t, k, "v2"); got != "at-1" {
			t.Fatal("wrong token")
		}
		if n := backendGets(fk); n != 1 {
			t.Errorf("a new version made %d backend reads, want 1", n)
		}
	})

	t.Run("save clears", func(t *testing.T) {
		k, fk := cachedKeyring(t, newCache(t))
		save(t, k, "at-1")
		ld(t, k, "v1")
		save(t, k, "at-2")
		backendGets(fk)
		// Even under the old version (a reader that read the settings before the save), the
		// next load reads the backend and gets the new token.
		if got := ld(t, k, "v1"); got != "at-2" {
			t.Error("after Save the old cached token came back")
		}
		if n := backendGets(fk); n != 1 {
			t.Errorf("%d backend reads after Save, want 1", n)
		}
	})

	t.Run("delete clears", func(t *testing.T) {
		k, _ := cachedKeyring(t, newCache(t))
		save(t, k, "at-1")
		ld(t, k, "v1")
		if err := k.Delete(context.Background(), "work"); err != nil {
			t.Fatal(err)
		}
		if _, err := k.LoadAccessToken(context.Background(), "work", "", "v1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after Delete: %v, want ErrNotFound", err)
		}
	})

	t.Run("failed save still clears", func(t *testing.T) {
		k, fk := cachedKeyring(t, newCache(t))
		save(t, k, "at-1")
		ld(t, k, "v1")
		fk.mu.Lock()
		fk.failAll = errors.New("dbus: gone")
		fk.mu.Unlock()
		if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "at-2"}); err == nil {
			t.Fatal("Save with a failing backend succeeded")
		}
		if _, err := k.LoadAccessToken(context.Background(), "work", "", "v1"); err == nil {
			t.Error("after a failed Save the cached token was served")
		}
	})

	t.Run("oversized not cached", func(t *testing.T) {
		k, fk := cachedKeyring(t, newCache(t))
		big := strings.Repeat("b", maxCachedBytes+1)
		save(t, k, big)
		for range 2 {
			if got := ld(t, k, "v1"); got != big {
				t.Fatal("wrong token")
			}
		}
		backendGets(fk)
		ld(t, k, "v1")
		if n := backendGets(fk); n == 0 {
			t.Error("an access token over 4 KiB was served from the cache")
		}
	})

	t.Run("unusable version bypasses the cache", func(t *testing.T) {
		k, fk := cachedKeyring(t, newCache(t))
		save(t, k, "at-1")
		backendGets(fk)
		for _, v := range []string{"", "a:b", strings.Repeat("x", 65)} {
			if got := ld(t, k, v); got != "at-1" {
				t.Fatal("wrong token")
			}
		}
		if n := backendGets(fk); n != 3 {
			t.Errorf("%d backend reads for 3 unusable versions, want 3", n)
		}
	})

	t.Run("missing token", func(t *testing.T) {
		k, _ := cachedKeyring(t, newCache(t))
		if _, err := k.LoadAccessToken(context.Background(), "work", "", "v1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("nothing stored: %v, want ErrNotFound", err)
		}
		if _, err := k.LoadAccessToken(context.Background(), "../x", "", "v1"); err == nil {
			t.Error("an invalid profile name was accepted")
		}
	})
}

func TestVersionedAccessFakeCache(t *testing.T) {
	testVersionedAccess(t, func(*testing.T) accessCache { return newFakeCache() })
}

func TestVersionedAccessWithoutCache(t *testing.T) {
	k := NewKeyring(testFolder, newFakeKeyring(), 0)
	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "at"}); err != nil {
		t.Fatal(err)
	}
	if v, err := k.LoadAccessToken(context.Background(), "work", "", "v1"); err != nil || v != "at" {
		t.Fatalf("LoadAccessToken = %v", err)
	}
	var _ Store = k
}

func TestEmptyValueNotCached(t *testing.T) {
	// The backend holds an empty access token (an old store): ErrNotFound, nothing cached.
	fc := newFakeCache()
	k, fk := cachedKeyring(t, fc)
	fk.items[key(KeyringService, "work/access")] = inlineMark
	if _, err := k.LoadAccessToken(context.Background(), "work", "", "v1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty access token: %v, want ErrNotFound", err)
	}
	if fc.len() != 0 {
		t.Error("an empty access token was cached")
	}
}

// A token refused for its binding is not cached: the next reader under the
// same version reads the keyring again and is refused again.
func TestCacheKeepsNoTokenOfAnotherLogin(t *testing.T) {
	c := newFakeCache()
	k, _ := cachedKeyring(t, c)
	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "AT-OTHER", Binding: "other"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if at, err := k.LoadAccessToken(context.Background(), "work", "mine", "v1"); !errors.Is(err, ErrOtherLogin) || at != "" {
			t.Fatalf("LoadAccessToken = %v, want ErrOtherLogin", err)
		}
	}
	if c.len() != 0 {
		t.Fatal("a token of another login was cached")
	}
}
