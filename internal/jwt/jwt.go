// Package jwt decodes JSON Web Tokens in JWS compact serialization WITHOUT verifying them, for
// `webex decode`: the header, claims, time claims and relative times. Verification belongs
// to package provider. Nothing here may trust a claim for a security decision, print, or put
// any part of a token into an error message.
package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxSize is the largest input Decode accepts, in bytes, before trimming; real tokens are a
// few KiB. Read at most MaxSize+1 bytes of stdin so an oversized input is still reported.
const MaxSize = 64 << 10

// invalid is a Decode error for malformed input: "invalid JWT: <what is wrong>".
func invalid(format string, args ...any) error {
	return fmt.Errorf("invalid JWT: "+format, args...)
}

// Token is a decoded, UNVERIFIED JWT. Nothing in it may be trusted.
type Token struct {
	// Raw is the compact serialization decoded, after trimming. It is a credential: never
	// log it or put it in an error.
	Raw string
	// Header and Claims hold JSON numbers as json.Number, so large integers keep every digit.
	Header, Claims map[string]any
	// HeaderJSON and ClaimsJSON are the JSON text as it was in the token, in the issuer's
	// member order.
	HeaderJSON, ClaimsJSON json.RawMessage
	Signature              []byte // empty for an unsecured JWT ("alg":"none")
	SignaturePresent       bool
}

// Decode parses s as a JWS compact serialization without verifying it, after trimming
// whitespace, a byte order mark and one "Bearer " prefix. It is as strict as a verifier
// (base64url without padding, a header with an "alg"); errors quote no part of the input.
func Decode(s string) (*Token, error) {
	if len(s) > MaxSize {
		return nil, invalid("input is too large (%d bytes; the limit is %d)", len(s), MaxSize)
	}
	s = trim(s)
	if s == "" {
		return nil, invalid("input is empty")
	}
	if i, b, ok := firstNonPrintable(s); ok {
		return nil, invalid("input contains binary or non-printable data (byte 0x%02x at offset %d)", b, i)
	}
	if s[0] == '{' || s[0] == '[' {
		return nil, invalid("input is JSON, not a compact JWT; pass only the token")
	}
	parts := strings.Split(s, ".")
	switch len(parts) {
	case 1:
		return nil, errors.New("not a JWT: this looks like an opaque token, which only the provider can inspect")
	case 3:
	case 5:
		return nil, errors.New("this is an encrypted JWT (JWE); it cannot be decoded without the key")
	default:
		return nil, invalid("expected 3 dot-separated parts, got %d", len(parts))
	}

	t := &Token{Raw: s}
	var err error
	if t.HeaderJSON, t.Header, err = decodeObject(parts[0], "header is", "header is"); err != nil {
		return nil, err
	}
	alg, present := t.Header["alg"]
	if !present {
		return nil, invalid(`header has no "alg"`)
	}
	if a, ok := alg.(string); !ok || a == "" {
		return nil, invalid(`header "alg" is not a non-empty string`)
	}
	if t.ClaimsJSON, t.Claims, err = decodeObject(parts[1], "claims are", "claims segment is"); err != nil {
		return nil, err
	}
	if parts[2] != "" {
		if t.Signature, err = decodeSegment(parts[2], "signature is"); err != nil {
			return nil, err
		}
		t.SignaturePresent = true
	}
	return t, nil
}

// trim removes surrounding whitespace, a byte order mark and one "Bearer " prefix.
func trim(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "\ufeff"))
	const n = len("bearer")
	if len(s) >= n && strings.EqualFold(s[:n], "bearer") && (len(s) == n || s[n] == ' ' || s[n] == '\t') {
		return strings.TrimSpace(s[n:])
	}
	return s
}

// firstNonPrintable finds the first byte that cannot appear in a pasted token: a control
// character, DEL or any non-ASCII byte. Interior spaces are left to the base64url check.
func firstNonPrintable(s string) (int, byte, bool) {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			return i, b, true
		}
	}
	return 0, 0, false
}

// decodeSegment base64url-decodes one part. subject is e.g. "header is" or "claims are".
func decodeSegment(seg, subject string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		switch c := seg[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '=':
			return nil, invalid("%s not valid base64url (padding '=' at offset %d is not allowed)", subject, i)
		case c == '+' || c == '/':
			return nil, invalid("%s not valid base64url (standard base64 character %q at offset %d)", subject, c, i)
		case c == ' ':
			return nil, invalid("%s not valid base64url (space at offset %d)", subject, i)
		default:
			return nil, invalid("%s not valid base64url (character %q at offset %d)", subject, c, i)
		}
	}
	if len(seg)%4 == 1 {
		return nil, invalid("%s not valid base64url (impossible length %d)", subject, len(seg))
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, invalid("%s not valid base64url", subject)
	}
	return b, nil
}

// decodeObject decodes a base64url part that must hold one JSON object.
func decodeObject(seg, subject, emptySubject string) (json.RawMessage, map[string]any, error) {
	if seg == "" {
		return nil, nil, invalid("%s empty", emptySubject)
	}
	raw, err := decodeSegment(seg, subject)
	if err != nil {
		return nil, nil, err
	}
	if !utf8.Valid(raw) {
		return nil, nil, invalid("%s not valid JSON (not UTF-8 text)", subject)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, invalid("%s not a JSON object (no JSON value)", subject)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, nil, invalid("%s not valid JSON (syntax error at offset %d)", subject, se.Offset)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, invalid("%s not valid JSON (truncated)", subject)
		}
		return nil, nil, invalid("%s not valid JSON", subject)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil, invalid("%s not a JSON object (found %s)", subject, jsonKind(v))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, invalid("%s not a single JSON object (data after the object)", subject)
	}
	return json.RawMessage(raw), obj, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "another value"
	}
}
