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
// One Secret Service read costs about eight D-Bus round trips, several times the rest of
// `webex token`. So on Linux a [Keyring] on the OS keyring keeps a copy of the ACCESS TOKEN
// ONLY in the kernel key retention service (keyrings(7)), behind [Store.LoadAccessToken]:
//
//   - Where: a keyring "webex:<service>:<folder>" linked into the user keyring (@u), holding
//     "user" keys "access:<profile>:<version>" (the version is the caller's; see
//     Store.LoadAccessToken). `keyctl show @u` lists them.
//   - For how long: 10 minutes from when it was cached (hits do not extend it). Every Save and
//     Delete of any profile of the folder removes the folder's keyring, so a login, refresh or
//     logout leaves no old token behind. Tokens over 4 KiB are not cached.
//   - Who can read it: processes of the same uid (and root), the trust boundary of an unlocked
//     Secret Service; but the copy stays while the Secret Service is locked, for those 10
//     minutes.
//   - When it turns off: its errors are never returned; a miss reads the Secret Service, and
//     the first unexpected keyctl error (EPERM, EACCES or ENOSYS under seccomp, EDQUOT with a
//     full quota) turns it off for the process. [WithoutCache] turns it off; a Keyring with
//     [WithBackend] has none.
//
// Residual race: a reader that fetched the token just before a concurrent Delete and caches
// it just after that Delete cleared the cache leaves a copy, under a version no reader of the
// new settings asks for, until the timeout; the window is a few microseconds.
package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/webex-cli/webex/internal/config"
)

var (
	// ErrNotFound is returned (wrapped) when nothing is stored for a profile, or no access token.
	ErrNotFound = errors.New("no stored tokens")
	// ErrCorrupt is returned (wrapped) for a damaged token file or inconsistent keyring items.
	ErrCorrupt = errors.New("stored tokens are corrupt")
	// ErrOtherLogin is returned (wrapped) by a read that expects another binding than the stored.
	ErrOtherLogin = errors.New("the stored tokens belong to another login")
	// ErrKeyringUnavailable is wrapped by every error that means the OS keyring cannot be
	// used: no Secret Service, a locked collection nobody unlocks, no answer in time.
	ErrKeyringUnavailable = errors.New("the system keyring is unavailable")
)

// Secrets are the secret parts of a login. Empty fields are not stored. String and GoString
// redact, so a stray %v never prints a token.
type Secrets struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"` // kept with the tokens for refresh
	// Binding is config.Profile.Binding() of the profile the secrets were issued for; not a
	// secret. Reads refuse secrets of another binding (see [Store]). Empty in token files
	// written before it existed, which every read accepts.
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
