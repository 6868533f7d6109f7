package tokenstore

import (
	"strings"
	"time"
)

// accessCache is a best-effort cache of access tokens in front of the keyring. It never
// reports errors: a failed get is a miss, a failed put or clearAll is dropped, and an
// implementation meeting an unexpected error switches itself off for the process.
type accessCache interface {
	get(key string) (string, bool)
	put(key, value string) // for at most cacheTTL; values that are not cacheable are not
	clearAll()             // drops every cached value of the store's config folder
}

const (
	// cacheTTL is how long a cached access token lives after it was put, used or not.
	cacheTTL = 10 * time.Minute
	// maxCachedBytes is the largest value that is cached.
	maxCachedBytes = 4096
	// maxVersionLen bounds the version part of a cache key.
	maxVersionLen = 64
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
