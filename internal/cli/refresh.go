package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
)

// RefreshOptions are the settings of `webex refresh`.
type RefreshOptions struct {
	cmdOptions
	JSON bool
}

func newCmdRefresh(d *deps, runF func(*RefreshOptions) error) *cobra.Command {
	o := &RefreshOptions{}
	cmd := &cobra.Command{
		Use:   "refresh",
		Short: "Force a refresh-token grant and store the result",
		Long: `Refresh the profile's access token now, whatever its expiry, and store the result.
If another webex process refreshed the same profile while this one waited, its result is used
instead of refreshing twice.`,
		Args: cobra.NoArgs,
		RunE: runE(d, o, nil, runF, refreshRun),
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print token, type, expiry and scopes as JSON")
	return cmd
}

func refreshRun(o *RefreshOptions) error {
	d := o.deps
	cfg, err := d.config()
	if err != nil {
		return err
	}
	name := d.profile(cfg)
	if p, err := cfg.Load(name); err == nil && p.Flow == config.FlowToken {
		// Exit 4 as for any login without a refresh token: only a new token helps.
		return &loginRequiredError{profile: name, login: "webex login --with-token",
			reason: fmt.Sprintf("profile %q holds a token given with --with-token, which cannot be refreshed; when it stops working, log in with a new one", name)}
	}
	tok, err := d.manager(cfg).Refresh(o.ctx, name)
	if err != nil {
		return sessionError(err)
	}
	d.warn(tok.Warnings)
	if o.JSON {
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
