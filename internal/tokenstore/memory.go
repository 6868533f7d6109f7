package tokenstore

import (
	"fmt"
	"sync"

	"github.com/webex-cli/webex/internal/config"
)

// Memory is a Store in process memory, for tests. The zero value is ready to
// use. It copies on Save and Load, so callers cannot alias its contents.
type Memory struct {
	mu sync.Mutex
	m  map[string]Secrets
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{} }

// Name returns "memory".
func (*Memory) Name() string { return "memory" }

// Load implements Store.
func (m *Memory) Load(profile, binding string) (*Secrets, error) {
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

// LoadAccessToken implements Store.
func (m *Memory) LoadAccessToken(profile, binding string) (string, error) {
	return accessToken(m, profile, binding)
}

// Save implements Store.
func (m *Memory) Save(profile string, s *Secrets) error {
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
func (m *Memory) Delete(profile string) error {
	if err := config.ValidateName(profile); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, profile)
	return nil
}
