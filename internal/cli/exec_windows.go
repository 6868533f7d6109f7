//go:build windows

package cli

import (
	"os"
	"os/exec"
)

// forwardSignals does nothing on Windows, which has no signals to pass on; Ctrl-C reaches
// the child through the console.
func forwardSignals(*os.Process) (stop func()) { return func() {} }

func exitSignal(*exec.ExitError) int { return 1 }
