package tokenstore

import (
	"strings"
	"time"
)

// accessCache is a best-effort cache of access tokens in front of the
// keyring. It never reports errors: a get that fails is a miss, a put or
// clearAll that fails is dropped, and an implementation that meets an
// error it does not expect switches itself off for the rest of the process.
type accessCache interface {
	// get returns the value cached under key, if any.
	get(key string) (string, bool)
	// put caches value under key for at most cacheTTL. Empty values and
	// values over maxCachedBytes are not cached.
	put(key, value string)
	// clearAll drops every cached value of the store's config folder.
	clearAll()
}

const (
	// cacheTTL is how long a cached access token lives after it was put:
	// the kernel drops it then, used or not.
	cacheTTL = 10 * time.Minute
	// maxCachedBytes is the largest value that is cached.
	maxCachedBytes = 4096
	// maxVersionLen bounds the version part of a cache key.
	maxVersionLen = 64
)

// cacheKey is the cache key of profile's access token at version, and false
// when the version cannot be used in a key (empty, too long, or with a
// character other than ASCII letters, digits, '-', '_' and '.').
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
