// Package userinfo reads who a token belongs to: the OpenID Connect UserInfo endpoint and
// Webex's `GET /people/me`, the only way to learn the user behind a Webex device-flow token
// (that flow takes no OpenID scopes). It never prints.
package userinfo

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/webex-cli/webex/internal/oautherr"
)

// MaxRetryAfter is the longest a 429's Retry-After is honoured before giving up.
const MaxRetryAfter = 30 * time.Second

const maxBody = 1 << 20

// Client fetches identity documents with a bearer token.
type Client struct {
	HTTP *http.Client
	// Sleep (required) waits between a 429 and its retry.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Person is the part of Webex's `GET /people/me` answer that identifies the user.
type Person struct {
	ID          string         `json:"id"`
	Emails      []string       `json:"emails"`
	DisplayName string         `json:"displayName"`
	Raw         map[string]any `json:"-"` // the whole answer
}

// Email is the person's first email address.
func (p *Person) Email() string {
	if len(p.Emails) > 0 {
		return p.Emails[0]
	}
	return ""
}

// UUID is the user's UUID from the person id, which Webex encodes as base64 of
// "ciscospark://<cluster>/PEOPLE/<uuid>"; it is the `sub` of the user's ID tokens. It returns
// the id unchanged when it is not of that form.
func (p *Person) UUID() string {
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		b, err := enc.DecodeString(p.ID)
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndex(s, "/PEOPLE/"); strings.HasPrefix(s, "ciscospark://") && i >= 0 {
			return s[i+len("/PEOPLE/"):]
		}
	}
	return p.ID
}

// UserInfo fetches the OpenID Connect UserInfo document at endpoint.
func (c *Client) UserInfo(ctx context.Context, endpoint, token string) (map[string]any, error) {
	body, err := c.get(ctx, endpoint, token)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errors.New("the UserInfo answer is not a JSON object")
	}
	normalize(m)
	return m, nil
}

// PeopleMe fetches Webex's description of the token's user.
func (c *Client) PeopleMe(ctx context.Context, endpoint, token string) (*Person, error) {
	body, err := c.get(ctx, endpoint, token)
	if err != nil {
		return nil, err
	}
	p := &Person{}
	if json.Unmarshal(body, p) != nil || json.Unmarshal(body, &p.Raw) != nil || p.Raw == nil {
		return nil, errors.New("the people/me answer is not a JSON object")
	}
	return p, nil
}

// normalize rewrites Webex's string booleans ("true"/"false", any case) for email_verified
// and phone_number_verified into real booleans, in place.
func normalize(m map[string]any) {
	for _, k := range []string{"email_verified", "phone_number_verified"} {
		if v, ok := m[k].(string); ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				m[k] = true
			case "false":
				m[k] = false
			}
		}
	}
}

func (c *Client) get(ctx context.Context, endpoint, token string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return nil, fmt.Errorf("bad endpoint URL: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		resp, err := c.HTTP.Do(req)
		if err != nil {
			return nil, err
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("reading the answer of %s: %w", endpoint, rerr)
		}
		if resp.StatusCode == http.StatusOK {
			return body, nil
		}
		pe := oautherr.ParseAt(time.Now(), resp.StatusCode, resp.Header, body)
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 2 {
			wait := cmp.Or(pe.RetryAfter, 2*time.Second) // never negative
			if wait <= MaxRetryAfter {
				if err := c.Sleep(ctx, wait); err != nil {
					return nil, err
				}
				continue
			}
		}
		return nil, &StatusError{Status: resp.StatusCode, Err: pe}
	}
}

// StatusError is a non-200 answer, phrased for a person.
type StatusError struct {
	Status int
	Err    *oautherr.Error
}

func (e *StatusError) Error() string {
	var what string
	switch e.Status {
	case http.StatusUnauthorized:
		what = "the provider rejected the access token (HTTP 401): it expired or was revoked; run `webex login`"
	case http.StatusForbidden:
		what = "the access token lacks the scope for this (HTTP 403): log in again with the needed --scopes"
	case http.StatusTooManyRequests:
		what = "the provider is rate limiting these requests (HTTP 429); try again later"
	default:
		what = fmt.Sprintf("the provider answered HTTP %d", e.Status)
	}
	if e.Err != nil && e.Err.Error() != "" {
		what += " [" + e.Err.Error() + "]"
	}
	return what
}

func (e *StatusError) Unwrap() error { return e.Err }
