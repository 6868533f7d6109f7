package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/pkg/browser"
	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/flow/device"
	"github.com/webex-cli/webex/internal/httpx"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/redact"
	"github.com/webex-cli/webex/internal/termsafe"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// deps is the one place the command line is wired to the rest of the program. Everything a
// command needs from the outside world comes through here, so tests can replace it.
type deps struct {
	io     *iostreams.IOStreams
	getenv func(string) string
	now    func() time.Time
	// sleep waits d or until ctx ends (the real clock; tests replace it).
	sleep func(ctx context.Context, d time.Duration) error

	// openBrowser opens url for the person signing in.
	openBrowser func(url string) error
	// openStore opens the secret store of the given kind ("keyring" or "file").
	openStore func(kind, configDir string) (tokenstore.Store, error)

	// interruptible makes interrupts cancel the command's context from now on; commands call
	// it (through http and blocking work) before anything that can wait. Nil in tests.
	interruptible func()

	// Global flag values.
	profileFlag string
	debug       bool

	httpOnce   sync.Once
	httpClient *http.Client

	// secrets are the token, code and secret values this run has handled: kept out of
	// anything shown to a person, whatever a provider echoed back.
	secrets redact.Secrets
}

// warn prints warnings on stderr, one line each.
func (d *deps) warn(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintln(d.io.ErrOut, "warning: "+d.secrets.Scrub(termsafe.Line(w)))
	}
}

func newDeps(ios *iostreams.IOStreams) *deps {
	d := &deps{
		io:     ios,
		getenv: os.Getenv,
		now:    time.Now,
		sleep:  device.NowClock(nil).Sleep,
	}
	d.openBrowser = d.systemBrowser
	d.openStore = func(kind, dir string) (tokenstore.Store, error) { return tokenstore.New(kind, dir) }
	return d
}

// http returns the shared HTTP client, tracing to stderr when --debug or WEBEX_DEBUG is on.
func (d *deps) http() *http.Client {
	d.httpOnce.Do(func() {
		d.blocking()
		o := httpx.Options{UserAgent: httpx.UserAgent(shortVersion()), Now: d.now}
		if d.debugOn() {
			o.Debug = d.io.ErrOut
		}
		d.httpClient = httpx.NewClient(o)
	})
	return d.httpClient
}

func (d *deps) debugOn() bool {
	if d.debug {
		return true
	}
	switch strings.ToLower(d.getenv("WEBEX_DEBUG")) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// blocking is called before work that may wait: from then on Ctrl-C cancels the context.
func (d *deps) blocking() {
	if d.interruptible != nil {
		d.interruptible()
	}
}

// configDir resolves the configuration folder.
func (d *deps) configDir() (string, error) { return config.Dir(d.getenv) }

// config opens the profile settings.
func (d *deps) config() (*config.Config, error) {
	dir, err := d.configDir()
	if err != nil {
		return nil, err
	}
	return config.Open(dir), nil
}

// profile names the profile a command acts on: --profile, else WEBEX_PROFILE, else the
// active profile chosen with `webex switch`, else "default".
func (d *deps) profile(cfg *config.Config) string {
	if d.profileFlag != "" {
		return d.profileFlag
	}
	if p := d.getenv("WEBEX_PROFILE"); p != "" {
		return p
	}
	if cfg != nil {
		if p, err := cfg.Default(); err == nil && p != "" {
			return p
		}
	}
	return "default"
}

// systemBrowser opens url with $BROWSER (the URL as its last argument) when set, else with the
// platform's opener.
func (d *deps) systemBrowser(url string) error {
	if b := strings.TrimSpace(d.getenv("BROWSER")); b != "" {
		fields := strings.Fields(b)
		cmd := exec.Command(fields[0], append(fields[1:], url)...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		return cmd.Start()
	}
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(url)
}

func (d *deps) completeProfiles(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	cfg, err := d.config()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ps, err := cfg.List()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, p := range ps {
		if strings.HasPrefix(p.Name, toComplete) {
			names = append(names, p.Name)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
