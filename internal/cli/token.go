package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/termsafe"
)

// TokenOptions are the settings of `webex token`.
type TokenOptions struct {
	cmdOptions
	MinTTL  time.Duration
	IDToken bool
	JSON    bool
}

func newCmdToken(d *deps, runF func(*TokenOptions) error) *cobra.Command {
	o := &TokenOptions{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print a valid access token, refreshing it first when needed",
		Long: `Print the profile's access token on stdout, refreshing it first when it is about to
expire: with less than --min-ttl left, or by default with less than 5 minutes or half its
lifetime left, whichever is shorter. Concurrent calls share one refresh. A --min-ttl longer
than the whole lifetime of the provider's access tokens is refused (exit 1) and nothing is
refreshed, since no new token could last that long.

WEBEX_ACCESS_TOKEN, when set, is printed as it is.`,
		Example: `  curl -H "Authorization: Bearer $(webex token)" https://webexapis.com/v1/people/me
  webex token --json | jq .expires_at`,
		Args: cobra.NoArgs,
		RunE: runE(d, o, func([]string) error { return checkMinTTL(o.MinTTL) }, runF, tokenRun),
	}
	cmd.Flags().DurationVar(&o.MinTTL, "min-ttl", 0, "refresh unless the token stays valid at least this long (default: 5m or half its lifetime)")
	cmd.Flags().BoolVar(&o.IDToken, "id-token", false, "print the stored ID token instead")
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print token, type, expiry and scopes as JSON")
	return cmd
}

// checkMinTTL refuses a negative --min-ttl.
func checkMinTTL(minTTL time.Duration) error {
	if minTTL < 0 {
		return usageErrorf("--min-ttl must not be negative")
	}
	return nil
}

func tokenRun(o *TokenOptions) error {
	d := o.deps
	if env := d.getenv("WEBEX_ACCESS_TOKEN"); env != "" && !o.IDToken {
		d.secrets.Add(env)
		return printToken(d, o.JSON, env, map[string]any{"token": env, "token_type": "Bearer", "expires_at": nil, "scopes": []string{}, "source": "WEBEX_ACCESS_TOKEN"})
	}
	cfg, err := d.config()
	if err != nil {
		return err
	}
	name := d.profile(cfg)
	if o.IDToken {
		p, sec, err := d.manager(cfg).Stored(o.ctx, name)
		if err != nil {
			return err
		}
		if sec.IDToken == "" {
			return fmt.Errorf("profile %q has no ID token (the %s flow of %s returns none; log in with --flow browser and the openid scope)", name, p.Flow, p.Provider)
		}
		return printToken(d, o.JSON, sec.IDToken, map[string]any{"token": sec.IDToken, "token_type": "id_token", "expires_at": rfc3339OrNil(p.IDTokenExpiry)})
	}
	tok, err := d.manager(cfg).Token(o.ctx, name, o.MinTTL)
	if err != nil {
		return err
	}
	d.warn(tok.Warnings)
	return printToken(d, o.JSON, tok.AccessToken, tokenJSON(tok))
}

// printToken prints token on a line of its own, or with --json the fields.
func printToken(d *deps, asJSON bool, token string, fields map[string]any) error {
	if asJSON {
		return writeJSON(d, fields)
	}
	_, err := fmt.Fprintln(d.io.Out, token)
	return err
}

func tokenJSON(tok *session.Token) map[string]any {
	return map[string]any{"token": tok.AccessToken, "token_type": tok.TokenType, "expires_at": rfc3339OrNil(tok.Expiry), "scopes": nonNil(tok.Scopes)}
}

// writeJSON prints v as indented JSON, with the characters a terminal would act on escaped.
func writeJSON(d *deps, v any) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(d.io.Out, termsafe.Text(b.String()))
	return err
}

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
	tok, err := d.manager(cfg).Refresh(o.ctx, name)
	if err != nil {
		return err
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
