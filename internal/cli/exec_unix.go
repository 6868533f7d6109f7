//go:build !windows

package cli

import (
	"os/exec"
	"syscall"
)

// exitSignal is the number of the signal that ended the child, for the shell's 128+n rule.
func exitSignal(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal())
	}
	return 1
}
