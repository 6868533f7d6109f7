// Package iostreams owns the three standard streams of the CLI and what is known about them:
// whether each is a terminal, its width, and whether colour is allowed. Data goes to Out;
// prompts, QR codes, progress and warnings go to ErrOut.
package iostreams

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams is the set of streams a command uses.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	colour                         bool
	width                          func() int
}

// System returns the process's streams, with terminal detection and the NO_COLOR convention
// (https://no-color.org) applied.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	s.colour = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	s.width = func() int {
		if w, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil && w > 0 {
			return w
		}
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			return w
		}
		if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
			return c
		}
		return 80
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal; live countdowns and QR codes are
// drawn only there.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetTTY overrides terminal detection (tests).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// SetColour overrides whether colour may be used (tests).
func (s *IOStreams) SetColour(on bool) { s.colour = on }

// SetWidth fixes the terminal width (tests).
func (s *IOStreams) SetWidth(w int) { s.width = func() int { return w } }

// ColourOut reports whether ANSI colour may be written to Out: it must be a terminal and
// NO_COLOR must be unset.
func (s *IOStreams) ColourOut() bool { return s.colour && s.stdoutTTY }

// ColourErr reports whether ANSI colour may be written to ErrOut.
func (s *IOStreams) ColourErr() bool { return s.colour && s.stderrTTY }

// Width is the terminal's width in columns (80 when unknown).
func (s *IOStreams) Width() int {
	if s.width == nil {
		return 80
	}
	return s.width()
}

// Colour wraps text in an ANSI SGR code when on is true.
func Colour(on bool, code, text string) string {
	if !on {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
