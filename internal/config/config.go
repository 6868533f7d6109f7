// Package config owns the non-secret settings of each profile (provider, client, scopes, where
// its secrets live, who signed in, when its tokens expire), the config directory and the
// default profile's name, all readable without the OS keyring. Secrets belong to package
// tokenstore. Layout under the config directory, written through package privatefile:
//
//	<dir>/profiles/<name>.json   one Profile per file, mode 0600
//	<dir>/default-profile        the name of the default profile, mode 0600
package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/webex-cli/webex/internal/privatefile"
)

// Provider kinds stored in [Profile.Provider].
const (
	ProviderWebex    = "webex"     // Webex commercial, API base https://webexapis.com/v1
	ProviderWebexGov = "webex-gov" // Webex for Government, API base https://api-usgov.webex.com/v1
	ProviderOIDC     = "oidc"      // any OpenID provider, by discovery from Profile.Issuer
)

// Storage kinds stored in [Profile.Storage].
const (
	StorageKeyring = "keyring" // the OS keyring (default)
	StorageFile    = "file"    // a 0600 JSON file under <dir>/tokens
)

// Login flows stored in [Profile.Flow].
const (
	FlowBrowser = "browser" // authorization code + PKCE through a loopback redirect (RFC 8252)
	FlowDevice  = "device"  // device authorization grant (RFC 8628)
	FlowToken   = "token"   // a token given as it is (`webex login --with-token`), without refresh
)

// DefaultProfile is the profile used when none is given or set with [Config.SetDefault].
const DefaultProfile = "default"

// ErrNotFound is wrapped by [Config.Load] and [Config.Delete] for a profile without a file.
var ErrNotFound = errors.New("profile not found")

// Profile is one login: a provider, a client, scopes, and metadata about the tokens it got.
// Secrets are not part of it. Zero times mean "unknown" and are omitted from the file.
type Profile struct {
	Name        string   `json:"name"`                   // also the file name; see ValidateName
	Provider    string   `json:"provider"`               // ProviderWebex, ProviderWebexGov or ProviderOIDC
	Issuer      string   `json:"issuer,omitempty"`       // the OpenID issuer URL (ProviderOIDC)
	BaseURL     string   `json:"base_url,omitempty"`     // replaces the Webex API base (proxies, tests, the emulator)
	ClientID    string   `json:"client_id,omitempty"`    // the OAuth client (integration) id
	Scopes      []string `json:"scopes,omitempty"`       // the scopes requested at login
	RedirectURI string   `json:"redirect_uri,omitempty"` // the loopback redirect URI of the browser flow
	Storage     string   `json:"storage,omitempty"`      // StorageKeyring or StorageFile
	Flow        string   `json:"flow,omitempty"`         // the login flow last used: FlowBrowser, FlowDevice or FlowToken
	// IssuerAllow lists extra accepted "iss" values (or patterns, as package provider defines
	// them) for webex-gov.
	IssuerAllow []string `json:"issuer_allow,omitempty"`

	Subject     string `json:"subject,omitempty"`      // the "sub" of the signed-in user
	Email       string `json:"email,omitempty"`        // the user's e-mail address, when known
	DisplayName string `json:"display_name,omitempty"` // the user's display name, when known
	// UserType is Webex's type of the account ("person" or "bot"), when known: a token login
	// learns it from /people/me.
	UserType string `json:"user_type,omitempty"`

	TokenType string `json:"token_type,omitempty"` // the token_type of the last token response
	// AccessIssuedAt is when the current access token was obtained; with AccessExpiry it gives
	// the token's whole lifetime.
	AccessIssuedAt  time.Time `json:"access_issued_at,omitzero"`
	AccessExpiry    time.Time `json:"access_expiry,omitzero"`
	RefreshExpiry   time.Time `json:"refresh_expiry,omitzero"`
	IDTokenExpiry   time.Time `json:"id_token_expiry,omitzero"` // the "exp" of the stored ID token
	HasRefreshToken bool      `json:"has_refresh_token,omitempty"`
	HasIDToken      bool      `json:"has_id_token,omitempty"`
	// GrantedScopes are the "scope" of the token response, which may differ from Scopes.
	GrantedScopes []string `json:"granted_scopes,omitempty"`
	// UpdatedAt is when the profile was last saved, set by the caller with its own clock.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Validate checks the name and, when set, the provider and storage kinds.
func (p *Profile) Validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if !slices.Contains([]string{"", ProviderWebex, ProviderWebexGov, ProviderOIDC}, p.Provider) {
		return fmt.Errorf("profile %q: unknown provider %q (want %s, %s or %s)",
			p.Name, p.Provider, ProviderWebex, ProviderWebexGov, ProviderOIDC)
	}
	if !slices.Contains([]string{"", StorageKeyring, StorageFile}, p.Storage) {
		return fmt.Errorf("profile %q: unknown storage %q (want %s or %s)",
			p.Name, p.Storage, StorageKeyring, StorageFile)
	}
	return nil
}

// StorageKind is where the profile's secrets live: p.Storage, by default StorageKeyring.
func (p *Profile) StorageKind() string { return cmp.Or(p.Storage, StorageKeyring) }

// Binding identifies the login the profile's secrets were issued to: a hash of the provider
// kind, issuer, base URL and client id, stored with the secrets so that they are never sent
// to another provider or client (after a crash between saving the secrets and the profile).
func (p *Profile) Binding() string {
	h := sha256.New()
	io.WriteString(h, "webex-binding-v1")
	for _, f := range []string{cmp.Or(p.Provider, ProviderWebex), p.Issuer, p.BaseURL, p.ClientID} {
		fmt.Fprintf(h, "\x00%d:%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ValidateName checks a profile name: 1 to 64 ASCII letters, digits, '-', '_' or '.',
// starting with a letter or digit, and no device name Windows reserves. Names become file and
// keyring item names, so this is the gate against path tricks.
func ValidateName(name string) error {
	invalid := func(reason string) error { return fmt.Errorf("invalid profile name %q: %s", name, reason) }
	if name == "" {
		return invalid("it is empty")
	}
	if len(name) > 64 {
		return invalid("it is longer than 64 characters")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return invalid("it must start with a letter or digit")
		}
		if !alnum && c != '-' && c != '_' && c != '.' {
			return invalid("use only letters, digits, '-', '_' and '.'")
		}
	}
	base := strings.ToUpper(name)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return invalid("it is a reserved device name on Windows")
	}
	return nil
}

// Dir returns the config directory: $WEBEX_CONFIG_DIR, else $XDG_CONFIG_HOME/webex (when it
// is absolute, as the XDG Base Directory spec requires), else os.UserConfigDir()/webex.
func Dir(getenv func(string) string) (string, error) {
	if d := getenv("WEBEX_CONFIG_DIR"); d != "" {
		return filepath.Clean(d), nil
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "webex"), nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory (set WEBEX_CONFIG_DIR): %w", err)
	}
	return filepath.Join(base, "webex"), nil
}

// CorruptError is a file of this package that cannot be parsed; its message is one line.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("config file %s is corrupt: %v (fix or delete it, then run `webex login` again)", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Config is the settings store over one config directory, safe for concurrent use (the last
// Save of a profile wins).
type Config struct {
	dir string
}

// Open returns the store over dir; it creates or reads nothing.
func Open(dir string) *Config {
	return &Config{dir: dir}
}

// Dir returns the config directory.
func (c *Config) Dir() string { return c.dir }

// ProfilePath returns the settings file of profile name, which need not exist or be valid.
func (c *Config) ProfilePath(name string) string {
	return filepath.Join(c.dir, "profiles", name+".json")
}

func (c *Config) defaultPath() string {
	return filepath.Join(c.dir, "default-profile")
}

// Load reads the settings of profile name: a missing file is an error wrapping ErrNotFound, a
// corrupt one a *CorruptError. The file name is authoritative for Name.
func (c *Config) Load(name string) (*Profile, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	path := c.ProfilePath(name)
	data, err := privatefile.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading profile %q: %w", name, err)
	}
	p := &Profile{}
	if err := privatefile.DecodeObject(data, p); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	p.Name = name
	if err := p.Validate(); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return p, nil
}

// Save writes p to its file, which p.Validate must accept.
func (c *Config) Save(p *Profile) error {
	if p == nil {
		return errors.New("saving profile: nil profile")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := privatefile.WriteJSON(c.ProfilePath(p.Name), p); err != nil {
		return fmt.Errorf("saving profile %q: %w", p.Name, err)
	}
	return nil
}

// Delete removes the settings file of profile name (none is an error wrapping ErrNotFound). It
// leaves the default profile as it is.
func (c *Config) Delete(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	err := os.Remove(c.ProfilePath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return fmt.Errorf("deleting profile %q: %w", name, err)
	}
	return nil
}

// List returns every profile, sorted by name; a bad file does not hide the others, it adds
// its error to the joined error returned.
func (c *Config) List() ([]*Profile, error) {
	entries, err := os.ReadDir(filepath.Join(c.dir, "profiles"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing profiles: %w", err)
	}
	var (
		out  []*Profile
		errs []error
	)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() || ValidateName(name) != nil {
			continue // temporary files and strangers
		}
		p, err := c.Load(name)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// Default returns the name of the default profile: the one set with SetDefault, else
// DefaultProfile.
func (c *Config) Default() (string, error) {
	path := c.defaultPath()
	data, err := privatefile.Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultProfile, nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the default profile: %w", err)
	}
	name := strings.TrimSpace(string(data))
	if name == "" {
		return DefaultProfile, nil
	}
	if err := ValidateName(name); err != nil {
		return "", &CorruptError{Path: path, Err: err}
	}
	return name, nil
}

// SetDefault makes name, existing or not, the default profile.
func (c *Config) SetDefault(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	// Not EnsureDir(c.dir): WEBEX_CONFIG_DIR may name a folder shared on purpose, never chmod'ed.
	if err := privatefile.EnsureDir(filepath.Join(c.dir, "profiles")); err != nil {
		return err
	}
	if err := privatefile.WriteAtomic(c.defaultPath(), []byte(name+"\n")); err != nil {
		return fmt.Errorf("setting the default profile: %w", err)
	}
	return nil
}

// ClearDefault removes the choice of default profile, so that Default returns DefaultProfile
// again; nothing to remove is fine.
func (c *Config) ClearDefault() error {
	err := os.Remove(c.defaultPath())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clearing the default profile: %w", err)
	}
	return nil
}
