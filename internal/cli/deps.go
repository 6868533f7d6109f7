package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/browser"
	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/flow/device"
	"github.com/webex-cli/webex/internal/httpx"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/redact"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/termsafe"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// deps is everything a command needs from the outside world, so tests can replace it.
type deps struct {
	io          *iostreams.IOStreams
	getenv      func(string) string
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	openBrowser func(url string) error
	openStore   func(kind, configDir string) (tokenstore.Store, error)
	// blocking is called before work that may wait: from then on Ctrl-C cancels the context
	// (see Main).
	blocking func()

	profileFlag string // --profile
	debug       bool   // --debug

	httpOnce   sync.Once
	httpClient *http.Client

	// secrets are the values this run has handled, kept out of anything shown.
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
		io:        ios,
		getenv:    os.Getenv,
		now:       time.Now,
		sleep:     device.NowClock(time.Now).Sleep,
		openStore: tokenstore.New,
		blocking:  func() {},
	}
	d.openBrowser = d.systemBrowser
	return d
}

// http returns the shared HTTP client, tracing to stderr when --debug or WEBEX_DEBUG is on.
func (d *deps) http() *http.Client {
	d.httpOnce.Do(func() {
		d.blocking()
		v, _, _ := buildInfo()
		o := httpx.Options{UserAgent: httpx.UserAgent(v), Now: d.now}
		if d.debug || slices.Contains([]string{"1", "true", "yes", "on"}, strings.ToLower(d.getenv("WEBEX_DEBUG"))) {
			o.Debug = d.io.ErrOut
		}
		d.httpClient = httpx.NewClient(o)
	})
	return d.httpClient
}

func (d *deps) config() (*config.Config, error) {
	dir, err := config.Dir(d.getenv)
	if err != nil {
		return nil, err
	}
	return config.Open(dir), nil
}

// profile names the profile a command acts on: --profile, else WEBEX_PROFILE, else the
// active profile chosen with `webex switch`, else "default".
func (d *deps) profile(cfg *config.Config) string {
	if p := cmp.Or(d.profileFlag, d.getenv("WEBEX_PROFILE")); p != "" {
		return p
	}
	if p, err := cfg.Default(); err == nil && p != "" {
		return p
	}
	return "default"
}

// systemBrowser opens url with $BROWSER when set, else with the platform's opener.
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

func (d *deps) provider(ctx context.Context, s provider.Settings) (*provider.Provider, error) {
	return provider.New(ctx, s, provider.Options{HTTPClient: d.http(), Now: d.now})
}

func (d *deps) manager(cfg *config.Config) *session.Manager {
	return &session.Manager{
		Config:     cfg,
		OpenStore:  func(kind string) (tokenstore.Store, error) { return d.openStore(kind, cfg.Dir()) },
		HTTPClient: d.http,
		Now:        d.now,
		Secret:     d.secrets.Add,
		Sleep:      d.sleep,
	}
}

// bearer is WEBEX_ACCESS_TOKEN when set, else the profile's access token from
// session.Manager.Token, with the warnings shown.
func (d *deps) bearer(ctx context.Context, minTTL time.Duration) (string, error) {
	if env := d.getenv("WEBEX_ACCESS_TOKEN"); env != "" {
		d.secrets.Add(env)
		return env, nil
	}
	cfg, err := d.config()
	if err != nil {
		return "", err
	}
	tok, err := d.manager(cfg).Token(ctx, d.profile(cfg), minTTL)
	if err != nil {
		return "", err
	}
	d.warn(tok.Warnings)
	return tok.AccessToken, nil
}

// readArg reads the file named on the command line with flag, or stdin for "-", refusing more
// than max bytes; what names the input in errors.
func (d *deps) readArg(flag, what, name string, max int) ([]byte, error) {
	r := d.io.In
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, usageErrorf("%s: %v", flag, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	if len(b) > max {
		return nil, usageErrorf("%s is larger than %d MiB", what, max>>20)
	}
	return b, nil
}

// cmdOptions is what every command's options hold besides its flags and arguments.
type cmdOptions struct {
	*deps
	ctx context.Context
}

func (o *cmdOptions) bind(d *deps, ctx context.Context) { o.deps, o.ctx = d, ctx }

// runE is a command's RunE: check (when not nil) validates the flags and takes the arguments
// into o, then runF (a test's stub) or else run runs o.
func runE[O interface{ bind(*deps, context.Context) }](d *deps, o O, check func(args []string) error, runF, run func(O) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if check != nil {
			if err := check(args); err != nil {
				return err
			}
		}
		o.bind(d, cmd.Context())
		if runF != nil {
			return runF(o)
		}
		return run(o)
	}
}
