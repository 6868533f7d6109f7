package iotest

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestStreams(t *testing.T) {
	s, in, out, errOut := Streams()
	if s.In != in || s.Out != out || s.ErrOut != errOut {
		t.Fatal("Streams() are not the buffers it returned")
	}
	in.WriteString("typed\n")
	b := make([]byte, 16)
	n, _ := s.In.Read(b)
	if string(b[:n]) != "typed\n" {
		t.Errorf("In read %q", b[:n])
	}
	fmt.Fprint(s.Out, "data")
	fmt.Fprint(s.ErrOut, "progress")
	if out.String() != "data" || errOut.String() != "progress" {
		t.Errorf("Out %q, ErrOut %q", out.String(), errOut.String())
	}
	if s.IsStdinTTY() || s.IsStdoutTTY() || s.IsStderrTTY() {
		t.Error("Streams() claim to be terminals")
	}
	if s.ColourOut() || s.ColourErr() {
		t.Error("Streams() allow colour")
	}
	if s.Width() != 80 {
		t.Errorf("Width() = %d, want 80", s.Width())
	}
}

func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(&b, "w%d-%d\n", w, i)
				_ = b.String() // readers race with writers too
				_ = b.Bytes()
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		if seen[l] {
			t.Fatalf("line %q twice (interleaved writes?)", l)
		}
		seen[l] = true
	}
	for w := range writers {
		for i := range lines {
			if !seen[fmt.Sprintf("w%d-%d", w, i)] {
				t.Fatalf("line w%d-%d lost", w, i)
			}
		}
	}
}

func TestBufferBytesIsACopy(t *testing.T) {
	var b Buffer
	b.Write([]byte("abc"))
	c := b.Bytes()
	c[0] = 'X'
	if b.String() != "abc" {
		t.Errorf("Bytes() shares memory: buffer now %q", b.String())
	}
	b.Write([]byte("def"))
	if !bytes.Equal(c, []byte("Xbc")) || b.String() != "abcdef" {
		t.Errorf("copy %q, buffer %q", c, b.String())
	}
}
