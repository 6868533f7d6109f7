package cli

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
)

// countingTransport counts the requests a command sends.
type countingTransport struct{ n *atomic.Int64 }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestCommandsRefuseSecretsOfAnotherLogin: when the stored secrets were saved for other
// settings than the profile's (another base URL here), every command that reads them says
// "log in" with exit 4, prints nothing on stdout, runs nothing and sends nothing, even while
// the access token is fresh.
func TestCommandsRefuseSecretsOfAnotherLogin(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback"); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	sec, err := h.stored("default")
	if err != nil || sec.IDToken == "" {
		t.Fatalf("stored: %v", err)
	}
	p, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load("default")
	if err != nil {
		t.Fatal(err)
	}
	other := *p
	other.BaseURL = "http://127.0.0.1:1/v1"
	sec.Binding = other.Binding()
	if err := h.keyring.Save(context.Background(), "default", sec); err != nil {
		t.Fatal(err)
	}

	var sent atomic.Int64
	counting := func(d *deps) {
		d.httpOnce.Do(func() { d.httpClient = &http.Client{Transport: countingTransport{&sent}} })
	}
	for _, args := range [][]string{
		{"token"},
		{"token", "--id-token"},
		{"token", "--json"},
		{"userinfo"},
		{"refresh"},
		{"decode"},
		{"exec", "--", os.Args[0], "-test.run=^$"},
	} {
		r := h.exec("", counting, args...)
		if r.code != ExitLoginRequired || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q; want 4 and nothing", strings.Join(args, " "), r.code, r.stdout)
		}
		mustContain(t, strings.Join(args, " "), r.stderr, "belong to another login", "run `webex login`")
		if strings.Count(r.stderr, "webex login") != 1 {
			t.Errorf("%s: %q", strings.Join(args, " "), r.stderr)
		}
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent with the secrets of another login", n)
	}
}
