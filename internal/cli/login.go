package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/flow/device"
	"github.com/webex-cli/webex/internal/flow/loopback"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/termsafe"
)

// LoginOptions are the settings of `webex login`.
type LoginOptions struct {
	cmdOptions
	Provider         string
	Issuer           string
	BaseURL          string
	ClientID         string
	ClientSecretFile string
	Scopes           string
	Flow             string
	Browser, Device  bool
	RedirectURI      string
	NoBrowser        bool
	QR               string
	LoginHint        string
	Prompt           string
	Timeout          time.Duration
	Storage          string
	JSON             bool
	AllowIssuers     []string
	WithToken        bool
}

func newCmdLogin(d *deps, runF func(*LoginOptions) error) *cobra.Command {
	o := &LoginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in and store the tokens",
		Long: `Sign in with Webex (or any OpenID provider with --issuer) and store the tokens.

The browser flow (authorization code with PKCE through a loopback redirect) is used where a
browser can be opened; the device flow (a code to enter on another device, with a QR code)
over SSH, in containers and on machines without a display. --flow chooses explicitly.

The client id comes from --client-id or WEBEX_CLIENT_ID, the secret from WEBEX_CLIENT_SECRET or
--client-secret-file (never from a plain flag). Settings are saved in the profile, so later
commands need no flags.`,
		Example: `  # Webex integration, flow chosen automatically
  export WEBEX_CLIENT_ID=C0123... WEBEX_CLIENT_SECRET=...
  webex login

  # over SSH: a code and a QR code to scan with a phone
  webex login --device

  # any OpenID provider
  webex login --issuer https://accounts.example.com --client-id my-cli`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	cmd.RunE = runE(d, o, func([]string) error {
		if o.Browser && o.Device {
			return usageErrorf("--browser and --device cannot be used together")
		}
		if o.Browser {
			o.Flow = config.FlowBrowser
		}
		if o.Device {
			o.Flow = config.FlowDevice
		}
		if !f.Changed("storage") {
			o.Storage = ""
		}
		return nil
	}, runF, loginRun)
	f.StringVar(&o.Provider, "provider", "", "provider: webex, webex-gov or oidc (default webex; oidc with --issuer)")
	f.StringVar(&o.Issuer, "issuer", "", "OpenID issuer URL, discovered at URL/.well-known/openid-configuration (env WEBEX_ISSUER)")
	f.StringVar(&o.BaseURL, "base-url", "", "Webex API base URL (env WEBEX_BASE_URL; default https://webexapis.com/v1)")
	f.StringVar(&o.ClientID, "client-id", "", "OAuth client id of the integration (env WEBEX_CLIENT_ID)")
	f.StringVar(&o.ClientSecretFile, "client-secret-file", "", "read the client secret from this file, - for stdin (or env WEBEX_CLIENT_SECRET)")
	f.StringVar(&o.Scopes, "scopes", "", `space-separated scopes (default depends on provider and flow)`)
	f.StringVar(&o.Flow, "flow", "auto", "login flow: auto, browser or device")
	f.BoolVar(&o.Browser, "browser", false, "shorthand for --flow browser")
	f.BoolVar(&o.Device, "device", false, "shorthand for --flow device")
	f.StringVar(&o.RedirectURI, "redirect-uri", "", "exact loopback redirect URI registered for the client (Webex default http://127.0.0.1:8085/callback)")
	f.BoolVar(&o.NoBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	f.StringVar(&o.QR, "qr", "auto", "show a QR code in the device flow: auto, always or never")
	f.StringVar(&o.LoginHint, "login-hint", "", "email address to preselect at the provider")
	f.StringVar(&o.Prompt, "prompt", "", "prompt for the provider: select_account, login or none (browser flow)")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "give up on the login after this long")
	f.StringVar(&o.Storage, "storage", config.StorageKeyring, "where tokens are stored: keyring or file (env WEBEX_STORAGE)")
	f.BoolVar(&o.JSON, "json", false, "print JSON events, one per line, on stdout")
	f.BoolVar(&o.WithToken, "with-token", false, "read a bot or personal access token from stdin, check it and store it (no OAuth flow)")
	f.StringArrayVar(&o.AllowIssuers, "allow-issuer", nil, "also accept ID tokens whose iss matches this regular expression (Webex kinds; repeatable; saved in the profile)")
	_ = cmd.RegisterFlagCompletionFunc("provider", fixedCompletion(config.ProviderWebex, config.ProviderWebexGov, config.ProviderOIDC))
	_ = cmd.RegisterFlagCompletionFunc("flow", fixedCompletion("auto", config.FlowBrowser, config.FlowDevice))
	_ = cmd.RegisterFlagCompletionFunc("storage", fixedCompletion(config.StorageKeyring, config.StorageFile))
	_ = cmd.RegisterFlagCompletionFunc("qr", fixedCompletion("auto", "always", "never"))
	_ = cmd.RegisterFlagCompletionFunc("prompt", fixedCompletion("select_account", "login", "none"))
	return cmd
}

func fixedCompletion(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}

func loginRun(o *LoginOptions) error {
	d := o.deps
	if o.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	d.blocking()
	ctx, cancel := context.WithTimeout(o.ctx, o.Timeout)
	defer cancel()
	cfg, err := d.config()
	if err != nil {
		return err
	}
	if o.WithToken && (o.Issuer != "" || o.Provider == config.ProviderOIDC) {
		return usageErrorf("--with-token takes Webex bot and personal access tokens: it works with --provider webex or webex-gov only")
	}
	saved, storage, err := checkLogin(d, cfg, o)
	if err != nil {
		return err
	}
	var g *session.Grant
	if o.WithToken {
		g, err = planTokenLogin(ctx, d, o, saved)
	} else {
		g, err = planLogin(ctx, d, cfg, o, saved)
	}
	if err != nil {
		return err
	}
	g.Profile.Name, g.Profile.Storage = d.profile(cfg), storage
	m := d.manager(cfg)
	if err := m.CheckStore(ctx, g.Profile.Storage); err != nil {
		return err
	}
	if o.WithToken {
		return storeLogin(ctx, d, m, g, o)
	}
	finish := func(tok *oauth2.Token, nonce string) error {
		g.Token, g.Nonce = tok, nonce
		return storeLogin(ctx, d, m, g, o)
	}
	if g.Profile.Flow == config.FlowDevice {
		err = deviceLogin(ctx, d, g, o, finish)
	} else {
		err = browserLogin(ctx, d, g, o, finish)
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("the login did not complete within %s (--timeout)", o.Timeout)
	}
	return err
}

// planLogin resolves provider, client and flow: flags first, then the environment, then what
// the profile saved at its last login.
func planLogin(ctx context.Context, d *deps, cfg *config.Config, o *LoginOptions, saved *config.Profile) (*session.Grant, error) {
	g := &session.Grant{}
	p := &g.Profile
	set, err := provider.Resolve(provider.Settings{Kind: o.Provider, Issuer: o.Issuer, BaseURL: o.BaseURL, IssuerAllow: o.AllowIssuers},
		provider.Settings{Issuer: d.getenv("WEBEX_ISSUER"), BaseURL: d.getenv("WEBEX_BASE_URL")}, session.Settings(saved))
	if err != nil {
		return nil, err
	}
	if g.Provider, err = d.provider(ctx, set); err != nil {
		return nil, err
	}
	p.Provider, p.Issuer, p.BaseURL, p.IssuerAllow = set.Kind, g.Provider.Issuer, g.Provider.BaseURL, set.IssuerAllow
	sameKind := saved.Provider == set.Kind
	p.ClientID = cmp.Or(o.ClientID, d.getenv("WEBEX_CLIENT_ID"))
	if p.ClientID == "" && sameKind {
		p.ClientID = saved.ClientID
	}
	if p.ClientID == "" {
		return nil, usageErrorf("no client id: pass --client-id or set WEBEX_CLIENT_ID (create an integration at https://developer.webex.com/my-apps)")
	}
	if g.ClientSecret, err = readClientSecret(d, o.ClientSecretFile); err != nil {
		return nil, err
	}
	if g.ClientSecret == "" && saved.Name != "" {
		var refused bool
		if g.ClientSecret, refused = d.manager(cfg).ClientSecret(ctx, saved, p); refused {
			fmt.Fprintln(d.io.ErrOut, "Not reusing the client secret stored at the last login: it was given for another provider, issuer, base URL or client id. Set WEBEX_CLIENT_SECRET or pass --client-secret-file if the client needs one.")
		}
	}
	d.secrets.Add(g.ClientSecret)

	var why string // why --flow auto chose the flow
	p.Flow = o.Flow
	if o.Flow == "" || o.Flow == "auto" {
		p.Flow, why = chooseFlow(systemEnvironment(d.getenv))
	}
	if p.Flow == config.FlowDevice && g.Provider.Endpoints.DeviceAuthorization == "" {
		return nil, fmt.Errorf("the provider at %s announces no device authorization endpoint; use --flow browser", g.Provider.Issuer)
	}
	switch {
	case o.Scopes != "":
		p.Scopes = strings.Fields(o.Scopes)
	case sameKind && saved.Flow == p.Flow && len(saved.Scopes) > 0 && o.Provider == "" && o.Issuer == "":
		p.Scopes = saved.Scopes
	default:
		p.Scopes = g.Provider.DefaultScopes(p.Flow)
	}
	p.RedirectURI = o.RedirectURI
	if p.RedirectURI == "" && sameKind && saved.ClientID == p.ClientID {
		p.RedirectURI = saved.RedirectURI
	}
	if p.RedirectURI == "" {
		p.RedirectURI = "http://127.0.0.1:8085/callback"
		if set.Kind == config.ProviderOIDC {
			p.RedirectURI = "http://127.0.0.1:0/callback"
		}
	}
	if why != "" {
		fmt.Fprintf(d.io.ErrOut, "Using the %s flow: %s (choose with --flow).\n", p.Flow, why)
	}
	return g, nil
}

// planTokenLogin is `webex login --with-token`: a Webex bot or personal access token from
// stdin, stored with no refresh token and an unknown expiry once /people/me accepts it.
func planTokenLogin(ctx context.Context, d *deps, o *LoginOptions, saved *config.Profile) (*session.Grant, error) {
	token, err := readToken(d)
	if err != nil {
		return nil, err
	}
	d.secrets.Add(token)
	was := session.Settings(saved)
	if saved.Provider == config.ProviderOIDC {
		was = provider.Settings{}
	}
	set, err := provider.Resolve(provider.Settings{Kind: o.Provider, BaseURL: o.BaseURL}, provider.Settings{BaseURL: d.getenv("WEBEX_BASE_URL")}, was)
	if err != nil {
		return nil, err
	}
	prov, err := d.provider(ctx, provider.Settings{Kind: set.Kind, BaseURL: set.BaseURL})
	if err != nil {
		return nil, err
	}
	return &session.Grant{
		Profile:  config.Profile{Provider: set.Kind, BaseURL: prov.BaseURL, Flow: config.FlowToken},
		Provider: prov,
		Token:    &oauth2.Token{AccessToken: token, TokenType: "Bearer"},
	}, nil
}

// checkLogin checks the flags every login shares and returns the profile as the last login
// left it (empty when there is none) and where the new tokens go: --storage, WEBEX_STORAGE,
// the profile's store, else the keyring.
func checkLogin(d *deps, cfg *config.Config, o *LoginOptions) (*config.Profile, string, error) {
	name := d.profile(cfg)
	if err := config.ValidateName(name); err != nil {
		return nil, "", usageErrorf("%v", err)
	}
	if !slices.Contains([]string{"", "auto", config.FlowBrowser, config.FlowDevice}, o.Flow) {
		return nil, "", usageErrorf("unknown --flow %q: use auto, browser or device", o.Flow)
	}
	if o.Prompt != "" && o.Prompt != "select_account" && o.Prompt != "login" && o.Prompt != "none" {
		return nil, "", usageErrorf("unknown --prompt %q: use select_account, login or none", o.Prompt)
	}
	if o.QR != "auto" && o.QR != "always" && o.QR != "never" {
		return nil, "", usageErrorf("unknown --qr %q: use auto, always or never", o.QR)
	}
	saved, err := cfg.Load(name)
	if errors.Is(err, config.ErrNotFound) {
		saved, err = &config.Profile{}, nil
	}
	if err != nil {
		return nil, "", err
	}
	kind := cmp.Or(o.Storage, d.getenv("WEBEX_STORAGE"), saved.Storage, config.StorageKeyring)
	if kind != config.StorageKeyring && kind != config.StorageFile {
		return nil, "", usageErrorf("unknown storage %q: use keyring or file", kind)
	}
	return saved, kind, nil
}

// readClientSecret takes the secret from --client-secret-file (- is stdin) or
// WEBEX_CLIENT_SECRET. It is never a flag value, which would show in ps and shell history.
func readClientSecret(d *deps, file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(d.getenv("WEBEX_CLIENT_SECRET")), nil
	}
	b, err := d.readArg("--client-secret-file", "the client secret", file, 1<<20)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageErrorf("--client-secret-file: the secret is empty")
	}
	return s, nil
}

// browserLogin runs the authorization code flow; finish verifies and stores the token (with
// the nonce of the browser flow) while the browser waits, so its page tells the truth about
// the outcome.
func browserLogin(ctx context.Context, d *deps, g *session.Grant, o *LoginOptions, finish func(*oauth2.Token, string) error) error {
	params := url.Values{}
	if o.LoginHint != "" {
		params.Set("login_hint", o.LoginHint)
	}
	if o.Prompt != "" {
		params.Set("prompt", o.Prompt)
	}
	hint := time.AfterFunc(browserHintAfter, func() {
		fmt.Fprintf(d.io.ErrOut, "Still waiting for the browser to come back to %s. If the provider showed an error page instead, check that this redirect URI is registered on the integration (or pass --redirect-uri).\n", g.Profile.RedirectURI)
	})
	defer hint.Stop()
	_, err := loopback.Run(ctx, loopback.Config{
		AuthURL:     g.Provider.Endpoints.Authorize,
		ClientID:    g.Profile.ClientID,
		RedirectURI: g.Profile.RedirectURI,
		Scopes:      g.Profile.Scopes,
		Params:      params,
		OnReady: func(authURL string) error {
			msg := "Open this URL in a browser to sign in:"
			if !o.NoBrowser {
				msg = "Opened a browser to sign in. If it did not appear, open:"
				if err := d.openBrowser(authURL); err != nil {
					msg = fmt.Sprintf("Could not open a browser (%v). Open this URL to sign in:", err)
				}
			}
			fmt.Fprintf(d.io.ErrOut, "%s\n\n  %s\n\n", msg, authURL)
			return nil
		},
		OnRejected: func(err error) {
			fmt.Fprintf(d.io.ErrOut, "Ignored an answer at the callback: %s; still waiting.\n", d.secrets.Scrub(errorLine(err)))
		},
		Complete: func(ctx context.Context, res *loopback.Result) error {
			hint.Stop()
			d.secrets.Add(res.Code, res.CodeVerifier)
			fmt.Fprintln(d.io.ErrOut, "Received the authorization code; exchanging it for tokens.")
			oc := g.Provider.OAuth2Config(g.Profile.ClientID, g.ClientSecret, res.RedirectURI, g.Profile.Scopes)
			hctx := context.WithValue(ctx, oauth2.HTTPClient, d.http())
			tok, err := oc.Exchange(hctx, res.Code, oauth2.VerifierOption(res.CodeVerifier))
			if err != nil {
				if pe, ok := oautherr.FromRetrieveError(err); ok {
					err = pe // its code and trackingId
				}
				// The browser's error page shows this message too.
				return d.secrets.Error(fmt.Errorf("exchanging the authorization code: %w", err))
			}
			return d.secrets.Error(finish(tok, res.Nonce))
		},
	})
	return err
}

// browserHintAfter is how long the browser flow waits before suggesting why no callback came.
const browserHintAfter = 90 * time.Second

func deviceLogin(ctx context.Context, d *deps, g *session.Grant, o *LoginOptions, finish func(*oauth2.Token, string) error) error {
	dc := device.Config{
		DeviceAuthURL: g.Provider.Endpoints.DeviceAuthorization,
		TokenURL:      g.Provider.Endpoints.DeviceToken,
		ClientID:      g.Profile.ClientID,
		ClientSecret:  g.ClientSecret,
		Scopes:        g.Profile.Scopes,
		AuthStyle:     g.Provider.AuthStyle,
		HTTPClient:    d.http(),
		Clock:         device.NowClock(d.now), // the code's expiry and the countdown agree
		Webex:         g.Provider.Kind != config.ProviderOIDC,
	}
	code, err := device.Authorize(ctx, dc)
	if err != nil {
		return err
	}
	d.secrets.Add(code.DeviceCode)
	o.emit(deviceCodeEvent{
		Event:                   "device_code",
		UserCode:                code.UserCode,
		VerificationURI:         code.VerificationURI,
		VerificationURIComplete: code.VerificationURIComplete,
		ExpiresAt:               code.ExpiresAt.UTC().Format(time.RFC3339),
	})
	showDeviceCode(d, code, o.QR)

	stop := countdown(d, code.ExpiresAt)
	tok, err := device.Poll(ctx, dc, code)
	stop()
	if err != nil {
		return err
	}
	return finish(tok, "")
}

func showDeviceCode(d *deps, code *device.Code, qrMode string) {
	w := d.io.ErrOut
	bold := func(s string) string { return iostreams.Colour(d.io.ColourErr(), "1", s) }
	fmt.Fprintf(w, "\nTo sign in, open %s\nand enter the code  %s\n", termsafe.Line(code.VerificationURI), bold(termsafe.Line(code.UserCode)))
	target := cmp.Or(code.VerificationURIComplete, code.VerificationURI)
	show := qrMode == "always" || (qrMode == "auto" && d.io.IsStderrTTY())
	if !show {
		fmt.Fprintln(w)
		return
	}
	width, err := qrWidth(target)
	if err != nil {
		fmt.Fprintf(w, "(no QR code: %v)\n\n", err)
		return
	}
	if qrMode == "auto" && width > d.io.Width() {
		fmt.Fprintf(w, "(the terminal is too narrow for the QR code: it needs %d columns)\n\n", width)
		return
	}
	fmt.Fprintf(w, "or scan this QR code with a phone:\n\n")
	renderQR(w, target, d.io.ColourErr() || (qrMode == "always" && d.io.IsStderrTTY()))
	fmt.Fprintln(w)
}

// storeLogin hands a grant to the session layer, which verifies and stores it, and says who
// logged in.
func storeLogin(ctx context.Context, d *deps, m *session.Manager, g *session.Grant, o *LoginOptions) error {
	p, warnings, err := m.Login(ctx, g)
	d.warn(warnings)
	if err != nil {
		return err
	}
	who, where := cmp.Or(p.Email, p.DisplayName, p.Subject, "an unnamed user"), "the keyring"
	if p.Storage == config.StorageFile {
		where = "a file"
	}
	fmt.Fprintf(d.io.ErrOut, "Logged in as %s (profile %s, %s, tokens in %s).\n", termsafe.Line(who), p.Name, p.Provider, where)
	o.emit(loggedInEvent{Event: "logged_in", Profile: p.Name, Provider: p.Provider, Subject: p.Subject, Email: p.Email, ExpiresAt: rfc3339OrNil(p.AccessExpiry)})
	return nil
}

// The --json events of `webex login`, with their fields in the contract's order.
type deviceCodeEvent struct {
	Event                   string `json:"event"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresAt               string `json:"expires_at"`
}

type loggedInEvent struct {
	Event     string `json:"event"`
	Profile   string `json:"profile"`
	Provider  string `json:"provider"`
	Subject   string `json:"subject"`
	Email     string `json:"email"`
	ExpiresAt any    `json:"expires_at"` // null when the provider gave no lifetime
}

// emit prints a --json event, one object per line.
func (o *LoginOptions) emit(v any) {
	if !o.JSON {
		return
	}
	if b, err := json.Marshal(v); err == nil {
		o.io.Out.Write(append(b, '\n'))
	}
}

// readToken reads the one token of --with-token from stdin, which must not be a terminal
// (the token would show on the screen, and belongs in a pipe or a file).
func readToken(d *deps) (string, error) {
	if d.io.IsStdinTTY() {
		return "", usageErrorf("--with-token reads the token from stdin: pipe it in, e.g. `webex login --with-token < token.txt`")
	}
	b, err := io.ReadAll(io.LimitReader(d.io.In, 64<<10+1))
	if err != nil {
		return "", fmt.Errorf("reading the token from stdin: %w", err)
	}
	if len(b) > 64<<10 {
		return "", usageErrorf("--with-token: stdin holds more than 64 KiB, which is no token")
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", usageErrorf("--with-token: stdin is empty; pipe the token in")
	case strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return "", usageErrorf("--with-token: stdin must hold one token, on one line")
	}
	return tok, nil
}
