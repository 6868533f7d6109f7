package tokenstore

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	gokeyring "github.com/zalando/go-keyring"
)

// windowsLimit is Windows Credential Manager's limit on one credential blob.
const windowsLimit = 2560

// testFolder is the config folder of the tests' keyrings.
const testFolder = "/webex-test"

// item is the full name of item (such as "work/access") of testFolder.
func item(name string) string { return folderNamespace(testFolder) + "/" + name }

// itemNames is item of each name.
func itemNames(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = item(n)
	}
	return out
}

// fakeKeyring is an in-memory Backend that behaves like go-keyring on
// Windows: missing items give keyring.ErrNotFound, items over 2560 bytes
// give keyring.ErrSetDataTooBig. It counts calls and can run a hook before
// each Get (to interleave a concurrent writer).
type fakeKeyring struct {
	mu      sync.Mutex
	items   map[string]string // service + "\x00" + user
	gets    int
	sets    int
	dels    int
	beforeG func(user string)
	failAll error
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{items: map[string]string{}} }

func key(service, user string) string { return service + "\x00" + user }

func (f *fakeKeyring) Get(service, user string) (string, error) {
	f.mu.Lock()
	hook := f.beforeG
	f.mu.Unlock()
	if hook != nil {
		hook(user)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.failAll != nil {
		return "", f.failAll
	}
	v, ok := f.items[key(service, user)]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets++
	if f.failAll != nil {
		return f.failAll
	}
	if len(password) > windowsLimit {
		return gokeyring.ErrSetDataTooBig
	}
	f.items[key(service, user)] = password
	return nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dels++
	if f.failAll != nil {
		return f.failAll
	}
	k := key(service, user)
	if _, ok := f.items[k]; !ok {
		return gokeyring.ErrNotFound
	}
	delete(f.items, k)
	return nil
}

// users lists the stored users of service, sorted.
func (f *fakeKeyring) users(service string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.items {
		if s, u, _ := strings.Cut(k, "\x00"); s == service {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

func (f *fakeKeyring) resetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets, f.sets, f.dels = 0, 0, 0
}

func (f *fakeKeyring) counts() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("get=%d set=%d del=%d", f.gets, f.sets, f.dels)
}

// hungKeyring never answers until release is closed, like a Secret Service
// stuck behind an unlock prompt nobody will see.
type hungKeyring struct{ release chan struct{} }

func (h hungKeyring) Get(string, string) (string, error) {
	<-h.release
	return "", gokeyring.ErrNotFound
}
func (h hungKeyring) Set(string, string, string) error { <-h.release; return nil }
func (h hungKeyring) Delete(string, string) error      { <-h.release; return nil }

// withService moves k to a service name of its own, with the cache that goes with it, so that
// tests on the real keyring keep to their own.
func withService(k *Keyring, name string) *Keyring {
	k.service = name
	if k.cache != nil {
		k.cache = newKernelCache(name + ":" + k.ns)
	}
	return k
}

// isUnavailable reports an error that says the keyring cannot be used.
func isUnavailable(err error) bool {
	var ke *KeyringError
	return errors.As(err, &ke)
}
