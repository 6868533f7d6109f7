// Package redact replaces secrets in anything webex shows (the --debug trace, a provider's
// error text, the command line's messages) with "[REDACTED len=N]": by structure, in URLs,
// forms, JSON, headers and free text, and, through Secrets, the exact values a run handled.
// The rules are those of docs/security.md, "Debug trace redaction".
package redact

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// redacted is the replacement shown for a secret of n bytes.
func redacted(n int) string { return "[REDACTED len=" + strconv.Itoa(n) + "]" }

var (
	secretParts    = []string{"token", "secret", "password", "passwd", "passphrase", "assertion", "verifier", "apikey", "credential", "signature", "authorization", "cookie", "session"}
	secretEnds     = []string{"code", "key"}
	secretExact    = map[string]bool{"sid": true, "otp": true, "totp": true, "pin": true}
	notSecretExact = map[string]bool{"tokentype": true, "errorcode": true, "statuscode": true}
	notSecretEnds  = []string{"type", "types", "hint", "endpoint", "endpoints", "supported", "expiresin", "expiresat", "iframe"}
	// jwkPrivate are secret as JSON member names only.
	jwkPrivate = map[string]bool{"d": true, "p": true, "q": true, "dp": true, "dq": true, "qi": true, "oth": true, "k": true}
)

// isSecretName reports whether a value named name (parameter, JSON member, header) must be
// redacted; names compare in lower case with '_', '-' and '.' ignored.
func isSecretName(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch {
		case r == '_' || r == '-' || r == '.':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, name)
	endsIn := func(suffixes []string) bool {
		return slices.ContainsFunc(suffixes, func(suf string) bool { return strings.HasSuffix(n, suf) })
	}
	switch {
	case n == "" || notSecretExact[n]:
		return false
	case secretExact[n]:
		return true
	case endsIn(notSecretEnds):
		return false
	}
	return endsIn(secretEnds) || slices.ContainsFunc(secretParts, func(p string) bool { return strings.Contains(n, p) })
}

// The patterns are compiled on first use, so the hot path of webex token pays nothing for them.
var (
	// A JWS or JWE compact serialization: the header starts with eyJ, the base64url of `{"`.
	jwtRe = lazyRegexp(`eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){1,4}`)
	urlRe = lazyRegexp(`(?i)\bhttps?://[^\s"'<>\x60]+`)
	// An authentication scheme and its credential, an RFC 7235 token68.
	schemeRe    = lazyRegexp(`(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/-]+=*)`)
	wordRe      = lazyRegexp(`^(?:[A-Z]?[a-z]*|[A-Z]*)$`)
	paramNameRe = lazyRegexp(`^[a-z_-]+=$`) // an auth-param name, as in `Bearer realm="x"`
	// name=value, name: value, "name":"value" in free text. The value stops at '?', '=' and
	// '#' so that a URL value such as href="/cb?code=x" exposes its own parameters.
	kvRe = lazyRegexp(`([A-Za-z0-9_.-]+)("?\s*[:=]\s*"?)([^\s"'&,;<>()\[\]{}?=#]+)`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func redactJWTs(s string) string {
	return jwtRe().ReplaceAllStringFunc(s, func(m string) string { return redacted(len(m)) })
}

func redactSchemes(s string) string {
	idx := schemeRe().FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		schemeStart, credStart, end := m[2], m[6], m[7]
		cred := s[credStart:end]
		// "Bearer realm=\"x\"" or "Bearer expires_in=5": an auth-param or a name=value pair,
		// not a credential.
		if end < len(s) && (s[end] == '"' && paramNameRe().MatchString(cred) || isAlnum(s[end])) || strings.HasPrefix(cred, "[REDACTED") {
			continue
		}
		// "HTTP Basic client authentication is required": a word, not a credential.
		if !authorizationValue(s, schemeStart, end) && !looksLikeCredential(cred) {
			continue
		}
		b.WriteString(s[last:credStart])
		b.WriteString(redacted(len(cred)))
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// authorizationValue reports whether the scheme and credential at s[start:end] are the whole
// of s or follow "Authorization:" or "Authorization=".
func authorizationValue(s string, start, end int) bool {
	before := strings.TrimRight(s[:start], " \t\"'")
	if before == "" && strings.TrimSpace(s[end:]) == "" {
		return true
	}
	sep := len(before) - 1
	if sep < 0 || before[sep] != ':' && before[sep] != '=' {
		return false
	}
	name := strings.TrimRight(before[:sep], " \t\"'")
	const want = "authorization"
	return len(name) >= len(want) && strings.EqualFold(name[len(name)-len(want):], want)
}

// looksLikeCredential reports whether w, the token68 after "Bearer" or "Basic" in free text,
// is a credential rather than prose: at least 8 characters, with a part between '-' and '.'
// that is not a word (letters in one case or capitalised, under 20 of them).
func looksLikeCredential(w string) bool {
	parts := strings.FieldsFunc(w, func(r rune) bool { return r == '-' || r == '.' })
	return len(w) >= 8 && slices.ContainsFunc(parts, func(part string) bool {
		return len(part) >= 20 || !wordRe().MatchString(part)
	})
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func redactKVs(s string) string {
	return kvRe().ReplaceAllStringFunc(s, func(m string) string {
		sub := kvRe().FindStringSubmatch(m)
		// After "Authorization: " comes the scheme, whose credential redactSchemes handled.
		if !isSecretName(sub[1]) || strings.EqualFold(sub[3], "bearer") || strings.EqualFold(sub[3], "basic") {
			return m
		}
		return sub[1] + sub[2] + redacted(len(sub[3]))
	})
}

// redactValue redacts a value that is not under a secret name.
func redactValue(s string) string {
	s = redactJWTs(s)
	if strings.Contains(s, "://") {
		s = urlRe().ReplaceAllStringFunc(s, URL)
	}
	return redactSchemes(s)
}

// Text redacts free text: JWTs, URLs, credentials after "Bearer " or "Basic ", and name=value
// or name: value pairs whose name is secret.
func Text(s string) string {
	return redactKVs(redactValue(s))
}

// URL returns raw with the userinfo, secret query and fragment values and any JWT in the path
// replaced; what does not parse as a URL is redacted as free text.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redactKVs(redactSchemes(redactJWTs(raw)))
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteByte(':')
	}
	if u.Opaque != "" {
		b.WriteString(redactKVs(redactJWTs(u.Opaque)))
	} else {
		if u.Scheme != "" || u.Host != "" || u.User != nil {
			if u.Host != "" || u.User != nil || u.Scheme == "file" {
				b.WriteString("//")
			}
			if u.User != nil {
				b.WriteString(redacted(len(u.User.String())))
				b.WriteByte('@')
			}
			b.WriteString(u.Host)
		}
		b.WriteString(redactJWTs(u.EscapedPath()))
	}
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(redactForm(u.RawQuery))
	}
	if u.Fragment != "" || u.RawFragment != "" {
		b.WriteByte('#')
		b.WriteString(redactForm(u.EscapedFragment()))
	}
	return b.String()
}

// redactForm redacts a form or URL query: secret parameters and values holding a JWT (N is the
// decoded length); order and spelling are kept.
func redactForm(s string) string {
	if s == "" {
		return s
	}
	pairs := strings.Split(s, "&")
	for i, p := range pairs {
		k, v, hasEq := strings.Cut(p, "=")
		if !hasEq {
			pairs[i] = redactJWTs(p)
			continue
		}
		dk, dv := unescape(k), unescape(v)
		if dv != "" && (isSecretName(dk) || jwtRe().MatchString(dv) || jwtRe().MatchString(v)) {
			v = redacted(len(dv))
		} else if r := redactValue(dv); r != dv {
			v = r
		}
		pairs[i] = redactJWTs(k) + "=" + v
	}
	return strings.Join(pairs, "&")
}

// unescape decodes a form name or value, keeping it as it is when it is not valid.
func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// redactJSON returns b as compact JSON with values under secret names redacted at any depth
// and other strings as by redactValue; invalid JSON is redacted with Text.
func redactJSON(b []byte) []byte {
	if json.Valid(b) {
		if out, err := rewriteJSON(b); err == nil {
			return out
		}
	}
	return []byte(Text(string(b)))
}

type jsonFrame struct {
	obj       bool // an object, else an array
	secret    bool // the whole container is under a secret name
	n         int  // tokens written; in an object, member names and values alternate
	keySecret bool // object: the current member's name is secret
}

// rewriteJSON works token by token with an explicit stack, so deep nesting cannot exhaust the
// goroutine stack.
func rewriteJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	out.Grow(len(b))
	stack := []jsonFrame{{}} // the top-level value, as in an array
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		top := &stack[len(stack)-1]
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		isKey := top.obj && top.n%2 == 0
		switch {
		case top.obj && !isKey:
			out.WriteByte(':')
		case top.n > 0:
			out.WriteByte(',')
		}
		top.n++
		secret := top.secret || top.obj && top.keySecret
		switch v := tok.(type) {
		case json.Delim: // '{' or '['
			out.WriteByte(byte(v))
			stack = append(stack, jsonFrame{obj: v == '{', secret: secret})
		case string:
			switch {
			case isKey:
				top.keySecret = isSecretName(v) || jwkPrivate[v]
			case secret && v != "":
				v = redacted(len(v))
			default:
				v = redactValue(v)
			}
			writeJSONString(&out, v)
		case json.Number:
			if secret {
				writeJSONString(&out, redacted(len(v)))
			} else {
				out.WriteString(v.String())
			}
		default: // a bool or null
			enc, _ := json.Marshal(v)
			out.Write(enc)
		}
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	buf.Truncate(buf.Len() - 1)
}

// Header returns a redacted copy of h: Authorization and Proxy-Authorization keep their
// scheme, headers with a secret name are replaced whole, other values go through Text.
func Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, vals := range h {
		canon := http.CanonicalHeaderKey(name)
		rv := make([]string, len(vals))
		for i, v := range vals {
			switch {
			case v == "":
				rv[i] = v
			case canon == "Authorization" || canon == "Proxy-Authorization":
				scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
				if ok && !strings.ContainsAny(scheme, "=,\"") {
					rv[i] = scheme + " " + redacted(len(strings.TrimSpace(cred)))
				} else {
					rv[i] = redacted(len(v))
				}
			case isSecretName(name):
				rv[i] = redacted(len(v))
			default:
				rv[i] = Text(v)
			}
		}
		out[name] = rv
	}
	return out
}

// Body returns body redacted by its Content-Type (a form, JSON indented, else Text); bodies
// that are not text are summarised as "[binary body, N bytes]".
func Body(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	mt = strings.ToLower(mt)
	if isBinaryType(mt) || !isText(body) {
		s := "[binary body, " + strconv.Itoa(len(body)) + " bytes"
		if mt != "" {
			s += ", " + mt
		}
		return s + "]"
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		return redactForm(strings.TrimSpace(string(body)))
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" || mt == "text/plain") && json.Valid(body):
		r := redactJSON(body)
		var ind bytes.Buffer
		if json.Indent(&ind, r, "", "  ") == nil {
			return ind.String()
		}
		return string(r)
	default:
		return Text(string(body))
	}
}

func isBinaryType(mt string) bool {
	switch major, _, _ := strings.Cut(mt, "/"); major {
	case "image", "audio", "video", "font":
		return true
	}
	switch mt {
	case "application/octet-stream", "application/zip", "application/gzip", "application/x-gzip",
		"application/pdf", "application/x-protobuf", "application/protobuf", "application/cbor", "application/x-tar":
		return true
	}
	return false
}

// isText reports UTF-8 without control characters but tab, CR, LF and form feed.
func isText(b []byte) bool {
	return utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool {
		return r < 0x20 && !strings.ContainsRune("\t\n\r\f", r) || r == 0x7f
	})
}
