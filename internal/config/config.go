// Package config owns the non-secret settings and metadata of each profile: its provider,
// client id, scopes, redirect URI, where its secrets live, who signed in and when its tokens
// expire; also the config directory and the default profile's name. All of it is readable
// without the OS keyring, so `webex status` and the hot path of `webex token` cost a small file
// read or two. It never holds a token or client secret: those belong to package tokenstore.
//
// Layout under the config directory (see [Dir]), written through package privatefile:
//
//	<dir>/profiles/<name>.json   one Profile per file, mode 0600
//	<dir>/default-profile        the name of the default profile, mode 0600
package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	// FlowToken is a token given as it is (`webex login --with-token`): a Webex bot or
	// personal access token, with no refresh token and an unknown expiry.
	FlowToken = "token"
)

// DefaultProfile is the profile used when none is given or set with [Config.SetDefault].
const DefaultProfile = "default"

// maxFileSize bounds every file this package reads; a profile is well under a kilobyte.
const maxFileSize = 1 << 20

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
	switch p.Provider {
	case "", ProviderWebex, ProviderWebexGov, ProviderOIDC:
	default:
		return fmt.Errorf("profile %q: unknown provider %q (want %s, %s or %s)",
			p.Name, p.Provider, ProviderWebex, ProviderWebexGov, ProviderOIDC)
	}
	switch p.Storage {
	case "", StorageKeyring, StorageFile:
	default:
		return fmt.Errorf("profile %q: unknown storage %q (want %s or %s)",
			p.Name, p.Storage, StorageKeyring, StorageFile)
	}
	return nil
}

// StorageKind is where the profile's secrets live: p.Storage, by default StorageKeyring.
func (p *Profile) StorageKind() string { return cmp.Or(p.Storage, StorageKeyring) }

// Binding identifies the login the profile's secrets were issued to: the hex SHA-256 of the
// provider kind (empty counts as ProviderWebex), issuer, base URL and client id, each
// length-prefixed so that no two profiles collide. A login stores it with the secrets
// (tokenstore.Secrets.Binding), so that secrets of other settings (a crash between saving the
// secrets and the profile) are never sent to another provider or client. Scopes, storage and
// token metadata may change without a new login, so they do not count.
func (p *Profile) Binding() string {
	h := sha256.New()
	io.WriteString(h, "webex-binding-v1")
	for _, f := range []string{cmp.Or(p.Provider, ProviderWebex), p.Issuer, p.BaseURL, p.ClientID} {
		fmt.Fprintf(h, "\x00%d:%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// InvalidNameError is returned for a profile name that ValidateName rejects.
type InvalidNameError struct {
	Name   string
	Reason string
}

func (e *InvalidNameError) Error() string {
	return fmt.Sprintf("invalid profile name %q: %s", e.Name, e.Reason)
}

// ValidateName checks a profile name: 1 to 64 ASCII letters, digits, '-', '_' or '.',
// starting with a letter or digit (so never "..", a hidden file or a flag), and no device name
// Windows reserves (CON, NUL, COM1, ...). Names become file and keyring item names, so this is
// the only gate against path tricks.
func ValidateName(name string) error {
	if name == "" {
		return &InvalidNameError{Name: name, Reason: "it is empty"}
	}
	if len(name) > 64 {
		return &InvalidNameError{Name: name, Reason: "it is longer than 64 characters"}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return &InvalidNameError{Name: name, Reason: "it must start with a letter or digit"}
		}
		if !alnum && c != '-' && c != '_' && c != '.' {
			return &InvalidNameError{Name: name, Reason: "use only letters, digits, '-', '_' and '.'"}
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
		return &InvalidNameError{Name: name, Reason: "it is a reserved device name on Windows"}
	}
	return nil
}

// Dir returns the config directory: $WEBEX_CONFIG_DIR, else $XDG_CONFIG_HOME/webex (when it
// is absolute, as the XDG Base Directory spec requires), else os.UserConfigDir()/webex. nil
// getenv means os.Getenv. Dir creates nothing.
func Dir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
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

// Config is the settings store over one config directory. It holds only the path, so it is
// safe for concurrent use; concurrent Saves of one profile are last-writer-wins (each file is
// replaced atomically, never torn). Open creates or reads nothing.
type Config struct {
	dir string
}

// Open returns the store over dir (usually the result of [Dir]).
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

// Load reads the settings of profile name: a missing file is an error wrapping ErrNotFound, an
// unreadable or corrupt one a *CorruptError. The file name is authoritative for Name.
func (c *Config) Load(name string) (*Profile, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	path := c.ProfilePath(name)
	data, err := privatefile.Read(path, maxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading profile %q: %w", name, err)
	}
	p, err := parseProfile(data)
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	p.Name = name
	if err := p.Validate(); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return p, nil
}

// parseProfile decodes a profile file with privatefile.DecodeObject, which accepts unknown
// fields (written by newer versions) and never quotes the file in an error.
func parseProfile(data []byte) (*Profile, error) {
	var p Profile
	if err := privatefile.DecodeObject(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Save writes p atomically to its file with mode 0600, creating the
// directories (0700) as needed. p.Name must be valid; see Profile.Validate.
func (c *Config) Save(p *Profile) error {
	if p == nil {
		return errors.New("saving profile: nil profile")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding profile %q: %w", p.Name, err)
	}
	data = append(data, '\n')
	if err := c.mkdirs(); err != nil {
		return err
	}
	if err := privatefile.WriteAtomic(c.ProfilePath(p.Name), data); err != nil {
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

// List returns every profile, sorted by name (none without a config directory). A bad file does
// not hide the others: List returns what it could read and an error joining one per bad file.
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
// DefaultProfile. Whether it exists, WEBEX_PROFILE and --profile are the caller's concern.
func (c *Config) Default() (string, error) {
	path := c.defaultPath()
	data, err := privatefile.Read(path, maxFileSize)
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
	if err := c.mkdirs(); err != nil {
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

// mkdirs creates <dir> and <dir>/profiles with mode 0700 and tightens the latter. The config
// dir is never chmod'ed: WEBEX_CONFIG_DIR may name a folder the user shares on purpose.
func (c *Config) mkdirs() error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("creating the config directory: %w", err)
	}
	return privatefile.EnsureDir(filepath.Join(c.dir, "profiles"))
}
