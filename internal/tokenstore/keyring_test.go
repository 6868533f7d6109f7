package tokenstore

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	gokeyring "github.com/zalando/go-keyring"
)

func TestKeyringLayout(t *testing.T) {
	fk := newFakeKeyring()
	k := NewKeyring(testFolder, fk, 0)
	id := strings.Repeat("j", 6*1024)

	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "at", RefreshToken: "rt", IDToken: id, ClientSecret: "cs"}); err != nil {
		t.Fatal(err)
	}
	want := itemNames("work/access", "work/rest", "work/rest.a0", "work/rest.a1", "work/rest.a2", "work/rest.a3")
	if got := fk.users(KeyringService); !reflect.DeepEqual(got, want) {
		t.Fatalf("items = %v, want %v", got, want)
	}
	for _, u := range want {
		v, _ := fk.Get(KeyringService, u)
		if len(v) > ChunkSize+len(inlineMark) {
			t.Errorf("item %s is %d bytes", u, len(v))
		}
	}

	// A second Save of a chunked value moves to the other slot and removes
	// the first one.
	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "at2", IDToken: id + "x"}); err != nil {
		t.Fatal(err)
	}
	want = itemNames("work/access", "work/rest", "work/rest.b0", "work/rest.b1", "work/rest.b2", "work/rest.b3")
	if got := fk.users(KeyringService); !reflect.DeepEqual(got, want) {
		t.Fatalf("after re-save, items = %v, want %v", got, want)
	}

	// A smaller chunked value in the same slot leaves no stale chunk.
	if err := k.Save(context.Background(), "work", &Secrets{IDToken: strings.Repeat("k", 2500)}); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(context.Background(), "work", &Secrets{IDToken: strings.Repeat("k", 4500)}); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(context.Background(), "work", &Secrets{IDToken: strings.Repeat("k", 2500)}); err != nil {
		t.Fatal(err)
	}
	want = itemNames("work/access", "work/rest", "work/rest.a0", "work/rest.a1")
	if got := fk.users(KeyringService); !reflect.DeepEqual(got, want) {
		t.Fatalf("after shrinking, items = %v, want %v", got, want)
	}
	// Chunks a crashed writer left in the slot being written are swept.
	fk.items[key(KeyringService, item("work/rest.b2"))] = "stale"
	fk.items[key(KeyringService, item("work/rest.b3"))] = "stale"
	if err := k.Save(context.Background(), "work", &Secrets{IDToken: strings.Repeat("k", 2500)}); err != nil {
		t.Fatal(err)
	}
	want = itemNames("work/access", "work/rest", "work/rest.b0", "work/rest.b1")
	if got := fk.users(KeyringService); !reflect.DeepEqual(got, want) {
		t.Fatalf("after sweeping stale chunks, items = %v, want %v", got, want)
	}

	// Back to inline: every chunk goes.
	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: "at3", RefreshToken: "rt3"}); err != nil {
		t.Fatal(err)
	}
	want = itemNames("work/access", "work/rest")
	if got := fk.users(KeyringService); !reflect.DeepEqual(got, want) {
		t.Fatalf("after going inline, items = %v, want %v", got, want)
	}

	// A large access token is chunked too, and Delete removes everything.
	if err := k.Save(context.Background(), "work", &Secrets{AccessToken: strings.Repeat("a", 5000), IDToken: id}); err != nil {
		t.Fatal(err)
	}
	if at, err := k.LoadAccessToken(context.Background(), "work", "", ""); err != nil || len(at) != 5000 {
		t.Fatalf("LoadAccessToken = len %d, %v", len(at), err)
	}
	if err := k.Delete(context.Background(), "work"); err != nil {
		t.Fatal(err)
	}
	if got := fk.users(KeyringService); len(got) != 0 {
		t.Fatalf("after Delete, items = %v", got)
	}
}

func TestKeyringHotPathIsOneRead(t *testing.T) {
	fk := newFakeKeyring()
	k := NewKeyring(testFolder, fk, 0)
	binding := strings.Repeat("b", 64)
	if err := k.Save(context.Background(), "p", &Secrets{AccessToken: strings.Repeat("t", ChunkSize-len(binding)-1), IDToken: strings.Repeat("i", 9000), Binding: binding}); err != nil {
		t.Fatal(err)
	}
	fk.resetCounts()
	if _, err := k.LoadAccessToken(context.Background(), "p", binding, ""); err != nil {
		t.Fatal(err)
	}
	if got := fk.counts(); got != "get=1 set=0 del=0" {
		t.Fatalf("LoadAccessToken made %s, want one get", got)
	}
	// A refresh of small tokens: one read and one write per header.
	if err := k.Save(context.Background(), "q", &Secrets{AccessToken: "a", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	fk.resetCounts()
	if err := k.Save(context.Background(), "q", &Secrets{AccessToken: "a2", RefreshToken: "r2"}); err != nil {
		t.Fatal(err)
	}
	if got := fk.counts(); got != "get=2 set=2 del=0" {
		t.Fatalf("Save of small secrets made %s", got)
	}
}

func TestKeyringServiceOption(t *testing.T) {
	fk := newFakeKeyring()
	k := withService(NewKeyring(testFolder, fk, 0), "webex-test")
	if err := k.Save(context.Background(), "p", &Secrets{AccessToken: "a"}); err != nil {
		t.Fatal(err)
	}
	if len(fk.users(KeyringService)) != 0 || len(fk.users("webex-test")) != 2 {
		t.Fatalf("items landed under the wrong service: %v / %v", fk.users(KeyringService), fk.users("webex-test"))
	}
}

// A reader that races a writer of a chunked value retries and gets a whole
// value, old or new, never a mix.
func TestKeyringTornReadRetries(t *testing.T) {
	fk := newFakeKeyring()
	k := NewKeyring(testFolder, fk, 0)
	oldID, newID := strings.Repeat("o", 5000), strings.Repeat("n", 5000)
	if err := k.Save(context.Background(), "p", &Secrets{AccessToken: "a", IDToken: oldID}); err != nil {
		t.Fatal(err)
	}
	writes := 0
	fk.beforeG = func(user string) {
		// Between reading chunk 0 and chunk 1, another process saves twice,
		// so the slot the reader follows is rewritten under it.
		if user == item("p/rest.a1") && writes == 0 {
			writes++
			w := NewKeyring(testFolder, &unhooked{fk}, 0)
			_ = w.Save(context.Background(), "p", &Secrets{AccessToken: "a", IDToken: newID})
			_ = w.Save(context.Background(), "p", &Secrets{AccessToken: "a", IDToken: newID + "2"})
		}
	}
	s, err := k.Load(context.Background(), "p", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.IDToken != newID+"2" {
		t.Fatalf("got a torn or stale ID token (len %d, prefix %q)", len(s.IDToken), s.IDToken[:3])
	}
}

// unhooked bypasses fakeKeyring's Get hook.
type unhooked struct{ f *fakeKeyring }

func (u *unhooked) Get(s, us string) (string, error) {
	u.f.mu.Lock()
	defer u.f.mu.Unlock()
	v, ok := u.f.items[key(s, us)]
	if !ok {
		return "", gokeyring.ErrNotFound
	}
	return v, nil
}
func (u *unhooked) Set(s, us, p string) error { return u.f.Set(s, us, p) }
func (u *unhooked) Delete(s, us string) error { return u.f.Delete(s, us) }

func TestKeyringCorruptItems(t *testing.T) {
	tests := []struct {
		name  string
		items map[string]string
	}{
		{"unknown header", map[string]string{"p/access": "plain-token"}},
		{"bad count", map[string]string{"p/access": "v1#a:0:0123456789abcdef"}},
		{"huge count", map[string]string{"p/access": "v1#a:100000:0123456789abcdef"}},
		{"bad slot", map[string]string{"p/access": "v1#c:1:0123456789abcdef"}},
		{"missing chunk", map[string]string{"p/access": "v1#a:2:0123456789abcdef", "p/access.a0": "x"}},
		{"hash mismatch", map[string]string{"p/access": "v1#a:1:0123456789abcdef", "p/access.a0": "x"}},
		{"rest not JSON", map[string]string{"p/access": "v1=:at", "p/rest": "v1=RT-SECRET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fk := newFakeKeyring()
			for u, v := range tt.items {
				fk.items[key(KeyringService, item(u))] = v
			}
			k := NewKeyring(testFolder, fk, 0)
			_, err := k.Load(context.Background(), "p", "")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Load = %v, want ErrCorrupt", err)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "plain-token") {
				t.Fatalf("error leaks stored content: %v", err)
			}
			// Save overwrites a damaged set and Delete cleans it.
			if err := k.Save(context.Background(), "p", &Secrets{AccessToken: "new"}); err != nil {
				t.Fatal(err)
			}
			if at, err := k.LoadAccessToken(context.Background(), "p", "", ""); err != nil || at != "new" {
				t.Fatalf("after Save: %q, %v", at, err)
			}
			if err := k.Delete(context.Background(), "p"); err != nil {
				t.Fatal(err)
			}
			if got := fk.users(KeyringService); len(got) != 0 {
				t.Fatalf("after Delete, items = %v", got)
			}
		})
	}
}

func TestKeyringTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // let the abandoned goroutines end
	k := NewKeyring(testFolder, hungKeyring{release}, 50*time.Millisecond)

	calls := map[string]func() error{
		"Load":            func() error { _, err := k.Load(context.Background(), "p", ""); return err },
		"LoadAccessToken": func() error { _, err := k.LoadAccessToken(context.Background(), "p", "", ""); return err },
		"Save":            func() error { return k.Save(context.Background(), "p", &Secrets{AccessToken: "a"}) },
		"Delete":          func() error { return k.Delete(context.Background(), "p") },
		"Probe":           func() error { return k.Probe(context.Background()) },
	}
	for name, call := range calls {
		err := call()
		var ke *KeyringError
		if !errors.As(err, &ke) || ke.Timeout != 50*time.Millisecond {
			t.Fatalf("%s: error = %v, want a *KeyringError with the timeout", name, err)
		}
		if !isUnavailable(err) {
			t.Errorf("%s: error is no *KeyringError", name)
		}
		msg := err.Error()
		if !strings.Contains(msg, "did not answer") || !strings.Contains(msg, "log in with --storage file") {
			t.Errorf("%s: message %q should say the keyring did not answer and suggest --storage file", name, msg)
		}
	}
}

func TestKeyringBackendFailure(t *testing.T) {
	cause := errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	fk := newFakeKeyring()
	fk.failAll = cause
	k := NewKeyring(testFolder, fk, 0)
	for name, err := range map[string]error{
		"Save":  k.Save(context.Background(), "p", &Secrets{AccessToken: "AT-SECRET"}),
		"Probe": k.Probe(context.Background()),
	} {
		if !isUnavailable(err) || !errors.Is(err, cause) {
			t.Fatalf("%s: error = %v, want a *KeyringError wrapping the cause", name, err)
		}
		// `webex token` and `webex refresh` show this too and have no --storage flag: the
		// hint is about how to log in.
		if !strings.Contains(err.Error(), "log in with --storage file") || strings.Contains(err.Error(), "use --storage") || strings.Contains(err.Error(), "AT-SECRET") {
			t.Fatalf("%s: message = %q", name, err)
		}
	}
}

func TestProbe(t *testing.T) {
	fk := newFakeKeyring()
	if err := NewKeyring(testFolder, fk, 0).Probe(context.Background()); err != nil {
		t.Fatalf("Probe on a working keyring = %v", err)
	}
	if got := fk.users(KeyringService); len(got) != 0 {
		t.Fatalf("Probe left items: %v", got)
	}

	// A cancelled context is a clear error too, not a hang.
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := NewKeyring(testFolder, hungKeyring{release}, time.Hour).Probe(ctx)
	if !isUnavailable(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Probe with cancelled ctx = %v", err)
	}

	// A keyring that loses what it was given is unusable.
	err = NewKeyring(testFolder, forgetful{}, 0).Probe(context.Background())
	if !isUnavailable(err) || !strings.Contains(err.Error(), "--storage file") {
		t.Fatalf("Probe on a forgetful keyring = %v", err)
	}
}

// Two probes that overlap (two logins at once) both succeed: neither reads or
// deletes the other's item.
func TestProbesOverlap(t *testing.T) {
	fk := newFakeKeyring()
	k := NewKeyring(testFolder, fk, 0)
	var nested error
	var started atomic.Bool
	fk.beforeG = func(user string) {
		// The outer probe has written its item and is about to read it
		// back: a second probe runs from start to end in between.
		if started.CompareAndSwap(false, true) {
			nested = k.Probe(context.Background())
		}
	}
	if err := k.Probe(context.Background()); err != nil {
		t.Fatalf("outer probe = %v", err)
	}
	if nested != nil {
		t.Fatalf("nested probe = %v", nested)
	}
	if got := fk.users(KeyringService); len(got) != 0 {
		t.Fatalf("probes left items: %v", got)
	}
}

type forgetful struct{}

func (forgetful) Get(string, string) (string, error) { return "", gokeyring.ErrNotFound }
func (forgetful) Set(string, string, string) error   { return nil }
func (forgetful) Delete(string, string) error        { return gokeyring.ErrNotFound }

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		size int
		want []string
	}{
		{"", 4, []string{""}},
		{"abcd", 4, []string{"abcd"}},
		{"abcde", 4, []string{"abcd", "e"}},
		{"abc€", 4, []string{"abc", "€"}}, // never cut inside the 3-byte euro sign
		{"€€", 4, []string{"€", "€"}},
	}
	for _, tt := range tests {
		got := split(tt.in, tt.size)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("split(%q, %d) = %q, want %q", tt.in, tt.size, got, tt.want)
		}
		for _, c := range got {
			if len(c) > tt.size || !utf8.ValidString(c) {
				t.Errorf("split(%q, %d): bad chunk %q", tt.in, tt.size, c)
			}
		}
	}
}

// Two config folders on one keyring never read, overwrite or delete each
// other's items, and neither reads the items that versions before the
// folder namespace kept for every folder alike; Delete removes those.
func TestKeyringFoldersAreSeparate(t *testing.T) {
	fk := newFakeKeyring()
	a := NewKeyring("/home/u/.config/webex", fk, 0)
	b := NewKeyring("/tmp/throwaway", fk, 0)
	if err := a.Save(context.Background(), "default", &Secrets{AccessToken: "AT-A", RefreshToken: "RT-A", ClientSecret: "CS-A", Binding: "bind"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(context.Background(), "default", "bind"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("folder B reads folder A's secrets: %v", err)
	}
	if err := b.Save(context.Background(), "default", &Secrets{AccessToken: "AT-B", RefreshToken: "RT-B", ClientSecret: "CS-B", Binding: "bind"}); err != nil {
		t.Fatal(err)
	}
	if s, err := a.Load(context.Background(), "default", "bind"); err != nil || s.AccessToken != "AT-A" || s.RefreshToken != "RT-A" || s.ClientSecret != "CS-A" {
		t.Fatalf("folder B's login changed folder A's secrets: %v", err)
	}
	if err := b.Delete(context.Background(), "default"); err != nil {
		t.Fatal(err)
	}
	if at, err := a.LoadAccessToken(context.Background(), "default", "bind", ""); err != nil || at != "AT-A" {
		t.Fatalf("folder B's logout deleted folder A's token: %v", err)
	}

	// Items of the old layout (no namespace, the access token alone).
	fk.items[key(KeyringService, "default/access")] = "v1=AT-OLD"
	fk.items[key(KeyringService, "default/rest")] = `v1={"refresh_token":"RT-OLD"}`
	if _, err := b.Load(context.Background(), "default", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load read the old shared items: %v", err)
	}
	if _, err := b.LoadAccessToken(context.Background(), "default", "", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadAccessToken read the old shared items: %v", err)
	}
	if err := b.Delete(context.Background(), "default"); err != nil {
		t.Fatal(err)
	}
	if got := fk.users(KeyringService); !reflect.DeepEqual(got, []string{a.items("default") + "/access", a.items("default") + "/rest"}) {
		t.Fatalf("after Delete in folder B, items = %v, want folder A's only", got)
	}
}

// A Save cut short between its two items leaves the other secrets of the new
// login next to the access token of the old one: Load refuses the mix to
// callers of either login.
func TestKeyringTornSaveIsAnotherLogin(t *testing.T) {
	fk := newFakeKeyring()
	k := NewKeyring(testFolder, fk, 0)
	if err := k.Save(context.Background(), "p", &Secrets{AccessToken: "AT-OLD", RefreshToken: "RT-OLD", Binding: "old"}); err != nil {
		t.Fatal(err)
	}
	fk.items[key(KeyringService, item("p/rest"))] = `v1={"refresh_token":"RT-NEW","binding":"new"}`
	for _, want := range []string{"old", "new"} {
		if _, err := k.Load(context.Background(), "p", want); !errors.Is(err, ErrOtherLogin) {
			t.Errorf("Load(p, %s) = %v, want ErrOtherLogin", want, err)
		}
	}
}
