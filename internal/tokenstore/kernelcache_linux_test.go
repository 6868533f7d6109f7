//go:build linux

package tokenstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// testKernelCache returns a kernel cache of a service of its own, removed at the end of the
// test. Where keyctl is forbidden (a seccomp profile), the test is skipped.
func testKernelCache(t *testing.T) *kernelCache {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	c := newKernelCache("webex-test-" + hex.EncodeToString(b[:])).(*kernelCache)
	t.Cleanup(c.clearAll)
	c.put("probe", "x")
	if _, ok := c.get("probe"); !ok || c.off.Load() {
		t.Skip("keyctl does not work here (seccomp?); the cache would switch itself off")
	}
	c.clearAll()
	return c
}

func TestVersionedAccessKernelCache(t *testing.T) {
	testVersionedAccess(t, func(t *testing.T) accessCache { return testKernelCache(t) })
}

// describe returns the type, permissions and description of a key (KEYCTL_DESCRIBE).
func describe(t *testing.T, id int) (typ string, perm uint64, desc string) {
	t.Helper()
	s, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		t.Fatalf("describe key %d: %v", id, err)
	}
	f := strings.SplitN(s, ";", 5)
	if len(f) != 5 {
		t.Fatalf("describe key %d: %q", id, s)
	}
	perm, err = strconv.ParseUint(f[3], 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return f[0], perm, f[4]
}

func TestKernelCacheLayout(t *testing.T) {
	c := testKernelCache(t)
	c.put("access:work:v1", "at-1")
	ring, err := c.findRing()
	if err != nil || ring == 0 {
		t.Fatalf("no keyring %q after put: %v", c.ring, err)
	}
	if typ, perm, desc := describe(t, ring); typ != "keyring" || perm != ringPerm || desc != c.ring {
		t.Errorf("keyring: %s %08x %q, want keyring %08x %q", typ, perm, desc, uint32(ringPerm), c.ring)
	}
	id, err := unix.KeyctlSearch(ring, "user", "access:work:v1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if typ, perm, desc := describe(t, id); typ != "user" || perm != tokenPerm || desc != "access:work:v1" {
		t.Errorf("token key: %s %08x %q, want user %08x access:work:v1", typ, perm, desc, uint32(tokenPerm))
	}
	// /proc/keys shows the timeout ("perm" means none).
	if raw, err := os.ReadFile("/proc/keys"); err == nil {
		found := false
		for _, line := range strings.Split(string(raw), "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && f[0] == fmt.Sprintf("%08x", id) {
				found = true
				if f[3] == "perm" {
					t.Errorf("the cached token has no timeout: %s", line)
				}
			}
		}
		if !found {
			t.Logf("key %08x not in /proc/keys", id)
		}
	}

	// Put again under the same key: updated in place.
	c.put("access:work:v1", "at-2")
	if v, ok := c.get("access:work:v1"); !ok || v != "at-2" {
		t.Errorf("after a second put: hit=%t", ok)
	}

	// clearAll leaves nothing of the service in the user keyring.
	c.clearAll()
	if r, err := c.findRing(); err != nil || r != 0 {
		t.Errorf("after clearAll the keyring is still found (%d, %v)", r, err)
	}
	if _, ok := c.get("access:work:v1"); ok {
		t.Error("a token survived clearAll")
	}
	if c.off.Load() {
		t.Error("the cache switched itself off on an ordinary miss")
	}
}

func TestKernelCacheSizes(t *testing.T) {
	c := testKernelCache(t)
	c.put("access:work:empty", "")
	if _, ok := c.get("access:work:empty"); ok {
		t.Error("an empty value was cached")
	}
	c.put("access:work:big", strings.Repeat("b", maxCachedBytes+1))
	if _, ok := c.get("access:work:big"); ok {
		t.Error("a value over 4 KiB was cached")
	}
	full := strings.Repeat("f", maxCachedBytes)
	c.put("access:work:full", full)
	if v, ok := c.get("access:work:full"); !ok || v != full {
		t.Errorf("a value of exactly 4 KiB: hit=%t len=%d", ok, len(v))
	}
}

func TestKernelCacheSwitchesOffOnError(t *testing.T) {
	c := testKernelCache(t)
	// The kernel refuses key types that start with a dot (EPERM), as a seccomp profile would
	// refuse keyctl.
	c.keyType = ".webex-test"
	c.put("access:work:v1", "at-1")
	if !c.off.Load() {
		t.Fatal("an EPERM from add_key did not switch the cache off")
	}
	if _, ok := c.get("access:work:v1"); ok {
		t.Error("a switched-off cache returned a value")
	}

	// A Keyring whose cache is off answers from the backend, every time.
	k, fk := cachedKeyring(t, c)
	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "at-1"}); err != nil {
		t.Fatal(err)
	}
	backendGets(fk)
	for range 2 {
		if v, err := k.LoadAccessToken(context.Background(), "work", "", "v1"); err != nil || v != "at-1" {
			t.Fatalf("LoadAccessToken with the cache off: %v", err)
		}
	}
	if n := backendGets(fk); n != 2 {
		t.Errorf("%d backend reads for 2 loads with the cache off, want 2", n)
	}
}

// TestKernelCacheConcurrent starts from an empty cache many times, so that goroutines race to
// create the keyring, as processes do after a save clears it.
func TestKernelCacheConcurrent(t *testing.T) {
	c := testKernelCache(t)
	k, _ := cachedKeyring(t, c)
	for round := range 20 {
		token := fmt.Sprintf("at-%d", round)
		if err := k.Save(context.Background(), "work", &Secrets{AccessToken: token}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				v, err := k.LoadAccessToken(context.Background(), "work", "", fmt.Sprintf("r%dv%d", round, i%3))
				if err == nil && v != token {
					err = fmt.Errorf("round %d: got %q, want %q", round, v, token)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if c.off.Load() {
			t.Fatalf("round %d: concurrent use switched the cache off", round)
		}
	}
}

// displaceOnce makes c's next keyring lookup be followed by what another process does when it
// found no keyring a moment earlier: it creates one, whose link displaces ours. With open, the
// new keyring gets our permissions, as the other process sets them next.
func displaceOnce(t *testing.T, c *kernelCache, open bool) {
	t.Helper()
	c.afterFind = func() {
		c.afterFind = nil
		ring, err := unix.AddKey("keyring", c.ring, nil, unix.KEY_SPEC_USER_KEYRING)
		if err != nil {
			t.Errorf("displace the keyring: %v", err)
			return
		}
		if open {
			if err := unix.KeyctlSetperm(ring, ringPerm); err != nil {
				t.Errorf("open the new keyring: %v", err)
			}
		}
	}
}

func TestKernelCachePutIntoDisplacedKeyring(t *testing.T) {
	c := testKernelCache(t)
	c.put("access:work:v0", "at-0")
	old, err := c.findRing()
	if err != nil || old == 0 {
		t.Fatalf("no keyring after put: %v", err)
	}
	// The put finds the old keyring, which is displaced before it adds its key there: the
	// kernel then refuses to set the timeout of a key nobody possesses.
	displaceOnce(t, c, true)
	c.put("access:work:v1", "at-1")
	if c.off.Load() {
		t.Fatal("a displaced keyring switched the cache off")
	}
	if c.afterFind != nil {
		t.Fatal("the keyring was never displaced")
	}
	cur, err := c.findRing()
	if err != nil || cur == 0 || cur == old {
		t.Fatalf("keyring after the displacement: %d (old %d), %v", cur, old, err)
	}
	if v, ok := c.get("access:work:v1"); !ok || v != "at-1" {
		t.Errorf("the put did not land in the current keyring: hit=%t", ok)
	}
	if _, err := unix.KeyctlSearch(cur, "user", "access:work:v1", 0); err != nil {
		t.Errorf("the token is not in the current keyring: %v", err)
	}
}

func TestKernelCacheGetFromDisplacedKeyring(t *testing.T) {
	c := testKernelCache(t)
	// A keyring just created by another process, which has not opened it to the user yet:
	// only its possessors may search it.
	if _, err := unix.AddKey("keyring", c.ring, nil, unix.KEY_SPEC_USER_KEYRING); err != nil {
		t.Fatal(err)
	}
	displaceOnce(t, c, false)
	if _, ok := c.get("access:work:v1"); ok {
		t.Fatal("a hit in an empty keyring")
	}
	if c.afterFind != nil {
		t.Fatal("the keyring was never displaced")
	}
	if c.off.Load() {
		t.Fatal("a get in a displaced keyring switched the cache off")
	}
	c.put("access:work:v1", "at-1")
	if v, ok := c.get("access:work:v1"); !ok || v != "at-1" || c.off.Load() {
		t.Errorf("after the displacement: hit=%t off=%t", ok, c.off.Load())
	}
}

func TestKernelCacheGetErrorSwitchesOff(t *testing.T) {
	c := testKernelCache(t)
	c.put("access:work:v1", "at-1")
	// An error in a keyring that is still ours is not a displacement.
	c.keyType = ".webex-test"
	if _, ok := c.get("access:work:v1"); ok {
		t.Fatal("a hit with an invalid key type")
	}
	if !c.off.Load() {
		t.Error("an error in the current keyring did not switch the cache off")
	}
}
