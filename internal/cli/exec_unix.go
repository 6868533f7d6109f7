//go:build !windows

package cli

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// passedOn are the signals `webex exec` passes on to its command: every one a person, a
// terminal or a supervisor sends to ask a program to stop, reload or redraw.
var passedOn = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// catchSignals starts catching the signals of passedOn before the child exists, so that a
// signal sent while it starts is not lost and none of them ends webex before its child.
// forward passes those signals, and every later one, on to the child until stop is called;
// stop alone ends the catching when the child never started.
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

// fromTerminal reports whether s is a SIGINT or SIGQUIT that the child has had already: the
// terminal sends Ctrl-C and Ctrl-\ to its whole foreground process group, so when webex and
// the child are both in it, passing the signal on would deliver it twice, and a second
// interrupt makes many programs quit without cleaning up. As sudo does, such signals are not
// passed on. A process cannot see who sent a signal, so one sent to webex alone while it runs
// in the foreground of a terminal is taken for the terminal's; everywhere else (a supervisor,
// an IDE, CI, `timeout`, a background job) every signal is passed on.
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

// exitSignal is the number of the signal that ended the child, for the shell's 128+n rule.
func exitSignal(ee *exec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return int(ws.Signal())
	}
	return 1
}
