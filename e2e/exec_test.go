package e2e

import (
	"runtime"
	"testing"
)

// TestExecEnvironment: the command gets the token and webex's environment, but not the
// client secret.
func TestExecEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	r := runWebex(t, []string{"WEBEX_ACCESS_TOKEN=token-from-ci", "WEBEX_CLIENT_SECRET=do-not-pass-on", "EXTRA=kept", "WEBEX_CONFIG_DIR=" + t.TempDir()}, "",
		"exec", "--", "sh", "-c", `test -z "$WEBEX_CLIENT_SECRET" && test "$WEBEX_ACCESS_TOKEN" = token-from-ci && test "$EXTRA" = kept`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}
