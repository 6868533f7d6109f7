package emulator

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// pageData feeds every page template.
type pageData struct {
	Title       string
	Error       string
	ClientID    string
	RedirectURI string
	Scopes      []scopeItem
	Users       []userChoice
	CSRF        string
	UserCode    string
	Result      string // "approved" or "denied"
	Email       string
	BaseURL     string
	Approve     string
	UserList    []string
}

type scopeItem struct{ Name, Desc string }

type userChoice struct {
	Index   int
	Email   string
	Name    string
	Checked bool
}

func scopeDescription(s string) string {
	switch s {
	case "openid":
		return "Sign you in with your Webex identity"
	case "email":
		return "See your e-mail address"
	case "profile":
		return "See your name and profile"
	case "phone":
		return "See your phone number"
	case "address":
		return "See your address"
	case "spark:people_read":
		return "Read your company directory"
	case "spark:all":
		return "Full access to your Webex account"
	case "spark:kms":
		return "Access your encryption keys"
	}
	if strings.HasPrefix(s, "spark:") || strings.HasPrefix(s, "spark-admin:") {
		return "Webex data access"
	}
	return "Access requested by the application"
}

func scopeItems(scopes []string) []scopeItem {
	out := make([]scopeItem, 0, len(scopes))
	for _, s := range scopes {
		out = append(out, scopeItem{Name: s, Desc: scopeDescription(s)})
	}
	return out
}

// userChoices lists the users, checking selected (by e-mail, case-insensitively) or the first.
func (s *Server) userChoices(selected string) []userChoice {
	idx := 0
	for i, u := range s.users {
		if selected != "" && strings.EqualFold(u.email, selected) {
			idx = i
		}
	}
	out := make([]userChoice, 0, len(s.users))
	for i, u := range s.users {
		out = append(out, userChoice{Index: i, Email: u.email, Name: u.displayName, Checked: i == idx})
	}
	return out
}

func (s *Server) render(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, d); err != nil {
		http.Error(w, "page rendering failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// No form-action: the sign-in form's redirect goes to the application's loopback port.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "error", pageData{Title: "Error", Error: msg})
}

func (s *Server) renderSignIn(w http.ResponseWriter, status int, req *authRequest, token, selected, errMsg string) {
	if selected == "" {
		selected = req.loginHint
	}
	s.render(w, status, "signin", pageData{
		Title:       "Sign in",
		Error:       errMsg,
		ClientID:    req.clientID,
		RedirectURI: req.redirectURI,
		Scopes:      scopeItems(req.scopes),
		Users:       s.userChoices(selected),
		CSRF:        token,
	})
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index", pageData{
		Title:    "Home",
		BaseURL:  s.rootURL(r) + "/v1",
		ClientID: s.cfg.ClientID,
		Approve:  s.cfg.Approve,
		UserList: s.cfg.Users,
	})
}

// --- device page ---

// deviceView is what the device page needs of a device code.
type deviceView struct {
	deviceCode, userCode string
	scopes               []string
}

// msgUnknownCode is pendingDevice's message for a code that matches no device code.
const msgUnknownCode = "That code is not valid. Check the code shown on your device and try again."

// pendingDevice finds a device code still waiting for a decision, by user code or by its hash.
// It returns a message for the person when there is none (msgUnknownCode when the code
// matches no device code at all).
func (s *Server) pendingDevice(userCode, hash string, now time.Time) (deviceView, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dc := s.userCodes[userCode]
	if hash != "" {
		dc = s.hashCodes[strings.ToLower(hash)]
	}
	d := s.devices[dc]
	switch {
	case d == nil:
		return deviceView{}, msgUnknownCode
	case !now.Before(d.expires):
		return deviceView{}, "That code has expired. Start again on your device to get a new one."
	case d.status != devicePending:
		return deviceView{}, "That code was already used."
	}
	return deviceView{deviceCode: d.deviceCode, userCode: d.userCode, scopes: d.scopes}, ""
}

func (s *Server) renderDeviceCode(w http.ResponseWriter, status int, code, errMsg string) {
	s.render(w, status, "verify-code", pageData{Title: "Device sign-in", Error: errMsg, UserCode: truncate(code, 12)})
}

func (s *Server) renderDeviceConfirm(w http.ResponseWriter, status int, v deviceView, token, selected, errMsg string) {
	s.render(w, status, "verify-confirm", pageData{
		Title:    "Device sign-in",
		Error:    errMsg,
		ClientID: s.cfg.ClientID,
		Scopes:   scopeItems(v.scopes),
		Users:    s.userChoices(selected),
		CSRF:     token,
		UserCode: v.userCode,
	})
}

// handleVerify serves the device page: GET /verify shows the code form (or, with
// ?userCode=<hash>, the confirmation for that code); POST /verify takes the code form
// (user_code) or the confirmation (csrf_token, user, decision).
//
// Looking up a code is limited per client address: after maxWrongCodes codes (or hashes) that
// match no device code within wrongCodeWindow, further lookups from that address are answered
// 429 with Retry-After until the window ends, since a six-digit code can be guessed.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	addr := clientAddr(r)
	if r.Method == http.MethodGet {
		hash := r.URL.Query().Get("userCode")
		if hash == "" {
			s.renderDeviceCode(w, http.StatusOK, "", "")
			return
		}
		if !s.allowCodeLookup(w, addr, now) {
			return
		}
		s.confirmDevice(w, "", hash, addr, now)
		return
	}
	form, ferr := parsePostForm(w, r)
	if ferr != nil {
		s.errorPage(w, ferr.status, ferr.message)
		return
	}
	if token := form.Get("csrf_token"); token != "" {
		s.deviceDecision(w, form.Get("decision"), form.Get("user"), token, now)
		return
	}
	if !s.allowCodeLookup(w, addr, now) {
		return
	}
	code := normalizeUserCode(form.Get("user_code"))
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		s.renderDeviceCode(w, http.StatusBadRequest, code, "Enter the six-digit code shown on your device.")
		return
	}
	s.confirmDevice(w, code, "", addr, now)
}

// confirmDevice shows the confirmation page of the pending device code named by userCode or
// hash, or the code form again with why it cannot be confirmed.
func (s *Server) confirmDevice(w http.ResponseWriter, userCode, hash, addr string, now time.Time) {
	v, msg := s.pendingDevice(userCode, hash, now)
	if msg != "" {
		if msg == msgUnknownCode {
			s.noteWrongCode(addr, now)
		}
		s.renderDeviceCode(w, http.StatusBadRequest, userCode, msg)
		return
	}
	token, ok := s.newForm(&pendingForm{kind: formDevice, deviceCode: v.deviceCode}, now)
	if !ok {
		writeBusy(w)
		return
	}
	s.renderDeviceConfirm(w, http.StatusOK, v, token, "", "")
}

// allowCodeLookup answers 429 and reports false when the client at addr has entered too many
// wrong codes (see handleVerify).
func (s *Server) allowCodeLookup(w http.ResponseWriter, addr string, now time.Time) bool {
	ok, retry := s.codeGuessAllowed(addr, now)
	if ok {
		return true
	}
	secs := int64((retry + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	s.errorPage(w, http.StatusTooManyRequests, "Too many wrong codes were entered from your address. Wait a minute, then try again.")
	return false
}

func (s *Server) deviceDecision(w http.ResponseWriter, decision, email, token string, now time.Time) {
	pf := s.lookupForm(token, formDevice, now)
	if pf == nil {
		s.errorPage(w, http.StatusBadRequest, "This request has expired or was already answered. Start again on your device.")
		return
	}
	var u *user
	switch decision {
	case "approve":
		if u = s.findUser(email); u == nil {
			s.redisplayConfirm(w, pf.deviceCode, token, email, "Choose who signs in.", now)
			return
		}
	case "deny":
	default:
		s.redisplayConfirm(w, pf.deviceCode, token, email, "Choose Approve or Deny.", now)
		return
	}
	s.dropForm(token)
	s.mu.Lock()
	var err error
	if d := s.devices[pf.deviceCode]; d == nil {
		err = ErrDeviceExpired
	} else {
		err = s.decideLocked(d, u, u != nil, now)
	}
	s.mu.Unlock()
	switch err {
	case nil:
	case ErrDeviceDecided:
		s.errorPage(w, http.StatusBadRequest, "That code was already used.")
		return
	default:
		s.errorPage(w, http.StatusBadRequest, "That code has expired. Start again on your device to get a new one.")
		return
	}
	d := pageData{Title: "Done", Result: "denied"}
	if u != nil {
		d.Result, d.Email = "approved", u.email
	}
	s.render(w, http.StatusOK, "done", d)
}

func (s *Server) redisplayConfirm(w http.ResponseWriter, deviceCode, token, email, errMsg string, now time.Time) {
	s.mu.Lock()
	d := s.devices[deviceCode]
	var v deviceView
	if d != nil {
		v = deviceView{deviceCode: d.deviceCode, userCode: d.userCode, scopes: d.scopes}
	}
	s.mu.Unlock()
	if d == nil {
		s.errorPage(w, http.StatusBadRequest, "That code has expired. Start again on your device to get a new one.")
		return
	}
	s.renderDeviceConfirm(w, http.StatusBadRequest, v, token, email, errMsg)
}

func parsePages() (*template.Template, error) {
	return template.New("pages").Parse(pageTemplates)
}

const pageTemplates = `
{{define "head"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webex emulator - {{.Title}}</title>
<style>
:root { color-scheme: light dark; --accent: #0a7d5c; --muted: #6b6f76; --border: #d0d3d8; --danger: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f3f4f6; color: #1d1f23; }
@media (prefers-color-scheme: dark) { body { background: #16181b; color: #e8e9eb; } main { background: #212428 !important; } }
main { max-width: 30rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
.brand { font-weight: 600; color: var(--accent); letter-spacing: .02em; margin-bottom: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
.error { color: var(--danger); border-left: 4px solid var(--danger); padding: .5rem .75rem; background: rgba(179,38,30,.08); }
ul.scopes { padding-left: 1.2rem; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; word-break: break-all; }
fieldset { border: 1px solid var(--border); border-radius: 8px; margin: 1rem 0; padding: .5rem 1rem; }
label.user { display: block; padding: .4rem 0; cursor: pointer; }
label.user small { color: var(--muted); }
input[type=text] { font-size: 1.6rem; letter-spacing: .3em; width: 100%; padding: .4rem .6rem; border: 1px solid var(--border); border-radius: 8px; }
.buttons { display: flex; gap: .75rem; margin-top: 1rem; }
button { font: inherit; padding: .55rem 1.4rem; border-radius: 8px; border: 1px solid var(--border); background: transparent; color: inherit; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.code { font-size: 1.8rem; letter-spacing: .3em; font-weight: 600; }
footer { margin-top: 2rem; font-size: .8rem; color: var(--muted); }
</style>
</head>
<body>
<main>
<div class="brand">Webex emulator</div>
{{if .Error}}<p id="error" class="error" role="alert">{{.Error}}</p>{{end}}
{{end}}

{{define "foot"}}<footer>A local emulator of Login with Webex for development and tests. Not a Webex service.</footer>
</main>
</body>
</html>
{{end}}

{{define "users"}}<fieldset>
<legend>Sign in as</legend>
{{range .Users}}<label class="user" for="user-{{.Index}}"><input type="radio" id="user-{{.Index}}" name="user" value="{{.Email}}"{{if .Checked}} checked{{end}}> {{.Name}} <small>{{.Email}}</small></label>
{{end}}</fieldset>
<div class="buttons">
<button id="approve" type="submit" name="decision" value="approve" class="primary">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
{{end}}

{{define "scopes"}}<ul id="scopes" class="scopes">
{{range .Scopes}}<li class="scope" data-scope="{{.Name}}">{{.Desc}} <code>{{.Name}}</code></li>
{{end}}</ul>
{{end}}

{{define "signin"}}{{template "head" .}}
<h1>Sign in to Webex</h1>
<p>The application <code id="client_id">{{.ClientID}}</code> asks to:</p>
{{template "scopes" .}}
<form id="signin" method="post" action="/v1/authorize">
<input type="hidden" id="csrf_token" name="csrf_token" value="{{.CSRF}}">
{{template "users" .}}
</form>
<p><small>You will be sent back to <code id="redirect_uri">{{.RedirectURI}}</code>.</small></p>
{{template "foot" .}}{{end}}

{{define "verify-code"}}{{template "head" .}}
<h1>Sign in a device</h1>
<form id="code-form" method="post" action="/verify">
<p><label for="user_code">Enter the code shown on your device</label></p>
<input type="text" id="user_code" name="user_code" value="{{.UserCode}}" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required autofocus>
<div class="buttons"><button id="continue" type="submit" class="primary">Continue</button></div>
</form>
{{template "foot" .}}{{end}}

{{define "verify-confirm"}}{{template "head" .}}
<h1>Sign in a device</h1>
<p>Code <span id="code" class="code">{{.UserCode}}</span></p>
<p>Only continue if this code is shown on a device you are using. The application <code id="client_id">{{.ClientID}}</code> asks to:</p>
{{template "scopes" .}}
<form id="device-form" method="post" action="/verify">
<input type="hidden" id="csrf_token" name="csrf_token" value="{{.CSRF}}">
{{template "users" .}}
</form>
{{template "foot" .}}{{end}}

{{define "done"}}{{template "head" .}}
{{if eq .Result "approved"}}<h1>Device signed in</h1>
<p id="result" data-result="approved">Signed in as <strong>{{.Email}}</strong>. You can close this window and return to your device.</p>
{{else}}<h1>Request denied</h1>
<p id="result" data-result="denied">The device was not signed in. You can close this window.</p>
{{end}}{{template "foot" .}}{{end}}

{{define "error"}}{{template "head" .}}
<h1>Can't continue</h1>
<p>Go back to the application and start again.</p>
{{template "foot" .}}{{end}}

{{define "index"}}{{template "head" .}}
<h1>Login with Webex, locally</h1>
<p>API base URL: <code id="base_url">{{.BaseURL}}</code></p>
<p>Client id: <code id="client_id">{{.ClientID}}</code></p>
<p>Approval: <code id="approve_mode">{{.Approve}}</code></p>
<p>Users:</p>
<ul>{{range .UserList}}<li><code>{{.}}</code></li>{{end}}</ul>
<p>Device sign-in page: <a href="/verify">/verify</a></p>
{{template "foot" .}}{{end}}
`
