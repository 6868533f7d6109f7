package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/tokenstore"
	"github.com/webex-cli/webex/internal/userinfo"
)

// loginWithToken is `webex login --with-token`: it reads a Webex bot or personal access token
// from stdin, asks /people/me whose it is, and stores it with that identity, no refresh token
// and an unknown expiry. A token Webex refuses is not stored.
func loginWithToken(ctx context.Context, d *deps, cfg *config.Config, o *LoginOptions) error {
	name := d.profile(cfg)
	if err := config.ValidateName(name); err != nil {
		return usageErrorf("%v", err)
	}
	if o.Issuer != "" || o.Provider == config.ProviderOIDC {
		return usageErrorf("--with-token takes Webex bot and personal access tokens: it works with --provider webex or webex-gov only")
	}
	saved, err := cfg.Load(name)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return err
	}
	if saved == nil {
		saved = &config.Profile{}
	}
	token, err := readToken(d)
	if err != nil {
		return err
	}
	d.secret(token)

	kind := cmp.Or(o.Provider, config.ProviderWebex)
	base := cmp.Or(o.BaseURL, d.getenv("WEBEX_BASE_URL"))
	if o.Provider == "" && base == "" && saved.Provider != "" && saved.Provider != config.ProviderOIDC {
		kind = saved.Provider
	}
	if base == "" && saved.Provider == kind {
		base = saved.BaseURL
	}
	prov, err := d.newProvider(ctx, kind, "", base, nil)
	if err != nil {
		return err
	}
	storage := cmp.Or(o.Storage, d.getenv("WEBEX_STORAGE"), saved.Storage, config.StorageKeyring)
	if storage != config.StorageKeyring && storage != config.StorageFile {
		return usageErrorf("unknown storage %q: use keyring or file", storage)
	}
	store, err := d.openStore(storage, cfg.Dir())
	if err != nil {
		return err
	}
	if p, ok := store.(interface{ Probe(context.Context) error }); ok {
		if err := p.Probe(ctx); err != nil {
			return err
		}
	}

	person, err := (&userinfo.Client{HTTP: d.http(), Sleep: d.sleep}).PeopleMe(ctx, prov.Endpoints.People, token)
	var se *userinfo.StatusError
	if errors.As(err, &se) && se.Status == http.StatusUnauthorized {
		return fmt.Errorf("Webex refused the token at %s (HTTP 401: it is wrong, expired or revoked); nothing was stored", prov.Endpoints.People)
	}
	if err != nil {
		return fmt.Errorf("checking the token at %s, nothing was stored: %w", prov.Endpoints.People, err)
	}
	now := d.now()
	p := &config.Profile{
		Name:           name,
		Provider:       string(prov.Kind),
		BaseURL:        prov.BaseURL,
		Storage:        storage,
		Flow:           config.FlowToken,
		Subject:        person.UUID(),
		Email:          person.Email(),
		DisplayName:    person.DisplayName,
		UserType:       cmp.Or(stringClaim(person.Raw, "type"), "person"),
		TokenType:      "Bearer",
		AccessIssuedAt: now,
		UpdatedAt:      now,
	}
	sec := &tokenstore.Secrets{AccessToken: token, Binding: p.Binding()}
	return saveLogin(ctx, d, cfg, store, saved, p, sec, &eventWriter{w: d.io.Out, on: o.JSON})
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

func stringClaim(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}
