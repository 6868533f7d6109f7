package tokenstore

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParseSecrets feeds arbitrary bytes to the token file parser. It must
// never panic, every error must wrap ErrCorrupt and stay on one line, and
// what it accepts must round-trip.
func FuzzParseSecrets(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"a","refresh_token":"r","id_token":"i","client_secret":"c"}`,
		`{"refresh_token":"r","binding":"0123abcd","access_token":"a"}`,
		`{"binding":1}`,
		`{}`,
		`{"access_token":null}`,
		`{"access_token":"\u00e9\ud834\udd1e"}`,
		`{"future":{"x":[1,2]},"access_token":"a"}`,
		"{\n  \"access_token\": \"a\"\n}\n",
		``,
		`   `,
		`null`,
		`[]`,
		`{`,
		`{"access_token":1}`,
		`{"access_token":"a"}{}`,
		"\xff\xfe{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSecrets(data)
		if err != nil {
			if s != nil || !errors.Is(err, ErrCorrupt) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseSecrets(out)
		if err != nil || *again != *s {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

// FuzzParseHeader feeds arbitrary keyring header values (which another
// program could have written) to the header parser.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"v1=", "v1=token", "v1#a:3:0123456789abcdef", "v1#b:64:0123456789abcdef",
		"v1#a:65:0123456789abcdef", "v1#a:-1:x", "v1#", "v2=x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h, err := parseHeader(v)
		if err != nil {
			return
		}
		if !h.inline && (h.count < 1 || h.count > maxChunks || (h.slot != 'a' && h.slot != 'b')) {
			t.Fatalf("accepted a bad header %q: %+v", v, h)
		}
	})
}

// FuzzSplitAccess feeds arbitrary access item values (which another program
// could have written) to the parser: it never panics, an error wraps
// ErrCorrupt and returns nothing, and what it accepts is what Save would have
// written.
func FuzzSplitAccess(f *testing.F) {
	for _, s := range []string{"", ":", ":at", "0123abcd:at", "b:a:t", "no-binding", "b:", "\xff:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		binding, token, err := splitAccess(v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || binding != "" || token != "" {
				t.Fatalf("bad error: %v", err)
			}
			return
		}
		if v != "" && binding+":"+token != v || strings.Contains(binding, ":") {
			t.Fatalf("splitAccess(%q) = %q, %q", v, binding, token)
		}
	})
}
