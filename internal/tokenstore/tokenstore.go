// Package tokenstore owns the secrets of a profile: access token, refresh token, ID token and
// client secret. It stores them in the OS keyring ([Keyring], through
// github.com/zalando/go-keyring), in a 0600 JSON file ([File]) or in memory for tests
// ([Memory]). Package session writes them under its cross-process lock (session.Lock), inside
// which a refresh re-reads them.
//
// It must not hold non-secret settings (those live in package config), must not print or
// prompt, and must never fall back from the keyring to a file on its own: a keyring that does
// not work is an error (wrapping [ErrKeyringUnavailable]) that tells the user how to log in
// with `--storage file`. Errors never contain a secret.
//
// # Access-token cache (Linux)
//
// Reading one item from the Secret Service costs about eight D-Bus round trips, several times
// the rest of `webex token`. So on Linux a [Keyring] on the OS keyring keeps a copy of the
// ACCESS TOKEN ONLY (never the refresh token, ID token or client secret) in the kernel key
// retention service (keyrings(7)), behind [Store.LoadAccessToken]:
//
//   - Where: a keyring "webex:<service>:<folder>" linked into the user keyring (@u), where
//     folder is the config folder's namespace (see [NewKeyring]), holding "user" keys named
//     "access:<profile>:<version>", where version is what the caller derives from the profile
//     settings (package session hashes the token's issue time, expiry and binding).
//     `keyctl show @u` lists them.
//   - For how long: each key has a kernel timeout of 10 minutes from when it was cached (hits
//     do not extend it). Every Save and Delete of any profile of the folder clears and removes
//     the folder's keyring (never another folder's), so a login, a refresh and a logout leave
//     no old token behind; a refresh also changes the version, so the old entry is never read
//     again even before it is cleared. Tokens over 4 KiB are not cached.
//   - Who can read it: the possessor and any process running under the same uid; no other
//     user except root. That is the trust boundary of an unlocked Secret Service, whose items
//     any process of the user can read over D-Bus, but the copy stays in kernel memory even
//     while the Secret Service is locked, for at most those 10 minutes.
//   - How it turns itself off: the cache is best effort. Its errors are never returned; a miss
//     reads the Secret Service as before, and the first unexpected keyctl error (EPERM, EACCES
//     or ENOSYS under a seccomp profile, EDQUOT with a full key quota) turns it off for the
//     rest of the process. [WithoutCache] turns it off altogether; a Keyring with
//     [WithBackend] has none.
//
// Residual race: a reader that fetched the token from the Secret Service just before a
// concurrent Delete and stores it in the cache just after that Delete cleared it leaves a copy
// behind, under a version no reader of the new settings asks for, until the timeout. The
// window is the few microseconds between the reader's D-Bus reply and its keyctl call.
package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/webex-cli/webex/internal/config"
)

var (
	// ErrNotFound is returned (wrapped) when nothing is stored for a profile,
	// or when LoadAccessToken finds no access token.
	ErrNotFound = errors.New("no stored tokens")
	// ErrCorrupt is returned (wrapped) when stored secrets cannot be read
	// back: a damaged token file or an inconsistent set of keyring items.
	ErrCorrupt = errors.New("stored tokens are corrupt")
	// ErrOtherLogin is returned (wrapped) by a read whose caller expects
	// the secrets of another login (another binding) than the stored ones.
	ErrOtherLogin = errors.New("the stored tokens belong to another login")
	// ErrKeyringUnavailable is wrapped by every error that means the OS
	// keyring cannot be used: no Secret Service, a locked collection nobody
	// unlocks, or a keyring that does not answer in time.
	ErrKeyringUnavailable = errors.New("the system keyring is unavailable")
)

// Secrets are the secret parts of a login. Empty fields are not stored.
// String and GoString redact, so a stray %v never prints a token.
type Secrets struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// ClientSecret is kept with the tokens because refresh needs it.
	ClientSecret string `json:"client_secret,omitempty"`
	// Binding is config.Profile.Binding() of the profile the secrets were
	// issued for (provider, issuer, base URL, client id), set by whoever
	// saves them. It is not a secret. Every read names the binding its
	// caller expects, and secrets of another binding are refused (see
	// [Store]), so they are never used or sent with other settings. Empty in
	// token files written before it existed, which every read accepts.
	Binding string `json:"binding,omitempty"`
}

// String returns a redacted description naming which fields are set.
func (s Secrets) String() string {
	mark := func(v string) string {
		if v == "" {
			return "-"
		}
		return "set"
	}
	return fmt.Sprintf("Secrets{access:%s refresh:%s id:%s client_secret:%s}",
		mark(s.AccessToken), mark(s.RefreshToken), mark(s.IDToken), mark(s.ClientSecret))
}

// GoString is String, so %#v redacts too.
func (s Secrets) GoString() string { return s.String() }

// Store keeps the secrets of each profile. Profile names must pass config.ValidateName.
// Implementations are safe for concurrent use within a process; across processes, writers take
// session.Lock first.
//
// Every read takes binding, the config.Profile.Binding() of the login the caller is about to
// use the secrets for, and fails with an error wrapping ErrOtherLogin when the stored secrets
// were saved with another (an empty stored binding, from a token file older than bindings,
// passes). So no caller can read secrets without saying whose it expects.
type Store interface {
	// Name is the storage kind: config.StorageKeyring, config.StorageFile or "memory".
	Name() string
	// Load returns every secret of profile, or an error wrapping ErrNotFound when nothing is
	// stored.
	Load(ctx context.Context, profile, binding string) (*Secrets, error)
	// LoadAccessToken returns the access token alone, or an error wrapping ErrNotFound. It is
	// the hot path of `webex token`: one read of one small item, or none when a store with a
	// cache (the Linux keyring) has the token cached under (profile, version). version is any
	// short string (ASCII letters, digits, '-', '_', '.'; at most 64 bytes) that changes
	// whenever the profile's access token or binding does; "" reads past any cache. Writers
	// save the secrets before the settings the version is derived from, so a reader that saw
	// a new version reads the new token, and one holding an old version can only cache under
	// that old version, which later readers never ask for. Only a token that passed the
	// binding check is cached.
	LoadAccessToken(ctx context.Context, profile, binding, version string) (string, error)
	// Save replaces all secrets of profile with s.
	Save(ctx context.Context, profile string, s *Secrets) error
	// Delete removes all secrets of profile; nothing stored is not an error.
	Delete(ctx context.Context, profile string) error
	// Probe checks that the store can keep secrets before anyone signs in for nothing. Only
	// the keyring can fail it.
	Probe(ctx context.Context) error
}

// checkBinding is the one check of every read: secrets stored with binding stored may be used
// by a caller that expects want.
func checkBinding(profile, stored, want string) error {
	if stored != "" && stored != want {
		return fmt.Errorf("profile %q: %w", profile, ErrOtherLogin)
	}
	return nil
}

// accessToken is LoadAccessToken for the stores that keep all secrets of a profile in one item
// (File, Memory): one Load, then the access token alone.
func accessToken(ctx context.Context, st Store, profile, binding string) (string, error) {
	s, err := st.Load(ctx, profile, binding)
	if err != nil {
		return "", err
	}
	if s.AccessToken == "" {
		return "", fmt.Errorf("profile %q has no access token: %w", profile, ErrNotFound)
	}
	return s.AccessToken, nil
}

// New returns the store of the given kind for the config folder configDir:
// config.StorageKeyring (its items are namespaced by the folder's absolute path; opts
// configure it) or config.StorageFile (under configDir/tokens; opts are ignored).
func New(kind, configDir string, opts ...KeyringOption) (Store, error) {
	if configDir == "" {
		return nil, errors.New("the token store needs a config directory")
	}
	switch kind {
	case config.StorageKeyring:
		abs, err := filepath.Abs(configDir)
		if err != nil {
			return nil, fmt.Errorf("finding the config directory: %w", err)
		}
		return NewKeyring(abs, opts...), nil
	case config.StorageFile:
		return NewFile(configDir), nil
	default:
		return nil, fmt.Errorf("unknown storage %q: use %q or %q", kind, config.StorageKeyring, config.StorageFile)
	}
}
