// Package memstore is a tokenstore.Store in process memory, for tests.
package memstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// Store keeps secrets in memory; the zero value is ready to use. It copies on Save and Load,
// so callers cannot alias its contents, and checks bindings as every tokenstore.Store does.
type Store struct {
	mu sync.Mutex
	m  map[string]tokenstore.Secrets
}

// New returns an empty Store.
func New() *Store { return &Store{} }

// Load implements tokenstore.Store.
func (m *Store) Load(_ context.Context, profile, binding string) (*tokenstore.Secrets, error) {
	if err := config.ValidateName(profile); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[profile]
	if !ok {
		return nil, fmt.Errorf("profile %q: %w", profile, tokenstore.ErrNotFound)
	}
	if s.Binding != "" && s.Binding != binding {
		return nil, fmt.Errorf("profile %q: %w", profile, tokenstore.ErrOtherLogin)
	}
	return &s, nil
}

// LoadAccessToken implements tokenstore.Store with one Load; there is no cache.
func (m *Store) LoadAccessToken(ctx context.Context, profile, binding, _ string) (string, error) {
	s, err := m.Load(ctx, profile, binding)
	if err != nil {
		return "", err
	}
	if s.AccessToken == "" {
		return "", fmt.Errorf("profile %q has no access token: %w", profile, tokenstore.ErrNotFound)
	}
	return s.AccessToken, nil
}

// Probe implements tokenstore.Store: there is nothing to check.
func (*Store) Probe(context.Context) error { return nil }

// Save implements tokenstore.Store.
func (m *Store) Save(_ context.Context, profile string, s *tokenstore.Secrets) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("saving tokens of profile %q: nil secrets", profile)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string]tokenstore.Secrets)
	}
	m.m[profile] = *s
	return nil
}

// Delete implements tokenstore.Store.
func (m *Store) Delete(_ context.Context, profile string) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, profile)
	return nil
}
