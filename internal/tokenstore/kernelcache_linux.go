//go:build linux

package tokenstore

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Key permissions of keyctl_setperm(3) (include/linux/key.h), which golang.org/x/sys/unix
// does not define: the possessor may do anything (0x3f000000); processes of the same uid,
// inside the trust boundary of an unlocked Secret Service anyway, may find, read, add to and
// clear the keyring (0x003f0000: view, read, write, search, link, setattr) and find and read
// a token (0x000b0000: view, read, search).
const (
	ringPerm  = 0x3f000000 | 0x003f0000
	tokenPerm = 0x3f000000 | 0x000b0000
)

// kernelCache is the accessCache in the kernel key retention service the package doc
// describes; a hit costs three system calls and no D-Bus.
//
// Misses are ENOKEY, EKEYEXPIRED, EKEYREVOKED and any error inside a keyring no longer linked
// in @u: of two processes creating it at once, the later link displaces the other, whose
// owner is then refused (EACCES) inside it; a put retries in the current one. Any other error
// (seccomp, a full quota) switches the cache off, but clearAll is tried even then, so as not
// to leave a stale token behind.
type kernelCache struct {
	ring    string      // description of our keyring: "webex:" + name
	keyType string      // "user"; tests use an invalid type to provoke errors
	ttl     int         // seconds
	off     atomic.Bool // set by the first unexpected error
	// afterFind (tests only) runs once our keyring was looked up, to displace it then.
	afterFind func()
}

func newKernelCache(name string) accessCache {
	return &kernelCache{ring: "webex:" + name, keyType: "user", ttl: int(cacheTTL.Seconds())}
}

// isMiss reports keyctl errors that mean "not there (any more)".
func isMiss(err error) bool {
	return errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED)
}

// findRing returns the id of our keyring, or 0 when there is none.
func (c *kernelCache) findRing() (int, error) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", c.ring, 0)
	if isMiss(err) {
		id, err = 0, nil
	}
	if c.afterFind != nil && err == nil {
		c.afterFind()
	}
	return id, err
}

// displaced reports whether another process replaced or removed ring since it was looked up.
func (c *kernelCache) displaced(ring int) bool {
	id, err := c.findRing()
	return err == nil && id != ring
}

// maxPutTries bounds how often a put starts again in a displaced keyring.
const maxPutTries = 3

func (c *kernelCache) get(key string) (string, bool) {
	if c.off.Load() {
		return "", false
	}
	ring, err := c.findRing()
	if err != nil {
		c.off.Store(true)
		return "", false
	}
	if ring == 0 {
		return "", false
	}
	id, err := unix.KeyctlSearch(ring, c.keyType, key, 0)
	if err != nil {
		c.failed(ring, err)
		return "", false
	}
	buf := make([]byte, maxCachedBytes)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil {
		c.failed(ring, err)
		return "", false
	}
	if n <= 0 || n > len(buf) {
		return "", false // empty or larger than anything put: not ours
	}
	v := string(buf[:n])
	clear(buf)
	return v, true
}

// failed handles an error inside ring: a miss, or, unless the key is missing or ring was
// displaced, the cache switching off.
func (c *kernelCache) failed(ring int, err error) {
	if !isMiss(err) && !c.displaced(ring) {
		c.off.Store(true)
	}
}

func (c *kernelCache) put(key, value string) {
	if c.off.Load() || !cacheable(value) {
		return
	}
	for range maxPutTries {
		ring, err := c.add(key, value)
		if err == nil {
			return
		}
		if ring == 0 || !c.displaced(ring) {
			c.off.Store(true)
			return
		}
	}
	// Displaced every time, by a storm of creators: drop the entry, but keep the cache.
}

// add caches value under key in our keyring, creating it when there is none, and returns the
// keyring it used (0 for none), so that put can tell an error of a displaced keyring.
func (c *kernelCache) add(key, value string) (int, error) {
	ring, err := c.findRing()
	if err != nil {
		return 0, err
	}
	if ring == 0 {
		// Created with the kernel's default permissions, then opened to the user. Of two
		// processes racing here, the later link wins; the other keyring's keys are freed.
		if ring, err = unix.AddKey("keyring", c.ring, nil, unix.KEY_SPEC_USER_KEYRING); err != nil {
			return 0, err
		}
		if err := unix.KeyctlSetperm(ring, ringPerm); err != nil {
			_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, ring, 0, 0, 0)
			return ring, err
		}
	}
	payload := []byte(value)
	id, err := unix.AddKey(c.keyType, key, payload, ring)
	clear(payload)
	if err != nil {
		return ring, err
	}
	// The timeout first: a key must never stay without one. Where even the invalidation is
	// refused, the key sits in a displaced keyring the kernel frees.
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, c.ttl, 0, 0); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return ring, err
	}
	if err := unix.KeyctlSetperm(id, tokenPerm); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return ring, err
	}
	return ring, nil
}

// clearAll unlinks every key of our keyring and invalidates the keyring itself.
func (c *kernelCache) clearAll() {
	ring, err := c.findRing()
	if err != nil || ring == 0 {
		return
	}
	_, _ = unix.KeyctlInt(unix.KEYCTL_CLEAR, ring, 0, 0, 0)
	_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, ring, 0, 0, 0)
}
