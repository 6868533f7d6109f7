package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/emulator"
)

// wireTap sits between webex and the emulator and remembers every secret that crossed the
// wire in either direction (client credentials, codes, PKCE verifiers, device codes, tokens),
// and every TrackingID the emulator answered with.
type wireTap struct {
	next http.Handler

	mu        sync.Mutex
	secrets   map[string]string // value -> where it was first seen
	kinds     map[string]bool   // every "where" a secret was seen
	tracking  []string
	requested []string // "METHOD /path"
}

func (w *wireTap) add(where, v string) {
	if len(v) < 6 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.kinds[where] = true
	if _, ok := w.secrets[v]; !ok {
		w.secrets[v] = where
	}
}

// secretFields are the form parameters and JSON members that carry secrets.
var secretFields = []string{"code", "code_verifier", "device_code", "refresh_token", "access_token", "id_token", "client_secret"}

func (w *wireTap) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	w.mu.Lock()
	w.requested = append(w.requested, r.Method+" "+r.URL.Path)
	w.mu.Unlock()
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, cred, _ := strings.Cut(auth, " ")
		w.add("request "+scheme+" credential", cred)
		if strings.EqualFold(scheme, "basic") {
			if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
				_, secret, _ := strings.Cut(string(raw), ":")
				w.add("Basic client secret", secret)
			}
		}
	}
	if form, err := url.ParseQuery(string(body)); err == nil {
		for _, k := range secretFields {
			w.add("request form "+k, form.Get(k))
		}
	}
	rec := httptest.NewRecorder()
	w.next.ServeHTTP(rec, r)

	res := rec.Result()
	for k, vs := range res.Header {
		rw.Header()[k] = vs
		// The browser, not webex, asks /authorize: its answers are not in webex's trace.
		if strings.EqualFold(k, "TrackingID") && !strings.HasSuffix(r.URL.Path, "/authorize") {
			w.mu.Lock()
			w.tracking = append(w.tracking, vs...)
			w.mu.Unlock()
		}
	}
	if loc, err := url.Parse(res.Header.Get("Location")); err == nil {
		w.add("redirect code", loc.Query().Get("code"))
	}
	var m map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &m) == nil {
		for _, k := range secretFields {
			if s, ok := m[k].(string); ok {
				w.add("response "+k, s)
			}
		}
	}
	rw.WriteHeader(rec.Code)
	_, _ = rw.Write(rec.Body.Bytes())
}

// Secrets returns what was seen, with the pieces of each JWT (claims and signature) as
// secrets of their own, so a partly printed token is caught too.
func (w *wireTap) Secrets() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]string{}
	for v, where := range w.secrets {
		out[v] = where
		if p := strings.Split(v, "."); len(p) == 3 && strings.HasPrefix(v, "eyJ") {
			out[p[1]] = where + " (claims part)"
			out[p[2]] = where + " (signature part)"
		}
		if q := url.QueryEscape(v); q != v {
			out[q] = where + " (URL-encoded)"
		}
	}
	return out
}

func (w *wireTap) TrackingIDs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.tracking...)
}

// startTappedEmulator serves an emulator behind a wireTap on 127.0.0.1.
func startTappedEmulator(t *testing.T, cfg emulator.Config) (*emulator.Server, *wireTap, map[string]string) {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = testKeys()
	}
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tap := &wireTap{next: srv.Handler(), secrets: map[string]string{}, kinds: map[string]bool{}}
	hs := httptest.NewServer(tap)
	t.Cleanup(hs.Close)
	env := map[string]string{
		"WEBEX_BASE_URL":      hs.URL + "/v1",
		"WEBEX_CLIENT_ID":     srv.ClientID(),
		"WEBEX_CLIENT_SECRET": srv.ClientSecret(),
	}
	tap.add("WEBEX_CLIENT_SECRET", srv.ClientSecret())
	return srv, tap, env
}

// TestDebugTraceHasNoSecrets runs a browser login, a device login, refreshes, userinfo and
// token with --debug (or WEBEX_DEBUG=1), then scans stderr for every secret value that crossed
// the wire during the run, and finds none; while the trace does show the requests, the
// redaction markers and Webex's trackingIds.
func TestDebugTraceHasNoSecrets(t *testing.T) {
	srv, tap, env := startTappedEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, DeviceInterval: time.Second})
	h := newHarness(t, env)

	type step struct {
		name string
		args []string
		env  map[string]string
		// trace are substrings the trace must show.
		trace []string
	}
	steps := []step{
		{"browser login", []string{"login", "--flow", "browser", "--debug", "--redirect-uri", "http://127.0.0.1:0/callback", "--timeout", "30s"}, nil, []string{
			"POST " + env["WEBEX_BASE_URL"] + "/access_token",
			"grant_type=authorization_code",
			"code=[REDACTED len=",
			"code_verifier=[REDACTED len=",
			"Authorization: Basic [REDACTED len=",
			`"access_token": "[REDACTED len=`,
			`"refresh_token": "[REDACTED len=`,
			`"id_token": "[REDACTED len=`,
			"GET " + env["WEBEX_BASE_URL"] + "/verification",
			"GET " + env["WEBEX_BASE_URL"] + "/userinfo",
			"Authorization: Bearer [REDACTED len=",
		}},
		{"refresh", []string{"refresh", "--debug"}, nil, []string{
			"POST " + env["WEBEX_BASE_URL"] + "/access_token",
			"grant_type=refresh_token",
			"refresh_token=[REDACTED len=",
			`"access_token": "[REDACTED len=`,
		}},
		{"userinfo", []string{"userinfo", "--debug"}, nil, []string{
			"GET " + env["WEBEX_BASE_URL"] + "/userinfo",
			"Authorization: Bearer [REDACTED len=",
		}},
		{"userinfo with WEBEX_DEBUG", []string{"userinfo"}, map[string]string{"WEBEX_DEBUG": "1"}, []string{
			"GET " + env["WEBEX_BASE_URL"] + "/userinfo",
		}},
		{"token", []string{"token", "--debug"}, nil, nil},
		{"ID token", []string{"token", "--id-token", "--debug"}, nil, nil},
		{"token forcing a refresh", []string{"token", "--debug"}, nil, []string{
			"grant_type=refresh_token",
			"refresh_token=[REDACTED len=",
		}},
		{"device login", []string{"login", "--profile", "dev", "--flow", "device", "--debug", "--timeout", "30s"}, nil, []string{
			"POST " + env["WEBEX_BASE_URL"] + "/device/authorize",
			`"device_code": "[REDACTED len=`,
			"POST " + env["WEBEX_BASE_URL"] + "/device/token",
			"device_code=[REDACTED len=",
			"GET " + env["WEBEX_BASE_URL"] + "/people/me",
		}},
		{"device refresh", []string{"refresh", "--profile", "dev", "--debug"}, nil, []string{"refresh_token=[REDACTED len="}},
	}

	var traces []string
	for _, s := range steps {
		for k, v := range s.env {
			h.env[k] = v
		}
		h.now = nil
		if s.name == "token forcing a refresh" {
			// Two minutes before the 14-day token expires, the default rule refreshes it.
			h.now = func() time.Time { return time.Now().Add(emulator.DefaultAccessTTL - 2*time.Minute) }
		}
		r := h.run(s.args...)
		h.now = nil
		for k := range s.env {
			delete(h.env, k)
		}
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", s.name, r.code, r.stderr)
		}
		mustContain(t, s.name+" trace", r.stderr, s.trace...)
		if s.args[0] == "token" {
			out := strings.TrimSpace(r.stdout)
			if out == "" || strings.Contains(r.stderr, out) {
				t.Errorf("%s: the printed token is missing or also on stderr", s.name)
			}
			// The printed token crossed the wire: the scan below looks for real values.
			if _, seen := tap.Secrets()[out]; !seen {
				t.Errorf("%s: the tap never saw the printed token", s.name)
			}
		}
		traces = append(traces, r.stderr)
	}

	// Everything the store holds is a secret too, before and after the refreshes.
	for _, p := range []string{"default", "dev"} {
		sec, err := h.stored(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{sec.AccessToken, sec.RefreshToken, sec.IDToken, sec.ClientSecret} {
			tap.add("stored for "+p, v)
		}
	}

	secrets := tap.Secrets()
	tap.mu.Lock()
	kinds := tap.kinds
	tap.mu.Unlock()
	for _, want := range []string{"redirect code", "request form code", "request form code_verifier", "request form device_code",
		"response device_code", "response access_token", "response refresh_token", "response id_token",
		"request form refresh_token", "Basic client secret", "request Bearer credential"} {
		if !kinds[want] {
			t.Errorf("the tap saw no %s; seen: %v", want, sortedSet(kinds))
		}
	}
	for i, tr := range traces {
		for v, where := range secrets {
			if strings.Contains(tr, v) {
				t.Errorf("%s: stderr holds a secret (%s, %d bytes)", steps[i].name, where, len(v))
			}
		}
	}

	all := strings.Join(traces, "\n")
	ids := tap.TrackingIDs()
	if len(ids) == 0 {
		t.Fatal("the emulator sent no TrackingID")
	}
	for _, id := range ids {
		if !strings.Contains(all, id) {
			t.Errorf("trackingId %s is not in the trace", id)
		}
	}
	if !regexp.MustCompile(`(?i)\n< TrackingID: EMULATOR_`).MatchString(all) {
		t.Error("no TrackingID response header line in the trace")
	}
	if st := srv.Stats(); st.AuthorizationCodeGrants != 1 || st.DeviceCodeGrants != 1 || st.RefreshTokenGrants < 3 {
		t.Errorf("stats: %+v", st)
	}
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
