package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDir(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"webex config dir wins", map[string]string{"WEBEX_CONFIG_DIR": "/a/b/", "XDG_CONFIG_HOME": "/x"}, filepath.Clean("/a/b")},
		{"xdg config home", map[string]string{"XDG_CONFIG_HOME": "/x"}, filepath.Join("/x", "webex")},
		{"relative xdg ignored", map[string]string{"XDG_CONFIG_HOME": "rel"}, ""},
		{"os default", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Dir(func(k string) string { return tt.env[k] })
			if tt.want == "" {
				// OS default: whatever os.UserConfigDir says, plus "webex".
				base, uerr := os.UserConfigDir()
				if uerr != nil {
					if err == nil {
						t.Fatalf("Dir() = %q, want an error like os.UserConfigDir's", got)
					}
					return
				}
				if want := filepath.Join(base, "webex"); got != want || err != nil {
					t.Fatalf("Dir() = %q, %v; want %q", got, err, want)
				}
				return
			}
			if got != tt.want || err != nil {
				t.Fatalf("Dir() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"default", true},
		{"work-2", true},
		{"a", true},
		{"A_b.c-9", true},
		{strings.Repeat("x", 64), true},
		{strings.Repeat("x", 65), false},
		{"", false},
		{".", false},
		{"..", false},
		{".hidden", false},
		{"-flag", false},
		{"_x", false},
		{"a/b", false},
		{`a\b`, false},
		{"../etc", false},
		{"a b", false},
		{"é", false},
		{"a\x00", false},
		{"con", false},
		{"NUL.x", false},
		{"com1", false},
		{"console", true},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), fmt.Sprintf("invalid profile name %q: ", tt.name)) {
			t.Errorf("ValidateName(%q) error %q does not name the profile", tt.name, err)
		}
	}
}

func sampleProfile() *Profile {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return &Profile{
		Name:            "work",
		Provider:        ProviderWebex,
		BaseURL:         "http://127.0.0.1:8080/v1",
		ClientID:        "C123",
		Scopes:          []string{"openid", "email", "profile"},
		RedirectURI:     "http://127.0.0.1:8085/callback",
		Storage:         StorageKeyring,
		Flow:            FlowBrowser,
		IssuerAllow:     []string{"https://idbroker-b-us.webex.com/idb"},
		Subject:         "sub-1",
		Email:           "user@example.com",
		DisplayName:     "A User",
		TokenType:       "Bearer",
		AccessIssuedAt:  t0,
		AccessExpiry:    t0.Add(14 * 24 * time.Hour),
		RefreshExpiry:   t0.Add(90 * 24 * time.Hour),
		IDTokenExpiry:   t0.Add(12 * time.Hour),
		HasRefreshToken: true,
		HasIDToken:      true,
		GrantedScopes:   []string{"openid", "email"},
		UpdatedAt:       t0,
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	c := Open(filepath.Join(t.TempDir(), "cfg"))
	p := sampleProfile()
	if err := c.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("Load = %+v\nwant %+v", got, p)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, c.ProfilePath("work"), 0o600)
		assertMode(t, filepath.Join(c.Dir(), "profiles"), 0o700|os.ModeDir)
		assertMode(t, c.Dir(), 0o700|os.ModeDir)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Join(c.Dir(), "profiles"))
	if len(entries) != 1 {
		t.Fatalf("profiles dir has %d entries, want 1", len(entries))
	}
}

func TestZeroTimesOmitted(t *testing.T) {
	c := Open(t.TempDir())
	if err := c.Save(&Profile{Name: "p", Provider: ProviderOIDC, Issuer: "https://id.example"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(c.ProfilePath("p"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "0001-01-01") || strings.Contains(string(data), "expiry") {
		t.Fatalf("zero times written: %s", data)
	}
	got, err := c.Load("p")
	if err != nil {
		t.Fatal(err)
	}
	if !got.AccessExpiry.IsZero() || !got.UpdatedAt.IsZero() {
		t.Fatalf("zero times not zero after load: %+v", got)
	}
}

func TestSaveFixesLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits on Windows")
	}
	c := Open(t.TempDir())
	if err := os.MkdirAll(filepath.Join(c.Dir(), "profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(c.Dir(), "profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(&Profile{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	assertMode(t, filepath.Join(c.Dir(), "profiles"), 0o700|os.ModeDir)
	assertMode(t, c.ProfilePath("p"), 0o600)
}

func TestLoadErrors(t *testing.T) {
	c := Open(t.TempDir())
	if _, err := c.Load("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load(missing) = %v, want ErrNotFound", err)
	}
	if _, err := c.Load("../x"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Load(../x) = %v, want invalid name", err)
	}
	if err := os.MkdirAll(filepath.Join(c.Dir(), "profiles"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, content string
	}{
		{"empty", ""},
		{"garbage", "QUOTED"},
		{"syntax", `{"client_id":"x" QUOTED}`},
		{"truncated", `{"name":"x","provider":"webex"`},
		{"array", `[]`},
		{"null", `null`},
		{"trailing", `{} {}`},
		{"badtime", `{"access_expiry":"QUOTED"}`},
		{"badprovider", `{"provider":"facebook"}`},
		{"badstorage", `{"storage":"cloud"}`},
		{"wrongtype", `{"scopes":"openid"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := c.ProfilePath(tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := c.Load(tt.name)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want *CorruptError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q should be one line naming %s", msg, path)
			}
			// The file's content is not quoted, not even one character of it.
			if strings.Contains(msg, "QUOTED") || strings.Contains(msg, "'Q'") {
				t.Errorf("error %q quotes the file's content", msg)
			}
		})
	}
}

func TestLoadIgnoresUnknownFieldsAndUsesFileName(t *testing.T) {
	c := Open(t.TempDir())
	if err := os.MkdirAll(filepath.Join(c.Dir(), "profiles"), 0o700); err != nil {
		t.Fatal(err)
	}
	content := `{"name":"other","provider":"webex-gov","future_field":{"a":1},"client_id":"C"}`
	if err := os.WriteFile(c.ProfilePath("gov"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := c.Load("gov")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "gov" || p.Provider != ProviderWebexGov || p.ClientID != "C" {
		t.Fatalf("Load = %+v", p)
	}
}

func TestSaveRejects(t *testing.T) {
	c := Open(t.TempDir())
	for _, p := range []*Profile{nil, {Name: ""}, {Name: "a/b"}, {Name: "ok", Provider: "x"}, {Name: "ok", Storage: "x"}} {
		if err := c.Save(p); err == nil {
			t.Errorf("Save(%+v) succeeded", p)
		}
	}
}

func TestListDeleteDefault(t *testing.T) {
	c := Open(filepath.Join(t.TempDir(), "new"))
	if ps, err := c.List(); err != nil || len(ps) != 0 {
		t.Fatalf("List on missing dir = %v, %v", ps, err)
	}
	if d, err := c.Default(); err != nil || d != DefaultProfile {
		t.Fatalf("Default = %q, %v; want %q", d, err, DefaultProfile)
	}
	for _, n := range []string{"zeta", "alpha", "default", "mid"} {
		if err := c.Save(&Profile{Name: n, Provider: ProviderWebex}); err != nil {
			t.Fatal(err)
		}
	}
	// A stray temporary file and a corrupt profile.
	_ = os.WriteFile(filepath.Join(c.Dir(), "profiles", ".mid.json.tmp-123"), []byte("x"), 0o600)
	_ = os.WriteFile(c.ProfilePath("broken"), []byte("{"), 0o600)

	ps, err := c.List()
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "broken.json") {
		t.Fatalf("List error = %v, want a CorruptError naming broken.json", err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if want := []string{"alpha", "default", "mid", "zeta"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("List names = %v, want %v", names, want)
	}

	if err := c.Delete("mid"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("mid"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v, want ErrNotFound", err)
	}
	if _, err := c.Load("mid"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete = %v", err)
	}

	if err := c.SetDefault("zeta"); err != nil {
		t.Fatal(err)
	}
	if d, err := c.Default(); err != nil || d != "zeta" {
		t.Fatalf("Default = %q, %v", d, err)
	}
	if err := c.SetDefault("../zeta"); err == nil {
		t.Fatal("SetDefault accepted a bad name")
	}
	if runtime.GOOS != "windows" {
		assertMode(t, filepath.Join(c.Dir(), "default-profile"), 0o600)
	}
	_ = os.WriteFile(filepath.Join(c.Dir(), "default-profile"), []byte("../../etc\n"), 0o600)
	if _, err := c.Default(); !errors.As(err, &ce) {
		t.Fatalf("Default with a bad file = %v, want CorruptError", err)
	}
}

func TestClearDefault(t *testing.T) {
	c := Open(filepath.Join(t.TempDir(), "cfg"))
	// Nothing to clear: no config folder at all, then no default-profile file.
	if err := c.ClearDefault(); err != nil {
		t.Fatalf("ClearDefault with no config folder = %v", err)
	}
	if err := c.SetDefault("work"); err != nil {
		t.Fatal(err)
	}
	if d, err := c.Default(); err != nil || d != "work" {
		t.Fatalf("Default = %q, %v; want work", d, err)
	}
	if err := c.ClearDefault(); err != nil {
		t.Fatalf("ClearDefault = %v", err)
	}
	if d, err := c.Default(); err != nil || d != DefaultProfile {
		t.Fatalf("Default after ClearDefault = %q, %v; want %q", d, err, DefaultProfile)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), "default-profile")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("default-profile still there: %v", err)
	}
	if err := c.ClearDefault(); err != nil {
		t.Fatalf("second ClearDefault = %v", err)
	}
	// An empty name stays a usage error of SetDefault.
	if err := c.SetDefault(""); err == nil {
		t.Error("SetDefault(\"\") succeeded")
	}
}

func TestStorageKind(t *testing.T) {
	for _, tc := range []struct{ storage, want string }{
		{"", StorageKeyring},
		{StorageKeyring, StorageKeyring},
		{StorageFile, StorageFile},
	} {
		if got := (&Profile{Storage: tc.storage}).StorageKind(); got != tc.want {
			t.Errorf("StorageKind(%q) = %q, want %q", tc.storage, got, tc.want)
		}
	}
}

func TestBinding(t *testing.T) {
	base := Profile{Name: "work", Provider: ProviderOIDC, Issuer: "https://id.example", BaseURL: "", ClientID: "client"}
	b := base.Binding()
	if len(b) != 64 || strings.Trim(b, "0123456789abcdef") != "" {
		t.Fatalf("Binding = %q, want 64 lowercase hex digits", b)
	}
	// What does not identify the login does not change the binding.
	same := base
	same.Name, same.Scopes, same.Storage, same.Subject = "other", []string{"openid"}, StorageFile, "sub"
	same.AccessExpiry, same.HasRefreshToken = time.Now(), true
	if same.Binding() != b {
		t.Error("the binding depends on fields other than provider, issuer, base URL and client id")
	}
	if (&Profile{}).Binding() != (&Profile{Provider: ProviderWebex}).Binding() {
		t.Error("an empty provider (webex) binds differently from \"webex\"")
	}
	// Each identifying field changes it, and no shift of text between fields collides.
	variants := []Profile{
		{Provider: ProviderWebexGov, Issuer: base.Issuer, ClientID: base.ClientID},
		{Provider: ProviderOIDC, Issuer: "https://id2.example", ClientID: base.ClientID},
		{Provider: ProviderOIDC, Issuer: base.Issuer, BaseURL: "http://127.0.0.1:1/v1", ClientID: base.ClientID},
		{Provider: ProviderOIDC, Issuer: base.Issuer, ClientID: "client2"},
		{Provider: ProviderOIDC, Issuer: base.Issuer + "\x00", ClientID: base.ClientID},
		{Provider: ProviderOIDC, Issuer: base.Issuer, BaseURL: "client"},
		{Provider: ProviderOIDC, Issuer: base.Issuer + "\x001:x", ClientID: base.ClientID},
	}
	seen := map[string]int{b: -1}
	for i, v := range variants {
		got := v.Binding()
		if j, ok := seen[got]; ok {
			t.Errorf("variant %d binds like %d", i, j)
		}
		seen[got] = i
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}
