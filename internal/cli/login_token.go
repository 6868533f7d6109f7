package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"golang.org/x/oauth2"
)

// loginWithToken is `webex login --with-token`: it reads a Webex bot or personal access token
// from stdin, asks /people/me whose it is, and stores it with that identity, no refresh token
// and an unknown expiry. A token Webex refuses is not stored.
func loginWithToken(ctx context.Context, d *deps, cfg *config.Config, o *LoginOptions) error {
	if o.Issuer != "" || o.Provider == config.ProviderOIDC {
		return usageErrorf("--with-token takes Webex bot and personal access tokens: it works with --provider webex or webex-gov only")
	}
	saved, err := checkLogin(d, cfg, o)
	if err != nil {
		return err
	}
	token, err := readToken(d)
	if err != nil {
		return err
	}
	d.secrets.Add(token)
	was := session.Settings(saved)
	if saved.Provider == config.ProviderOIDC {
		was = provider.Settings{}
	}
	set, err := resolveSettings(provider.Settings{Kind: o.Provider, BaseURL: o.BaseURL}, provider.Settings{BaseURL: d.getenv("WEBEX_BASE_URL")}, was)
	if err != nil {
		return err
	}
	prov, err := d.provider(ctx, provider.Settings{Kind: set.Kind, BaseURL: set.BaseURL})
	if err != nil {
		return err
	}
	p := config.Profile{Name: d.profile(cfg), Provider: set.Kind, BaseURL: prov.BaseURL, Flow: config.FlowToken}
	if p.Storage, err = storageKind(d, o, saved); err != nil {
		return err
	}
	m := d.manager(cfg)
	if err := m.CheckStore(ctx, p.Storage); err != nil {
		return err
	}
	g := &session.Grant{Profile: p, Provider: prov, Token: &oauth2.Token{AccessToken: token, TokenType: "Bearer"}}
	return storeLogin(ctx, d, m, g, o)
}

// readToken reads the one token of --with-token from stdin, which must not be a terminal
// (the token would show on the screen, and belongs in a pipe or a file).
func readToken(d *deps) (string, error) {
	if d.io.IsStdinTTY() {
		return "", usageErrorf("--with-token reads the token from stdin: pipe it in, e.g. `webex login --with-token < token.txt`")
	}
	b, err := io.ReadAll(io.LimitReader(d.io.In, 64<<10+1))
	if err != nil {
		return "", fmt.Errorf("reading the token from stdin: %w", err)
	}
	if len(b) > 64<<10 {
		return "", usageErrorf("--with-token: stdin holds more than 64 KiB, which is no token")
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", usageErrorf("--with-token: stdin is empty; pipe the token in")
	case strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return "", usageErrorf("--with-token: stdin must hold one token, on one line")
	}
	return tok, nil
}
