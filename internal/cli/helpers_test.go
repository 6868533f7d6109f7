package cli

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/testutil/iotest"
	"github.com/webex-cli/webex/internal/testutil/memstore"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// testKeys are shared by every emulator of the test binary: RSA key generation is slow.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	var keys []*rsa.PrivateKey
	for i := 0; i < 3; i++ {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys = append(keys, k)
	}
	return keys
})

// startEmulator runs an in-process emulator on 127.0.0.1 for the test.
func startEmulator(t *testing.T, cfg emulator.Config) *emulator.Server {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = testKeys()
	}
	if cfg.DeviceInterval == 0 {
		cfg.DeviceInterval = time.Second
	}
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// harness runs webex commands in-process with a private config dir, a fixed environment and
// a shared in-memory "keyring".
type harness struct {
	t       *testing.T
	env     map[string]string
	keyring *memstore.Store
	browser func(url string) error
	now     func() time.Time
	// tty makes stdout and stderr terminals of the given width, with colour.
	tty   bool
	width int
}

func newHarness(t *testing.T, env map[string]string) *harness {
	h := &harness{t: t, env: map[string]string{"WEBEX_CONFIG_DIR": t.TempDir()}, keyring: memstore.New()}
	for k, v := range env {
		h.env[k] = v
	}
	return h
}

// stored reads the secrets the harness's keyring holds for profile, as the saved profile's
// login (with no saved profile, as nobody's: any secrets left are ErrOtherLogin, not
// ErrNotFound).
func (h *harness) stored(profile string) (*tokenstore.Secrets, error) {
	binding := ""
	if p, err := config.Open(h.env["WEBEX_CONFIG_DIR"]).Load(profile); err == nil {
		binding = p.Binding()
	}
	return h.keyring.Load(context.Background(), profile, binding)
}

// emulatorEnv points webex at srv.
func emulatorEnv(srv *emulator.Server) map[string]string {
	return map[string]string{
		"WEBEX_BASE_URL":      srv.BaseURL(),
		"WEBEX_CLIENT_ID":     srv.ClientID(),
		"WEBEX_CLIENT_SECRET": srv.ClientSecret(),
	}
}

type result struct {
	code   int
	stdout string
	stderr string
}

func (h *harness) run(args ...string) result {
	return h.runIn("", args...)
}

func (h *harness) runIn(stdin string, args ...string) result {
	h.t.Helper()
	return h.exec(stdin, nil, args...)
}

// exec runs args with the harness's wiring, then tweak (when not nil) applied to it last.
func (h *harness) exec(stdin string, tweak func(d *deps), args ...string) result {
	h.t.Helper()
	ios, in, out, errOut := iotest.Streams()
	in.WriteString(stdin)
	if h.tty {
		ios.SetTTY(false, true, true)
		ios.SetColour(true)
		ios.SetWidth(h.width)
	}
	d := newDeps(ios)
	d.getenv = func(k string) string { return h.env[k] }
	if h.now != nil {
		d.now = h.now
	}
	d.openStore = func(kind, dir string) (tokenstore.Store, error) {
		if kind == "keyring" {
			return h.keyring, nil
		}
		return tokenstore.New(kind, dir)
	}
	d.openBrowser = func(url string) error {
		if h.browser != nil {
			return h.browser(url)
		}
		return followInBackground(url)
	}
	if tweak != nil {
		tweak(d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := run(ctx, args, d)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// followInBackground plays a browser whose user approves at once: it follows the sign-in URL's
// redirects (the emulator in auto mode redirects straight to the loopback callback).
func followInBackground(url string) error {
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return nil
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
