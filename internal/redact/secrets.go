package redact

import (
	"strings"
	"sync"
)

// Secrets holds the values a run has handled (tokens, codes, client secrets) so that they
// can be removed from anything shown to a person. The zero value is ready to use, by several
// goroutines at once.
type Secrets struct {
	mu     sync.Mutex
	values []string
}

// Add records values that must never be shown. Values shorter than 6 bytes are ignored: they
// would match ordinary words.
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

// Error returns err with the recorded values removed from its message; errors.Is and
// errors.As still see err.
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
