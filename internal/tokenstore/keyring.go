package tokenstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/webex-cli/webex/internal/config"
)

const (
	// KeyringService is the keyring service name under which all items live.
	KeyringService = "webex"
	// DefaultKeyringTimeout bounds every single keyring call.
	DefaultKeyringTimeout = 5 * time.Second
	// ChunkSize is the largest payload of one keyring item: Windows Credential Manager takes
	// 2560 bytes per credential and macOS about 3000 for service, account and password.
	ChunkSize = 2000
	maxChunks = 64 // 128 KB, so a damaged header cannot loop a reader
	// readAttempts is how often a reader retries a chunked value a concurrent Save changed.
	readAttempts = 3
)

// Keyring items, <ns> being the config folder's namespace (folderNamespace):
//
//	<ns>/<profile>/access          header of "<binding>:<access token>"
//	<ns>/<profile>/rest            header of a JSON object with the other secrets (and the binding)
//	<ns>/<profile>/<field>.<s><i>  chunk i (0-based) of field in slot s ("a"|"b")
//
// Older versions kept the items without "<ns>/"; they are never read, and Delete removes them.
//
// A header is "v1=" and the value when it fits in ChunkSize bytes, else
// "v1#<slot>:<count>:<hash>" (16 hex digits of the value's SHA-256). A chunked value goes into
// the slot the header does not point at, header last, and the old slot is removed afterwards;
// a reader racing a writer sees a missing chunk or a wrong hash and reads the header again.
const (
	fieldAccess = "access"
	fieldRest   = "rest"
	inlineMark  = "v1="
	chunkMark   = "v1#"
)

// Backend is the raw keyring, go-keyring's three functions; a missing item is an error
// matching go-keyring's ErrNotFound or this package's.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// systemBackend is go-keyring's OS keyring: Secret Service over D-Bus on Linux and BSD,
// Keychain on macOS, Credential Manager on Windows.
type systemBackend struct{}

func (systemBackend) Get(service, user string) (string, error) { return gokeyring.Get(service, user) }
func (systemBackend) Set(service, user, password string) error {
	return gokeyring.Set(service, user, password)
}
func (systemBackend) Delete(service, user string) error { return gokeyring.Delete(service, user) }

// Keyring is a Store in the OS keyring for the profiles of one config folder. A backend call
// that does not answer within the timeout is abandoned (a *KeyringError), so a Secret Service
// that never answers cannot hang the command.
type Keyring struct {
	backend Backend
	service string
	ns      string // folderNamespace of the config folder
	timeout time.Duration
	cache   accessCache // nil for none
}

// NewKeyring returns a Keyring for the config folder configDir, an absolute path, whose items
// are named after a hash of the folder, so two folders never touch each other's secrets. A nil
// b is the OS keyring, the only one with the kernel cache, so that tests never read or clear
// the user's; a timeout of 0 is DefaultKeyringTimeout.
func NewKeyring(configDir string, b Backend, timeout time.Duration) *Keyring {
	k := &Keyring{backend: b, service: KeyringService, ns: folderNamespace(configDir), timeout: cmp.Or(timeout, DefaultKeyringTimeout)}
	if b == nil {
		k.backend, k.cache = systemBackend{}, newKernelCache(k.service+":"+k.ns)
	}
	return k
}

// folderNamespace names a config folder in item names: 16 hex digits of a SHA-256 of its path.
func folderNamespace(configDir string) string {
	return shortHash("webex-folder-v1\x00" + filepath.Clean(configDir))
}

// items is the prefix of profile's items.
func (k *Keyring) items(profile string) string { return k.ns + "/" + profile }

// KeyringError is every error that means the OS keyring cannot be used: it failed or did not
// answer. It wraps the backend's error, if any; its hint does not assume the command has
// --storage.
type KeyringError struct {
	Op      string        // what was being done, e.g. `reading "work/access"`
	Timeout time.Duration // set when the keyring did not answer within it
	Err     error         // the backend's or the context's error; nil on timeout
}

const storageHint = "to keep the tokens in a 0600 file under the config directory instead, log in with --storage file (or WEBEX_STORAGE=file)"

func (e *KeyringError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("the system keyring did not answer within %s while %s (is the keyring service running and unlocked?); %s",
			e.Timeout, e.Op, storageHint)
	}
	return fmt.Sprintf("the system keyring failed while %s: %v; %s", e.Op, e.Err, storageHint)
}

func (e *KeyringError) Unwrap() error { return e.Err }

func isNotFound(err error) bool {
	return errors.Is(err, gokeyring.ErrNotFound) || errors.Is(err, ErrNotFound)
}

// call runs fn with the timeout. Not-found errors come back as they are, any other failure as
// a *KeyringError.
func (k *Keyring) call(ctx context.Context, op string, fn func() error) error {
	done := make(chan error, 1) // buffered: an abandoned fn can still finish
	go func() { done <- fn() }()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil || isNotFound(err) {
			return err
		}
		return &KeyringError{Op: op, Err: err}
	case <-timer.C:
		return &KeyringError{Op: op, Timeout: k.timeout}
	case <-ctx.Done():
		return &KeyringError{Op: op, Err: ctx.Err()}
	}
}

func (k *Keyring) get(ctx context.Context, user string) (string, error) {
	var v string
	err := k.call(ctx, fmt.Sprintf("reading %q", user), func() (err error) {
		v, err = k.backend.Get(k.service, user)
		return err
	})
	if err != nil {
		return "", err // v may still be written by an abandoned call
	}
	return v, nil
}

func (k *Keyring) set(ctx context.Context, user, value string) error {
	return k.call(ctx, fmt.Sprintf("writing %q", user), func() error {
		return k.backend.Set(k.service, user, value)
	})
}

// del deletes an item; a missing item is not an error.
func (k *Keyring) del(ctx context.Context, user string) (found bool, err error) {
	err = k.call(ctx, fmt.Sprintf("deleting %q", user), func() error {
		return k.backend.Delete(k.service, user)
	})
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// Load implements Store: two header reads, plus chunks for large values.
func (k *Keyring) Load(ctx context.Context, profile, binding string) (*Secrets, error) {
	if err := config.ValidateName(profile); err != nil {
		return nil, err
	}
	accessBinding, access, haveAccess, err := k.readAccess(ctx, profile)
	if err != nil {
		return nil, err
	}
	rest, haveRest, err := k.readValue(ctx, k.items(profile), fieldRest)
	if err != nil {
		return nil, err
	}
	if !haveAccess && !haveRest {
		return nil, fmt.Errorf("profile %q: %w", profile, ErrNotFound)
	}
	s := &Secrets{}
	if haveRest {
		if s, err = parseSecrets([]byte(rest)); err != nil {
			return nil, fmt.Errorf("keyring item %q: %w (run `webex login` again)", k.items(profile)+"/"+fieldRest, err)
		}
	}
	for _, b := range []string{accessBinding, s.Binding} {
		if err := checkBinding(profile, b, binding); err != nil {
			return nil, err
		}
	}
	s.AccessToken = access
	return s, nil
}

// readAccess reads the profile's access item: its binding and token, and whether there is one.
func (k *Keyring) readAccess(ctx context.Context, profile string) (binding, token string, ok bool, err error) {
	v, ok, err := k.readValue(ctx, k.items(profile), fieldAccess)
	if err != nil || !ok {
		return "", "", ok, err
	}
	if binding, token, err = splitAccess(v); err != nil {
		return "", "", false, fmt.Errorf("keyring item %q: %w (run `webex login` again)", k.items(profile)+"/"+fieldAccess, err)
	}
	return binding, token, true, nil
}

// splitAccess splits the value of the access item into the binding and the access token.
func splitAccess(v string) (binding, token string, err error) {
	if v == "" {
		return "", "", nil
	}
	binding, token, ok := strings.Cut(v, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: the access token has no binding", ErrCorrupt)
	}
	return binding, token, nil
}

// LoadAccessToken implements Store: from the kernel cache when the token is cached under
// (profile, version), else from the keyring, and then cached under that version.
func (k *Keyring) LoadAccessToken(ctx context.Context, profile, binding, version string) (string, error) {
	if err := config.ValidateName(profile); err != nil {
		return "", err
	}
	key, cached := cacheKey(profile, version)
	cached = cached && k.cache != nil
	if cached {
		if v, hit := k.cache.get(key); hit {
			return v, nil
		}
	}
	stored, v, _, err := k.readAccess(ctx, profile)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", fmt.Errorf("profile %q has no access token: %w", profile, ErrNotFound)
	}
	if err := checkBinding(profile, stored, binding); err != nil {
		return "", err
	}
	if cached {
		k.cache.put(key, v)
	}
	return v, nil
}

// clearCache drops every cached access token of the folder; Save and Delete call it whether
// they succeeded or not.
func (k *Keyring) clearCache() {
	if k.cache != nil {
		k.cache.clearAll()
	}
}

// Save implements Store. The other secrets are written before the access token, so a crash in
// between leaves the new refresh token next to the old access token, never the reverse.
func (k *Keyring) Save(ctx context.Context, profile string, s *Secrets) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	defer k.clearCache()
	if s == nil {
		return fmt.Errorf("saving tokens of profile %q: nil secrets", profile)
	}
	rest := *s
	rest.AccessToken = ""
	restJSON, err := json.Marshal(&rest)
	if err != nil {
		return fmt.Errorf("encoding tokens of profile %q: %w", profile, err)
	}
	if err := k.writeValue(ctx, k.items(profile), fieldRest, string(restJSON)); err != nil {
		return err
	}
	return k.writeValue(ctx, k.items(profile), fieldAccess, s.Binding+":"+s.AccessToken)
}

// Delete implements Store: the profile's items, access token first, then those an older
// version kept without a namespace.
func (k *Keyring) Delete(ctx context.Context, profile string) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	defer k.clearCache()
	for _, items := range []string{k.items(profile), profile} {
		for _, field := range []string{fieldAccess, fieldRest} {
			if err := k.deleteValue(ctx, items, field); err != nil {
				return err
			}
		}
	}
	return nil
}

// Probe implements Store by writing, reading back and deleting a random test item; any
// failure is a *KeyringError.
func (k *Keyring) Probe(ctx context.Context) error {
	var b [16]byte
	_, _ = rand.Read(b[:])
	want := hex.EncodeToString(b[:])
	user := "_probe-" + want[:12] // not a valid profile name, so never a real item
	if err := k.set(ctx, user, want); err != nil {
		return asUnavailable(err, "writing a test item")
	}
	got, err := k.get(ctx, user)
	if err != nil {
		return asUnavailable(err, "reading a test item back")
	}
	if _, err := k.del(ctx, user); err != nil {
		return asUnavailable(err, "deleting a test item")
	}
	if got != want {
		return &KeyringError{Op: "reading a test item back", Err: errors.New("it returned a different value")}
	}
	return nil
}

// asUnavailable makes err (e.g. a not-found right after a write) a *KeyringError of op.
func asUnavailable(err error, op string) error {
	var ke *KeyringError
	if errors.As(err, &ke) {
		c := *ke
		c.Op = op
		return &c
	}
	return &KeyringError{Op: op, Err: err}
}

type header struct {
	inline bool
	value  string // inline value
	slot   byte   // 'a' or 'b'
	count  int
	hash   string
}

func parseHeader(v string) (header, error) {
	if rest, ok := strings.CutPrefix(v, inlineMark); ok {
		return header{inline: true, value: rest}, nil
	}
	rest, ok := strings.CutPrefix(v, chunkMark)
	if !ok {
		return header{}, errors.New("unknown header format")
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || (parts[0] != "a" && parts[0] != "b") || len(parts[2]) != 16 {
		return header{}, errors.New("malformed chunk header")
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || n > maxChunks {
		return header{}, errors.New("bad chunk count")
	}
	return header{slot: parts[0][0], count: n, hash: parts[2]}, nil
}

// shortHash is 16 hex digits of the SHA-256 of v.
func shortHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:8])
}

// headUser and chunkUser name the items of a field; items is a profile's prefix.
func headUser(items, field string) string { return items + "/" + field }

func chunkUser(items, field string, slot byte, i int) string {
	return fmt.Sprintf("%s/%s.%c%d", items, field, slot, i)
}

// readValue returns the value stored under field, and whether there is one.
func (k *Keyring) readValue(ctx context.Context, items, field string) (string, bool, error) {
	user := headUser(items, field)
attempts:
	for range readAttempts {
		raw, err := k.get(ctx, user)
		if isNotFound(err) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		h, err := parseHeader(raw)
		if err != nil {
			return "", false, fmt.Errorf("keyring item %q: %w: %v (run `webex login` again)", user, ErrCorrupt, err)
		}
		if h.inline {
			return h.value, true, nil
		}
		var b strings.Builder
		for i := range h.count {
			c, err := k.get(ctx, chunkUser(items, field, h.slot, i))
			if isNotFound(err) {
				continue attempts // a writer replaced the value meanwhile
			}
			if err != nil {
				return "", false, err
			}
			b.WriteString(c)
		}
		if v := b.String(); shortHash(v) == h.hash {
			return v, true, nil
		}
	}
	return "", false, fmt.Errorf("keyring items %q: %w: the chunks do not match their header (run `webex login` again)", user, ErrCorrupt)
}

// writeValue stores v under field: inline when it fits, else in chunks of the slot the
// current header does not use, header last; then it removes the chunks left unused.
func (k *Keyring) writeValue(ctx context.Context, items, field, v string) error {
	user := headUser(items, field)
	old := header{inline: true}
	oldRaw, err := k.get(ctx, user)
	switch {
	case isNotFound(err):
	case err != nil:
		return err
	default:
		h, perr := parseHeader(oldRaw)
		if perr == nil {
			old = h
		} else {
			old.inline = false // unknown: overwrite it and sweep both slots
		}
	}

	if len(v) <= ChunkSize {
		if err := k.set(ctx, user, inlineMark+v); err != nil {
			return err
		}
		if old.inline {
			return nil // nothing chunked before: the usual two calls
		}
		return k.sweep(ctx, items, field, 'a', 'b')
	}

	slot := byte('a')
	if !old.inline && old.slot == 'a' {
		slot = 'b'
	}
	chunks := split(v, ChunkSize)
	if len(chunks) > maxChunks {
		return fmt.Errorf("saving keyring items %q: a secret of %d bytes is too large for the keyring", items, len(v))
	}
	for i, c := range chunks {
		if err := k.set(ctx, chunkUser(items, field, slot, i), c); err != nil {
			return err
		}
	}
	h := fmt.Sprintf("%s%c:%d:%s", chunkMark, slot, len(chunks), shortHash(v))
	if err := k.set(ctx, user, h); err != nil {
		return err
	}
	if err := k.sweepFrom(ctx, items, field, slot, len(chunks)); err != nil {
		return err
	}
	return k.sweep(ctx, items, field, 'a'+'b'-slot) // the other slot
}

// deleteValue removes the header and every chunk of field.
func (k *Keyring) deleteValue(ctx context.Context, items, field string) error {
	if _, err := k.del(ctx, headUser(items, field)); err != nil {
		return err
	}
	return k.sweep(ctx, items, field, 'a', 'b')
}

// sweep deletes all chunks of the given slots.
func (k *Keyring) sweep(ctx context.Context, items, field string, slots ...byte) error {
	for _, s := range slots {
		if err := k.sweepFrom(ctx, items, field, s, 0); err != nil {
			return err
		}
	}
	return nil
}

// sweepFrom deletes chunks start, start+1, ... of slot up to the first missing one: chunks are
// written from 0 upwards and deleted together.
func (k *Keyring) sweepFrom(ctx context.Context, items, field string, slot byte, start int) error {
	for i := start; i < maxChunks; i++ {
		found, err := k.del(ctx, chunkUser(items, field, slot, i))
		if err != nil {
			return err
		}
		if !found {
			return nil
		}
	}
	return nil
}

// split cuts v into pieces of at most size bytes, never inside a UTF-8 sequence (a backend
// that converts to UTF-16 would mangle half a rune).
func split(v string, size int) []string {
	var out []string
	for len(v) > size {
		cut := size
		for cut > size-utf8.UTFMax && cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		out = append(out, v[:cut])
		v = v[cut:]
	}
	return append(out, v)
}
