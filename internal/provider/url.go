package provider

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// ValidateURL checks an --issuer or --base-url value: an absolute https URL with a host, no
// user information, query or fragment; plain http only on a loopback host. allowQuery relaxes
// the query rule for announced endpoints (some providers put a policy name in the query). The
// error never repeats a password the URL may carry.
func ValidateURL(raw string, allowQuery bool) error {
	if raw == "" {
		return errors.New("URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the raw URL, which may hold a password
		}
		return fmt.Errorf("URL is not valid: %w", err)
	}
	shown := u.Redacted()
	if u.Scheme == "" || u.Opaque != "" {
		return fmt.Errorf("URL %q is not absolute: it needs https:// and a host", shown)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("URL %q has no host", shown)
	}
	if u.User != nil {
		return fmt.Errorf("URL %q must not contain user information", shown)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("URL %q must not contain a fragment", shown)
	}
	if !allowQuery && (u.RawQuery != "" || u.ForceQuery) {
		return fmt.Errorf("URL %q must not contain a query", shown)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("URL %q must use https (plain http is accepted only for localhost, 127.0.0.0/8 and ::1)", shown)
	default:
		return fmt.Errorf("URL %q has scheme %q: only https is accepted (http only on loopback hosts)", shown, u.Scheme)
	}
}

// IsLoopbackHost reports whether host (without port or brackets) is "localhost" or a
// loopback address; other names that resolve to loopback are not accepted.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return false
	}
	return addr.Unmap().IsLoopback()
}
