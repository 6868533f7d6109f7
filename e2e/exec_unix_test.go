//go:build unix

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startExec starts `webex exec -- sh -c script` with its output on w and returns once the
// script has written "ready" to r. With no attr, webex runs in a session of its own without
// a terminal, as under a supervisor, an IDE or CI; with attr, w is a terminal and its input
// too.
func startExec(t *testing.T, attr *syscall.SysProcAttr, r io.Reader, w *os.File, script string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(webexBin(t), "exec", "--", "sh", "-c", script)
	cmd.Env = append(baseEnv(), "WEBEX_ACCESS_TOKEN=token-from-ci", "WEBEX_CONFIG_DIR="+t.TempDir())
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = attr
	if attr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.Stdin = w // the terminal
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	// webex leads a process group of its own, which the child joins: ending the group after
	// the test ends a child that webex left behind.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	br := bufio.NewReader(r)
	if line, err := br.ReadString('\n'); !strings.Contains(line, "ready") {
		t.Fatalf("the command did not start: %q %v", line, err)
	}
	return cmd, br
}

// waitExit waits for webex to end and returns its exit code with what it and the command
// wrote after "ready". A webex that never ends fails the test, and its child is ended with
// it.
func waitExit(t *testing.T, cmd *exec.Cmd, rest *bufio.Reader) (int, string) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatal("webex did not end after the command was signalled")
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what webex left behind, if anything
	out, _ := io.ReadAll(rest)
	if len(out) > 300 { // a Go runtime's dump, say
		out = append(out[:300], "..."...)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

var execSignals = []struct {
	name string
	sig  syscall.Signal
}{
	{"INT", syscall.SIGINT}, {"QUIT", syscall.SIGQUIT}, {"TERM", syscall.SIGTERM}, {"HUP", syscall.SIGHUP},
	{"USR1", syscall.SIGUSR1}, {"USR2", syscall.SIGUSR2}, {"WINCH", syscall.SIGWINCH},
}

// TestExecPassesSignalsOn: each signal sent to `webex exec` alone (by a supervisor, an IDE,
// `timeout`, a CI runner) reaches the command, webex waits for it, and the command's exit
// code comes back.
func TestExecPassesSignalsOn(t *testing.T) {
	for i, s := range execSignals {
		t.Run(s.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			code := 40 + i
			cmd, rest := startExec(t, nil, r, w, fmt.Sprintf(`trap 'echo got %s; exit %d' %s; echo ready; while :; do sleep 0.05; done`, s.name, code, s.name))
			if err := cmd.Process.Signal(s.sig); err != nil {
				t.Fatal(err)
			}
			got, out := waitExit(t, cmd, rest)
			if !strings.Contains(out, "got "+s.name) {
				t.Errorf("the command did not get SIG%s; output %q", s.name, out)
			}
			if got != code {
				t.Errorf("exit code %d, want the command's %d; output %q", got, code, out)
			}
		})
	}
}

// TestExecReportsDeathBySignal: a command that a passed-on signal ends gives 128 + the
// signal's number, as in a shell.
func TestExecReportsDeathBySignal(t *testing.T) {
	for _, s := range execSignals {
		if s.sig == syscall.SIGWINCH { // ignored by default: it ends nothing
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd, rest := startExec(t, nil, r, w, `ulimit -c 0; echo ready; exec sleep 600`)
			if err := cmd.Process.Signal(s.sig); err != nil {
				t.Fatal(err)
			}
			if got, out := waitExit(t, cmd, rest); got != 128+int(s.sig) {
				t.Errorf("exit code %d, want %d; output %q", got, 128+int(s.sig), out)
			}
		})
	}
}
