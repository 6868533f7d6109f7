package jwt

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// TimeClaim is one claim that holds a point in time.
type TimeClaim struct {
	// Name is the claim name, e.g. "exp".
	Name string
	// Meaning is a short human label: "expires", "issued", "not before", "authenticated".
	Meaning string
	// Time is the instant, in UTC, truncated to the claim's precision.
	Time time.Time
	// Millis reports a claim counted in milliseconds (Webex's expiry_time) rather than
	// seconds.
	Millis bool
}

// timeClaimDefs lists the claims TimeClaims reads, in display order.
var timeClaimDefs = [...]struct {
	name, meaning string
	millis        bool
}{
	{"exp", "expires", false},             // RFC 7519 section 4.1.4
	{"iat", "issued", false},              // RFC 7519 section 4.1.6
	{"nbf", "not before", false},          // RFC 7519 section 4.1.5
	{"auth_time", "authenticated", false}, // OpenID Connect Core 1.0 section 2
	// Webex's self-contained (guest issuer and similar) tokens carry expiry_time in
	// milliseconds since the epoch, e.g. 1517095624105.
	{"expiry_time", "expires", true},
}

// Bounds of what time.Time can format as a four-digit year; values outside are ignored.
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// TimeClaims returns the time claims present in claims, in the order exp, iat, nbf,
// auth_time, expiry_time. exp, iat, nbf and auth_time are NumericDate values (RFC 7519
// section 2: seconds since the epoch, possibly fractional); expiry_time is Webex's
// millisecond count. A claim is skipped when it is not a JSON number (a numeric string is
// not a NumericDate) or lies outside years 1 to 9999. Values may be json.Number (as Decode
// produces), float64, or any Go integer type.
func TimeClaims(claims map[string]any) []TimeClaim {
	var out []TimeClaim
	for _, d := range timeClaimDefs {
		v, ok := claims[d.name]
		if !ok {
			continue
		}
		t, ok := numericTime(v, d.millis)
		if !ok {
			continue
		}
		out = append(out, TimeClaim{Name: d.name, Meaning: d.meaning, Time: t, Millis: d.millis})
	}
	return out
}

// TimeClaims returns the token's time claims; see the package function TimeClaims.
func (t *Token) TimeClaims() []TimeClaim { return TimeClaims(t.Claims) }

// ExpiresAt returns when the token expires: "exp" when present and valid, else Webex's
// "expiry_time". ok is false when the token states no usable expiry.
func ExpiresAt(claims map[string]any) (at time.Time, ok bool) {
	for _, tc := range TimeClaims(claims) {
		switch tc.Name {
		case "exp":
			return tc.Time, true
		case "expiry_time":
			at, ok = tc.Time, true
		}
	}
	return at, ok
}

// Expired reports whether the token has expired at now: true when now is at or after its
// expiry (RFC 7519 section 4.1.4 requires the current time to be before "exp"). known is
// false, and expired false, when the token has neither "exp" nor "expiry_time".
func (t *Token) Expired(now time.Time) (expired bool, known bool) {
	at, ok := ExpiresAt(t.Claims)
	if !ok {
		return false, false
	}
	return !now.Before(at), true
}

func numericTime(v any, millis bool) (time.Time, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return intTime(i, millis)
		}
		x, err := n.Float64()
		if err != nil {
			return time.Time{}, false
		}
		f = x
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		return intTime(int64(n), millis)
	case int64:
		return intTime(n, millis)
	case int32:
		return intTime(int64(n), millis)
	case uint32:
		return intTime(int64(n), millis)
	case uint64:
		if n > math.MaxInt64 {
			return time.Time{}, false
		}
		return intTime(int64(n), millis)
	default:
		return time.Time{}, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	if millis {
		f /= 1000
	}
	if f < minUnix || f > maxUnix {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true
}

func intTime(i int64, millis bool) (time.Time, bool) {
	if millis {
		if i < minUnix*1000 || i > maxUnix*1000 {
			return time.Time{}, false
		}
		return time.UnixMilli(i).UTC(), true
	}
	if i < minUnix || i > maxUnix {
		return time.Time{}, false
	}
	return time.Unix(i, 0).UTC(), true
}

// Relative describes t relative to now, compactly and with at most two units, truncating
// (never rounding up): "in 1h59m", "3d ago", "in 13d 4h", "in 5m30s", "42s ago". Within a
// second of now it returns "now". Days are the largest unit (24h each).
func Relative(t, now time.Time) string {
	// Whole seconds, truncated toward zero, without time.Duration's 292-year limit.
	secs := t.Unix() - now.Unix()
	ns := t.Nanosecond() - now.Nanosecond()
	if secs > 0 && ns < 0 {
		secs--
	} else if secs < 0 && ns > 0 {
		secs++
	}
	switch {
	case secs > 0:
		return "in " + compact(secs)
	case secs < 0:
		return compact(-secs) + " ago"
	default:
		return "now"
	}
}

// compact formats a positive number of seconds with at most two units: the largest that is
// not zero and, when it is not zero, the next one.
func compact(secs int64) string {
	parts := [4]int64{secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60}
	const names = "dhms"
	i := 0
	for i < 3 && parts[i] == 0 {
		i++
	}
	s := fmt.Sprintf("%d%c", parts[i], names[i])
	if i < 3 && parts[i+1] > 0 {
		if i == 0 {
			s += " " // "13d 4h"
		}
		s += fmt.Sprintf("%d%c", parts[i+1], names[i+1])
	}
	return s
}
