package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/oautherr"
	"github.com/webex-cli/webex/internal/tokenstore"
)

func wantShortLived(t *testing.T, err error, life, minTTL time.Duration) {
	t.Helper()
	want := fmt.Sprintf("the provider issues access tokens that live only %s, less than the %s asked for (--min-ttl)", life, minTTL)
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
}

// TestShortLivedProvider: a minimum TTL longer than the provider's whole token lifetime is a
// short-lived error, never a token that breaks it, and costs at most one refresh grant per token
// lifetime, however many callers ask.
func TestShortLivedProvider(t *testing.T) {
	const life, minTTL = 5 * time.Minute, 10 * time.Minute
	e := newEnv(t, emulator.Config{AccessTTL: life})
	now := wallNow()
	e.clock.Set(now.Add(-2 * life))
	e.login()
	old := e.secrets().AccessToken
	e.clock.Set(now)

	// The token has expired: refresh, store the new token, and say it is too short.
	_, err := e.manager().Token(context.Background(), "default", minTTL)
	wantShortLived(t, err, life, minTTL)
	if g := e.stats().RefreshTokenGrants; g != 1 {
		t.Fatalf("refresh grants = %d, want 1", g)
	}
	sec, p := e.secrets(), e.profile()
	if sec.AccessToken == old || !p.AccessIssuedAt.Equal(now) || !p.AccessExpiry.Equal(now.Add(life)) {
		t.Fatal("the refreshed token was not stored")
	}

	// While that token is valid, asking again makes no grant and no request.
	requests := e.requests.Load()
	_, err = e.manager().Token(context.Background(), "default", minTTL)
	wantShortLived(t, err, life, minTTL)
	if g, n := e.stats().RefreshTokenGrants, e.requests.Load()-requests; g != 1 || n != 0 {
		t.Fatalf("second call: %d grants in all, %d new requests; want 1 and 0", g, n)
	}
	// A minimum the token meets gets it.
	tok, err := e.manager().Token(context.Background(), "default", 2*time.Minute)
	if err != nil || tok.AccessToken != sec.AccessToken || tok.Refreshed {
		t.Fatalf("Token(2m) = %v; want the stored token", err)
	}

	// Many callers at once once it has expired: one grant, and every caller gets the error.
	e.clock.Set(now.Add(life + time.Minute))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		m := e.manager()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Token(context.Background(), "default", minTTL)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		wantShortLived(t, err, life, minTTL)
	}
	if g := e.stats().RefreshTokenGrants; g != 2 {
		t.Fatalf("refresh grants = %d after the concurrent calls, want 2", g)
	}

	// A forced refresh has no minimum.
	if _, err := e.manager().Refresh(context.Background(), "default"); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
}

// TestRefreshStillValidLongTokenShortMinTTL: a token whose lifetime is long enough is refreshed
// as usual when too little of it is left (no short-lived error).
func TestRefreshStillValidLongTokenShortMinTTL(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	now := wallNow()
	e.clock.Set(now.Add(-50 * time.Minute))
	e.login()
	e.clock.Set(now)
	tok, err := e.manager().Token(context.Background(), "default", 30*time.Minute)
	if err != nil || !tok.Refreshed {
		t.Fatalf("Token = %v, want a refresh", err)
	}
}

// TestNoRefreshTokenReason: without a refresh token the reason says whether the access token
// has expired, so a forced refresh of a valid token does not claim it has.
func TestNoRefreshTokenReason(t *testing.T) {
	tests := []struct {
		name    string
		age     time.Duration
		force   bool
		want    string
		notWant string
	}{
		{"expired, Token", 2 * time.Hour, false, "the access token has expired and there is no refresh token", ""},
		{"expired, Refresh", 2 * time.Hour, true, "the access token has expired and there is no refresh token", ""},
		{"valid, Refresh", 10 * time.Minute, true, "no refresh token", "expired"},
		{"about to expire, Token", 58 * time.Minute, false, "no refresh token", "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
			now := wallNow()
			e.clock.Set(now.Add(-tc.age))
			e.save(&tokenstore.Secrets{AccessToken: "access", ClientSecret: e.secret},
				(&oauth2.Token{}).WithExtra(map[string]any{"expires_in": 3600.0}), nil)
			e.clock.Set(now)
			m := e.manager()
			var err error
			if tc.force {
				_, err = m.Refresh(context.Background(), "default")
			} else {
				_, err = m.Token(context.Background(), "default", 0)
			}
			lr := wantLoginRequired(t, err)
			if !strings.Contains(lr.Reason, tc.want) || (tc.notWant != "" && strings.Contains(lr.Reason, tc.notWant)) {
				t.Errorf("reason %q; want it to say %q and not %q", lr.Reason, tc.want, tc.notWant)
			}
			if n := e.requests.Load(); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
		})
	}
}

// TestInvalidGrantAdoptHonoursMinTTL: after invalid_grant, the stored token of another process
// is adopted only when it meets the caller's minimum, and its secrets are reported to
// Manager.Secret like any other.
func TestInvalidGrantAdoptHonoursMinTTL(t *testing.T) {
	tests := []struct {
		name      string
		minTTL    time.Duration
		wantAdopt bool
	}{
		{"no minimum", 0, true},
		{"minimum met (50m left)", 45 * time.Minute, true},
		{"minimum not met", 55 * time.Minute, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
			now := wallNow()
			e.clock.Set(now.Add(-10 * time.Minute))
			e.save(&tokenstore.Secrets{AccessToken: "stored-access", RefreshToken: "new-refresh-token", IDToken: "stored-id", ClientSecret: e.secret},
				(&oauth2.Token{}).WithExtra(map[string]any{"expires_in": 3600.0}), []string{"spark:people_read"})
			e.clock.Set(now)
			m := e.manager()
			var mu sync.Mutex
			seen := map[string]bool{}
			m.Secret = func(vs ...string) {
				mu.Lock()
				defer mu.Unlock()
				for _, v := range vs {
					seen[v] = true
				}
			}
			stale := &tokenstore.Secrets{AccessToken: "old-access", RefreshToken: "stale-refresh-token", ClientSecret: e.secret}
			tok, err := m.refreshWith(context.Background(), e.profile(), e.store, stale, tc.minTTL)
			if !tc.wantAdopt {
				wantLoginRequired(t, err)
				return
			}
			if err != nil {
				t.Fatalf("refreshWith: %v", err)
			}
			if tok.AccessToken != "stored-access" || tok.Refreshed {
				t.Fatal("the stored token was not adopted")
			}
			for _, v := range []string{"stored-access", "new-refresh-token", "stored-id", e.secret} {
				if !seen[v] {
					t.Errorf("an adopted secret was not reported to Manager.Secret")
				}
			}
		})
	}
}

// TestRefreshRefusesSecretsOfAnotherLogin: secrets bound to other profile settings (a login
// that stored its secrets but crashed before its profile) are never sent to the profile's
// provider; unbound secrets (older stores) are used and get bound.
func TestRefreshRefusesSecretsOfAnotherLogin(t *testing.T) {
	tests := []struct {
		name    string
		binding func(p *config.Profile) string
		wantOK  bool
	}{
		{"no binding (older store)", func(*config.Profile) string { return "" }, true},
		{"bound to the profile", func(p *config.Profile) string { return p.Binding() }, true},
		{"bound to another client", func(p *config.Profile) string {
			q := *p
			q.ClientID = "Canotherclient"
			return q.Binding()
		}, false},
		{"bound to another provider", func(p *config.Profile) string {
			q := *p
			q.Provider, q.Issuer, q.BaseURL = config.ProviderOIDC, "https://login.example.org", ""
			return q.Binding()
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
			now := wallNow()
			e.clock.Set(now.Add(-2 * time.Hour))
			e.login()
			sec := e.secrets()
			sec.Binding = tc.binding(e.profile())
			if err := e.store.Save(context.Background(), "default", sec); err != nil {
				t.Fatal(err)
			}
			e.clock.Set(now)
			for _, force := range []bool{false, true} {
				m := e.manager()
				var (
					tok *Token
					err error
				)
				if force {
					tok, err = m.Refresh(context.Background(), "default")
				} else {
					tok, err = m.Token(context.Background(), "default", 0)
				}
				if tc.wantOK {
					if err != nil || !tok.Refreshed {
						t.Fatalf("force %t: %v, want a refresh", force, err)
					}
					if got := e.secrets().Binding; got != e.profile().Binding() {
						t.Errorf("stored binding %q, want the profile's", got)
					}
					continue
				}
				lr := wantLoginRequired(t, err)
				if !strings.Contains(lr.Reason, "belong to another login") {
					t.Errorf("reason %q", lr.Reason)
				}
			}
			if !tc.wantOK {
				if n := e.requests.Load(); n != 0 {
					t.Errorf("%d requests sent with secrets of another login, want none", n)
				}
				if now, err := e.store.Load(context.Background(), "default", sec.Binding); err != nil || *now != *sec {
					t.Error("the stored secrets changed")
				}
			}
		})
	}
}

// TestLockErrors: giving up on the lock is one sentence naming what the other process does;
// a lock folder that cannot be made is not called waiting.
func TestLockErrors(t *testing.T) {
	e := newEnv(t, emulator.Config{AccessTTL: time.Hour})
	now := wallNow()
	e.clock.Set(now.Add(-2 * time.Hour))
	e.login()
	e.clock.Set(now)

	unlock, err := Lock(context.Background(), e.dir, "default")
	if err != nil {
		t.Fatal(err)
	}
	m := e.manager()
	m.LockTimeout = time.Millisecond
	_, err = m.Token(context.Background(), "default", 0)
	unlock()
	var lw *LockWaitError
	if !errors.As(err, &lw) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a *LockWaitError wrapping DeadlineExceeded", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "gave up after 1ms waiting for another webex process to finish refreshing profile \"default\"") ||
		strings.Count(msg, "waiting") != 1 || strings.Contains(msg, "deadline") || strings.Contains(msg, ": ") {
		t.Errorf("message %q is not one sentence about waiting for the other refresh", msg)
	}

	// A file where the lock folder goes.
	if err := os.WriteFile(filepath.Join(e.dir, "locks-file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(e.dir, "locks")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(e.dir, "locks-file"), filepath.Join(e.dir, "locks")); err != nil {
		t.Fatal(err)
	}
	_, err = e.manager().Token(context.Background(), "default", 0)
	if err == nil || errors.As(err, &lw) || strings.Contains(err.Error(), "waiting") || !strings.Contains(err.Error(), "lock folder") {
		t.Errorf("error with a broken lock folder = %v; want one about the folder, not about waiting", err)
	}
	if g := e.stats().RefreshTokenGrants; g != 0 {
		t.Errorf("%d refresh grants, want 0", g)
	}
}

// TestRevokeUsesCallersClock: a Retry-After date in the revocation endpoint's error answer is
// read against the clock revokeToken is given.
func TestRevokeUsesCallersClock(t *testing.T) {
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":"temporarily_unavailable"}`)
	}))
	defer srv.Close()
	err := revokeToken(context.Background(), srv.Client(), now, srv.URL+"/revoke", oauth2.AuthStyleInHeader, "client", "secret", "tok", "refresh_token")
	var pe *oautherr.Error
	if !errors.As(err, &pe) || pe.Code != "temporarily_unavailable" {
		t.Fatalf("revokeToken = %v, want the provider's error", err)
	}
	if pe.RetryAfter != 90*time.Second {
		t.Errorf("RetryAfter = %v, want 1m30s counted from the given clock", pe.RetryAfter)
	}
}
