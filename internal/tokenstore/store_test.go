package tokenstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// storeContract checks the behaviour every Store must share.
func storeContract(t *testing.T, s Store) {
	t.Helper()
	if _, err := s.Load(context.Background(), "nobody", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load(nobody) = %v, want ErrNotFound", err)
	}
	if _, err := s.LoadAccessToken(context.Background(), "nobody", "", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadAccessToken(nobody) = %v, want ErrNotFound", err)
	}
	if err := s.Delete(context.Background(), "nobody"); err != nil {
		t.Fatalf("Delete(nobody) = %v, want nil", err)
	}
	for _, bad := range []string{"", "..", "../x", "a/b", ".hidden"} {
		if err := s.Save(context.Background(), bad, &Secrets{AccessToken: "x"}); err == nil {
			t.Errorf("Save(%q) accepted a bad profile name", bad)
		}
		if _, err := s.Load(context.Background(), bad, ""); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Load(%q) = %v, want a name error", bad, err)
		}
	}
	if err := s.Save(context.Background(), "p", nil); err == nil {
		t.Error("Save(nil) succeeded")
	}

	big := strings.Repeat("i", 6*1024)
	cases := []Secrets{
		{AccessToken: "at-1", RefreshToken: "rt-1", IDToken: "id-1", ClientSecret: "cs-1"},
		{AccessToken: "at-2"},
		{AccessToken: "at-3", RefreshToken: "rt-3", IDToken: big},
		{AccessToken: strings.Repeat("a", 4500), RefreshToken: strings.Repeat("r", 2500), IDToken: big, ClientSecret: "é€𝄞" + strings.Repeat("s", 1999)},
		{AccessToken: "at-5", RefreshToken: "rt-5"},
		{RefreshToken: "only-refresh"},
		{AccessToken: "at-7", RefreshToken: "rt-7", ClientSecret: "cs-7", Binding: strings.Repeat("b", 64)},
		// Without the binding the other secrets fit one keyring item; with it they do not.
		{AccessToken: "at-8", RefreshToken: strings.Repeat("r", ChunkSize-60), Binding: strings.Repeat("c", 64)},
		{AccessToken: strings.Repeat("a", 4500), RefreshToken: strings.Repeat("r", 2500), IDToken: big, ClientSecret: "cs", Binding: strings.Repeat("d", 64)},
	}
	for i, want := range cases {
		if err := s.Save(context.Background(), "work", &want); err != nil {
			t.Fatalf("case %d: Save: %v", i, err)
		}
		got, err := s.Load(context.Background(), "work", want.Binding)
		if err != nil {
			t.Fatalf("case %d: Load: %v", i, err)
		}
		if *got != want {
			t.Fatalf("case %d: Load = %v (lens %d/%d/%d/%d), want lens %d/%d/%d/%d", i, got,
				len(got.AccessToken), len(got.RefreshToken), len(got.IDToken), len(got.ClientSecret),
				len(want.AccessToken), len(want.RefreshToken), len(want.IDToken), len(want.ClientSecret))
		}
		at, err := s.LoadAccessToken(context.Background(), "work", want.Binding, "")
		if want.AccessToken == "" {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("case %d: LoadAccessToken with none stored = %v, want ErrNotFound", i, err)
			}
		} else if err != nil || at != want.AccessToken {
			t.Fatalf("case %d: LoadAccessToken = len %d, %v; want len %d", i, len(at), err, len(want.AccessToken))
		}
	}

	// Every read checks the binding: secrets saved for one login are refused
	// to a caller that expects another, or names none.
	if err := s.Save(context.Background(), "work", &Secrets{AccessToken: "at-b", RefreshToken: "rt-b", Binding: "b1"}); err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"b2", ""} {
		if sec, err := s.Load(context.Background(), "work", other); !errors.Is(err, ErrOtherLogin) || sec != nil {
			t.Fatalf("Load with binding %q = %v, want ErrOtherLogin", other, err)
		}
		if at, err := s.LoadAccessToken(context.Background(), "work", other, ""); !errors.Is(err, ErrOtherLogin) || at != "" {
			t.Fatalf("LoadAccessToken with binding %q = %v, want ErrOtherLogin", other, err)
		}
	}
	if at, err := s.LoadAccessToken(context.Background(), "work", "b1", ""); err != nil || at != "at-b" {
		t.Fatalf("LoadAccessToken with the stored binding = %v", err)
	}

	// Profiles are independent.
	if err := s.Save(context.Background(), "other", &Secrets{AccessToken: "other-at"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(context.Background(), "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(context.Background(), "work", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete = %v, want ErrNotFound", err)
	}
	if at, err := s.LoadAccessToken(context.Background(), "other", "", ""); err != nil || at != "other-at" {
		t.Fatalf("other profile damaged: %q, %v", at, err)
	}
	if err := s.Delete(context.Background(), "work"); err != nil {
		t.Fatalf("second Delete = %v", err)
	}
}

func TestFileContract(t *testing.T) { storeContract(t, NewFile(t.TempDir())) }
func TestKeyringContract(t *testing.T) {
	storeContract(t, NewKeyring(testFolder, newFakeKeyring(), 0))
}

func TestSecretsRedacted(t *testing.T) {
	s := Secrets{AccessToken: "AT-SECRET", RefreshToken: "RT-SECRET", ClientSecret: "CS-SECRET"}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, &s, s, &s)} {
		if strings.Contains(out, "SECRET") {
			t.Fatalf("formatting leaks a secret: %s", out)
		}
	}
	if got := s.String(); got != "Secrets{access:set refresh:set id:- client_secret:set}" {
		t.Fatalf("String() = %q", got)
	}
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		kind, dir, name string
		ok              bool
	}{
		{"keyring", dir, "*tokenstore.Keyring", true},
		{"keyring", "", "", false},
		{"file", dir, "*tokenstore.File", true},
		{"file", "", "", false},
		{"memory", dir, "", false},
		{"", dir, "", false},
	}
	for _, tt := range tests {
		s, err := New(tt.kind, tt.dir)
		if (err == nil) != tt.ok {
			t.Errorf("New(%q, %q) error = %v, want ok=%v", tt.kind, tt.dir, err, tt.ok)
			continue
		}
		if got := fmt.Sprintf("%T", s); err == nil && got != tt.name {
			t.Errorf("New(%q) = %s, want %s", tt.kind, got, tt.name)
		}
	}
}
