package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/termsafe"
	"github.com/webex-cli/webex/internal/userinfo"
)

// UserinfoOptions are the settings of `webex userinfo`.
type UserinfoOptions struct {
	cmdOptions
	JSON bool
}

func newCmdUserinfo(d *deps, runF func(*UserinfoOptions) error) *cobra.Command {
	o := &UserinfoOptions{}
	cmd := &cobra.Command{
		Use:   "userinfo",
		Short: "Show the signed-in user's claims from the provider",
		Long: `Call the provider's UserInfo endpoint with a valid access token (refreshed first when
needed) and show the claims: a table on a terminal, JSON when piped or with --json.

A Webex device-flow login has no OpenID scopes, so for it Webex's /people/me is shown instead.`,
		Args: cobra.NoArgs,
		RunE: runE(d, o, nil, runF, userinfoRun),
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
	return cmd
}

func userinfoRun(o *UserinfoOptions) error {
	d, ctx := o.deps, o.ctx
	prov, prof, err := resolveProvider(ctx, d, provider.Settings{}, true)
	if err != nil {
		return err
	}
	token, err := d.bearer(ctx, 0)
	if err != nil {
		return err
	}
	uc := &userinfo.Client{HTTP: d.http(), Sleep: d.sleep}
	var claims map[string]any
	switch {
	case prov.Kind != config.ProviderOIDC && prof != nil && !slices.Contains(prof.Scopes, "openid"):
		fmt.Fprintln(d.io.ErrOut, "This Webex login has no OpenID scopes (device flow), so showing /people/me instead of UserInfo.")
		var person *userinfo.Person
		if person, err = uc.PeopleMe(ctx, prov.Endpoints.People, token); err == nil {
			claims = person.Raw
		}
	case prov.Endpoints.UserInfo == "":
		return fmt.Errorf("the provider announces no UserInfo endpoint")
	default:
		claims, err = uc.UserInfo(ctx, prov.Endpoints.UserInfo, token)
	}
	if err != nil {
		return err
	}
	if o.JSON || !d.io.IsStdoutTTY() {
		return writeJSON(d, claims)
	}
	tw := tabwriter.NewWriter(d.io.Out, 0, 4, 2, ' ', 0)
	for _, k := range slices.Sorted(maps.Keys(claims)) {
		fmt.Fprintf(tw, "%s\t%s\n", iostreams.Colour(d.io.ColourOut(), "36", termsafe.Line(k)), termsafe.Line(claimString(claims[k])))
	}
	return tw.Flush()
}

func claimString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = claimString(x)
		}
		return strings.Join(parts, ", ")
	case nil:
		return "null"
	case float64:
		if t == float64(int64(t)) {
			return fmt.Sprintf("%d", int64(t))
		}
	}
	return fmt.Sprint(v)
}
