package emulator

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// --- middleware and routing ---

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// middleware gives every response a TrackingID header and logs one line per request.
func (s *Server) middleware(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Webex spells the header TrackingID; keep that spelling on the wire.
		w.Header()[trackingHeader] = []string{"EMULATOR_" + newUUID()}
		sw := &statusWriter{ResponseWriter: w}
		next(sw, r)
		if s.cfg.Log != nil {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			// Only the path: queries carry codes, state and hashes of user codes.
			fmt.Fprintf(s.cfg.Log, "%s %s %s %d %s\n", s.cfg.Now().Format("15:04:05"),
				r.Method, sanitizePath(r.URL.Path), status, time.Since(start).Round(time.Microsecond))
		}
	})
}

// sanitizePath keeps log lines on one line and short.
func sanitizePath(p string) string {
	if len(p) > 100 {
		p = p[:100] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, p)
}

// endpoint is one path's handler and the methods it accepts.
type endpoint struct {
	methods []string
	h       http.HandlerFunc
}

func (s *Server) routes() map[string]endpoint {
	return map[string]endpoint{
		"/":                                    {[]string{http.MethodGet}, s.handleIndex},
		"/v1/authorize":                        {[]string{http.MethodGet, http.MethodPost}, s.handleAuthorize},
		"/v1/access_token":                     {[]string{http.MethodPost}, s.handleAccessToken},
		"/v1/device/authorize":                 {[]string{http.MethodPost}, s.handleDeviceAuthorize},
		"/v1/device/token":                     {[]string{http.MethodPost}, s.handleDeviceToken},
		"/v1/userinfo":                         {[]string{http.MethodGet}, s.handleUserInfo},
		"/v1/people/me":                        {[]string{http.MethodGet}, s.rest(s.handlePeopleMe)},
		"/v1/people":                           {[]string{http.MethodGet}, s.rest(s.handlePeople)},
		"/v1/rooms":                            {[]string{http.MethodGet, http.MethodPost}, s.rest(s.handleRooms)},
		"/v1/messages":                         {[]string{http.MethodGet, http.MethodPost}, s.rest(s.handleMessages)},
		"/v1/verification":                     {[]string{http.MethodGet}, s.handleJWKS},
		"/v1/.well-known/openid-configuration": {[]string{http.MethodGet}, s.handleDiscovery},
		"/v1/.well-known/webfinger":            {[]string{http.MethodGet}, s.handleWebFinger},
		"/verify":                              {[]string{http.MethodGet, http.MethodPost}, s.handleVerify},
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	ep, ok := s.endpoints[r.URL.Path]
	if !ok {
		writeEnvelope(w, http.StatusNotFound, "The requested resource could not be found.", "")
		return
	}
	for _, m := range ep.methods {
		if r.Method == m {
			ep.h(w, r)
			return
		}
	}
	w.Header().Set("Allow", strings.Join(ep.methods, ", "))
	writeEnvelope(w, http.StatusMethodNotAllowed, "The requested method is not allowed for this resource.", "")
}

// --- error bodies ---

// envelope is Webex's REST error body.
type envelope struct {
	Message    string          `json:"message"`
	Errors     []envelopeError `json:"errors"`
	TrackingID string          `json:"trackingId"`
}

type envelopeError struct {
	Description string `json:"description"`
}

// oauthError is the RFC 6749 section 5.2 error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// writeEnvelope answers status with the Webex envelope; description defaults to message.
func writeEnvelope(w http.ResponseWriter, status int, message, description string) {
	if description == "" {
		description = message
	}
	writeJSON(w, status, envelope{
		Message:    message,
		Errors:     []envelopeError{{Description: description}},
		TrackingID: trackingID(w),
	})
}

const trackingHeader = "TrackingID"

func trackingID(w http.ResponseWriter) string {
	//lint:ignore SA1008 Webex spells the header TrackingID
	if v := w.Header()[trackingHeader]; len(v) > 0 {
		return v[0]
	}
	return w.Header().Get(trackingHeader)
}

// writeOAuthError answers status with the OAuth error shape.
func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, oauthError{Error: code, ErrorDescription: description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json;charset=UTF-8", v)
}

func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// --- request parsing ---

// formError is a malformed form body.
type formError struct {
	status  int
	code    string // OAuth error code
	message string
}

func (e *formError) Error() string { return e.message }

// parsePostForm reads an application/x-www-form-urlencoded body (at most 64 KiB) and rejects
// parameters sent more than once (RFC 6749 section 3.2). Query parameters are ignored.
func parsePostForm(w http.ResponseWriter, r *http.Request) (url.Values, *formError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &formError{http.StatusUnsupportedMediaType, "invalid_request",
			"The request body must be application/x-www-form-urlencoded."}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &formError{http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large."}
		}
		return nil, &formError{http.StatusBadRequest, "invalid_request", "The request body is not a valid form."}
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, &formError{http.StatusBadRequest, "invalid_request",
				fmt.Sprintf("The parameter %q was sent more than once.", truncate(k, 40))}
		}
	}
	return r.PostForm, nil
}

// clientAuth is how a request authenticated its client (RFC 6749 section 2.3.1).
type clientAuth struct {
	id, secret string
	basic      bool // HTTP Basic was used
	present    bool // some credentials were sent
}

// errClientAuth is a malformed or ambiguous client authentication.
var errClientAuth = errors.New("malformed client authentication")

// parseClientAuth reads client credentials from HTTP Basic (each part form-urlencoded as RFC
// 6749 section 2.3.1 says; raw values are accepted too) or from the client_id and
// client_secret form fields. Using both methods with a secret, or naming two different client
// ids, is an error.
func parseClientAuth(header string, form url.Values) (clientAuth, error) {
	var a clientAuth
	formID, formSecret := form.Get("client_id"), form.Get("client_secret")
	if header != "" {
		scheme, rest, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return a, errClientAuth
		}
		rest = strings.TrimSpace(rest)
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			if raw, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
				return a, errClientAuth
			}
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return a, errClientAuth
		}
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
		if formSecret != "" || (formID != "" && formID != id) {
			return a, errClientAuth
		}
		return clientAuth{id: id, secret: secret, basic: true, present: true}, nil
	}
	if formID == "" && formSecret == "" {
		return a, nil
	}
	return clientAuth{id: formID, secret: formSecret, present: true}, nil
}

// validClient reports whether a names the registered client with its secret, in constant time.
func (s *Server) validClient(a clientAuth) bool {
	idOK := subtle.ConstantTimeCompare([]byte(a.id), []byte(s.cfg.ClientID))
	secretOK := subtle.ConstantTimeCompare([]byte(a.secret), []byte(s.cfg.ClientSecret))
	return idOK&secretOK == 1
}

// bearerToken returns the token of an "Authorization: Bearer" header (RFC 6750 section 2.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// hasScope reports whether scopes holds want.
func hasScope(scopes []string, want string) bool {
	for _, s := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

// unregisteredScope returns the first of scopes that is neither an OpenID Connect scope nor
// registered on the integration, or "".
func (s *Server) unregisteredScope(scopes []string) string {
	for _, sc := range scopes {
		if !isOIDCScope(sc) && !hasScope(s.cfg.Scopes, sc) {
			return sc
		}
	}
	return ""
}

// isOIDCScope reports whether scope is one of the OpenID Connect scopes that need no
// registration on Webex and that the device flow refuses.
func isOIDCScope(scope string) bool {
	switch scope {
	case "openid", "email", "profile", "phone", "address":
		return true
	}
	return false
}
