//go:build windows

package cli

import (
	"os"
	"os/exec"
)

// catchSignals does nothing on Windows, which has no signals to pass on; Ctrl-C reaches
// the child through the console.
func catchSignals() (forward func(*os.Process), stop func()) {
	return func(*os.Process) {}, func() {}
}

func exitSignal(*exec.ExitError) int { return 1 }
