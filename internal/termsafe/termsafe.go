// Package termsafe makes untrusted text fit to show on a terminal: a provider's error
// description, a claim, an HTTP body in the debug trace. Characters a terminal would act on,
// or that make text read differently from what it is, become visible \uXXXX escapes. It owns
// no output and knows no protocol.
package termsafe

import (
	"fmt"
	"strings"
	"unicode"
)

// Unsafe reports characters that must not reach a terminal as they are: C0 and C1 control
// characters (escape sequences can retitle the window, write the clipboard or clear the
// screen) and invisible format characters such as bidirectional overrides, which can make
// text read differently from what it is.
func Unsafe(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// Line makes s fit to print as one line of text: every unsafe character, line breaks
// included, becomes a \uXXXX escape.
func Line(s string) string {
	return escape(s, Unsafe)
}

// Text is Line for text laid out over lines (JSON, a trace): newlines, tabs and carriage
// returns are kept. Escapes follow JSON (characters beyond U+FFFF as surrogate pairs), so
// inside JSON text the result is the same JSON value.
func Text(s string) string {
	return escape(s, func(r rune) bool { return Unsafe(r) && r != '\n' && r != '\t' && r != '\r' })
}

func escape(s string, unsafe func(rune) bool) string {
	if strings.IndexFunc(s, unsafe) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafe(r):
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, "\\u%04x\\u%04x", 0xd800+(r>>10)&0x3ff, 0xdc00+r&0x3ff)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}
