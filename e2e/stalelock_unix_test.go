//go:build unix

package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/testutil/oidcprov"
)

// TestStaleLockOfKilledProcess: a process killed while it held the refresh lock does not
// block the next one. The provider is paused so that the first refresh hangs with the lock
// held, then that process is killed with SIGKILL.
func TestStaleLockOfKilledProcess(t *testing.T) {
	p := oidcprov.Start(t, oidcprov.Options{AutoApproveDevice: true, DeviceInterval: time.Second})
	env := oidcEnv(p, t.TempDir(), "file")
	deviceLogin(t, env, "default")
	p.ResetStats(t)

	// Pause the provider and start a refresh that will hang inside the lock.
	if err := p.Process().Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			p.Process().Signal(syscall.SIGCONT)
		}
	}()
	cmd := exec.Command(webexBin(t), "refresh", "--debug")
	cmd.Env = append(baseEnv(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// --debug traces each request before it is sent. A refresh makes its first request (the
	// provider's discovery) only once it holds the profile's lock: wait for it.
	sc := bufio.NewScanner(stderr)
	sawRequest := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "> #1 ") {
			sawRequest = true
			break
		}
	}
	if !sawRequest {
		t.Fatal("the refresh never sent a request")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	p.Process().Signal(syscall.SIGCONT)
	resumed = true

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan proc, 1)
	go func() { done <- runWebex(t, env, "", "refresh", "--json") }()
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stdout, `"refreshed": true`) {
			t.Fatalf("refresh after a killed holder: exit %d %s %s", r.code, r.stdout, r.stderr)
		}
	case <-ctx.Done():
		t.Fatal("the lock of the killed process still blocks")
	}
}
