package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// IssuerRel is the WebFinger link relation of an OpenID issuer.
const IssuerRel = "http://openid.net/specs/connect/1.0/issuer"

// WebFinger asks Endpoints.WebFinger which OpenID issuers serve the account email.
func (p *Provider) WebFinger(ctx context.Context, email string) ([]string, error) {
	if at := strings.LastIndexByte(email, '@'); at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " /?#") {
		return nil, fmt.Errorf("%q is not an email address", email)
	}
	u, err := url.Parse(p.Endpoints.WebFinger)
	if err != nil {
		return nil, fmt.Errorf("WebFinger endpoint: %w", err)
	}
	q := u.Query()
	q.Set("resource", "acct:"+email)
	q.Set("rel", IssuerRel)
	u.RawQuery = q.Encode()
	var raw json.RawMessage
	if err := p.getJSON(ctx, u.String(), &raw); err != nil {
		return nil, fmt.Errorf("WebFinger: %w", err)
	}
	return ParseWebFinger(raw)
}

// ParseWebFinger returns the hrefs of the issuer links of a JSON Resource Descriptor.
func ParseWebFinger(body []byte) ([]string, error) {
	var jrd struct {
		Links []struct {
			Rel  string `json:"rel"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, errors.New("the WebFinger answer is not a JSON resource descriptor")
	}
	var out []string
	for _, l := range jrd.Links {
		if l.Rel == IssuerRel && l.Href != "" {
			out = append(out, l.Href)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the WebFinger answer names no OpenID issuer")
	}
	return out, nil
}
