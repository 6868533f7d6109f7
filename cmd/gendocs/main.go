// Command gendocs writes the man pages (docs/man), the Markdown reference (docs/cli) and the
// completion scripts (completions/) from cli.CommandTree; a test fails when they drift.
//
//	go run ./cmd/gendocs            # from the repository root: writes into it
//	go run ./cmd/gendocs -out DIR   # writes DIR/docs/man, DIR/docs/cli and DIR/completions
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/webex-cli/webex/internal/cli"
)

// manDate is the man pages' date, fixed so the output is reproducible; move it forward when
// the pages change in substance.
var manDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// The folders gendocs owns and empties before writing, relative to the output root.
const (
	manDir         = "docs/man"
	markdownDir    = "docs/cli"
	completionsDir = "completions"
)

// generatedDirs lists the folders gendocs owns, for the drift test.
var generatedDirs = []string{manDir, markdownDir, completionsDir}

func main() {
	out := flag.String("out", ".", "root folder to write docs/man, docs/cli and completions/ into")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gendocs: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := generate(cli.CommandTree(), *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// generate writes every generated file for root under dir, into emptied folders so a removed
// command leaves no stale page behind.
func generate(root *cobra.Command, dir string) error {
	// What cobra adds only when the program runs, so the docs describe that tree.
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()
	root.InitDefaultHelpFlag()
	for _, sub := range generatedDirs {
		if err := resetDir(filepath.Join(dir, filepath.FromSlash(sub))); err != nil {
			return err
		}
	}

	date := manDate
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: "webex", Manual: "webex manual"}
	if err := doc.GenManTree(root, header, filepath.Join(dir, filepath.FromSlash(manDir))); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := doc.GenMarkdownTree(root, filepath.Join(dir, filepath.FromSlash(markdownDir))); err != nil {
		return fmt.Errorf("markdown reference: %w", err)
	}

	// The same scripts as `webex completion SHELL` prints (with descriptions).
	scripts := []struct {
		name string
		gen  func(io.Writer) error
	}{
		{"webex.bash", func(w io.Writer) error { return root.GenBashCompletionV2(w, true) }},
		{"_webex", root.GenZshCompletion},
		{"webex.fish", func(w io.Writer) error { return root.GenFishCompletion(w, true) }},
		{"webex.ps1", root.GenPowerShellCompletionWithDesc},
	}
	for _, s := range scripts {
		var buf bytes.Buffer
		if err := s.gen(&buf); err != nil {
			return fmt.Errorf("completion script %s: %w", s.name, err)
		}
		path := filepath.Join(dir, filepath.FromSlash(completionsDir), s.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// resetDir creates dir, or empties it of files when it exists.
func resetDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			return fmt.Errorf("%s holds a folder %q; gendocs writes only files there", dir, e.Name())
		}
		if strings.HasPrefix(e.Name(), ".") {
			continue // .gitkeep and editor files are not ours
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
