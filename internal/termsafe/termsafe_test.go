package termsafe

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com":      "alice@example.com",
		"evil\x1b]52;c;AAAA\x07": `evil\u001b]52;c;AAAA\u0007`,
		"\x1b[2Jcleared":         `\u001b[2Jcleared`,
		"abc\u202edcba":          `abc\u202edcba`,
		"c1\u009b31m":            `c1\u009b31m`,
		"Zoë 👩‍💻":                "Zoë 👩\\u200d💻",
		"line\nbreak":            `line\u000abreak`,
		"tag\U000E0041":          `tag\udb40\udc41`,
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextKeepsTheJSONValue(t *testing.T) {
	v := map[string]string{"name": "a\u009b\u202e\U000E0041b", "plain": "x\ny"}
	raw, _ := json.MarshalIndent(v, "", "  ")
	out := Text(string(raw))
	if strings.ContainsAny(out, "\u009b\u202e\U000E0041") {
		t.Fatalf("unsafe characters left: %q", out)
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(out), &back); err != nil || back["name"] != v["name"] || back["plain"] != v["plain"] {
		t.Fatalf("value changed: %v %v", back, err)
	}
	if !strings.Contains(out, "\n  \"name\"") {
		t.Error("layout lost")
	}
}

// FuzzText checks that no unsafe character survives either function and that Text keeps a
// JSON document's value.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31mred\u009b\u202e", `{"a":"\u0085x"}`, "\U000E0041\r\n\t", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		line, text := Line(s), Text(s)
		if i := strings.IndexFunc(line, Unsafe); i >= 0 {
			t.Fatalf("Line(%q) left an unsafe character: %q", s, line)
		}
		if i := strings.IndexFunc(text, func(r rune) bool { return Unsafe(r) && !strings.ContainsRune("\n\t\r", r) }); i >= 0 {
			t.Fatalf("Text(%q) left an unsafe character: %q", s, text)
		}
		var before, after any
		if json.Unmarshal([]byte(s), &before) == nil {
			if err := json.Unmarshal([]byte(text), &after); err != nil {
				t.Fatalf("Text(%q) = %q is no longer JSON: %v", s, text, err)
			}
			b1, _ := json.Marshal(before)
			b2, _ := json.Marshal(after)
			if string(b1) != string(b2) {
				t.Fatalf("Text(%q) changed the value: %s, want %s", s, b2, b1)
			}
		}
	})
}
