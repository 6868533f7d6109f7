// Package iotest gives tests streams backed by buffers in place of the terminal.
package iotest

import (
	"bytes"
	"sync"

	"github.com/webex-cli/webex/internal/iostreams"
)

// Streams returns streams backed by buffers: stdin, stdout and stderr. None is a terminal and
// colour is off until SetTTY or SetColour say otherwise; the width is 80.
func Streams() (*iostreams.IOStreams, *bytes.Buffer, *Buffer, *Buffer) {
	in, out, errOut := &bytes.Buffer{}, &Buffer{}, &Buffer{}
	return &iostreams.IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// Buffer is a bytes.Buffer that is safe for concurrent use, as a terminal is.
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

// Bytes returns a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}
