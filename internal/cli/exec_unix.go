//go:build !windows

package cli

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// passedOn are the signals `webex exec` passes on to its command.
var passedOn = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// catchSignals catches passedOn before the child exists, so none is lost or ends webex first;
// forward passes them on to the child until stop.
func catchSignals() (forward func(*os.Process), stop func()) {
	ch := make(chan os.Signal, len(passedOn))
	signal.Notify(ch, passedOn...)
	done := make(chan struct{})
	forward = func(child *os.Process) {
		go func() {
			for {
				select {
				case s := <-ch:
					if !fromTerminal(s, child.Pid) {
						_ = child.Signal(s)
					}
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

// fromTerminal reports whether s is a SIGINT or SIGQUIT the child has had already, from the
// terminal to its whole foreground process group, which both are in: as sudo does, it is not
// passed on twice (a second interrupt makes many programs quit without cleaning up).
func fromTerminal(s os.Signal, child int) bool {
	if s != syscall.SIGINT && s != syscall.SIGQUIT {
		return false
	}
	tty, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false // no controlling terminal
	}
	defer unix.Close(tty)
	fg, err := unix.IoctlGetInt(tty, unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	group, err := unix.Getpgid(child)
	return err == nil && fg == unix.Getpgrp() && fg == group
}

// exitSignal is the signal that ended the child, for the shell's 128+n rule.
func exitSignal(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal())
	}
	return 1
}
