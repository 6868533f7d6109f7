package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/privatefile"
)

// File is a Store that keeps each profile's secrets in <configDir>/tokens/<profile>.json
// through package privatefile.
type File struct {
	dir string // <configDir>/tokens
}

// NewFile returns a File store under configDir/tokens; the first Save creates it.
func NewFile(configDir string) *File {
	return &File{dir: filepath.Join(configDir, "tokens")}
}

// Path returns the token file of profile, which need not exist.
func (f *File) Path(profile string) string {
	return filepath.Join(f.dir, profile+".json")
}

// Load implements Store.
func (f *File) Load(_ context.Context, profile, binding string) (*Secrets, error) {
	if err := config.ValidateName(profile); err != nil {
		return nil, err
	}
	path := f.Path(profile)
	data, err := privatefile.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("profile %q: %w", profile, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading token file: %w", err)
	}
	s, err := parseSecrets(data)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w (delete it and run `webex login` again)", path, err)
	}
	if err := checkBinding(profile, s.Binding, binding); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadAccessToken implements Store with one Load; there is no cache.
func (f *File) LoadAccessToken(ctx context.Context, profile, binding, _ string) (string, error) {
	s, err := f.Load(ctx, profile, binding)
	if err != nil {
		return "", err
	}
	if s.AccessToken == "" {
		return "", fmt.Errorf("profile %q has no access token: %w", profile, ErrNotFound)
	}
	return s.AccessToken, nil
}

// Probe implements Store: there is nothing to check.
func (*File) Probe(context.Context) error { return nil }

// Save implements Store.
func (f *File) Save(_ context.Context, profile string, s *Secrets) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("saving tokens of profile %q: nil secrets", profile)
	}
	if err := privatefile.WriteJSON(f.Path(profile), s); err != nil {
		return fmt.Errorf("saving tokens of profile %q: %w", profile, err)
	}
	return nil
}

// Delete implements Store.
func (f *File) Delete(_ context.Context, profile string) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	err := os.Remove(f.Path(profile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting tokens of profile %q: %w", profile, err)
	}
	return nil
}

// parseSecrets decodes a token file or the keyring's "rest" item; errors wrap ErrCorrupt and
// never quote the secrets.
func parseSecrets(data []byte) (*Secrets, error) {
	var s Secrets
	if err := privatefile.DecodeObject(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return &s, nil
}
