package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/privatefile"
)

// lockRetry is how often Lock tries again while another process holds the lock.
const lockRetry = 20 * time.Millisecond

// LockPath returns the lock file of profile: <configDir>/locks/<profile>.lock.
func LockPath(configDir, profile string) string {
	return filepath.Join(configDir, "locks", profile+".lock")
}

// Lock takes the cross-process lock of profile, a gofrs/flock file lock on LockPath, polled
// until it is taken or ctx ends (a *LockWaitError). The kernel releases it when its process
// dies; the file stays (removing it would race with waiters). Call unlock exactly once.
func Lock(ctx context.Context, configDir, profile string) (unlock func() error, err error) {
	if err := config.ValidateName(profile); err != nil {
		return nil, err
	}
	if err := privatefile.EnsureDir(filepath.Join(configDir, "locks")); err != nil {
		return nil, fmt.Errorf("creating the lock folder: %w", err)
	}
	path := LockPath(configDir, profile)
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLock() // one try first: TryLockContext gives up at once on an ended ctx
	if err == nil && !ok {
		ok, err = fl.TryLockContext(ctx, lockRetry)
	}
	switch {
	case ok:
		return fl.Unlock, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		_ = fl.Close()
		return nil, &LockWaitError{Profile: profile, Path: path, Err: ctx.Err()}
	default:
		_ = fl.Close()
		return nil, fmt.Errorf("locking profile %q (%s): %w", profile, path, err)
	}
}

// LockWaitError reports that Lock's context ended while another process held the lock.
type LockWaitError struct {
	Profile string
	Path    string        // the lock file
	Waited  time.Duration // set by a refresh that waited that long
	Err     error         // the context's error
}

func (e *LockWaitError) Error() string {
	if e.Waited > 0 {
		return fmt.Sprintf("gave up after %s waiting for another webex process to finish refreshing profile %q (it holds the lock %s)",
			e.Waited, e.Profile, e.Path)
	}
	return fmt.Sprintf("gave up waiting for the lock of profile %q (%s), which another webex process holds", e.Profile, e.Path)
}

func (e *LockWaitError) Unwrap() error { return e.Err }
