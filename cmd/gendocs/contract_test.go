package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// contract lists the commands of the command-line contract (shared/cli.md) with the flags the
// contract names for each. "" is the root command (global flags). Keep it in step with cli.md:
// TestSharedContractDocumented checks the live file as well when a copy sits beside the
// repository.
var contract = map[string][]string{
	"":                      {"profile", "debug"},
	"login":                 {"provider", "issuer", "base-url", "client-id", "client-secret-file", "flow", "browser", "device", "redirect-uri", "no-browser", "qr", "login-hint", "prompt", "scopes", "timeout", "storage", "json", "with-token"},
	"token":                 {"min-ttl", "id-token", "json"},
	"refresh":               {"json"},
	"userinfo":              {"json"},
	"decode":                {"verify", "json"},
	"discover":              {"json"},
	"status":                {"json"},
	"logout":                {"all"},
	"switch":                nil,
	"exec":                  {"min-ttl"},
	"api":                   {"method", "raw-field", "field", "input", "header", "query", "paginate", "slurp", "jq", "include"},
	"emulator":              {"addr", "client-id", "client-secret", "redirect-uri", "user", "approve", "access-ttl", "refresh-ttl", "id-token-ttl", "device-ttl", "device-interval", "slow-down-every", "rate-limit-every"},
	"completion bash":       nil,
	"completion zsh":        nil,
	"completion fish":       nil,
	"completion powershell": nil,
	"version":               nil,
}

// markdownPage is the docs/cli page of a command path ("" for the root).
func markdownPage(path string) string {
	name := "webex"
	if path != "" {
		name += "_" + strings.ReplaceAll(path, " ", "_")
	}
	return filepath.Join(repoDir, "docs", "cli", name+".md")
}

// documentsFlag reports whether a page lists --name (as its own flag or an inherited one).
func documentsFlag(page, name string) bool {
	return regexp.MustCompile(`(?m)^\s+(-[a-zA-Z], )?--` + regexp.QuoteMeta(name) + `(\s|$)`).MatchString(page)
}

// TestContractDocumented: every command of the contract has a page in docs/cli, and that page
// documents every flag the contract names for it.
func TestContractDocumented(t *testing.T) {
	paths := make([]string, 0, len(contract))
	for p := range contract {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		t.Run("webex "+path, func(t *testing.T) {
			b, err := os.ReadFile(markdownPage(path))
			if err != nil {
				t.Fatalf("the contract's command `webex %s` has no reference page: %v", path, err)
			}
			page := string(b)
			flags := append([]string{"profile", "debug"}, contract[path]...)
			for _, f := range flags {
				if !documentsFlag(page, f) {
					t.Errorf("%s does not document --%s", filepath.Base(markdownPage(path)), f)
				}
			}
		})
	}
}

// sharedContract returns the text of shared/cli.md when a copy sits beside the repository
// (../shared, as on developer machines and in CI), else "".
func sharedContract(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(repoDir, "..", "shared", "cli.md"))
	if err != nil {
		return ""
	}
	return string(b)
}

var (
	codeSpan     = regexp.MustCompile("(?s)`([^`]+)`")
	flagName     = regexp.MustCompile(`(?:^|[\s\[(|])--([a-z][a-z0-9-]*)`)
	commandWord  = regexp.MustCompile(`^[a-z][a-z-]*$`)
	alternatives = regexp.MustCompile(`^[a-z]+(\|[a-z]+)+$`)
)

// contractMentions extracts from cli.md the command paths (from code spans starting with
// "webex ") and the flag names (from every code span) it names.
func contractMentions(text string) (commands, flags []string) {
	seenCmd, seenFlag := map[string]bool{}, map[string]bool{}
	for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
		// Inside a Markdown table, | is written \|.
		span := strings.Join(strings.Fields(strings.ReplaceAll(m[1], `\|`, "|")), " ")
		for _, f := range flagName.FindAllStringSubmatch(span, -1) {
			if !seenFlag[f[1]] {
				seenFlag[f[1]] = true
				flags = append(flags, f[1])
			}
		}
		if !strings.HasPrefix(span, "webex ") {
			continue
		}
		var words []string
		var alts []string
		for _, w := range strings.Fields(span)[1:] {
			if alternatives.MatchString(w) {
				alts = strings.Split(w, "|")
				break
			}
			if !commandWord.MatchString(w) {
				break
			}
			words = append(words, w)
		}
		if len(words) == 0 {
			continue
		}
		paths := []string{strings.Join(words, " ")}
		if alts != nil {
			paths = paths[:0]
			for _, a := range alts {
				paths = append(paths, strings.Join(append(append([]string{}, words...), a), " "))
			}
		}
		for _, p := range paths {
			if !seenCmd[p] {
				seenCmd[p] = true
				commands = append(commands, p)
			}
		}
	}
	return commands, flags
}

// TestContractMentions pins the extraction on a sample of cli.md's phrasing.
func TestContractMentions(t *testing.T) {
	sample := "| `webex login` | ... `--json` |\n" +
		"| `webex decode [TOKEN\\|-]` | `--verify` |\n" +
		"| `webex exec -- CMD [ARGS]` | at least `--min-ttl` |\n" +
		"| `webex completion bash\\|zsh\\|fish\\|powershell` |\n" +
		"`webex emulator [--addr 127.0.0.1:8080] [--client-id ID]\n[--redirect-uri URI]...`\n" +
		"run `webex login` again; `WEBEX_DEBUG=1` (or `--debug`); `--storage file`; `-` reads stdin\n"
	cmds, flags := contractMentions(sample)
	wantCmds := []string{"login", "decode", "exec", "completion bash", "completion zsh", "completion fish", "completion powershell", "emulator"}
	wantFlags := []string{"json", "verify", "min-ttl", "addr", "client-id", "redirect-uri", "debug", "storage"}
	if strings.Join(cmds, ",") != strings.Join(wantCmds, ",") {
		t.Errorf("commands = %q, want %q", cmds, wantCmds)
	}
	if strings.Join(flags, ",") != strings.Join(wantFlags, ",") {
		t.Errorf("flags = %q, want %q", flags, wantFlags)
	}
}

// TestSharedContractDocumented checks the live contract, when its copy is at hand: each
// command it names has a page, each flag it names is documented on some page, and the table
// above names them all (so the table cannot fall behind cli.md unnoticed).
func TestSharedContractDocumented(t *testing.T) {
	text := sharedContract(t)
	if text == "" {
		t.Skip("no ../shared/cli.md beside the repository; the built-in table still applies")
	}
	cmds, flags := contractMentions(text)
	if len(cmds) < 10 || len(flags) < 20 {
		t.Fatalf("found only %d commands and %d flags in cli.md; has its format changed?", len(cmds), len(flags))
	}
	t.Logf("cli.md names the commands %q and the flags %q", cmds, flags)

	var pages []string
	entries, err := os.ReadDir(filepath.Join(repoDir, "docs", "cli"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(repoDir, "docs", "cli", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, string(b))
	}

	tableFlags := map[string]bool{}
	for _, fs := range contract {
		for _, f := range fs {
			tableFlags[f] = true
		}
	}
	for _, c := range cmds {
		if _, err := os.Stat(markdownPage(c)); err != nil {
			t.Errorf("cli.md names `webex %s`, which has no page in docs/cli", c)
		}
		if _, ok := contract[c]; !ok {
			t.Errorf("cli.md names `webex %s`, which the contract table in contract_test.go lacks", c)
		}
	}
	for _, f := range flags {
		found := false
		for _, p := range pages {
			if documentsFlag(p, f) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("cli.md names --%s, which no page in docs/cli documents", f)
		}
		if !tableFlags[f] {
			t.Errorf("cli.md names --%s, which the contract table in contract_test.go lacks", f)
		}
	}
}
