package tokenstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/webex-cli/webex/internal/config"
)

// Memory is a Store in process memory, for tests; the zero value is ready to use. It copies on
// Save and Load, so callers cannot alias its contents.
type Memory struct {
	mu sync.Mutex
	m  map[string]Secrets
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{} }

// Load implements Store.
func (m *Memory) Load(_ context.Context, profile, binding string) (*Secrets, error) {
	if err := config.ValidateName(profile); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[profile]
	if !ok {
		return nil, fmt.Errorf("profile %q: %w", profile, ErrNotFound)
	}
	if err := checkBinding(profile, s.Binding, binding); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadAccessToken implements Store with one Load; there is no cache.
func (m *Memory) LoadAccessToken(ctx context.Context, profile, binding, _ string) (string, error) {
	return accessToken(ctx, m, profile, binding)
}

// Probe implements Store: there is nothing to check.
func (*Memory) Probe(context.Context) error { return nil }

// Save implements Store.
func (m *Memory) Save(_ context.Context, profile string, s *Secrets) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("saving tokens of profile %q: nil secrets", profile)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[string]Secrets)
	}
	m.m[profile] = *s
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, profile string) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, profile)
	return nil
}
