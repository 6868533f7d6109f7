package jwt

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// TimeClaim is one claim that holds a point in time.
type TimeClaim struct {
	Name    string    // the claim name, e.g. "exp"
	Meaning string    // "expires", "issued", "not before" or "authenticated"
	Time    time.Time // in UTC, truncated to the claim's precision
}

// timeClaimDefs lists the claims TimeClaims reads, in display order.
var timeClaimDefs = [...]struct {
	name, meaning string
	millis        bool
}{
	{"exp", "expires", false},
	{"iat", "issued", false},
	{"nbf", "not before", false},
	{"auth_time", "authenticated", false},
	// Webex's self-contained (guest issuer) tokens count expiry_time in milliseconds.
	{"expiry_time", "expires", true},
}

// Bounds of what time.Time can format as a four-digit year; values outside are ignored.
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// TimeClaims returns the token's time claims in the order of timeClaimDefs. A claim that is
// not a JSON number (a numeric string is not a NumericDate) or lies outside years 1 to 9999
// is skipped.
func (t *Token) TimeClaims() []TimeClaim {
	var out []TimeClaim
	for _, d := range timeClaimDefs {
		if at, ok := numericTime(t.Claims[d.name], d.millis); ok {
			out = append(out, TimeClaim{Name: d.name, Meaning: d.meaning, Time: at})
		}
	}
	return out
}

// Expired reports whether the token has expired at now ("exp", else Webex's "expiry_time",
// is not after now). known is false, and expired false, when the token states no expiry.
func (t *Token) Expired(now time.Time) (expired bool, known bool) {
	var at time.Time
	for _, tc := range t.TimeClaims() {
		if tc.Name == "exp" || (tc.Name == "expiry_time" && !known) {
			at, known = tc.Time, true
		}
	}
	return known && !now.Before(at), known
}

// numericTime reads a claim as Decode leaves it: a json.Number.
func numericTime(v any, millis bool) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	if i, err := n.Int64(); err == nil {
		return intTime(i, millis)
	}
	f, err := n.Float64()
	if err != nil {
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
