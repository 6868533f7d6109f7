package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/flow/device"
	"github.com/webex-cli/webex/internal/flow/loopback"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/tokenstore"
)

// LoginOptions are the settings of `webex login`.
type LoginOptions struct {
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

func newCmdLogin(d *deps, runF func(context.Context, *LoginOptions) error) *cobra.Command {
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Browser && o.Device {
				return usageErrorf("--browser and --device cannot be used together")
			}
			if o.Browser {
				o.Flow = "browser"
			}
			if o.Device {
				o.Flow = "device"
			}
			if !cmd.Flags().Changed("storage") {
				o.Storage = ""
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runLogin(cmd.Context(), d, o)
		},
	}
	f := cmd.Flags()
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
	f.StringVar(&o.Storage, "storage", "keyring", "where tokens are stored: keyring or file (env WEBEX_STORAGE)")
	f.BoolVar(&o.JSON, "json", false, "print JSON events, one per line, on stdout")
	f.BoolVar(&o.WithToken, "with-token", false, "read a bot or personal access token from stdin, check it and store it (no OAuth flow)")
	f.StringArrayVar(&o.AllowIssuers, "allow-issuer", nil, "also accept ID tokens whose iss matches this regular expression (Webex kinds; repeatable; saved in the profile)")
	_ = cmd.RegisterFlagCompletionFunc("provider", fixedCompletion("webex", "webex-gov", "oidc"))
	_ = cmd.RegisterFlagCompletionFunc("flow", fixedCompletion("auto", "browser", "device"))
	_ = cmd.RegisterFlagCompletionFunc("storage", fixedCompletion("keyring", "file"))
	_ = cmd.RegisterFlagCompletionFunc("qr", fixedCompletion("auto", "always", "never"))
	_ = cmd.RegisterFlagCompletionFunc("prompt", fixedCompletion("select_account", "login", "none"))
	return cmd
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// loginPlan is a login resolved from flags, environment and the saved profile.
type loginPlan struct {
	profile      string
	prov         *provider.Provider
	clientID     string
	clientSecret string
	scopes       []string
	flow         string
	redirectURI  string
	storage      string
	issuerAllow  []string
	why          string          // why --flow auto chose flow
	saved        *config.Profile // the profile as the last login left it (empty when new)
}

// login is the profile of the planned login as far as its Binding goes: provider kind,
// issuer (OpenID providers only), base URL and client id.
func (pl *loginPlan) login() *config.Profile {
	p := &config.Profile{Name: pl.profile, Provider: string(pl.prov.Kind), BaseURL: pl.prov.BaseURL, ClientID: pl.clientID}
	if pl.prov.Kind == provider.KindOIDC {
		p.Issuer = pl.prov.Issuer
	}
	return p
}

// storedClientSecret returns the client secret kept with saved's tokens when it was given for
// the planned login (the same Binding: provider kind, issuer or base URL, and client id), and
// "" otherwise, or when there is none or the store cannot be read (the login then goes on
// without a secret, as a first login does). A secret given for one provider is never sent to
// another.
func storedClientSecret(d *deps, cfg *config.Config, saved *config.Profile, pl *loginPlan) string {
	st, err := d.openStore(saved.StorageKind(), cfg.Dir())
	if err != nil {
		return ""
	}
	want := pl.login().Binding()
	sec, err := st.Load(saved.Name, want)
	// Token files older than bindings have none: the saved profile says whose they are.
	if err == nil && cmp.Or(sec.Binding, saved.Binding()) == want {
		return sec.ClientSecret
	}
	if err == nil || errors.Is(err, tokenstore.ErrOtherLogin) {
		fmt.Fprintln(d.io.ErrOut, "Not reusing the client secret stored at the last login: it was given for another provider, issuer, base URL or client id. Set WEBEX_CLIENT_SECRET or pass --client-secret-file if the client needs one.")
	}
	return ""
}

func runLogin(ctx context.Context, d *deps, o *LoginOptions) error {
	if o.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	d.blocking()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	cfg, err := d.config()
	if err != nil {
		return err
	}
	if o.WithToken {
		return loginWithToken(ctx, d, cfg, o)
	}
	plan, err := planLogin(ctx, d, cfg, o)
	if err != nil {
		return err
	}
	store, err := d.openStore(plan.storage, cfg.Dir())
	if err != nil {
		return err
	}
	// Check that the tokens can be kept before anyone signs in for nothing.
	if p, ok := store.(interface{ Probe(context.Context) error }); ok {
		if err := p.Probe(ctx); err != nil {
			return err
		}
	}

	ev := &eventWriter{w: d.io.Out, on: o.JSON}
	finish := func(res *loginResult) error { return finishLogin(ctx, d, cfg, store, plan, res, ev) }
	if plan.flow == "device" {
		err = deviceLogin(ctx, d, plan, o, ev, finish)
	} else {
		err = browserLogin(ctx, d, plan, o, finish)
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("the login did not complete within %s (--timeout)", o.Timeout)
	}
	return err
}

// planLogin resolves provider, client and flow: flags first, then the environment, then what
// the profile saved at its last login.
func planLogin(ctx context.Context, d *deps, cfg *config.Config, o *LoginOptions) (*loginPlan, error) {
	pl := &loginPlan{profile: d.profile(cfg)}
	if err := config.ValidateName(pl.profile); err != nil {
		return nil, usageErrorf("%v", err)
	}
	switch o.Flow {
	case "", "auto", "browser", "device":
	default:
		return nil, usageErrorf("unknown --flow %q: use auto, browser or device", o.Flow)
	}
	if o.Prompt != "" && o.Prompt != "select_account" && o.Prompt != "login" && o.Prompt != "none" {
		return nil, usageErrorf("unknown --prompt %q: use select_account, login or none", o.Prompt)
	}
	if o.QR != "auto" && o.QR != "always" && o.QR != "never" {
		return nil, usageErrorf("unknown --qr %q: use auto, always or never", o.QR)
	}
	saved, err := cfg.Load(pl.profile)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, err
	}
	if saved == nil {
		saved = &config.Profile{}
	}
	pl.saved = saved
	pl.storage = cmp.Or(o.Storage, d.getenv("WEBEX_STORAGE"), saved.Storage, config.StorageKeyring)
	if pl.storage != config.StorageKeyring && pl.storage != config.StorageFile {
		return nil, usageErrorf("unknown storage %q: use keyring or file", pl.storage)
	}

	issuer := cmp.Or(o.Issuer, d.getenv("WEBEX_ISSUER"))
	baseURL := cmp.Or(o.BaseURL, d.getenv("WEBEX_BASE_URL"))
	kind := o.Provider
	switch {
	case kind == "" && issuer != "":
		kind = "oidc"
	case kind == "" && baseURL == "" && saved.Provider != "":
		kind = saved.Provider
		issuer = cmp.Or(issuer, saved.Issuer)
		baseURL = saved.BaseURL
	case kind == "":
		kind = "webex"
	}
	if kind != string(provider.KindOIDC) {
		if o.Issuer != "" {
			return nil, usageErrorf("--issuer is for OpenID providers; use --base-url with --provider %s", kind)
		}
		if baseURL == "" && saved.Provider == kind {
			baseURL = saved.BaseURL
		}
		pl.issuerAllow = saved.IssuerAllow
		if len(o.AllowIssuers) > 0 {
			for _, re := range o.AllowIssuers {
				if _, err := regexp.Compile(re); err != nil {
					return nil, usageErrorf("--allow-issuer %q: %v", re, err)
				}
			}
			pl.issuerAllow = o.AllowIssuers
		}
	}
	if pl.prov, err = d.newProvider(ctx, kind, issuer, baseURL, pl.issuerAllow); err != nil {
		return nil, err
	}

	pl.clientID = cmp.Or(o.ClientID, d.getenv("WEBEX_CLIENT_ID"))
	if pl.clientID == "" && saved.Provider == kind {
		pl.clientID = saved.ClientID
	}
	if pl.clientID == "" {
		return nil, usageErrorf("no client id: pass --client-id or set WEBEX_CLIENT_ID (create an integration at https://developer.webex.com/my-apps)")
	}
	secret, err := readClientSecret(d, o.ClientSecretFile)
	if err != nil {
		return nil, err
	}
	if secret == "" && saved.Name != "" {
		// Logging in again to the same provider with the same client: the secret stored at the
		// last login serves.
		secret = storedClientSecret(d, cfg, saved, pl)
	}
	pl.clientSecret = secret
	d.secret(secret)

	if o.Flow == "" || o.Flow == "auto" {
		pl.flow, pl.why = chooseFlow(systemEnvironment(d.getenv))
	} else {
		pl.flow = o.Flow
	}
	if pl.flow == "device" && pl.prov.Endpoints.DeviceAuthorization == "" {
		return nil, fmt.Errorf("the provider at %s announces no device authorization endpoint; use --flow browser", pl.prov.Issuer)
	}

	switch {
	case o.Scopes != "":
		pl.scopes = strings.Fields(o.Scopes)
	case saved.Provider == kind && saved.Flow == pl.flow && len(saved.Scopes) > 0 && o.Provider == "" && o.Issuer == "":
		pl.scopes = saved.Scopes
	default:
		pl.scopes = pl.prov.DefaultScopes(pl.flow)
	}

	pl.redirectURI = o.RedirectURI
	if pl.redirectURI == "" && saved.Provider == kind && saved.RedirectURI != "" && saved.ClientID == pl.clientID {
		pl.redirectURI = saved.RedirectURI
	}
	if pl.redirectURI == "" {
		if kind == "oidc" {
			pl.redirectURI = "http://127.0.0.1:0/callback"
		} else {
			pl.redirectURI = "http://127.0.0.1:8085/callback"
		}
	}
	if pl.why != "" {
		fmt.Fprintf(d.io.ErrOut, "Using the %s flow: %s (choose with --flow).\n", pl.flow, pl.why)
	}
	return pl, nil
}

// readClientSecret takes the secret from --client-secret-file (- is stdin) or
// WEBEX_CLIENT_SECRET. It is never a flag value, which would show in ps and shell history.
func readClientSecret(d *deps, file string) (string, error) {
	if file == "" {
		return strings.TrimSpace(d.getenv("WEBEX_CLIENT_SECRET")), nil
	}
	var r io.Reader
	if file == "-" {
		r = d.io.In
	} else {
		f, err := os.Open(file)
		if err != nil {
			return "", usageErrorf("--client-secret-file: %v", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading the client secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usageErrorf("--client-secret-file: the secret is empty")
	}
	return s, nil
}

// loginResult is what a flow produced, before verification and storage.
type loginResult struct {
	token       *oauth2.Token
	nonce       string // browser flow
	redirectURI string
}

// browserLogin runs the authorization code flow; finish verifies and stores the result while
// the browser waits, so its page tells the truth about the outcome.
func browserLogin(ctx context.Context, d *deps, pl *loginPlan, o *LoginOptions, finish func(*loginResult) error) error {
	params := url.Values{}
	if o.LoginHint != "" {
		params.Set("login_hint", o.LoginHint)
	}
	if o.Prompt != "" {
		params.Set("prompt", o.Prompt)
	}
	hint := time.AfterFunc(browserHintAfter, func() {
		fmt.Fprintf(d.io.ErrOut, "Still waiting for the browser to come back to %s. If the provider showed an error page instead, check that this redirect URI is registered on the integration (or pass --redirect-uri).\n", pl.redirectURI)
	})
	defer hint.Stop()
	_, err := loopback.Run(ctx, loopback.Config{
		AuthURL:     pl.prov.Endpoints.Authorize,
		ClientID:    pl.clientID,
		RedirectURI: pl.redirectURI,
		Scopes:      pl.scopes,
		Params:      params,
		OnReady: func(authURL string) error {
			if o.NoBrowser {
				fmt.Fprintf(d.io.ErrOut, "Open this URL in a browser to sign in:\n\n  %s\n\n", authURL)
				return nil
			}
			if err := d.openBrowser(authURL); err != nil {
				fmt.Fprintf(d.io.ErrOut, "Could not open a browser (%v). Open this URL to sign in:\n\n  %s\n\n", err, authURL)
				return nil
			}
			fmt.Fprintf(d.io.ErrOut, "Opened a browser to sign in. If it did not appear, open:\n\n  %s\n\n", authURL)
			return nil
		},
		OnRejected: func(err error) {
			fmt.Fprintf(d.io.ErrOut, "Ignored an answer at the callback: %s; still waiting.\n", d.scrub(errorLine(err)))
		},
		Complete: func(ctx context.Context, res *loopback.Result) error {
			hint.Stop()
			d.secret(res.Code, res.CodeVerifier)
			fmt.Fprintln(d.io.ErrOut, "Received the authorization code; exchanging it for tokens.")
			oc := pl.prov.OAuth2Config(pl.clientID, pl.clientSecret, res.RedirectURI, pl.scopes)
			hctx := context.WithValue(ctx, oauth2.HTTPClient, d.http())
			tok, err := oc.Exchange(hctx, res.Code, oauth2.VerifierOption(res.CodeVerifier))
			if err != nil {
				// The browser's error page shows this message too.
				return d.scrubError(providerError("exchanging the authorization code", err))
			}
			return d.scrubError(finish(&loginResult{token: tok, nonce: res.Nonce, redirectURI: res.RedirectURI}))
		},
	})
	return err
}

// browserHintAfter is how long the browser flow waits before suggesting why no callback came.
const browserHintAfter = 90 * time.Second

func deviceLogin(ctx context.Context, d *deps, pl *loginPlan, o *LoginOptions, ev *eventWriter, finish func(*loginResult) error) error {
	dc := device.Config{
		DeviceAuthURL: pl.prov.Endpoints.DeviceAuthorization,
		TokenURL:      pl.prov.Endpoints.DeviceToken,
		ClientID:      pl.clientID,
		ClientSecret:  pl.clientSecret,
		Scopes:        pl.scopes,
		AuthStyle:     pl.prov.AuthStyle,
		HTTPClient:    d.http(),
		Clock:         device.NowClock(d.now), // the code's expiry and the countdown agree
		Webex:         pl.prov.Kind != provider.KindOIDC,
	}
	code, err := device.Authorize(ctx, dc)
	if err != nil {
		return err
	}
	d.secret(code.DeviceCode)
	ev.emit(deviceCodeEvent{
		Event:                   "device_code",
		UserCode:                code.UserCode,
		VerificationURI:         code.VerificationURI,
		VerificationURIComplete: code.VerificationURIComplete,
		ExpiresAt:               code.ExpiresAt.UTC().Format(time.RFC3339),
	})
	showDeviceCode(d, code, o.QR)

	cd := startCountdown(d, code.ExpiresAt)
	tok, err := device.Poll(ctx, dc, code, nil)
	cd.stop()
	if err != nil {
		return err
	}
	return finish(&loginResult{token: tok})
}

func showDeviceCode(d *deps, code *device.Code, qrMode string) {
	w := d.io.ErrOut
	bold := func(s string) string { return colour(d.io.ColourErr(), "1", s) }
	fmt.Fprintf(w, "\nTo sign in, open %s\nand enter the code  %s\n", safe(code.VerificationURI), bold(safe(code.UserCode)))
	target := code.VerificationURIComplete
	if target == "" {
		target = code.VerificationURI
	}
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
	_ = renderQR(w, target, d.io.ColourErr() || (qrMode == "always" && d.io.IsStderrTTY()))
	fmt.Fprintln(w)
}

// finishLogin verifies what the provider returned, learns who signed in, and stores it all.
// Nothing is stored unless every check passes.
func finishLogin(ctx context.Context, d *deps, cfg *config.Config, store tokenstore.Store, pl *loginPlan, res *loginResult, ev *eventWriter) error {
	tok := res.token
	rawID, _ := tok.Extra("id_token").(string)
	d.secret(tok.AccessToken, tok.RefreshToken, rawID)
	now := d.now()
	p := &config.Profile{
		Name:           pl.profile,
		Provider:       string(pl.prov.Kind),
		Issuer:         pl.prov.Issuer,
		BaseURL:        pl.prov.BaseURL,
		ClientID:       pl.clientID,
		Scopes:         pl.scopes,
		RedirectURI:    pl.redirectURI,
		Storage:        pl.storage,
		Flow:           pl.flow,
		IssuerAllow:    pl.issuerAllow,
		TokenType:      tok.TokenType,
		AccessIssuedAt: now,
		AccessExpiry:   session.AccessExpiry(tok, now),
		UpdatedAt:      now,
	}
	if pl.prov.Kind != provider.KindOIDC {
		p.Issuer = ""
	}
	if p.TokenType == "" {
		p.TokenType = "Bearer"
	}
	if s, _ := tok.Extra("scope").(string); s != "" {
		p.GrantedScopes = strings.Fields(s)
	}
	if dur, ok := session.DurationExtra(tok, "refresh_token_expires_in"); ok {
		p.RefreshExpiry = now.Add(dur)
	}
	sec := &tokenstore.Secrets{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ClientSecret: pl.clientSecret}
	p.HasRefreshToken = sec.RefreshToken != ""

	if rawID == "" && slices.Contains(pl.scopes, "openid") && pl.flow == "browser" {
		return errors.New("the provider returned no ID token although the openid scope was requested; nothing was stored")
	}
	if rawID != "" {
		idt, err := pl.prov.VerifyIDToken(ctx, rawID, provider.VerifyOptions{ClientID: pl.clientID, Nonce: res.nonce})
		if err != nil {
			return fmt.Errorf("the ID token failed verification, nothing was stored: %w", err)
		}
		sec.IDToken = rawID
		p.HasIDToken = true
		p.IDTokenExpiry = idt.Expiry
		p.Subject = idt.Subject
		p.Email = idt.Email
		p.DisplayName = idt.Name
	}
	if err := learnIdentity(ctx, d, pl, p, tok.AccessToken); err != nil {
		fmt.Fprintf(d.io.ErrOut, "warning: could not read the signed-in user's profile: %v\n", err)
	}

	sec.Binding = p.Binding()
	return saveLogin(ctx, d, cfg, store, pl.saved, p, sec, ev)
}

// saveLogin stores a verified login: the secrets, then the profile, under the profile's lock;
// it removes the tokens a move to another store left behind, makes the first login the active
// profile, and says who logged in.
func saveLogin(ctx context.Context, d *deps, cfg *config.Config, store tokenstore.Store, saved, p *config.Profile, sec *tokenstore.Secrets, ev *eventWriter) error {
	// Under the profile's lock, so that a refresh running in another process cannot write its
	// older result over this login.
	unlock, err := tokenstore.Lock(ctx, cfg.Dir(), p.Name)
	if err != nil {
		return fmt.Errorf("storing the tokens: %w", err)
	}
	defer unlock()
	if err := store.Save(p.Name, sec); err != nil {
		return fmt.Errorf("storing the tokens: %w", err)
	}
	if err := cfg.Save(p); err != nil {
		_ = store.Delete(p.Name)
		return fmt.Errorf("storing the profile: %w", err)
	}
	if old := saved; old.Name != "" && old.StorageKind() != p.StorageKind() {
		// The profile moved to another store: leave no tokens behind in the old one.
		if oldStore, err := d.openStore(old.StorageKind(), cfg.Dir()); err == nil {
			if err := oldStore.Delete(p.Name); err != nil {
				fmt.Fprintf(d.io.ErrOut, "warning: could not delete the old tokens from the %s: %v\n", old.StorageKind(), err)
			}
		}
	}
	// The first login (or the first after the active profile was removed) becomes active.
	if def, err := cfg.Default(); err != nil || def == "" {
		_ = cfg.SetDefault(p.Name)
	} else if _, err := cfg.Load(def); errors.Is(err, config.ErrNotFound) {
		_ = cfg.SetDefault(p.Name)
	}

	who := cmp.Or(p.Email, p.DisplayName, p.Subject, "an unnamed user")
	fmt.Fprintf(d.io.ErrOut, "Logged in as %s (profile %s, %s, tokens in %s).\n", safe(who), p.Name, p.Provider, storageLabel(p.Storage))
	evt := loggedInEvent{Event: "logged_in", Profile: p.Name, Provider: p.Provider, Subject: p.Subject, Email: p.Email}
	if !p.AccessExpiry.IsZero() {
		at := p.AccessExpiry.UTC().Format(time.RFC3339)
		evt.ExpiresAt = &at
	}
	ev.emit(evt)
	return nil
}

func storageLabel(kind string) string {
	if kind == "file" {
		return "a file"
	}
	return "the keyring"
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
	Event     string  `json:"event"`
	Profile   string  `json:"profile"`
	Provider  string  `json:"provider"`
	Subject   string  `json:"subject"`
	Email     string  `json:"email"`
	ExpiresAt *string `json:"expires_at"` // null when the provider gave no lifetime
}

// eventWriter prints --json events, one object per line.
type eventWriter struct {
	w  io.Writer
	on bool
}

func (e *eventWriter) emit(v any) {
	if !e.on {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	e.w.Write(append(b, '\n'))
}
