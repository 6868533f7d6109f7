package emulator

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"math/big"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Errors returned by ApproveDevice and DenyDevice.
var (
	ErrUnknownUserCode = errors.New("emulator: no pending device code has this user code")
	ErrUnknownUser     = errors.New("emulator: no such user")
	ErrDeviceExpired   = errors.New("emulator: the device code has expired")
	ErrDeviceDecided   = errors.New("emulator: the device code was already approved or denied")
)

// Stats counts what the server has done, for tests. Grant counters count tokens issued.
type Stats struct {
	AuthorizeRequests       int // GET /v1/authorize requests that reached the sign-in page or auto approval
	CodesIssued             int // authorization codes handed out (page approval or auto mode)
	AuthorizeDenials        int // sign-ins denied on the page
	AuthorizationCodeGrants int // successful grant_type=authorization_code exchanges
	RefreshTokenGrants      int // successful grant_type=refresh_token exchanges
	DeviceCodeGrants        int // device codes exchanged for tokens
	TokenErrors             int // /v1/access_token answers that were errors
	DeviceAuthorizations    int // device codes issued
	DevicePolls             int // POST /v1/device/token requests that named a known device code
	DevicePending           int // 428 answers
	DeviceSlowDowns         int // 400 slow_down answers
	DeviceRateLimited       int // 429 answers
	DeviceApprovals         int // device codes approved (page, auto mode or ApproveDevice)
	DeviceDenials           int // device codes denied
	UserInfoRequests        int // successful GET /v1/userinfo
	PeopleMeRequests        int // successful GET /v1/people/me
	JWKSRequests            int // GET /v1/verification, stale answers included
	APIRequests             int // requests to the REST API (people, rooms, messages, people/me)
	APIRateLimited          int // REST requests answered 429 (every RateLimitEvery-th)
}

// Server is a Login-with-Webex emulator. Create it with New; serve it with Start or mount
// Handler. All state is in memory and guarded by one mutex; expired entries are pruned.
type Server struct {
	cfg       Config
	users     []*user
	keys      []*rsa.PrivateKey
	signer    jose.Signer
	jwks      []byte
	staleJWKS []byte // jwks without the signing key (Config.StaleJWKS)
	hashKey   []byte // HMAC key for the verification_uri_complete user code hash
	pages     *template.Template
	handler   http.Handler
	endpoints map[string]endpoint

	mu        sync.Mutex
	codes     map[string]*authCode     // authorization code -> grant
	access    map[string]*accessToken  // access token -> grant
	refresh   map[string]*refreshToken // refresh token -> grant
	devices   map[string]*deviceGrant  // device_code -> grant
	userCodes map[string]string        // user_code -> device_code
	hashCodes map[string]string        // hash of user_code -> device_code
	forms     map[string]*pendingForm  // csrf_token -> form waiting for a decision
	// wrongCodes counts, per client address, the user codes entered on the device page that
	// match no device code.
	wrongCodes map[string]*attempts
	api        restState
	stats      Stats
	lastPrune  time.Time
	inserts    int
	httpSrv    *http.Server
	// root is http://HOST:PORT once started. When the listen address is unspecified (0.0.0.0,
	// ::), rootFromHost is set: URLs handed out are built from each request's Host, and root
	// (a loopback address with the port) is only the fallback.
	root         string
	rootFromHost bool
}

// attempts counts events in a window that started at start.
type attempts struct {
	start time.Time
	n     int
}

// grant is what a person approved: who, for which client, which scopes and when.
type grant struct {
	user     *user
	clientID string
	scopes   []string
	authTime time.Time
}

type authCode struct {
	grant
	redirectURI     string
	nonce           string
	challenge       string
	challengeMethod string
	expires         time.Time
}

type accessToken struct {
	grant
	expires time.Time
}

type refreshToken struct {
	grant
	expires time.Time
}

type deviceStatus int

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
)

type deviceGrant struct {
	deviceCode string
	userCode   string
	hash       string
	clientID   string
	scopes     []string
	created    time.Time
	expires    time.Time
	status     deviceStatus
	user       *user
	decided    time.Time
	polls      int
}

type formKind int

const (
	formAuthorize formKind = iota
	formDevice
)

type pendingForm struct {
	kind       formKind
	auth       *authRequest // formAuthorize
	deviceCode string       // formDevice
	expires    time.Time
}

// New returns a Server for cfg (see Config for the defaults). It generates the signing keys
// unless cfg.Keys has some.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		hashKey:   randomBytes(32),
		codes:     map[string]*authCode{},
		access:    map[string]*accessToken{},
		refresh:   map[string]*refreshToken{},
		devices:   map[string]*deviceGrant{},
		userCodes: map[string]string{},
		hashCodes: map[string]string{},
		forms:     map[string]*pendingForm{},

		wrongCodes: map[string]*attempts{},
	}
	for i, email := range cfg.Users {
		s.users = append(s.users, newUser(email, i))
	}
	if err := s.initKeys(); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("emulator: pages: %w", err)
	}
	s.endpoints = s.routes()
	s.handler = s.middleware(s.route)
	return s, nil
}

// ClientID returns the registered integration's client id.
func (s *Server) ClientID() string { return s.cfg.ClientID }

// ClientSecret returns the registered integration's client secret.
func (s *Server) ClientSecret() string { return s.cfg.ClientSecret }

// Users returns the e-mail addresses that can sign in, in page order.
func (s *Server) Users() []string { return append([]string(nil), s.cfg.Users...) }

// Handler serves /v1/... (the API and the sign-in page), /verify (the device page) and an
// index page at /. Absolute URLs it hands out (discovery, verification_uri) use the request's
// Host until Start is called, and the listener's address after, except when Start listens on
// an unspecified address (0.0.0.0, ::): then they keep using the request's Host (host[:port]
// only; anything else falls back to the loopback address of the listener), so that a phone
// that reached the emulator by the machine's LAN address is sent back to that address.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on addr (default "127.0.0.1:0", a free port; only IPv4 loopback addresses are
// accepted unless Config.AllowNonLoopback is set), serves Handler in the background and
// returns the API base URL "http://HOST:PORT/v1". When addr's host is unspecified (0.0.0.0 or
// ::), HOST is the loopback address of the same family (127.0.0.1 or [::1]), which reaches the
// listener from this machine; see Handler for the URLs handed to other machines. The server
// has read and write timeouts of 30s, an idle timeout of 120s and a header timeout of 10s.
// Stop the server with Close or Shutdown.
func (s *Server) Start(addr string) (baseURL string, err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); !s.cfg.AllowNonLoopback && (ip == nil || ip.To4() == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("emulator: listen address %q is not an IPv4 loopback address such as 127.0.0.1", addr)
	}
	s.mu.Lock()
	started := s.httpSrv != nil
	s.mu.Unlock()
	if started {
		return "", errors.New("emulator: server already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	s.mu.Lock()
	if s.httpSrv != nil {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("emulator: server already started")
	}
	s.httpSrv = srv
	s.root, s.rootFromHost = listenRoot(ln.Addr())
	root := s.root
	s.mu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed after Close/Shutdown
	return root + "/v1", nil
}

// BaseURL returns the API base URL once Start has succeeded, else "".
func (s *Server) BaseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.root == "" {
		return ""
	}
	return s.root + "/v1"
}

// Close stops a started server at once. It is a no-op when Start was not called.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("emulator: close: %w", err)
	}
	return nil
}

// Shutdown stops a started server gracefully (see http.Server.Shutdown). It is a no-op when
// Start was not called.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("emulator: shutdown: %w", err)
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ApproveDevice approves the pending device code with this six-digit user code, as email
// would on the device page (email "" means the first user). It returns ErrUnknownUserCode,
// ErrUnknownUser, ErrDeviceExpired or ErrDeviceDecided.
func (s *Server) ApproveDevice(userCode, email string) error {
	u := s.firstUser()
	if email != "" {
		if u = s.findUser(email); u == nil {
			return ErrUnknownUser
		}
	}
	return s.decideDevice(userCode, u, true)
}

// PendingUserCodes returns the user codes of the device codes that wait for a decision and
// have not expired, sorted, so a test can approve or deny a login it did not start itself.
func (s *Server) PendingUserCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	var out []string
	for _, d := range s.devices {
		if d.status == devicePending && now.Before(d.expires) {
			out = append(out, d.userCode)
		}
	}
	sort.Strings(out)
	return out
}

// DenyDevice denies the pending device code with this user code, as the device page's Deny
// button would. Errors as for ApproveDevice.
func (s *Server) DenyDevice(userCode string) error {
	return s.decideDevice(userCode, nil, false)
}

func (s *Server) decideDevice(userCode string, u *user, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.devices[s.userCodes[normalizeUserCode(userCode)]]
	if d == nil {
		return ErrUnknownUserCode
	}
	return s.decideLocked(d, u, approve, s.cfg.Now())
}

// decideLocked records a decision on d. s.mu must be held.
func (s *Server) decideLocked(d *deviceGrant, u *user, approve bool, now time.Time) error {
	if !now.Before(d.expires) {
		return ErrDeviceExpired
	}
	if d.status != devicePending {
		return ErrDeviceDecided
	}
	d.decided = now
	if approve {
		d.status, d.user = deviceApproved, u
		s.stats.DeviceApprovals++
	} else {
		d.status = deviceDenied
		s.stats.DeviceDenials++
	}
	return nil
}

func (s *Server) firstUser() *user { return s.users[0] }

func (s *Server) findUser(email string) *user {
	for _, u := range s.users {
		if strings.EqualFold(u.email, email) {
			return u
		}
	}
	return nil
}

// listenRoot returns the root URL for a listener's address, and whether URLs should rather be
// built from each request's Host because the address is unspecified (0.0.0.0 or ::), which
// no client can dial; the root returned then is the loopback address of the same family.
func listenRoot(addr net.Addr) (root string, fromHost bool) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return "http://" + addr.String(), false
	}
	host := "127.0.0.1"
	if ta.IP.To4() == nil {
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(ta.Port)), true
}

// rootURL is the scheme://host the server is reachable at (see Handler).
func (s *Server) rootURL(r *http.Request) string {
	s.mu.Lock()
	root, fromHost := s.root, s.rootFromHost
	s.mu.Unlock()
	if root != "" && !fromHost {
		return root
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if validHostPort(r.Host) {
		return scheme + "://" + r.Host
	}
	if root != "" {
		return root
	}
	return scheme + "://127.0.0.1"
}

// validHostPort reports whether h is a host name, an IPv4 address or a bracketed IPv6 address,
// optionally followed by :PORT, and nothing else (no user info, path, query or spaces).
func validHostPort(h string) bool {
	if h == "" || len(h) > 262 {
		return false
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		ip := net.ParseIP(h[1:end])
		if ip == nil || ip.To4() != nil {
			return false
		}
		rest := h[end+1:]
		if rest == "" {
			return true
		}
		p, ok := strings.CutPrefix(rest, ":")
		return ok && validPort(p)
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		host, port = h[:i], h[i+1:]
		if !validPort(port) {
			return false
		}
	}
	if host == "" || len(host) > 253 || host[0] == '-' || host[0] == '.' {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n <= 65535 && strconv.Itoa(n) == p
}

// roomLocked reports whether a table that now holds size() entries may take one more:
// below Config.MaxPending, or below it once expired entries are pruned. s.mu must be held.
func (s *Server) roomLocked(size func() int, now time.Time) bool {
	if size() < s.cfg.MaxPending {
		return true
	}
	s.pruneLocked(now)
	return size() < s.cfg.MaxPending
}

// writeBusy answers 503 with the Webex envelope when a table is full.
func writeBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(busyRetryAfter/time.Second)))
	writeEnvelope(w, http.StatusServiceUnavailable, "Service Unavailable",
		"The emulator holds too many pending requests. Try again later.")
}

// clientAddr is the IP address of the request's peer (proxies' headers are not trusted).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// codeGuessAllowed reports whether the client at addr may look up another user code: it has
// entered fewer than maxWrongCodes wrong codes in the current window, and the table of
// addresses has room for it.
func (s *Server) codeGuessAllowed(addr string, now time.Time) (ok bool, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.wrongCodes[addr]
	if a != nil && now.Sub(a.start) < wrongCodeWindow {
		if a.n >= maxWrongCodes {
			return false, a.start.Add(wrongCodeWindow).Sub(now)
		}
		return true, 0
	}
	if a == nil && !s.roomLocked(func() int { return len(s.wrongCodes) }, now) {
		return false, wrongCodeWindow
	}
	return true, 0
}

// noteWrongCode counts a user code from addr that matched no device code.
func (s *Server) noteWrongCode(addr string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.wrongCodes[addr]
	if a == nil || now.Sub(a.start) >= wrongCodeWindow {
		a = &attempts{start: now}
		s.wrongCodes[addr] = a
	}
	a.n++
}

// userCodeHash is the 64-hex identifier of a user code in verification_uri_complete.
func (s *Server) userCodeHash(userCode string) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(userCode))
	return hex.EncodeToString(m.Sum(nil))
}

// noteInsertLocked prunes expired state now and then. s.mu must be held.
func (s *Server) noteInsertLocked(now time.Time) {
	s.inserts++
	if s.inserts < 256 && now.Sub(s.lastPrune) < time.Minute {
		return
	}
	s.pruneLocked(now)
}

// pruneLocked drops every expired entry. s.mu must be held.
func (s *Server) pruneLocked(now time.Time) {
	s.inserts, s.lastPrune = 0, now
	maps.DeleteFunc(s.wrongCodes, func(_ string, a *attempts) bool { return now.Sub(a.start) >= wrongCodeWindow })
	maps.DeleteFunc(s.codes, func(_ string, v *authCode) bool { return !now.Before(v.expires) })
	maps.DeleteFunc(s.access, func(_ string, v *accessToken) bool { return !now.Before(v.expires) })
	maps.DeleteFunc(s.refresh, func(_ string, v *refreshToken) bool { return !now.Before(v.expires) })
	maps.DeleteFunc(s.forms, func(_ string, v *pendingForm) bool { return !now.Before(v.expires) })
	for k, d := range s.devices {
		if now.After(d.expires.Add(deviceGrace)) {
			s.dropDeviceLocked(k)
		}
	}
}

func (s *Server) dropDeviceLocked(deviceCode string) {
	d := s.devices[deviceCode]
	if d == nil {
		return
	}
	delete(s.devices, deviceCode)
	if s.userCodes[d.userCode] == deviceCode {
		delete(s.userCodes, d.userCode)
	}
	if s.hashCodes[d.hash] == deviceCode {
		delete(s.hashCodes, d.hash)
	}
}

// --- randomness ---

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// randomToken returns n random bytes, base64url-encoded without padding.
func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

func newUUID() string { return formatUUID(randomBytes(16)) }

// formatUUID formats 16 bytes as an RFC 9562 version 4 UUID.
func formatUUID(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sixDigits returns a random six-digit user code.
func sixDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // unreachable: crypto/rand.Reader does not fail
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// normalizeUserCode drops the spaces and dashes people type inside a user code.
func normalizeUserCode(c string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, c)
}
