package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/termsafe"
)

// LogoutOptions are the settings of `webex logout`.
type LogoutOptions struct {
	cmdOptions
	All bool
}

func newCmdLogout(d *deps, runF func(*LogoutOptions) error) *cobra.Command {
	o := &LogoutOptions{}
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Delete the profile's tokens",
		Long: `Delete the profile's tokens and settings (--all: every profile). For an OpenID provider
that announces a revocation endpoint, the refresh token (or else the access token) is revoked
there first. Webex documents no revocation endpoint for integrations; its tokens stay valid
until they expire.`,
		Args: cobra.NoArgs,
		RunE: runE(d, o, nil, runF, logoutRun),
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "log out of every profile")
	return cmd
}

func logoutRun(o *LogoutOptions) error {
	d := o.deps
	cfg, err := d.config()
	if err != nil {
		return err
	}
	var names []string
	if o.All {
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
	m := d.manager(cfg)
	var errs []error
	for _, name := range names {
		notes, err := m.Logout(o.ctx, name)
		for _, n := range notes {
			fmt.Fprintln(d.io.ErrOut, d.secrets.Scrub(termsafe.Line(n)))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(d.io.ErrOut, "Logged out of profile %s.\n", name)
	}
	if o.All {
		_ = cfg.ClearDefault()
	}
	return errors.Join(errs...)
}

// damagedProfiles names the profiles whose settings file config.List could not read.
func damagedProfiles(err error) []string {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
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
