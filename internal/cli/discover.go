package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/termsafe"
)

// resolveProvider is the provider login would use: provider.Resolve of flag, the environment
// and the saved login. With loginFirst, a saved login's own provider wins over flag and the
// environment, for commands that send its tokens. It returns the saved login, if any.
func resolveProvider(ctx context.Context, d *deps, flag provider.Settings, loginFirst bool) (*provider.Provider, *config.Profile, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, nil, err
	}
	p, err := cfg.Load(d.profile(cfg))
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, nil, err
	}
	var saved provider.Settings
	if p != nil {
		saved = session.Settings(p)
	}
	s := saved
	if p == nil || !loginFirst {
		env := provider.Settings{Issuer: d.getenv("WEBEX_ISSUER"), BaseURL: d.getenv("WEBEX_BASE_URL")}
		if s, err = provider.Resolve(flag, env, saved); err != nil {
			return nil, nil, err
		}
	}
	prov, err := d.provider(ctx, s)
	return prov, p, err
}

// DiscoverOptions are the settings of `webex discover`.
type DiscoverOptions struct {
	cmdOptions
	Provider, Issuer, BaseURL string
	Email                     string
	JSON                      bool
}

func newCmdDiscover(d *deps, runF func(*DiscoverOptions) error) *cobra.Command {
	o := &DiscoverOptions{}
	cmd := &cobra.Command{
		Use:   "discover [EMAIL]",
		Short: "Show what the provider announces: endpoints, scopes, algorithms and keys",
		Long: `Show what the provider announces in its discovery document: endpoints, supported scopes,
grant types, signing algorithms, PKCE methods, and the key ids at its JWKS. Where the announcement
differs from what webex actually uses (for Webex: the discovery issuer versus the iss of real ID
tokens), it says so. With EMAIL it first asks the provider's WebFinger endpoint which issuer
serves that account.`,
		Args: cobra.MaximumNArgs(1),
		RunE: runE(d, o, func(args []string) error {
			if len(args) == 1 {
				o.Email = args[0]
			}
			return nil
		}, runF, discoverRun),
	}
	f := cmd.Flags()
	f.StringVar(&o.Provider, "provider", "", "provider: webex, webex-gov or oidc (default: the profile's, else webex)")
	f.StringVar(&o.Issuer, "issuer", "", "OpenID issuer URL (env WEBEX_ISSUER)")
	f.StringVar(&o.BaseURL, "base-url", "", "Webex API base URL (env WEBEX_BASE_URL)")
	f.BoolVar(&o.JSON, "json", false, "print JSON")
	_ = cmd.RegisterFlagCompletionFunc("provider", fixedCompletion(config.ProviderWebex, config.ProviderWebexGov, config.ProviderOIDC))
	return cmd
}

// The discovery document's fields `webex discover` shows: URLs, then lists (the text view
// leaves out response_types_supported).
var (
	announcedURLs  = []string{"issuer", "authorization_endpoint", "token_endpoint", "device_authorization_endpoint", "userinfo_endpoint", "jwks_uri", "revocation_endpoint", "end_session_endpoint"}
	announcedLists = []string{"scopes_supported", "grant_types_supported", "response_types_supported", "id_token_signing_alg_values_supported", "code_challenge_methods_supported", "token_endpoint_auth_methods_supported"}
	usedKeys       = []string{"issuer", "issuer_pattern", "authorize", "token", "device_authorization", "device_token", "userinfo", "people", "jwks", "revocation"}
)

func discoverRun(o *DiscoverOptions) error {
	d, ctx, email := o.deps, o.ctx, o.Email
	prov, _, err := resolveProvider(ctx, d, provider.Settings{Kind: o.Provider, Issuer: o.Issuer, BaseURL: o.BaseURL}, false)
	if err != nil {
		return err
	}
	report := map[string]any{"provider": prov.Kind}
	if email != "" {
		issuers, err := prov.WebFinger(ctx, email)
		if err != nil {
			return fmt.Errorf("WebFinger for %s: %w", email, err)
		}
		report["webfinger"] = map[string]any{"resource": "acct:" + email, "issuers": issuers}
	}
	doc := prov.Discovery
	if doc == nil && prov.Endpoints.Discovery != "" {
		if doc, err = prov.FetchDiscovery(ctx); err != nil {
			return fmt.Errorf("fetching the discovery document: %w", err)
		}
	}
	announced := map[string]any{}
	for _, k := range announcedURLs {
		announced[k], _ = doc[k].(string)
	}
	for _, k := range announcedLists {
		list := []string{}
		a, _ := doc[k].([]any)
		for _, v := range a {
			if s, ok := v.(string); ok {
				list = append(list, s)
			}
		}
		announced[k] = list
	}
	report["announced"] = announced
	used := map[string]any{
		"authorize":            prov.Endpoints.Authorize,
		"token":                prov.Endpoints.Token,
		"device_authorization": prov.Endpoints.DeviceAuthorization,
		"device_token":         prov.Endpoints.DeviceToken,
		"userinfo":             prov.Endpoints.UserInfo,
		"jwks":                 prov.Endpoints.JWKS,
		"revocation":           prov.Endpoints.Revocation,
		"signing_algorithms":   prov.SigningAlgs,
	}
	if prov.Kind == config.ProviderOIDC {
		used["issuer"] = prov.Issuer
	} else {
		used["issuer_pattern"] = provider.WebexIssuerPattern
		used["people"] = prov.Endpoints.People
	}
	report["used"] = used
	notes := discoverNotes(prov, doc, announced)
	if prov.Endpoints.JWKS != "" {
		keys, err := prov.FetchKeys(ctx)
		if err != nil {
			notes = append(notes, "Could not read the JWKS: "+errorLine(err))
		} else {
			report["keys"] = keys
			if nokid := len(slices.DeleteFunc(slices.Clone(keys), func(k provider.KeyInfo) bool { return k.KeyID != "" })); nokid > 0 {
				notes = append(notes, fmt.Sprintf("%d of the %d keys have no kid, so every key is tried when a token names none.", nokid, len(keys)))
			}
		}
	}
	sort.Strings(notes)
	report["notes"] = nonNil(notes)
	if o.JSON {
		return writeJSON(d, report)
	}
	return printDiscover(d, report, email)
}

// discoverNotes are the differences between what the provider announces and what webex uses.
func discoverNotes(prov *provider.Provider, doc, announced map[string]any) []string {
	var notes []string
	str := func(k string) string { return announced[k].(string) }
	if prov.Kind != config.ProviderOIDC && doc != nil {
		notes = append(notes, fmt.Sprintf("The discovery issuer %q is not the API base %s; real ID tokens carry an iss that varies by data centre, so webex uses the static endpoints and accepts any iss matching %s.", str("issuer"), prov.BaseURL, provider.WebexIssuerPattern))
		if str("device_authorization_endpoint") == "" && prov.Endpoints.DeviceAuthorization != "" {
			notes = append(notes, "The discovery document lists no device authorization endpoint; webex uses "+prov.Endpoints.DeviceAuthorization+" and polls "+prov.Endpoints.DeviceToken+".")
		}
		for k, v := range map[string]string{"authorization_endpoint": prov.Endpoints.Authorize, "token_endpoint": prov.Endpoints.Token, "userinfo_endpoint": prov.Endpoints.UserInfo, "jwks_uri": prov.Endpoints.JWKS} {
			if a := str(k); a != "" && a != v {
				notes = append(notes, fmt.Sprintf("The discovery document's %s is %s; webex uses %s.", k, a, v))
			}
		}
	}
	if methods := announced["code_challenge_methods_supported"].([]string); len(methods) > 0 && !slices.Contains(methods, "S256") {
		notes = append(notes, "The provider does not announce PKCE S256; webex always uses S256.")
	}
	return notes
}

// printDiscover shows a discover report as tables.
func printDiscover(d *deps, report map[string]any, email string) error {
	w, on := d.io.Out, d.io.ColourOut()
	if wf, ok := report["webfinger"].(map[string]any); ok {
		fmt.Fprintf(w, "%s acct:%s is served by %s\n\n", iostreams.Colour(on, "1", "WebFinger:"), termsafe.Line(email), termsafe.Line(strings.Join(wf["issuers"].([]string), ", ")))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, termsafe.Line(cmp.Or(v, "-"))) }
	announced, used := report["announced"].(map[string]any), report["used"].(map[string]any)
	fmt.Fprintln(tw, iostreams.Colour(on, "1", "ANNOUNCED")+"\t")
	for _, k := range announcedURLs {
		row(k, announced[k].(string))
	}
	for _, k := range announcedLists {
		if k != "response_types_supported" {
			row(k, strings.Join(announced[k].([]string), " "))
		}
	}
	fmt.Fprintln(tw, iostreams.Colour(on, "1", "USED BY WEBEX")+"\t")
	for _, k := range usedKeys {
		if v, ok := used[k].(string); ok {
			row(k, v)
		}
	}
	fmt.Fprintf(tw, "  signing_algorithms\t%s\n", strings.Join(used["signing_algorithms"].([]string), " "))
	if keys, ok := report["keys"].([]provider.KeyInfo); ok {
		fmt.Fprintln(tw, iostreams.Colour(on, "1", "KEYS")+"\t")
		for _, k := range keys {
			fmt.Fprintf(tw, "  %s\t%s\n", termsafe.Line(cmp.Or(k.KeyID, "(no kid)")), termsafe.Line(strings.TrimSpace(k.Type+" "+k.Alg+" "+k.Use)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if notes := report["notes"].([]string); len(notes) > 0 {
		fmt.Fprintln(w, iostreams.Colour(on, "1", "NOTES"))
		for _, n := range notes {
			fmt.Fprintln(w, "  - "+termsafe.Line(n))
		}
	}
	return nil
}
