package tokenstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFilePermissionsAndAtomicity(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits on Windows")
	}
	dir := t.TempDir()
	f := NewFile(dir)
	if err := f.Save(context.Background(), "p", &Secrets{AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	assertPerm(t, filepath.Join(dir, "tokens"), 0o700)
	assertPerm(t, f.Path("p"), 0o600)
	entries, _ := os.ReadDir(filepath.Join(dir, "tokens"))
	if len(entries) != 1 {
		t.Fatalf("tokens folder has %d entries, want 1 (temporary file left?)", len(entries))
	}

	// Loose permissions are tightened: the folder on Save, the file on Load.
	if err := os.Chmod(filepath.Join(dir, "tokens"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.Path("p"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(context.Background(), "p", ""); err != nil {
		t.Fatal(err)
	}
	assertPerm(t, f.Path("p"), 0o600)
	if err := f.Save(context.Background(), "p", &Secrets{AccessToken: "b"}); err != nil {
		t.Fatal(err)
	}
	assertPerm(t, filepath.Join(dir, "tokens"), 0o700)
	assertPerm(t, f.Path("p"), 0o600)
}

func TestFileCorrupt(t *testing.T) {
	dir := t.TempDir()
	f := NewFile(dir)
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, content string }{
		{"empty", ""},
		{"garbage", "AT-SECRET"},
		{"truncated", `{"access_token":"AT-SECRET`},
		{"bad escape", `{"access_token":"AT-SECRET\q"}`},
		{"wrong type", `{"access_token":["AT-SECRET"]}`},
		{"array", `["AT-SECRET"]`},
		{"trailing", `{"access_token":"a"} AT-SECRET`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(f.Path("p"), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := f.Load(context.Background(), "p", "")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load = %v, want ErrCorrupt", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, f.Path("p")) || strings.Contains(msg, "SECRET") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q must be one line, name the file and not quote its content", msg)
			}
			if _, err := f.LoadAccessToken(context.Background(), "p", "", ""); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("LoadAccessToken = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestFileRejectsNonRegular(t *testing.T) {
	dir := t.TempDir()
	f := NewFile(dir)
	if err := os.MkdirAll(f.Path("p"), 0o700); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	if _, err := f.Load(context.Background(), "p", ""); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a directory = %v, want an error", err)
	}
}

func assertPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}
