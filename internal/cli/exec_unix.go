//go:build !windows

package cli

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// catchSignals starts catching SIGTERM and SIGHUP before the child exists, so that a signal
// sent while it starts is not lost. forward passes those signals, and every later one, on to
// the child until stop is called; stop alone ends the catching when the child never started.
func catchSignals() (forward func(*os.Process), stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	forward = func(child *os.Process) {
		go func() {
			for {
				select {
				case s := <-ch:
					_ = child.Signal(s)
				case <-done:
					return
				}
			}
		}()
	}
	stop = func() {
		signal.Stop(ch)
		close(done)
	}
	return forward, stop
}

// exitSignal is the number of the signal that ended the child, for the shell's 128+n rule.
func exitSignal(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal())
	}
	return 1
}
