package restapi

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzNextLink feeds arbitrary Link headers, as any server may send: no panic, a link found
// is part of the header, and Next never returns a URL on another origin than the base.
func FuzzNextLink(f *testing.F) {
	for _, s := range []string{
		`<https://webexapis.com/v1/people?cursor=abc>; rel="next"`,
		`<https://a/first>; rel="first", <https://a/next>; rel="next"`,
		`<https://a/x>; title="a, \"b\""; rel="prev next"`,
		`</v1/people?cursor=1>; rel=next`,
		`<//evil.example/x>; rel="next"`,
		`<https://evil.example/x>; rel="next"`,
		`<http://127.0.0.1:1/v1/x>; rel="next"`,
		`<http://user@127.0.0.1:8080/v1/x>; rel="next"`,
		`<http://@>; rel=next`,
		`<`, `<>; rel`, `,,,<a>;;;rel=`, `<a>; rel="`,
	} {
		f.Add(s)
	}
	const base = "http://127.0.0.1:8080/v1"
	f.Fuzz(func(t *testing.T, link string) {
		h := http.Header{"Link": {link}}
		got := NextLink(h)
		if got != "" && !strings.Contains(link, got) {
			t.Fatalf("NextLink(%q) = %q, not part of the header", link, got)
		}
		next, err := Next(base, base+"/people", h)
		if err != nil {
			if got == "" {
				t.Fatalf("error %v without a link", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if next != "" && !strings.HasPrefix(next, "http://127.0.0.1:8080/") {
			t.Fatalf("Next(%q) = %q, off the base's origin", link, next)
		}
		if next == "" && got != "" {
			t.Fatalf("link %q lost", got)
		}
	})
}
