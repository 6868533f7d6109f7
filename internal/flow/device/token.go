package device

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxExpiresIn bounds expires_in-like numbers (ten years) so a hostile answer cannot overflow
// a time.Duration.
const maxExpiresIn = 10 * 365 * 24 * 3600

// ParseTokenResponse reads a successful token response (RFC 6749 §5.1) as golang.org/x/oauth2
// would, keeping the whole object as the token's extra data; Expiry is now + expires_in (zero
// when absent or 0). access_token is required. Errors never quote the body.
func ParseTokenResponse(body []byte, now time.Time) (*oauth2.Token, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, errors.New("token response is not a JSON object")
	}
	var at, tt, rt string
	for _, f := range []struct {
		key string
		v   *string
	}{{"access_token", &at}, {"token_type", &tt}, {"refresh_token", &rt}} {
		v, ok := raw[f.key].(string)
		if !ok && raw[f.key] != nil {
			return nil, fmt.Errorf("token response field %s is not a string", f.key)
		}
		*f.v = v
		if f.v == &at && strings.TrimSpace(at) == "" {
			return nil, errors.New("token response has no access_token")
		}
	}
	exp, err := Seconds(raw["expires_in"])
	if err != nil {
		return nil, fmt.Errorf("token response field expires_in: %w", err)
	}
	tok := &oauth2.Token{AccessToken: at, TokenType: tt, RefreshToken: rt, ExpiresIn: exp}
	if exp > 0 {
		tok.Expiry = now.Add(time.Duration(exp) * time.Second)
	}
	return tok.WithExtra(raw), nil
}

// Seconds reads a lifetime in seconds of OAuth JSON decoded into any: a number or a numeric
// string; absent and "" are 0. A fraction is truncated; negative values, values over ten
// years and anything else are rejected.
func Seconds(v any) (int64, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		f = x
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, nil
		}
		p, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errors.New("not a number")
		}
		f = p
	default:
		return 0, errors.New("not a number")
	}
	if math.IsNaN(f) || f < 0 || f > maxExpiresIn {
		return 0, errors.New("out of range")
	}
	return int64(f), nil
}
