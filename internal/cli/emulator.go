package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/emulator"
)

// EmulatorOptions are the settings of `webex emulator`.
type EmulatorOptions struct {
	cmdOptions
	Addr string
	emulator.Config
}

func newCmdEmulator(d *deps, runF func(*EmulatorOptions) error) *cobra.Command {
	o := &EmulatorOptions{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local Login-with-Webex emulator for offline development and CI",
		Long: `Serve Webex's /v1 login endpoints on 127.0.0.1, with Webex's quirks: static endpoints, a
discovery document whose issuer differs from the ID tokens' iss, RS256 ID tokens without kid,
six-digit device codes answered with HTTP 428 while pending, Basic auth on device polls, the
Webex error envelope with a trackingId, refresh without rotation, no client authentication
accepted at device authorization, and scopes checked against those registered (--scope).

A person can sign in on its pages in a browser; --approve auto approves everything without a
page for unattended runs. The first line on stdout is the API base URL, the next two the client
id and secret; requests are logged on stderr. Point webex at it with --base-url or
WEBEX_BASE_URL.`,
		Example: `  webex emulator --addr 127.0.0.1:0 --approve auto
  WEBEX_BASE_URL=http://127.0.0.1:8080/v1 WEBEX_CLIENT_ID=... WEBEX_CLIENT_SECRET=... webex login --device`,
		Args: cobra.NoArgs,
		RunE: runE(d, o, func([]string) error {
			if o.Approve != "manual" && o.Approve != "auto" {
				return usageErrorf("unknown --approve %q: use manual or auto", o.Approve)
			}
			return nil
		}, runF, emulatorRun),
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen address; port 0 picks a free port")
	f.BoolVar(&o.AllowNonLoopback, "allow-remote", false, "allow a non-loopback --addr (the emulator has no real security)")
	f.StringVar(&o.ClientID, "client-id", "", "client id to register (generated when empty)")
	f.StringVar(&o.ClientSecret, "client-secret", "", "client secret to register (generated when empty)")
	f.StringArrayVar(&o.RedirectURIs, "redirect-uri", nil, "registered redirect URI, matched exactly (repeatable; default: any http://127.0.0.1:PORT/callback)")
	f.StringArrayVar(&o.Scopes, "scope", nil, "data scope registered on the integration (repeatable; default "+emulator.DefaultScopes+"); OpenID Connect scopes need none, others are refused with invalid_scope")
	f.StringArrayVar(&o.Users, "user", nil, "email of a user who can sign in (repeatable; default alice@example.com)")
	f.StringVar(&o.Approve, "approve", "manual", "manual: a person approves on the pages; auto: approve everything")
	f.DurationVar(&o.ApproveDelay, "approve-delay", 0, "with --approve auto, approve device codes after this long")
	f.DurationVar(&o.AccessTTL, "access-ttl", 14*24*time.Hour, "access token lifetime")
	f.DurationVar(&o.RefreshTTL, "refresh-ttl", 90*24*time.Hour, "refresh token lifetime")
	f.DurationVar(&o.IDTokenTTL, "id-token-ttl", 2*time.Hour, "ID token lifetime")
	f.DurationVar(&o.DeviceTTL, "device-ttl", 300*time.Second, "device code lifetime")
	f.DurationVar(&o.DeviceInterval, "device-interval", 2*time.Second, "device poll interval")
	f.IntVar(&o.SlowDownEvery, "slow-down-every", 0, "answer every Nth device poll with slow_down (0: never)")
	f.IntVar(&o.RateLimitEvery, "rate-limit-every", 0, "answer every Nth device poll, and every Nth REST API request, with 429 and Retry-After (0: never)")
	f.IntVar(&o.StaleJWKS, "stale-jwks", 0, "answer the first N key set requests without the signing key, as during a key rotation")
	_ = cmd.RegisterFlagCompletionFunc("approve", fixedCompletion("manual", "auto"))
	return cmd
}

func emulatorRun(o *EmulatorOptions) error {
	d := o.deps
	d.blocking()
	o.Log = d.io.ErrOut
	srv, err := emulator.New(o.Config)
	if err != nil {
		return usageErrorf("%v", err)
	}
	base, err := srv.Start(o.Addr)
	if err != nil {
		return err
	}
	if o.AllowNonLoopback {
		fmt.Fprintln(d.io.ErrOut, "warning: the emulator accepts connections from other machines; it has no real security, so use it on trusted networks only.")
	}
	fmt.Fprintln(d.io.Out, base)
	fmt.Fprintf(d.io.Out, "WEBEX_CLIENT_ID=%s\n", srv.ClientID())
	fmt.Fprintf(d.io.Out, "WEBEX_CLIENT_SECRET=%s\n", srv.ClientSecret())
	if f, ok := d.io.Out.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	fmt.Fprintf(d.io.ErrOut, "Emulator serving %s (approve: %s). Press Ctrl-C to stop.\n", base, o.Approve)
	<-o.ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	fmt.Fprintln(d.io.ErrOut, "Emulator stopped.")
	// Stopped by Ctrl-C or SIGTERM: exit 130 as the contract says, without an error line.
	return &exitError{code: ExitCancelled}
}
