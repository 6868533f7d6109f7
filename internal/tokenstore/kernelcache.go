package tokenstore

import (
	"strings"
	"time"
)

// accessCache is a best-effort cache of access tokens in front of the keyring: a failed get
// is a miss, a failed put or clearAll is dropped.
type accessCache interface {
	get(key string) (string, bool)
	put(key, value string) // for at most cacheTTL; values that are not cacheable are not
	clearAll()             // drops every cached value of the store's config folder
}

const (
	cacheTTL       = 10 * time.Minute // from the put, used or not
	maxCachedBytes = 4096
	maxVersionLen  = 64
)

// cacheKey is the cache key of profile's access token at version, or false for a version that
// is empty, too long, or has characters other than ASCII letters, digits, '-', '_' and '.'.
func cacheKey(profile, version string) (string, bool) {
	if version == "" || len(version) > maxVersionLen {
		return "", false
	}
	for _, c := range version {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.", c)) {
			return "", false
		}
	}
	return "access:" + profile + ":" + version, true
}

// cacheable reports whether value may be cached.
func cacheable(value string) bool { return value != "" && len(value) <= maxCachedBytes }
