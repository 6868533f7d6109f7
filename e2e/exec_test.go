package e2e

import (
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExecPassesSIGTERMOn: a SIGTERM sent to `webex exec` (by a CI runner or systemd) reaches
// the child, and the child's exit code comes back.
func TestExecPassesSIGTERMOn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM on Windows")
	}
	cmd := exec.Command(webexBin(t), "exec", "--", "sh", "-c", `trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Env = append(baseEnv(), "WEBEX_ACCESS_TOKEN=token-from-ci", "WEBEX_CONFIG_DIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "ready") {
		cmd.Process.Kill()
		t.Fatalf("the child did not start: %q", buf[:n])
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never got the SIGTERM")
	}
	if code := cmd.ProcessState.ExitCode(); code != 42 {
		t.Errorf("exit code %d, want the child's 42", code)
	}
}

// TestExecEnvironment: the command gets the token and webex's environment, but not the
// client secret.
func TestExecEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	r := runWebex(t, []string{"WEBEX_ACCESS_TOKEN=token-from-ci", "WEBEX_CLIENT_SECRET=do-not-pass-on", "EXTRA=kept", "WEBEX_CONFIG_DIR=" + t.TempDir()}, "",
		"exec", "--", "sh", "-c", `test -z "$WEBEX_CLIENT_SECRET" && test "$WEBEX_ACCESS_TOKEN" = token-from-ci && test "$EXTRA" = kept`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}
