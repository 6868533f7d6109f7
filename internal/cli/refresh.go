package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newCmdRefresh(d *deps, runF func(context.Context, bool) error) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Force a refresh-token grant and store the result",
		Long: `Refresh the profile's access token now, whatever its expiry, and store the result.
If another webex process refreshed the same profile while this one waited, its result is used
instead of refreshing twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), asJSON)
			}
			return runRefresh(cmd.Context(), d, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print token, type, expiry and scopes as JSON")
	return cmd
}

func runRefresh(ctx context.Context, d *deps, asJSON bool) error {
	cfg, err := d.config()
	if err != nil {
		return err
	}
	name := d.profile(cfg)
	tok, err := d.manager(cfg).Refresh(ctx, name)
	if err != nil {
		return sessionError(err)
	}
	d.warn(tok.Warnings)
	if asJSON {
		m := tokenJSON(tok)
		m["refreshed"] = tok.Refreshed
		return writeJSON(d, m)
	}
	if tok.Refreshed {
		fmt.Fprintf(d.io.ErrOut, "Refreshed the token of profile %s; it expires %s.\n", name, describeExpiry(tok.Expiry, d.now()))
	} else {
		fmt.Fprintf(d.io.ErrOut, "Another webex process just refreshed profile %s; using its token, which expires %s.\n", name, describeExpiry(tok.Expiry, d.now()))
	}
	return nil
}
