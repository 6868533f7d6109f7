package provider

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// KeyInfo describes one key of a JWKS (RFC 7517 §4), for display.
type KeyInfo struct {
	KeyID string `json:"kid,omitempty"`
	Type  string `json:"kty"`
	Alg   string `json:"alg,omitempty"`
	Use   string `json:"use,omitempty"`
}

// FetchDiscovery fetches the document at Endpoints.Discovery for display (`webex discover`),
// without checking its issuer: Webex's names an IdBroker, not the API base.
func (p *Provider) FetchDiscovery(ctx context.Context) (map[string]any, error) {
	var doc map[string]any
	if err := p.getJSON(ctx, p.Endpoints.Discovery, &doc); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if doc == nil {
		return nil, fmt.Errorf("discovery: %s: %w", p.Endpoints.Discovery, errNotJSON)
	}
	return doc, nil
}

// FetchKeys fetches the provider's JWKS and describes its keys, for display.
func (p *Provider) FetchKeys(ctx context.Context) ([]KeyInfo, error) {
	var set struct {
		Keys []KeyInfo `json:"keys"`
	}
	if err := p.getJSON(ctx, p.Endpoints.JWKS, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	return set.Keys, nil
}

// getJSON GETs url with the provider's client and decodes the JSON body into v.
func (p *Provider) getJSON(ctx context.Context, url string, v any) error {
	body, _, err := get(ctx, p.client, url)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s did not send the expected JSON: %w", url, err)
	}
	return nil
}

// get GETs url, asking for JSON, and returns a body of at most maxDiscoveryBytes with its
// Content-Type. A nil client is one with a 30 s timeout.
func get(ctx context.Context, client *http.Client, url string) ([]byte, string, error) {
	client = cmp.Or(client, &http.Client{Timeout: defaultHTTPTimeout})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s answered HTTP %s", url, resp.Status)
	}
	if len(body) > maxDiscoveryBytes {
		return nil, "", fmt.Errorf("the document at %s is larger than %d bytes", url, maxDiscoveryBytes)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

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
