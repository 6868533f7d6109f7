package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a new pseudo-terminal and returns its controlling side and the terminal.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	fd := int(ptm.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ptm, tty
}

// TestExecAtATerminalInterruptsOnce: at a terminal, Ctrl-C goes to the whole foreground
// process group, so the command has it already. webex does not deliver it a second time
// (a second interrupt makes many programs quit without cleaning up), and since it cannot
// tell who sent a SIGINT, it passes on none while it shares the terminal's foreground with
// the command, not even one sent to it alone. It waits for the command, which counts its
// interrupts in its exit code.
func TestExecAtATerminalInterruptsOnce(t *testing.T) {
	ptm, tty := openPTY(t)
	cmd, rest := startExec(t, &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}, ptm, tty,
		`trap 'n=$((n+1)); echo int$n' INT; trap 'exit $((40+n))' TERM; echo ready; while :; do sleep 0.05; done`)
	if _, err := ptm.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	if line, err := rest.ReadString('\n'); !strings.Contains(line, "int1") {
		t.Fatalf("the command did not get the interrupt: %q %v", line, err)
	}
	// webex passes signals on in the order they came, so a SIGINT it passed on would reach
	// the command before the SIGTERM.
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if err := cmd.Process.Signal(s); err != nil {
			t.Fatal(err)
		}
	}
	if got, out := waitExit(t, cmd, rest); got != 41 {
		t.Errorf("exit code %d, want 41 (the command got %d interrupts); output %q", got, got-40, out)
	}
}
