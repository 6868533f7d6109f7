//go:build linux

package tokenstore

import (
	"errors"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Key permission bits of keyctl_setperm(3) that golang.org/x/sys/unix does
// not define (linux/keyctl.h, include/linux/key.h).
const (
	keyPosAll     = 0x3f000000 // possessor: view, read, write, search, link, setattr
	keyUsrView    = 0x00010000
	keyUsrRead    = 0x00020000
	keyUsrWrite   = 0x00040000
	keyUsrSearch  = 0x00080000
	keyUsrLink    = 0x00100000
	keyUsrSetattr = 0x00200000
)

const (
	// ringPerm: the possessor may do anything, other processes of the same
	// uid may find, read, add to and clear the keyring (they are inside the
	// trust boundary of an unlocked Secret Service anyway); nobody else may
	// do anything.
	ringPerm = keyPosAll | keyUsrView | keyUsrRead | keyUsrWrite | keyUsrSearch | keyUsrLink | keyUsrSetattr
	// tokenPerm: the possessor may do anything, processes of the same uid
	// may find and read the token; nobody else may do anything.
	tokenPerm = keyPosAll | keyUsrView | keyUsrRead | keyUsrSearch
)

// kernelCache is an accessCache in the Linux kernel key retention service
// (keyrings(7)): a keyring "webex:<service>:<folder>" linked into the user keyring
// (@u) holds one "user" key per cached access token, each with a timeout of
// cacheTTL. A hit costs three system calls (find the keyring, find the key,
// read it) and no D-Bus.
//
// Errors are never returned. ENOKEY, EKEYEXPIRED and EKEYREVOKED are misses.
// So is any error met inside a keyring that is no longer the one linked in
// the user keyring: two processes that create the keyring at the same time
// each make one, the later link displaces the earlier keyring, and the loser
// is then refused (EACCES) inside the keyring it still holds. A put retries
// in the current keyring. Any other error (EPERM, EACCES or ENOSYS under a
// seccomp profile that forbids keyctl, EDQUOT when the user's key quota is
// full) switches the cache off for the rest of the process, which then reads
// the OS keyring as if there were no cache. clearAll is tried even then: it
// runs on the rare write paths and must not leave a stale token behind when
// it can help it.
type kernelCache struct {
	ring    string      // description of our keyring: "webex:" + name
	keyType string      // "user"; tests use an invalid type to provoke errors
	ttl     int         // seconds
	off     atomic.Bool // set by the first unexpected error
	// afterFind, when set (tests only), runs once our keyring has been
	// looked up, so a test can displace it at the worst moment.
	afterFind func()
}

// newKernelCache returns the kernel cache in the keyring "webex:" + name.
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

// displaced reports whether ring is no longer our keyring in the user
// keyring: another process replaced or removed it after it was looked up.
func (c *kernelCache) displaced(ring int) bool {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", c.ring, 0)
	if isMiss(err) {
		return true
	}
	return err == nil && id != ring
}

// maxPutTries bounds how often a put starts again after its keyring was
// displaced under it.
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

// failed handles an error met inside ring: a miss, unless it is neither a
// missing key nor explained by a displaced keyring, which switches the cache
// off.
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
	// Displaced every time: a storm of creators. Dropping the entry costs
	// one keyring read later; switching off would cost the whole process.
}

// add caches value under key in our keyring, creating the keyring when
// there is none. It returns the keyring it used (0 when it got none), so
// that put can tell an error caused by a displaced keyring from one that
// will not go away.
func (c *kernelCache) add(key, value string) (int, error) {
	ring, err := c.findRing()
	if err != nil {
		return 0, err
	}
	if ring == 0 {
		// Created with the kernel's default permissions (possessor all, user
		// view), then opened to the user. Two processes racing here each
		// create a keyring; the later link displaces the earlier one, whose
		// keys are then unreachable and freed, and the loser's put starts
		// again in the keyring that won.
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
	// The timeout first: a key must never stay without one. Where even the
	// invalidation is refused, the key sits in a displaced keyring that
	// nothing links, and the kernel frees it with that keyring.
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

// clearAll unlinks every key from our keyring (KEYCTL_CLEAR; the kernel
// frees keys nothing else links) and then invalidates the keyring itself, so
// nothing of the folder is left in the user keyring.
func (c *kernelCache) clearAll() {
	ring, err := c.findRing()
	if err != nil || ring == 0 {
		return
	}
	_, _ = unix.KeyctlInt(unix.KEYCTL_CLEAR, ring, 0, 0, 0)
	_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, ring, 0, 0, 0)
}
