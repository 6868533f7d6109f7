package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/tokenstore"
)

func newCmdLogout(d *deps, runF func(context.Context, bool) error) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Delete the profile's tokens",
		Long: `Delete the profile's tokens and settings (--all: every profile). For an OpenID provider
that announces a revocation endpoint, the refresh token (or else the access token) is revoked
there first. Webex documents no revocation endpoint for integrations; its tokens stay valid
until they expire.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), all)
			}
			return runLogout(cmd.Context(), d, all)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "log out of every profile")
	return cmd
}

func runLogout(ctx context.Context, d *deps, all bool) error {
	cfg, err := d.config()
	if err != nil {
		return err
	}
	var names []string
	if all {
		ps, err := cfg.List()
		for _, p := range ps {
			names = append(names, p.Name)
		}
		// Damaged profile files are logged out of too: that is how to get rid of them.
		damaged := damagedProfiles(err)
		names = append(names, damaged...)
		if err != nil && len(damaged) == 0 {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(d.io.ErrOut, "No profiles to log out of.")
			return nil
		}
	} else {
		names = []string{d.profile(cfg)}
	}
	var errs []error
	for _, name := range names {
		if err := logoutOne(ctx, d, cfg, name); err != nil {
			errs = append(errs, err)
		}
	}
	if all {
		_ = cfg.ClearDefault()
	}
	return errors.Join(errs...)
}

func logoutOne(ctx context.Context, d *deps, cfg *config.Config, name string) error {
	p, err := cfg.Load(name)
	if errors.Is(err, config.ErrNotFound) {
		return notLoggedIn(name)
	}
	if err != nil {
		// A damaged profile file must still be removable.
		fmt.Fprintf(d.io.ErrOut, "warning: %v\n", err)
		p = &config.Profile{Name: name}
	}
	st, err := d.openStore(p.StorageKind(), cfg.Dir())
	if err != nil {
		return err
	}
	// Under the profile's lock, so that a refresh in flight cannot write the tokens back.
	unlock, err := tokenstore.Lock(ctx, cfg.Dir(), name)
	if err != nil {
		return fmt.Errorf("logging out of profile %s: %w", name, err)
	}
	defer unlock()
	// Revoked only when the stored secrets belong to the profile's login: others would be sent
	// to the wrong provider.
	if sec, err := st.Load(name, p.Binding()); err == nil {
		if msg := revoke(ctx, d, p, sec); msg != "" {
			fmt.Fprintln(d.io.ErrOut, msg)
		}
	}
	if err := st.Delete(name); err != nil {
		return fmt.Errorf("deleting the tokens of profile %s: %w", name, err)
	}
	if err := cfg.Delete(name); err != nil && !errors.Is(err, config.ErrNotFound) {
		return err
	}
	if def, _ := cfg.Default(); def == name {
		_ = cfg.ClearDefault()
	}
	fmt.Fprintf(d.io.ErrOut, "Logged out of profile %s.\n", name)
	return nil
}

// revoke revokes the profile's tokens at an OpenID provider that announces a revocation
// endpoint, and returns a line for the user when something could not be done.
func revoke(ctx context.Context, d *deps, p *config.Profile, sec *tokenstore.Secrets) string {
	if p.Provider != "oidc" {
		return ""
	}
	prov, err := session.ProviderFor(ctx, p, provider.Options{HTTPClient: d.http(), Now: d.now})
	if err != nil {
		return fmt.Sprintf("warning: could not reach the provider to revoke the tokens (%v); deleting them here anyway", err)
	}
	if prov.Endpoints.Revocation == "" {
		return ""
	}
	token, hint := sec.RefreshToken, "refresh_token"
	if token == "" {
		token, hint = sec.AccessToken, "access_token"
	}
	if token == "" {
		return ""
	}
	if err := session.Revoke(ctx, d.http(), d.now(), prov.Endpoints.Revocation, prov.AuthStyle, p.ClientID, sec.ClientSecret, token, hint); err != nil {
		return fmt.Sprintf("warning: the provider did not revoke the tokens (%v); deleting them here anyway", err)
	}
	return "Revoked the tokens at the provider."
}

// damagedProfiles names the profiles whose settings file config.List could not read.
func damagedProfiles(err error) []string {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var names []string
	for _, e := range errs {
		var ce *config.CorruptError
		if errors.As(e, &ce) {
			names = append(names, strings.TrimSuffix(filepath.Base(ce.Path), ".json"))
		}
	}
	return names
}
