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
	"unicode"
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

// slug is the anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces
// turned into hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the heading anchors of a Markdown file.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if !inFence && strings.HasPrefix(line, "#") {
			out[slug(strings.TrimLeft(line, "#"))] = true
		}
	}
	return out
}

// TestGuidesLinksResolve: relative links of the hand-written guides point at files that exist,
// and their #anchors at headings of those files.
func TestGuidesLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]*)(?:#([^)\s]*))?\)`)
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
			target, anchor := m[1], m[2]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path := g
			if target != "" {
				path = filepath.Join(filepath.Dir(g), filepath.FromSlash(target))
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s links to %s, which does not exist", filepath.Base(g), target)
				continue
			}
			if anchor != "" && !anchors(string(body))[anchor] {
				t.Errorf("%s links to %s#%s, which has no such heading", filepath.Base(g), target, anchor)
			}
		}
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		" 2. Redirect URIs":                        "2-redirect-uris",
		" What `--storage file` gives up":          "what---storage-file-gives-up",
		" Login required (exit 4)":                 "login-required-exit-4",
		" Profiles, logout, exec":                  "profiles-logout-exec",
		" `webex token`: a bearer token on stdout": "webex-token-a-bearer-token-on-stdout",
	}
	for in, want := range tests {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
