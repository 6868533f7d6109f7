package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const (
	fuzzClientID = "Cfuzz0123456789abcdef"
	fuzzSecret   = "fuzz-secret"
)

// FuzzParseClientAuth feeds untrusted Authorization headers and form bodies to the client
// authentication parser.
func FuzzParseClientAuth(f *testing.F) {
	f.Add("", "client_id=C1&client_secret=s")
	f.Add(basic("C1", "s"), "")
	f.Add(basic("C%3A1", "a%zz"), "client_id=C%3A1")
	f.Add("Basic Qzox", "client_secret=x")
	f.Add("basic    ", "")
	f.Add("Bearer x", "")
	f.Add("Basic "+base64.RawStdEncoding.EncodeToString([]byte("a:b:c")), "")
	f.Fuzz(func(t *testing.T, header, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		a, err := parseClientAuth(header, form)
		if err != nil {
			return
		}
		if a.basic && form.Get("client_secret") != "" {
			t.Fatal("accepted two authentication methods")
		}
		if !a.present && (a.id != "" || a.secret != "") {
			t.Fatal("credentials without presence")
		}
	})
}

// FuzzCheckPKCE checks that only a verifier of the right shape that hashes to the challenge
// passes.
func FuzzCheckPKCE(f *testing.F) {
	v := strings.Repeat("a", 43)
	f.Add(s256(v), "S256", v)
	f.Add(v, "plain", v)
	f.Add("", "", "")
	f.Add(s256(v), "S256", s256(v))
	f.Add(s256("x"), "S256", "x")
	f.Fuzz(func(t *testing.T, challenge, method, verifier string) {
		if !checkPKCE(challenge, method, verifier) {
			return
		}
		if challenge == "" {
			if verifier != "" {
				t.Fatal("verifier accepted without challenge")
			}
			return
		}
		if !validVerifier(verifier) {
			t.Fatalf("malformed verifier %q accepted", verifier)
		}
		want := verifier
		if method == "S256" {
			sum := sha256.Sum256([]byte(verifier))
			want = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if want != challenge {
			t.Fatal("verifier does not match the challenge")
		}
	})
}

// FuzzHandler sends arbitrary requests to every endpoint: no panic, no 5xx, and never a
// redirect to a URI that is not allowed.
func FuzzHandler(f *testing.F) {
	s, err := New(Config{ClientID: fuzzClientID, ClientSecret: fuzzSecret, Keys: oneKey(f),
		SlowDownEvery: 3, RateLimitEvery: 5})
	if err != nil {
		f.Fatal(err)
	}
	auto, err := New(Config{ClientID: fuzzClientID, ClientSecret: fuzzSecret, Keys: oneKey(f), Approve: ApproveAuto,
		RedirectURIs: []string{"http://127.0.0.1:8085/callback", "https://oauth-helper-a.wbx2.com/helperservice/v1/actions/device/callback"}})
	if err != nil {
		f.Fatal(err)
	}
	v := strings.Repeat("v", 43)
	goodAuth := basic(fuzzClientID, fuzzSecret)
	pat, err := s.PersonalAccessToken(DefaultUser)
	if err != nil {
		f.Fatal(err)
	}
	bearer := "Bearer " + pat
	room := restID("ROOM")
	authz := "response_type=code&client_id=" + fuzzClientID + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8085%2Fcallback&scope=openid+email&state=s&nonce=n"
	form := "application/x-www-form-urlencoded"
	seeds := []struct {
		method, path, query, auth, ctype, body string
	}{
		{"GET", "/v1/authorize", authz, "", "", ""},
		{"GET", "/v1/authorize", authz + "&code_challenge=" + s256(v) + "&code_challenge_method=S256", "", "", ""},
		{"GET", "/v1/authorize", authz + "&prompt=none", "", "", ""},
		{"GET", "/v1/authorize", authz + "&redirect_uri=x", "", "", ""},
		{"GET", "/v1/authorize", "client_id=" + fuzzClientID + "&redirect_uri=http%3A%2F%2Fevil.example%2Fcallback&response_type=token", "", "", ""},
		{"GET", "/v1/authorize", authz + "&code_challenge_method=plain&code_challenge=" + v + "&max_age=-1", "", "", ""},
		{"POST", "/v1/authorize", "", "", form, "csrf_token=abc&decision=approve&user=alice%40example.com"},
		{"POST", "/v1/access_token", "", goodAuth, form, "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8085%2Fcallback&code_verifier=" + v},
		{"POST", "/v1/access_token", "", "", form, "grant_type=refresh_token&refresh_token=x&client_id=" + fuzzClientID + "&client_secret=" + fuzzSecret},
		{"POST", "/v1/access_token", "", goodAuth, "application/json", `{"grant_type":"refresh_token"}`},
		{"POST", "/v1/access_token", "", goodAuth, form, "grant_type=a&grant_type=b"},
		{"POST", "/v1/access_token", "", "Basic %%%", form, "grant_type=refresh_token"},
		{"POST", "/v1/device/authorize", "", "", form, "client_id=" + fuzzClientID + "&scope=spark%3Apeople_read"},
		{"POST", "/v1/device/authorize", "", "", form, "client_id=" + fuzzClientID + "&scope=openid"},
		{"POST", "/v1/device/token", "", goodAuth, form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x"},
		{"POST", "/v1/device/token", "", "", form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x&client_id=" + fuzzClientID},
		{"GET", "/v1/userinfo", "", "Bearer abc", "", ""},
		{"GET", "/v1/people/me", "", "Bearer ", "", ""},
		{"GET", "/v1/.well-known/webfinger", "resource=acct%3Aalice%40example.com&rel=x", "", "", ""},
		{"GET", "/v1/.well-known/openid-configuration", "", "", "", ""},
		{"GET", "/v1/verification", "", "", "", ""},
		{"GET", "/verify", "userCode=" + strings.Repeat("0", 64), "", "", ""},
		{"POST", "/verify", "", "", form, "user_code=123+456"},
		{"POST", "/verify", "", "", form, "csrf_token=x&decision=deny"},
		{"GET", "/v1/people", "max=1&displayName=a", bearer, "", ""},
		{"GET", "/v1/people", "cursor=b2Zmc2V0OjE&max=1000", bearer, "", ""},
		{"GET", "/v1/people", "max=0&cursor=%%%", bearer, "", ""},
		{"POST", "/v1/rooms", "", bearer, "application/json", `{"title":"Plan"}`},
		{"POST", "/v1/rooms", "", bearer, "application/json; charset=utf-8", `{"title":1}`},
		{"GET", "/v1/rooms", "max=2", bearer, "", ""},
		{"POST", "/v1/messages", "", bearer, "application/json", `{"roomId":"` + room + `","text":"hi"}`},
		{"GET", "/v1/messages", "roomId=" + room, bearer, "", ""},
		{"POST", "/v1/messages", "", bearer, "text/plain", `{}`},
		{"DELETE", "/", "", "", "", ""},
		{"GET", "/v1/%zz", "%zz", "", "", ""},
	}
	for _, sd := range seeds {
		f.Add(sd.method, sd.path, sd.query, sd.auth, sd.ctype, sd.body, false)
		f.Add(sd.method, sd.path, sd.query, sd.auth, sd.ctype, sd.body, true)
	}
	f.Fuzz(func(t *testing.T, method, path, query, auth, ctype, body string, useAuto bool) {
		srv := s
		if useAuto {
			srv = auto
		}
		req := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader(body)),
			Host:       "127.0.0.1:8080",
			RemoteAddr: "127.0.0.1:50000",
		}
		req.ContentLength = int64(len(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		// A full table of rooms or messages is answered 503 by design (see Limits).
		busy := w.Code == http.StatusServiceUnavailable && (path == "/v1/rooms" || path == "/v1/messages")
		if w.Code >= 500 && !busy {
			t.Fatalf("%s %s: status %d: %s", method, path, w.Code, w.Body)
		}
		if w.Code >= 300 && w.Code < 400 {
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatalf("bad Location %q", w.Header().Get("Location"))
			}
			base := *loc
			base.RawQuery, base.ForceQuery = "", false
			if !srv.redirectAllowed(base.String()) {
				t.Fatalf("redirect to a URI that is not allowed: %q", loc)
			}
		}
		//lint:ignore SA1008 Webex spells the header TrackingID
		if len(w.Header()["TrackingID"]) == 0 {
			t.Fatal("no TrackingID")
		}
	})
}
