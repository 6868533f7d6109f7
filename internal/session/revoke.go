package session

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/oautherr"
)

// Revoke asks the revocation endpoint (RFC 7009) to revoke token, authenticating the client as
// the token endpoint expects; hint is "refresh_token" or "access_token". An error answer is an
// *oautherr.Error read at now.
func Revoke(ctx context.Context, client *http.Client, now time.Time, endpoint string, style oauth2.AuthStyle, clientID, clientSecret, token, hint string) error {
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	useBasic := clientSecret != "" && style != oauth2.AuthStyleInParams
	if !useBasic {
		form.Set("client_id", clientID)
		if clientSecret != "" {
			form.Set("client_secret", clientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("bad revocation endpoint: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if useBasic {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return oautherr.ParseAt(now, resp.StatusCode, resp.Header, body)
}
