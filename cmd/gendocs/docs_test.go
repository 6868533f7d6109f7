package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The troubleshooting guide quotes each message a user can meet on a line of its own:
//
//	> `the sign-in request was denied`
//	> ``no client id: pass --client-id ... (the message holds `backticks`) ``
//
// "…" stands for a part the program fills in (a profile name, a URL, a cause); every other
// fragment must appear verbatim in a string literal of the program.
const troubleshootingGuide = "docs/troubleshooting.md"

// quotedMessages returns the messages quoted in a guide, with their line numbers.
func quotedMessages(text string) (msgs []string, lines []int) {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \r")
		if !strings.HasPrefix(line, "> `") {
			continue
		}
		span := strings.TrimPrefix(line, "> ")
		n := len(span) - len(strings.TrimLeft(span, "`"))
		fence := strings.Repeat("`", n)
		if len(span) < 2*n || !strings.HasSuffix(span, fence) {
			continue
		}
		inner := span[n : len(span)-n]
		if strings.HasPrefix(inner, " ") && strings.HasSuffix(inner, " ") && len(inner) > 2 {
			inner = inner[1 : len(inner)-1] // CommonMark strips one space of padding
		}
		msgs = append(msgs, inner)
		lines = append(lines, i+1)
	}
	return msgs, lines
}

// fragments splits a quoted message at its "…" placeholders, trimming the spaces and the
// punctuation that joins a fragment to a placeholder ("profile …: use" gives "profile" and
// "use").
func fragments(msg string) []string {
	var out []string
	for _, f := range strings.Split(msg, "…") {
		if f = strings.Trim(f, " :;,"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// programStrings returns every string constant of the non-test Go files under the given
// folders: each literal, and each chain of literals joined with +.
func programStrings(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if e, ok := n.(ast.Expr); ok {
					if s, ok := constString(e); ok {
						out = append(out, s)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// constString evaluates a string literal or a + chain of them.
func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return constString(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, ok1 := constString(e.X)
		y, ok2 := constString(e.Y)
		return x + y, ok1 && ok2
	}
	return "", false
}

var formatVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// TestTroubleshootingMessagesExist: every message the troubleshooting guide quotes is one the
// program can print, so the guide cannot describe errors that no longer exist or were
// reworded.
func TestTroubleshootingMessagesExist(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoDir, filepath.FromSlash(troubleshootingGuide)))
	if err != nil {
		t.Fatal(err)
	}
	msgs, lines := quotedMessages(string(b))
	if len(msgs) < 40 {
		t.Fatalf("%s quotes only %d messages; the convention is a line `> `+\"`message`\"", troubleshootingGuide, len(msgs))
	}
	strs := programStrings(t, filepath.Join(repoDir, "internal"), filepath.Join(repoDir, "cmd"))
	for i, msg := range msgs {
		if v := formatVerb.FindString(msg); v != "" {
			t.Errorf("%s:%d: %q holds the format verb %s; quote what the user sees, with … for the variable part", troubleshootingGuide, lines[i], msg, v)
			continue
		}
		for _, frag := range fragments(msg) {
			found := false
			for _, s := range strs {
				if strings.Contains(s, frag) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s:%d: no string in internal/ or cmd/ contains %q", troubleshootingGuide, lines[i], frag)
			}
		}
	}
}

// TestQuotedMessages pins the guide's quoting convention.
func TestQuotedMessages(t *testing.T) {
	text := "# Title\n" +
		"> `plain message`\n" +
		"> `` with `code` inside ``\n" +
		"> not a quote `x`\n" +
		"> `unterminated\n" +
		"  > `indented is not a quote`\n" +
		"> `trailing spaces`   \r\n"
	msgs, lines := quotedMessages(text)
	want := []string{"plain message", "with `code` inside", "trailing spaces"}
	if strings.Join(msgs, "|") != strings.Join(want, "|") {
		t.Fatalf("messages = %q, want %q", msgs, want)
	}
	if lines[0] != 2 || lines[2] != 7 {
		t.Errorf("lines = %v", lines)
	}
	if got := fragments("unknown --qr …: use auto, always or never"); strings.Join(got, "|") != "unknown --qr|use auto, always or never" {
		t.Errorf("fragments = %q", got)
	}
}

// TestGuidesLinkResolve: relative links between the hand-written guides and the reference
// point at files that exist.
func TestGuidesLinkResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	guides, err := filepath.Glob(filepath.Join(repoDir, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(guides) < 4 {
		t.Fatalf("found %d guides in docs/, want integration, scripting, security and troubleshooting", len(guides))
	}
	for _, g := range guides {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(g), filepath.FromSlash(target))); err != nil {
				t.Errorf("%s links to %s, which does not exist", filepath.Base(g), target)
			}
		}
	}
}
