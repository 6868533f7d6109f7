package cli

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/jwt"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/termsafe"
)

// StatusOptions are the settings of `webex status`.
type StatusOptions struct {
	cmdOptions
	JSON bool
}

func newCmdStatus(d *deps, runF func(*StatusOptions) error) *cobra.Command {
	o := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every profile: provider, user, scopes, expiries and storage",
		Long: `Show every profile with its provider, signed-in user, scopes, where its tokens are
stored and when its access and refresh tokens expire. The active profile is marked with *.
It reads only the settings in the config folder, never the keyring.`,
		Args: cobra.NoArgs,
		RunE: runE(d, o, nil, runF, statusRun),
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

// describeExpiry renders an expiry as "in 13d 4h", "expired 2h ago" or "unknown".
func describeExpiry(t, now time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	if !t.After(now) {
		return "expired " + jwt.Relative(t, now)
	}
	return jwt.Relative(t, now)
}

func rfc3339OrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func statusRun(o *StatusOptions) error {
	d := o.deps
	cfg, err := d.config()
	if err != nil {
		return err
	}
	// A damaged profile file hides none of the others: they are shown, the damage is reported
	// after them, and the exit code says something is wrong.
	ps, listErr := cfg.List()
	if listErr != nil && len(ps) == 0 && len(damagedProfiles(listErr)) == 0 {
		return listErr
	}
	active := d.profile(cfg)
	now := d.now()
	envToken := d.getenv("WEBEX_ACCESS_TOKEN") != ""

	if o.JSON {
		return statusJSON(d, cfg, ps, listErr, active, now, envToken)
	}
	w := d.io.Out
	if envToken {
		fmt.Fprintln(d.io.ErrOut, "Note: WEBEX_ACCESS_TOKEN is set, so `webex token`, `userinfo`, `exec` and `api` use it instead of any profile below.")
	}
	if len(ps) == 0 && listErr == nil {
		fmt.Fprintln(d.io.ErrOut, "No profiles. Run `webex login` to sign in.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "PROFILE\tPROVIDER\tUSER\tSCOPES\tACCESS TOKEN\tREFRESH TOKEN\tSTORAGE"
	fmt.Fprintln(tw, iostreams.Colour(d.io.ColourOut(), "1", head))
	for _, p := range ps {
		name := "  " + p.Name
		if p.Name == active {
			name = "* " + p.Name
		}
		user := cmp.Or(p.Email, p.DisplayName, p.Subject, "-")
		if p.UserType == "bot" {
			user += " (bot)"
		}
		scopes := p.GrantedScopes
		if len(scopes) == 0 {
			scopes = p.Scopes
		}
		refresh := "none"
		if p.HasRefreshToken {
			refresh = describeExpiry(p.RefreshExpiry, now)
		}
		access := describeExpiry(p.AccessExpiry, now)
		if strings.HasPrefix(access, "expired") {
			access = iostreams.Colour(d.io.ColourOut(), "33", access)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, termsafe.Line(provider.Label(p)), termsafe.Line(user), termsafe.Line(strings.Join(scopes, " ")), access, refresh, p.StorageKind())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if listErr != nil {
		return fmt.Errorf("%w (`webex logout --profile NAME` removes a damaged profile)", listErr)
	}
	return nil
}

// statusJSON prints `webex status --json`.
func statusJSON(d *deps, cfg *config.Config, ps []*config.Profile, listErr error, active string, now time.Time, envToken bool) error {
	list := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		list = append(list, map[string]any{
			"profile":             p.Name,
			"active":              p.Name == active,
			"provider":            p.Provider,
			"issuer":              p.Issuer,
			"base_url":            p.BaseURL,
			"client_id":           p.ClientID,
			"subject":             p.Subject,
			"email":               p.Email,
			"name":                p.DisplayName,
			"user_type":           p.UserType,
			"scopes":              nonNil(p.Scopes),
			"granted_scopes":      nonNil(p.GrantedScopes),
			"flow":                p.Flow,
			"storage":             p.StorageKind(),
			"access_expires_at":   rfc3339OrNil(p.AccessExpiry),
			"access_valid":        p.AccessExpiry.IsZero() || p.AccessExpiry.After(now), // unknown expiry: used as it is
			"refresh_expires_at":  rfc3339OrNil(p.RefreshExpiry),
			"has_refresh_token":   p.HasRefreshToken,
			"id_token_expires_at": rfc3339OrNil(p.IDTokenExpiry),
		})
	}
	if err := writeJSON(d, map[string]any{
		"active_profile":        active,
		"access_token_from_env": envToken,
		"config_dir":            cfg.Dir(),
		"profiles":              list,
		"damaged_profiles":      nonNil(damagedProfiles(listErr)),
	}); err != nil {
		return err
	}
	return listErr
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SwitchOptions are the settings of `webex switch`.
type SwitchOptions struct {
	cmdOptions
	Name string
}

func newCmdSwitch(d *deps, runF func(*SwitchOptions) error) *cobra.Command {
	o := &SwitchOptions{}
	return &cobra.Command{
		Use:   "switch PROFILE",
		Short: "Make PROFILE the active profile",
		Long:  "Make PROFILE the profile that commands use when neither --profile nor WEBEX_PROFILE names one.",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return d.completeProfiles(cmd, args, toComplete)
		},
		RunE: runE(d, o, func(args []string) error {
			o.Name = args[0]
			return nil
		}, runF, switchRun),
	}
}

func switchRun(o *SwitchOptions) error {
	d, name := o.deps, o.Name
	if err := config.ValidateName(name); err != nil {
		return usageErrorf("%v", err)
	}
	cfg, err := d.config()
	if err != nil {
		return err
	}
	if _, err := cfg.Load(name); errors.Is(err, config.ErrNotFound) {
		return fmt.Errorf("no profile named %q (see `webex status`)", name)
	} else if err != nil {
		return err
	}
	if err := cfg.SetDefault(name); err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Profile %s is now active.\n", name)
	return nil
}
