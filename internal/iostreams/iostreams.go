// Package iostreams owns the three standard streams of the CLI and what is known about them:
// whether each is a terminal, its width, and whether colour is allowed. Every byte the commands
// write goes through here, so tests can swap the streams for buffers with Test.
//
// Data goes to Out; prompts, QR codes, progress and warnings go to ErrOut. This package never
// decides what to print, only where and how.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"

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
	// https://no-color.org: a NO_COLOR that is present and not empty turns colour off.
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

// Test returns streams backed by buffers: stdin, stdout and stderr. None is a terminal and
// colour is off until SetTTY or SetColour say otherwise. The output buffers may be written
// from several goroutines, as a terminal may.
func Test() (*IOStreams, *bytes.Buffer, *Buffer, *Buffer) {
	in, out, errOut := &bytes.Buffer{}, &Buffer{}, &Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: func() int { return 80 }}, in, out, errOut
}

// Buffer is a bytes.Buffer that is safe for concurrent use, for Test.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

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

// Bytes returns a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}
