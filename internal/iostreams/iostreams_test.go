package iostreams

import (
	"os"
	"testing"
)

func TestSetTTYAndColour(t *testing.T) {
	tests := []struct {
		colour, stdoutTTY, stderrTTY bool
		wantOut, wantErr             bool
	}{
		{false, false, false, false, false},
		{false, true, true, false, false},  // NO_COLOR (or TERM=dumb) wins over terminals
		{true, false, false, false, false}, // pipes get no colour
		{true, true, false, true, false},
		{true, false, true, false, true},
		{true, true, true, true, true},
	}
	for _, tt := range tests {
		s := &IOStreams{}
		s.SetTTY(true, tt.stdoutTTY, tt.stderrTTY)
		s.SetColour(tt.colour)
		if !s.IsStdinTTY() || s.IsStdoutTTY() != tt.stdoutTTY || s.IsStderrTTY() != tt.stderrTTY {
			t.Errorf("SetTTY(true, %v, %v) not reflected", tt.stdoutTTY, tt.stderrTTY)
		}
		if s.ColourOut() != tt.wantOut || s.ColourErr() != tt.wantErr {
			t.Errorf("colour %v, stdout TTY %v, stderr TTY %v: ColourOut %v, ColourErr %v; want %v, %v",
				tt.colour, tt.stdoutTTY, tt.stderrTTY, s.ColourOut(), s.ColourErr(), tt.wantOut, tt.wantErr)
		}
	}
	s := &IOStreams{}
	s.SetTTY(false, true, true)
	if s.ColourOut() || s.ColourErr() {
		t.Error("terminals alone turned colour on; SetColour was never called")
	}
}

func TestWidth(t *testing.T) {
	s := &IOStreams{}
	s.SetWidth(132)
	if s.Width() != 132 {
		t.Errorf("Width() = %d after SetWidth(132)", s.Width())
	}
	if (&IOStreams{}).Width() != 80 {
		t.Error("zero IOStreams: Width() is not 80")
	}
}

func TestColour(t *testing.T) {
	tests := []struct {
		on         bool
		code, text string
		want       string
	}{
		{false, "31", "error", "error"},
		{true, "31", "error", "\x1b[31merror\x1b[0m"},
		{true, "1;32", "ok", "\x1b[1;32mok\x1b[0m"},
		{true, "2", "", "\x1b[2m\x1b[0m"},
		{false, "1", "", ""},
	}
	for _, tt := range tests {
		if got := Colour(tt.on, tt.code, tt.text); got != tt.want {
			t.Errorf("Colour(%v, %q, %q) = %q, want %q", tt.on, tt.code, tt.text, got, tt.want)
		}
	}
	// The usual call site: colour decided by the stream.
	s := &IOStreams{}
	if got := Colour(s.ColourErr(), "31", "x"); got != "x" {
		t.Errorf("Test() stream coloured: %q", got)
	}
}

// TestSystemColourFlag checks the environment rules of System: NO_COLOR set to any non-empty value or
// TERM=dumb turn colour off. Only the flag is checked: whether the streams are terminals
// depends on how the tests run.
func TestSystemColourFlag(t *testing.T) {
	tests := []struct {
		name     string
		noColour *string
		term     string
		want     bool
	}{
		{"nothing set", nil, "xterm-256color", true},
		{"NO_COLOR=1", ptr("1"), "xterm-256color", false},
		{"NO_COLOR=anything", ptr("false"), "xterm", false},
		{"NO_COLOR empty", ptr(""), "xterm", true},
		{"TERM=dumb", nil, "dumb", false},
		{"TERM empty", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TERM", tt.term)
			if tt.noColour != nil {
				t.Setenv("NO_COLOR", *tt.noColour)
			} else {
				t.Setenv("NO_COLOR", "") // restored after the test
				os.Unsetenv("NO_COLOR")
			}
			s := System()
			if s.colour != tt.want {
				t.Errorf("colour = %v, want %v", s.colour, tt.want)
			}
			if !tt.want && (s.ColourOut() || s.ColourErr()) {
				t.Error("colour allowed on a stream")
			}
			if s.In != os.Stdin || s.Out != os.Stdout || s.ErrOut != os.Stderr {
				t.Error("System() streams are not the process's")
			}
			if s.Width() <= 0 {
				t.Errorf("Width() = %d", s.Width())
			}
		})
	}
}

func ptr(s string) *string { return &s }
