// Package oautherr turns an error answer of Webex or an OAuth 2.0 provider (the RFC 6749
// shape as JSON or a form, the Webex envelope {"message","errors","trackingId"}, HTML or
// text, the TrackingID and Retry-After headers) into one typed value whose message carries
// only the code, a sanitised and shortened description, the status and the tracking id.
package oautherr

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"html"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/redact"
	"github.com/webex-cli/webex/internal/termsafe"
)

// Error codes callers branch on.
const (
	InvalidClient          = "invalid_client"
	InvalidGrant           = "invalid_grant"
	UnauthorizedClient     = "unauthorized_client"
	InvalidScope           = "invalid_scope"
	AccessDenied           = "access_denied"
	ServerError            = "server_error"
	TemporarilyUnavailable = "temporarily_unavailable"
	AuthorizationPending   = "authorization_pending"
	SlowDown               = "slow_down"
	ExpiredToken           = "expired_token"
	TokenLimitReached      = "tokenlimit_reached"
)

// knownCodes are the codes of OAuth 2.0, the device grant, OpenID Connect and bearer tokens,
// plus Webex's tokenlimit_reached, recognised inside free text such as a Webex "message".
var knownCodes = []string{
	"invalid_request", InvalidClient, InvalidGrant, UnauthorizedClient, "unsupported_grant_type",
	"unsupported_response_type", InvalidScope, AccessDenied, ServerError, TemporarilyUnavailable,
	AuthorizationPending, SlowDown, ExpiredToken, TokenLimitReached, "login_required",
	"consent_required", "interaction_required", "account_selection_required", "invalid_token",
	"insufficient_scope",
}

// codeInText finds a known code as a whole word in free text; compiled on first use.
var codeInText = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^a-z0-9_])(` + strings.Join(knownCodes, "|") + `)(?:$|[^a-z0-9_])`)
})

const (
	maxCode        = 64
	maxDescription = 200
	maxTrackingID  = 128
	maxSnippet     = 120
)

// Error is a provider's error answer; every string field is sanitised (valid UTF-8, no
// control or format characters, bounded).
type Error struct {
	Status      int    // the HTTP status, or 0 (an error= parameter on a redirect)
	Code        string // "invalid_grant", ...; a 428 is always AuthorizationPending (Webex's device flow)
	Description string // shortened; may be ""
	TrackingID  string // Webex's trackingId (body or TrackingID header), for support requests
	// RetryAfter is the delay the provider asked for in Retry-After, or 0.
	RetryAfter time.Duration
}

// Error returns one sentence, e.g.
// "provider error invalid_grant: code expired (HTTP 400, trackingId ROUTER_123)".
func (e *Error) Error() string {
	msg := "provider error"
	if e.Code != "" {
		msg += " " + e.Code
	}
	desc := e.Description
	if desc == "" && e.Code == "" && e.Status != 0 {
		desc = http.StatusText(e.Status)
	}
	if desc != "" {
		msg += ": " + desc
	}
	var extra []string
	if e.Status != 0 {
		extra = append(extra, "HTTP "+strconv.Itoa(e.Status))
	}
	if e.TrackingID != "" {
		extra = append(extra, "trackingId "+e.TrackingID)
	}
	if e.RetryAfter > 0 {
		extra = append(extra, "retry after "+e.RetryAfter.String())
	}
	if len(extra) > 0 {
		msg += " (" + strings.Join(extra, ", ") + ")"
	}
	return msg
}

// ParseAt reads an error answer at time now (for a Retry-After date); whatever the body holds,
// the result carries at least the status. The code comes from "error", else a known code in
// "message", else in "errors[].description".
func ParseAt(now time.Time, status int, header http.Header, body []byte) *Error {
	e := &Error{Status: status}
	parseBody(e, header, body)
	if status == http.StatusPreconditionRequired {
		e.Code = AuthorizationPending
	}
	if e.TrackingID == "" {
		e.TrackingID = clean(header.Get("Trackingid"), maxTrackingID)
	}
	e.RetryAfter = RetryAfter(header, now)
	return e
}

// FromParams reads error and error_description of a redirect's query or a form body; nil
// when there is no error.
func FromParams(q url.Values) *Error {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	e := &Error{}
	e.Code, e.Description = pickCode(code, "", nil)
	if d := clean(q.Get("error_description"), maxDescription); d != "" {
		e.Description = d
	}
	return e
}

// FromRetrieveError reads the provider's error of an *oauth2.RetrieveError in err's chain,
// and reports false when there is none.
func FromRetrieveError(err error) (*Error, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re == nil {
		return nil, false
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status = re.Response.StatusCode
		header = re.Response.Header
	}
	e := ParseAt(time.Now(), status, header, re.Body)
	if e.Code == "" && re.ErrorCode != "" {
		e.Code, _ = pickCode(re.ErrorCode, "", nil)
	}
	if e.Description == "" && re.ErrorDescription != "" {
		e.Description = clean(re.ErrorDescription, maxDescription)
	}
	return e, true
}

// RetryAfter returns the delay a Retry-After header asks for, in seconds or as an HTTP-date
// relative to now: 0 when absent, invalid or past, at most a day.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	const maxWait = 24 * time.Hour
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(min(max(n, 0), int64(maxWait/time.Second))) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	// HTTP-dates have one-second resolution: round up so a caller never retries early.
	d := min(t.Sub(now), maxWait)
	return max(0, (d+time.Second-1)/time.Second*time.Second)
}

// envelope covers the OAuth and the Webex body; encoding/json matches names case-insensitively.
type envelope struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription json.RawMessage `json:"error_description"`
	Message          json.RawMessage `json:"message"`
	Errors           json.RawMessage `json:"errors"`
	TrackingID       json.RawMessage `json:"trackingId"`
}

func parseBody(e *Error, header http.Header, body []byte) {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(body) == 0 {
		return
	}
	mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	switch {
	case body[0] == '{':
		var env envelope
		if json.Unmarshal(body, &env) == nil {
			fromEnvelope(e, env)
			return
		}
	case mediaType == "application/x-www-form-urlencoded":
		if q, err := url.ParseQuery(string(body)); err == nil {
			if p := FromParams(q); p != nil {
				e.Code, e.Description = p.Code, p.Description
				return
			}
		}
	}
	if isHTML(mediaType, body) {
		e.Description = htmlTitle(body)
		return
	}
	if mediaType == "" || strings.HasPrefix(mediaType, "text/") {
		e.Description = clean(string(body[:min(len(body), 4*maxSnippet)]), maxSnippet)
	}
}

func fromEnvelope(e *Error, env envelope) {
	var errDescs []string
	var list []struct{ Description, Message json.RawMessage }
	if json.Unmarshal(env.Errors, &list) == nil {
		for _, it := range list {
			if d := cmp.Or(jsonString(it.Description), jsonString(it.Message)); d != "" {
				errDescs = append(errDescs, d)
			}
		}
	}
	errCode, message := jsonString(env.Error), jsonString(env.Message)
	var nested struct{ Code, Message json.RawMessage }
	if errCode == "" && json.Unmarshal(env.Error, &nested) == nil {
		// Some providers nest: {"error":{"code":..,"message":..}}.
		errCode = jsonString(nested.Code)
		if len(env.Message) == 0 {
			message = jsonString(nested.Message)
		}
	}
	e.Code, e.Description = pickCode(errCode, message, errDescs)
	if d := clean(jsonString(env.ErrorDescription), maxDescription); d != "" {
		e.Description = d
	}
	e.TrackingID = clean(jsonString(env.TrackingID), maxTrackingID)
}

// pickCode chooses the code (errCode, else a known code in message or errDescs) and the
// description: the first of message and errDescs that is not just the code.
func pickCode(errCode, message string, errDescs []string) (code, desc string) {
	if c := strings.TrimSpace(errCode); c != "" {
		code = cleanCode(c)
		if i := slices.IndexFunc(knownCodes, func(k string) bool { return strings.EqualFold(k, c) }); i >= 0 {
			code = knownCodes[i]
		}
	}
	texts := append([]string{message}, errDescs...)
	if code == "" {
		for _, t := range texts {
			if m := codeInText().FindStringSubmatch(t); m != nil {
				code = strings.ToLower(m[1])
				break
			}
		}
	}
	for _, t := range texts {
		t = clean(t, maxDescription)
		if t != "" && !strings.EqualFold(t, code) {
			return code, t
		}
	}
	return code, ""
}

// cleanCode keeps an unknown code to printable ASCII without space, quote and backslash.
func cleanCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f && r != '"' && r != '\\' {
			return r
		}
		return -1
	}, s)
	return s[:min(len(s), maxCode)] // ASCII only: a byte is a rune
}

func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func isHTML(mediaType string, body []byte) bool {
	if mediaType == "text/html" || mediaType == "application/xhtml+xml" {
		return true
	}
	head := strings.ToLower(string(body[:min(len(body), 64)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.HasPrefix(head, "<head") || strings.HasPrefix(head, "<body")
}

var titleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })

// htmlTitle returns the page's title (an error page's usual summary), or "".
func htmlTitle(body []byte) string {
	m := titleRE().FindSubmatch(body[:min(len(body), 8192)])
	if m == nil {
		return ""
	}
	return clean(html.UnescapeString(string(m[1])), maxSnippet)
}

// clean makes provider text safe to show: redacted (providers echo what they were sent),
// valid UTF-8, without control and format characters, white space folded, at most max runes.
func clean(s string, max int) string {
	s = redact.Text(strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case termsafe.Unsafe(r):
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max-1]
	return strings.TrimRight(string(r), " ") + "…"
}
