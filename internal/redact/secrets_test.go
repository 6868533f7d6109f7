package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestSecrets(t *testing.T) {
	var s Secrets
	s.Add("short", "access-token-1", "", "refresh-token-2")
	if got, want := s.Scrub("sent short access-token-1 and refresh-token-2."), "sent short [REDACTED] and [REDACTED]."; got != want {
		t.Errorf("Scrub = %q, want %q", got, want)
	}
	err := s.Error(fmt.Errorf("reading access-token-1: %w", fs.ErrNotExist))
	if err.Error() != "reading [REDACTED]: file does not exist" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error = %q (wraps ErrNotExist: %v)", err, errors.Is(err, fs.ErrNotExist))
	}
	plain := errors.New("nothing secret")
	if s.Error(plain) != plain || s.Error(nil) != nil {
		t.Errorf("an error without secrets must come back as it is")
	}
}
