package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// bound is a generous upper limit for things that should happen at once; it
// only keeps a broken test from hanging, it measures nothing.
const bound = 30 * time.Second

func TestLockExcludesGoroutines(t *testing.T) {
	dir := t.TempDir()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		holders int
		maxSeen int
		total   int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				ctx, cancel := context.WithTimeout(context.Background(), bound)
				unlock, err := Lock(ctx, dir, "p")
				cancel()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				holders++
				maxSeen = max(maxSeen, holders)
				total++
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				holders--
				mu.Unlock()
				if err := unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if maxSeen != 1 || total != 40 {
		t.Fatalf("max concurrent holders = %d (want 1), acquisitions = %d (want 40)", maxSeen, total)
	}
}

// TestLockFolderError: a lock folder that cannot be created is its own error, not a
// *LockWaitError.
func TestLockFolderError(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "locks"), nil, 0o600); err != nil { // a file where the folder goes
		t.Fatal(err)
	}
	_, err := Lock(context.Background(), dir, "p")
	var lw *LockWaitError
	if err == nil || errors.As(err, &lw) || strings.Contains(err.Error(), "waiting") {
		t.Fatalf("Lock with a broken lock folder = %v, want a folder error that is not about waiting", err)
	}
	if !strings.Contains(err.Error(), "lock folder") {
		t.Errorf("message %q does not name the lock folder", err)
	}
}

func TestLockProfilesAreIndependent(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	u1, err := Lock(ctx, dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer u1()
	u2, err := Lock(ctx, dir, "b")
	if err != nil {
		t.Fatalf("lock of another profile blocked: %v", err)
	}
	u2()
}

func TestLockGivesUpWithContext(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(context.Background(), dir, "p")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = Lock(ctx, dir, "p")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while held = %v, want DeadlineExceeded", err)
	}
	var lw *LockWaitError
	if !errors.As(err, &lw) || lw.Profile != "p" || lw.Path != LockPath(dir, "p") {
		t.Fatalf("Lock while held = %#v, want a *LockWaitError for profile p", err)
	}
	// One sentence: no trailing ": context deadline exceeded".
	if msg := err.Error(); !strings.Contains(msg, `profile "p"`) || !strings.Contains(msg, "another webex process") || strings.Contains(msg, "deadline") {
		t.Fatalf("message %q should be one sentence naming the profile and who holds the lock", msg)
	}
	if _, err := Lock(context.Background(), dir, "../p"); err == nil {
		t.Fatal("Lock accepted a bad profile name")
	}
}

// TestHelperProcess is not a real test: the lock tests re-run the test
// binary with WEBEX_TOKENSTORE_HELPER=lock to hold a lock in another
// process. It takes the lock, says "locked" and waits to be killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("WEBEX_TOKENSTORE_HELPER") != "lock" {
		return
	}
	unlock, err := Lock(context.Background(), os.Getenv("WEBEX_TOKENSTORE_DIR"), "p")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	_ = unlock // deliberately never called: the process dies holding it
	fmt.Println("locked")
	for {
		time.Sleep(time.Hour) // until killed (or -test.timeout ends it)
	}
}

// startHolder starts a process that holds the lock of profile "p" in dir.
func startHolder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "WEBEX_TOKENSTORE_HELPER=lock", "WEBEX_TOKENSTORE_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper did not take the lock: %q, %v", line, err)
	}
	return cmd
}

// A lock held by another process excludes this one; once that process is
// killed with SIGKILL (no chance to clean up), the kernel has released the
// lock and Lock succeeds at once.
func TestLockAcrossProcessesAndAfterKill(t *testing.T) {
	dir := t.TempDir()
	holder := startHolder(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := Lock(ctx, dir, "p")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while another process holds it = %v, want DeadlineExceeded", err)
	}

	if err := holder.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	_ = holder.Wait()
	if _, err := os.Stat(LockPath(dir, "p")); err != nil {
		t.Fatalf("the lock file should still exist after the kill: %v", err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), bound)
	defer cancel()
	unlock, err := Lock(ctx, dir, "p")
	if err != nil {
		t.Fatalf("Lock after the holder was killed = %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}
