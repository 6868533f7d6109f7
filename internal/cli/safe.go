package cli

import (
	"fmt"
	"strings"
	"unicode"
)

// unsafeRune reports characters that must not reach a terminal as they are: C0 and C1
// control characters (escape sequences can retitle the window, write the clipboard or clear
// the screen) and invisible format characters such as bidirectional overrides, which can
// make text read differently from what it is.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// safe makes a provider-supplied string fit to print as text: unsafe characters become
// visible \uXXXX escapes.
func safe(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// safeJSON escapes, inside JSON text, the characters encoding/json leaves raw but a terminal
// would act on (C1 controls, format characters). The result is the same JSON value. Newlines,
// tabs and other whitespace of the layout are kept.
func safeJSON(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unsafeRune(r) && r != '\n' && r != '\t' && r != '\r' }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) && r != '\n' && r != '\t' && r != '\r' {
			if r > 0xffff {
				hi, lo := utf16Pair(r)
				fmt.Fprintf(&b, "\\u%04x\\u%04x", hi, lo)
				continue
			}
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}
