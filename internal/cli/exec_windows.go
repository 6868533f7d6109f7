//go:build windows

package cli

import "os/exec"

func exitSignal(*exec.ExitError) int { return 1 }
