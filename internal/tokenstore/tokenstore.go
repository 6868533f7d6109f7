// Package tokenstore owns the secrets of a profile (access, refresh and ID token, client
// secret): in the OS keyring ([Keyring], through github.com/zalando/go-keyring) or in a 0600
// JSON file ([File]). It holds no settings (package config), never prints, and never falls
// back from a keyring that does not work to a file: that is a [*KeyringError] that names
// `--storage file`. Errors never contain a secret.
//
// On Linux a Keyring on the OS keyring caches the access token alone in the kernel key
// retention service (keyrings(7)), because one Secret Service read costs about eight D-Bus
// round trips: a keyring "webex:<service>:<folder>" in the user keyring holds "user" keys
// "access:<profile>:<version>" (`keyctl show @u` lists them), each for 10 minutes, readable by
// the same uid. Every Save and Delete clears the folder's keyring; cache errors are never
// returned.
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
)

// Secrets are the secret parts of a login; String and GoString redact, so a stray %v never
// prints a token.
type Secrets struct {
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"` // kept with the tokens for refresh
	// Binding is config.Profile.Binding() of the login the secrets were issued to; not a
	// secret. Empty in token files older than bindings.
	Binding string `json:"binding,omitempty"`
}

// String names the fields that are set, never their values.
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

// Store keeps the secrets of each profile; profile names must pass config.ValidateName.
// Writers across processes take session.Lock first.
//
// Every read takes binding, the config.Profile.Binding() of the login the caller will use the
// secrets for, and fails with an error wrapping ErrOtherLogin when they were saved for another
// (an empty stored binding passes), so no caller reads secrets without saying whose it expects.
type Store interface {
	// Load returns every secret of profile, or an error wrapping ErrNotFound.
	Load(ctx context.Context, profile, binding string) (*Secrets, error)
	// LoadAccessToken returns the access token alone, or an error wrapping ErrNotFound: the hot
	// path of `webex token`. version (at most 64 of [A-Za-z0-9._-]; "" reads past any cache)
	// must change whenever the profile's access token or binding does. Writers save the
	// secrets before the settings the version comes from, so a reader holding an old version
	// can only cache under that version, which later readers never ask for.
	LoadAccessToken(ctx context.Context, profile, binding, version string) (string, error)
	// Save replaces all secrets of profile with s.
	Save(ctx context.Context, profile string, s *Secrets) error
	// Delete removes all secrets of profile; nothing stored is not an error.
	Delete(ctx context.Context, profile string) error
	// Probe checks that the store can keep secrets before anyone signs in for nothing.
	Probe(ctx context.Context) error
}

// checkBinding is the check of every read: secrets stored with binding stored may go to a
// caller that expects want.
func checkBinding(profile, stored, want string) error {
	if stored != "" && stored != want {
		return fmt.Errorf("profile %q: %w", profile, ErrOtherLogin)
	}
	return nil
}

// New returns the store of kind config.StorageKeyring (namespaced by configDir's absolute
// path) or config.StorageFile (under configDir/tokens).
func New(kind, configDir string) (Store, error) {
	if configDir == "" {
		return nil, errors.New("the token store needs a config directory")
	}
	switch kind {
	case config.StorageKeyring:
		abs, err := filepath.Abs(configDir)
		if err != nil {
			return nil, fmt.Errorf("finding the config directory: %w", err)
		}
		return NewKeyring(abs, nil, 0), nil
	case config.StorageFile:
		return NewFile(configDir), nil
	default:
		return nil, fmt.Errorf("unknown storage %q: use %q or %q", kind, config.StorageKeyring, config.StorageFile)
	}
}
