//go:build linux

package tokenstore

import (
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
	if err := k.Save("work", &Secrets{AccessToken: "at-1"}); err != nil {
		t.Fatal(err)
	}
	backendGets(fk)
	for range 2 {
		if v, err := k.LoadAccessTokenVersion("work", "v1"); err != nil || v != "at-1" {
			t.Fatalf("LoadAccessTokenVersion with the cache off: %v", err)
		}
	}
	if n := backendGets(fk); n != 2 {
		t.Errorf("%d backend reads for 2 loads with the cache off, want 2", n)
	}
}

func TestKernelCacheConcurrent(t *testing.T) {
	c := testKernelCache(t)
	k, _ := cachedKeyring(t, c)
	if err := k.Save("work", &Secrets{AccessToken: "at-1"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			v, err := k.LoadAccessTokenVersion("work", fmt.Sprintf("v%d", i%3))
			if err == nil && v != "at-1" {
				err = fmt.Errorf("wrong token")
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
		t.Error("concurrent use switched the cache off")
	}
}
