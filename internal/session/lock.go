package session

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/privatefile"
)

// Lock polling: the first retry comes after lockMinDelay, then the delay
// doubles up to lockMaxDelay.
const (
	lockMinDelay = 5 * time.Millisecond
	lockMaxDelay = 100 * time.Millisecond
)

// LockPath returns the lock file of profile under configDir:
// <configDir>/locks/<profile>.lock.
func LockPath(configDir, profile string) string {
	return filepath.Join(configDir, "locks", profile+".lock")
}

// Lock takes the cross-process lock of profile (an exclusive flock(2) on
// Unix, LockFileEx on Windows, through github.com/gofrs/flock, on
// LockPath(configDir, profile)), polling with a short backoff until it gets
// it or ctx ends. The lock belongs to an open file, so two Locks in one
// process exclude each other too, and the kernel releases it when the
// holding process dies: a crashed or killed webex never leaves a stale lock.
// The lock file itself stays (removing it would race with other waiters).
//
// When ctx ends first, the error is a *LockWaitError wrapping ctx.Err(); a
// lock folder that cannot be created or a lock call that fails give other
// errors.
//
// Callers refresh under this lock and re-read the store inside it, so that a
// process that waited uses the tokens another one just refreshed. Without a
// deadline on ctx, Lock waits until ctx is cancelled. unlock releases the
// lock; call it exactly once.
func Lock(ctx context.Context, configDir, profile string) (unlock func() error, err error) {
	if err := config.ValidateName(profile); err != nil {
		return nil, err
	}
	if err := privatefile.EnsureDir(filepath.Join(configDir, "locks")); err != nil {
		return nil, fmt.Errorf("creating the lock folder: %w", err)
	}
	path := LockPath(configDir, profile)
	fl := flock.New(path, flock.SetPermissions(0o600))
	delay := lockMinDelay
	for {
		ok, err := fl.TryLock()
		if err != nil {
			_ = fl.Close()
			return nil, fmt.Errorf("locking profile %q (%s): %w", profile, path, err)
		}
		if ok {
			return fl.Unlock, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			_ = fl.Close()
			return nil, &LockWaitError{Profile: profile, Path: path, Err: ctx.Err()}
		case <-t.C:
		}
		delay = min(delay*2, lockMaxDelay)
	}
}

// LockWaitError reports that Lock gave up because its context ended while
// another process held the lock. Err is the context's error.
type LockWaitError struct {
	Profile string
	Path    string // the lock file
	Err     error
}

func (e *LockWaitError) Error() string {
	return fmt.Sprintf("gave up waiting for the lock of profile %q (%s), which another webex process holds", e.Profile, e.Path)
}

// Unwrap returns the context's error.
func (e *LockWaitError) Unwrap() error { return e.Err }

// lock takes the profile's lock under the Manager's config folder.
func (m *Manager) lock(ctx context.Context, profile string) (func() error, error) {
	return Lock(ctx, m.Config.Dir(), profile)
}
