// Package inspect reads what a provider announces about itself, for `webex discover`: its
// discovery document (OpenID Connect Discovery 1.0), the keys at its JWKS (RFC 7517), and the
// WebFinger answer for an account (RFC 7033, OpenID Connect Discovery section 2).
//
// Unlike provider.Discover it is lenient: it reports what is there, including what differs
// from what webex actually uses, rather than refusing a non-conforming document. It never
// prints.
package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/webex-cli/webex/internal/oautherr"
)

// maxDoc bounds every document read.
const maxDoc = 1 << 20

// IssuerRel is the WebFinger link relation of an OpenID issuer.
const IssuerRel = "http://openid.net/specs/connect/1.0/issuer"

// Key describes one key of a JWKS, without its key material.
type Key struct {
	KeyID     string `json:"kid,omitempty"`
	KeyType   string `json:"kty"`
	Algorithm string `json:"alg,omitempty"`
	Use       string `json:"use,omitempty"`
}

// Document fetches a JSON object from url.
func Document(ctx context.Context, client *http.Client, url string) (map[string]any, error) {
	body, err := get(ctx, client, url, "application/json")
	if err != nil {
		return nil, err
	}
	return ParseDocument(body)
}

// ParseDocument parses a JSON object, such as a discovery document.
func ParseDocument(body []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errors.New("the document is not a JSON object")
	}
	return m, nil
}

// Keys fetches the JWKS at url and describes its keys.
func Keys(ctx context.Context, client *http.Client, url string) ([]Key, error) {
	body, err := get(ctx, client, url, "application/json")
	if err != nil {
		return nil, err
	}
	return ParseKeys(body)
}

// ParseKeys describes the keys of a JWKS document. Keys without a "kty" are reported as
// malformed rather than skipped.
func ParseKeys(body []byte) ([]Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("the JWKS is not a JSON object with a \"keys\" array")
	}
	if set.Keys == nil {
		return nil, errors.New("the JWKS has no \"keys\" array")
	}
	keys := make([]Key, 0, len(set.Keys))
	for i, raw := range set.Keys {
		var k Key
		if err := json.Unmarshal(raw, &k); err != nil || k.KeyType == "" {
			return nil, fmt.Errorf("key %d of the JWKS is malformed", i+1)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// WebFinger asks endpoint which OpenID issuer serves the account email, and returns the
// issuer URLs it names.
func WebFinger(ctx context.Context, client *http.Client, endpoint, email string) ([]string, error) {
	if !strings.Contains(email, "@") {
		return nil, fmt.Errorf("%q is not an email address", email)
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("bad WebFinger endpoint: %w", err)
	}
	q := u.Query()
	q.Set("resource", "acct:"+email)
	q.Set("rel", IssuerRel)
	u.RawQuery = q.Encode()
	body, err := get(ctx, client, u.String(), "application/jrd+json, application/json")
	if err != nil {
		return nil, err
	}
	return ParseWebFinger(body)
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

func get(ctx context.Context, client *http.Client, url, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDoc))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %w", url, oautherr.Parse(resp.StatusCode, resp.Header, body))
	}
	return body, nil
}
