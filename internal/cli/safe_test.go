package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSafe(t *testing.T) {
	for in, want := range map[string]string{
		"alice@example.com":      "alice@example.com",
		"evil\x1b]52;c;AAAA\x07": `evil\u001b]52;c;AAAA\u0007`,
		"\x1b[2Jcleared":         `\u001b[2Jcleared`,
		"abc\u202edcba":          `abc\u202edcba`,
		"c1\u009b31m":            `c1\u009b31m`,
		"Zoë 👩‍💻":                "Zoë 👩\\u200d💻",
		"line\nbreak":            `line\u000abreak`,
	} {
		if got := safe(in); got != want {
			t.Errorf("safe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeJSONKeepsTheValue(t *testing.T) {
	v := map[string]string{"name": "a\u009b\u202e\U000E0041b", "plain": "x\ny"}
	raw, _ := json.MarshalIndent(v, "", "  ")
	out := safeJSON(string(raw))
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
