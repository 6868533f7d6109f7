package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/cli"
	"github.com/webex-cli/webex/internal/testutil/iotest"
)

// repoDir is the repository root as seen from this package's folder, where go test runs.
const repoDir = "../.."

const regenerateHint = "run `go run ./cmd/gendocs` and commit docs/man, docs/cli and completions/"

// compareTrees compares the generated folders under committed with those under fresh, file by
// file and byte for byte, and returns one line per difference (sorted), or none.
func compareTrees(committed, fresh string) ([]string, error) {
	var diffs []string
	for _, sub := range generatedDirs {
		have, err := readFiles(filepath.Join(committed, filepath.FromSlash(sub)))
		if err != nil {
			return nil, err
		}
		want, err := readFiles(filepath.Join(fresh, filepath.FromSlash(sub)))
		if err != nil {
			return nil, err
		}
		for name, w := range want {
			h, ok := have[name]
			switch {
			case !ok:
				diffs = append(diffs, fmt.Sprintf("%s/%s: missing (the code now generates it)", sub, name))
			case !bytes.Equal(h, w):
				diffs = append(diffs, fmt.Sprintf("%s/%s: differs (%s)", sub, name, firstDifference(h, w)))
			}
		}
		for name := range have {
			if _, ok := want[name]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s/%s: extra (the code no longer generates it)", sub, name))
			}
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}

// readFiles returns the files of dir by name, skipping dot files as gendocs does. A missing
// folder has no files.
func readFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return files, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		files[e.Name()] = b
	}
	return files, nil
}

// firstDifference describes the first line where committed and generated differ.
func firstDifference(committed, generated []byte) string {
	h := strings.Split(string(committed), "\n")
	w := strings.Split(string(generated), "\n")
	for i := 0; i < len(h) || i < len(w); i++ {
		var hl, wl string
		if i < len(h) {
			hl = h[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if hl != wl {
			return fmt.Sprintf("line %d: committed %q, generated %q", i+1, hl, wl)
		}
	}
	return "same lines, different bytes"
}

func generateInto(t *testing.T, root *cobra.Command) string {
	t.Helper()
	dir := t.TempDir()
	if err := generate(root, dir); err != nil {
		t.Fatalf("generate: %v", err)
	}
	return dir
}

// TestGeneratedFilesUpToDate is the drift check: the committed man pages, Markdown reference
// and completion scripts must be exactly what the current command tree generates.
func TestGeneratedFilesUpToDate(t *testing.T) {
	fresh := generateInto(t, cli.CommandTree())
	diffs, err := compareTrees(repoDir, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("the generated documentation is out of date; %s:\n  %s", regenerateHint, strings.Join(diffs, "\n  "))
	}
}

// TestGenerateIsReproducible: two runs give the same bytes, so the drift check cannot flap.
func TestGenerateIsReproducible(t *testing.T) {
	a := generateInto(t, cli.CommandTree())
	b := generateInto(t, cli.CommandTree())
	diffs, err := compareTrees(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("two runs differ:\n  %s", strings.Join(diffs, "\n  "))
	}
}

// TestDriftCheckFails proves the drift check can fail: a tree changed without regenerating
// (a new flag, a new command, a removed command) is reported against the committed files.
func TestDriftCheckFails(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, root *cobra.Command)
		want   []string // substrings of the reported differences
	}{
		{
			name: "flag added to a command",
			mutate: func(t *testing.T, root *cobra.Command) {
				findCmd(t, root, "token").Flags().Bool("drift-probe", false, "a flag the committed docs do not know")
			},
			want: []string{"docs/cli/webex_token.md: differs", "docs/man/webex-token.1: differs"},
		},
		{
			name: "global flag added",
			mutate: func(t *testing.T, root *cobra.Command) {
				root.PersistentFlags().String("drift-probe", "", "a flag the committed docs do not know")
			},
			want: []string{"docs/cli/webex.md: differs", "docs/cli/webex_login.md: differs", "docs/man/webex-status.1: differs"},
		},
		{
			name: "command added",
			mutate: func(t *testing.T, root *cobra.Command) {
				root.AddCommand(&cobra.Command{Use: "drift-probe", Short: "a command the committed docs do not know", Run: func(*cobra.Command, []string) {}})
			},
			want: []string{"docs/cli/webex_drift-probe.md: missing", "docs/man/webex-drift-probe.1: missing", "docs/cli/webex.md: differs"},
		},
		{
			name: "command removed",
			mutate: func(t *testing.T, root *cobra.Command) {
				root.RemoveCommand(findCmd(t, root, "switch"))
			},
			want: []string{"docs/cli/webex_switch.md: extra", "docs/man/webex-switch.1: extra"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := cli.CommandTree()
			tt.mutate(t, root)
			fresh := generateInto(t, root)
			diffs, err := compareTrees(repoDir, fresh)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(diffs, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("the drift check did not report %q; it reported:\n%s", w, all)
				}
			}
		})
	}
}

// TestCompareTrees covers the comparison on its own: equal trees, a changed byte, a missing
// and an extra file.
func TestCompareTrees(t *testing.T) {
	write := func(t *testing.T, root string, files map[string]string) {
		t.Helper()
		for name, body := range files {
			p := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := map[string]string{
		"docs/man/webex.1":      "man\n",
		"docs/cli/webex.md":     "md\n",
		"completions/_webex":    "zsh\n",
		"completions/.keep":     "ignored",
		"docs/guide-not-ours":   "outside the generated folders",
		"completions/webex.ps1": "ps\r\n",
	}
	tests := []struct {
		name      string
		committed map[string]string
		want      []string
	}{
		{"identical", nil, nil},
		{"one byte changed", map[string]string{"docs/cli/webex.md": "mD\n"}, []string{`docs/cli/webex.md: differs (line 1: committed "mD", generated "md")`}},
		{"line endings changed", map[string]string{"completions/webex.ps1": "ps\n"}, []string{"completions/webex.ps1: differs"}},
		{"extra file", map[string]string{"docs/man/webex-old.1": "old\n"}, []string{"docs/man/webex-old.1: extra"}},
		{"dot files and other folders ignored", map[string]string{"completions/.other": "x", "docs/guide-not-ours": "changed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh, committed := t.TempDir(), t.TempDir()
			write(t, fresh, base)
			write(t, committed, base)
			write(t, committed, tt.committed)
			diffs, err := compareTrees(committed, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) != len(tt.want) {
				t.Fatalf("got %d differences %q, want %d %q", len(diffs), diffs, len(tt.want), tt.want)
			}
			for i := range diffs {
				if !strings.HasPrefix(diffs[i], tt.want[i]) {
					t.Errorf("difference %d = %q, want prefix %q", i, diffs[i], tt.want[i])
				}
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		fresh, committed := t.TempDir(), t.TempDir()
		write(t, fresh, base)
		write(t, committed, base)
		if err := os.Remove(filepath.Join(committed, "docs", "man", "webex.1")); err != nil {
			t.Fatal(err)
		}
		diffs, err := compareTrees(committed, fresh)
		if err != nil {
			t.Fatal(err)
		}
		if len(diffs) != 1 || !strings.HasPrefix(diffs[0], "docs/man/webex.1: missing") {
			t.Fatalf("got %q, want docs/man/webex.1 missing", diffs)
		}
	})
}

// TestGenerateRemovesStaleFiles: gendocs owns its folders, so a page of a removed command
// does not survive a regeneration.
func TestGenerateRemovesStaleFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "docs", "cli", "webex_removed.md")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(cli.CommandTree(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale page survived generation (stat: %v)", err)
	}
}

// TestGeneratedContent checks what a user relies on in the output: the man header, the
// completion command being documented, and the completion scripts naming the program.
func TestGeneratedContent(t *testing.T) {
	dir := generateInto(t, cli.CommandTree())
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		file string
		want []string
	}{
		{"docs/man/webex.1", []string{`.TH "WEBEX" "1" "Jan 2026" "webex" "webex manual"`, "webex-login(1)"}},
		{"docs/man/webex-login.1", []string{`.TH "WEBEX-LOGIN" "1"`, `\fB--client-secret-file\fP`}},
		{"docs/man/webex-completion-zsh.1", []string{"zsh"}},
		{"docs/cli/webex.md", []string{"## webex", "[webex login](webex_login.md)", "[webex completion](webex_completion.md)"}},
		{"docs/cli/webex_completion_powershell.md", []string{"## webex completion powershell"}},
		{"completions/webex.bash", []string{"__start_webex", "complete -o default -F __start_webex webex"}},
		{"completions/_webex", []string{"#compdef webex"}},
		{"completions/webex.fish", []string{"complete -c webex"}},
		{"completions/webex.ps1", []string{"Register-ArgumentCompleter", "webex"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := read(tt.file)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s lacks %q", tt.file, w)
				}
			}
		})
	}
	if got := read("docs/cli/webex.md"); strings.Contains(got, "Auto generated by spf13/cobra") {
		t.Error("docs/cli/webex.md carries cobra's dated auto-generated tag")
	}
}

// findCmd returns the subcommand of root named name.
func findCmd(t *testing.T, root *cobra.Command, name string) *cobra.Command {
	t.Helper()
	for _, c := range root.Commands() {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("no command %q in the tree", name)
	return nil
}

// TestCompletionScriptsMatchTheBinary: the committed scripts are what `webex completion SHELL`
// prints, so a packaged script and one a user generates behave the same.
func TestCompletionScriptsMatchTheBinary(t *testing.T) {
	tests := []struct{ shell, file string }{
		{"bash", "webex.bash"},
		{"zsh", "_webex"},
		{"fish", "webex.fish"},
		{"powershell", "webex.ps1"},
	}
	dir := generateInto(t, cli.CommandTree())
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			ios, _, out, errOut := iotest.Streams()
			if code := cli.Main([]string{"completion", tt.shell}, ios); code != 0 {
				t.Fatalf("webex completion %s: exit %d: %s", tt.shell, code, errOut)
			}
			want, err := os.ReadFile(filepath.Join(dir, completionsDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("webex completion %s differs from completions/%s (%s)", tt.shell, tt.file, firstDifference(want, out.Bytes()))
			}
		})
	}
}
