package redact

import (
	"strings"
	"sync"
)

// Secrets holds the values a run has handled (tokens, codes, client secrets) so that they can
// be removed from what it shows; the zero value is ready, for concurrent use.
type Secrets struct {
	mu     sync.Mutex
	values []string
}

// Add records values that must never be shown; under 6 bytes they would match ordinary words.
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= 6 {
			s.values = append(s.values, v)
		}
	}
}

// Scrub replaces every recorded value in text with "[REDACTED]".
func (s *Secrets) Scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, "[REDACTED]")
	}
	return text
}

// Error returns err with the recorded values removed from its message; it still wraps err.
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	if msg := s.Scrub(err.Error()); msg != err.Error() {
		return &scrubbedError{msg: msg, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
