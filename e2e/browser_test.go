package e2e

// Helpers for the suites that drive a real headless Chromium (chromium_test.go): the gate, the
// browser, long-liveProc webex processes whose output is read while they run, and artifacts.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	// chromiumGate is the variable that turns the Chromium suites on.
	chromiumGate = "WEBEX_TEST_CHROMIUM"
	// chromiumPathEnv overrides where the Chromium binary is.
	chromiumPathEnv = "WEBEX_TEST_CHROMIUM_PATH"
	// artifactsEnv names the folder screenshots go to (default <repo>/.artifacts).
	artifactsEnv = "WEBEX_TEST_ARTIFACTS"
	// browserTestTimeout bounds one browser test from start to end.
	browserTestTimeout = 60 * time.Second
)

// chromiumPath returns the Chromium binary to drive. Without WEBEX_TEST_CHROMIUM=1 it skips the
// test; with it, a missing browser fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv(chromiumGate) != "1" {
		t.Skipf("headless Chromium tests are off; set %s=1 to run them (Chromium at /usr/bin/chromium or $%s)", chromiumGate, chromiumPathEnv)
	}
	if p := os.Getenv(chromiumPathEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=1 but %s=%s is not usable: %v", chromiumGate, chromiumPathEnv, p, err)
		}
		return p
	}
	const def = "/usr/bin/chromium"
	if _, err := os.Stat(def); err == nil {
		return def
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatalf("%s=1 but Chromium is not installed: no %s and no chromium on PATH (install the Debian package chromium or set %s)", chromiumGate, def, chromiumPathEnv)
	return ""
}

// chromeTab is one headless Chromium with one tab, stopped when the test ends.
type chromeTab struct {
	t   *testing.T
	ctx context.Context // the tab's chromedp context
	out *lockedBuf      // Chromium's own stdout and stderr
}

// newChromeTab starts Chromium under ctx (whose deadline bounds the browser's life) with a fresh
// profile in a temporary folder. The flags keep it off the network: no background requests,
// component updates, sync or QUIC, so that it only ever talks to the hosts a test opens.
func newChromeTab(t *testing.T, ctx context.Context, execPath string) *chromeTab {
	t.Helper()
	out := &lockedBuf{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests may run as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.WindowSize(1024, 768),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	b := &chromeTab{t: t, ctx: tabCtx, out: out}
	t.Cleanup(func() {
		// Closes the tab, then stops the Chromium process this test started and waits for it,
		// before t.TempDir removes the profile folder.
		cancelTab()
		cancelAlloc()
		if t.Failed() && out.Len() > 0 {
			t.Logf("chromium output:\n%s", lastBytes(out.String(), 4000))
		}
	})
	// The first Run starts the browser.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("starting Chromium (%s): %v\n%s", execPath, err, lastBytes(out.String(), 4000))
	}
	return b
}

// do runs actions in the tab, failing the test on error.
func (b *chromeTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v (page: %s)", what, err, b.describe())
	}
}

// text returns the visible text of the element sel.
func (b *chromeTab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: reading the text of %s: %v (page: %s)", sel, err, b.describe())
	}
	return s
}

// title returns the document title.
func (b *chromeTab) title() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Title())
	if err != nil {
		b.t.Fatalf("browser: reading the title: %v", err)
	}
	return s
}

// location returns the address the tab shows, or "" while the page is between documents.
func (b *chromeTab) location() string {
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return ""
	}
	return s
}

// describe is a short summary of the tab for failure messages.
func (b *chromeTab) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return fmt.Sprintf("%s %q", loc, lastBytes(body, 600))
}

// waitURL polls the tab's address until match accepts it, and returns it.
func (b *chromeTab) waitURL(what string, match func(*url.URL) bool) *url.URL {
	b.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		if loc := b.location(); loc != "" {
			last = loc
			if u, err := url.Parse(loc); err == nil && match(u) {
				return u
			}
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("browser: waiting for %s: %v; last address %s", what, b.ctx.Err(), withoutQuery(last))
		case <-tick.C:
		}
	}
}

// screenshot saves a full-page PNG of the tab as the artifact name.
func (b *chromeTab) screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	return saveBrowserArtifact(b.t, name, png)
}

// browserArtifactsDir is $WEBEX_TEST_ARTIFACTS, else <repo>/.artifacts (ignored by git).
func browserArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(artifactsEnv)
	if dir == "" {
		dir = filepath.Join(repoRoot(t), ".artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts folder: %v", err)
	}
	return dir
}

// saveBrowserArtifact writes data to the artifacts folder and returns its path.
func saveBrowserArtifact(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(browserArtifactsDir(t), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatalf("saving %s: %v", name, err)
	}
	t.Logf("saved %s", p)
	return p
}

// liveProc is a webex process that the test reads while it runs.
type liveProc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	out    chan string // stdout lines (dropped when nobody reads and the buffer is full)
	errs   chan string // stderr lines (likewise)
	stdout *lockedBuf
	stderr *lockedBuf
	done   chan struct{}
	code   int
}

// startLive starts the built binary with env (added to baseEnv) and args. The test's cleanup
// stops it if it still runs: os.Interrupt first, then Kill, always through its own PID.
func startLive(t testing.TB, env []string, args ...string) *liveProc {
	t.Helper()
	cmd := exec.Command(webexBin(t), args...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = nil
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &liveProc{
		t: t, name: "webex " + strings.Join(args, " "), cmd: cmd,
		out: make(chan string, 256), errs: make(chan string, 256),
		stdout: &lockedBuf{}, stderr: &lockedBuf{},
		done: make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", r.name, err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go r.pump(&readers, stdout, r.stdout, r.out)
	go r.pump(&readers, stderr, r.stderr, r.errs)
	go func() {
		readers.Wait() // the pipes must be drained before Wait
		err := cmd.Wait()
		r.code = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code = -1
		}
		close(r.done)
	}()
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", r.name, r.code, lastBytes(r.stdout.String(), 3000), lastBytes(r.stderr.String(), 3000))
		}
	})
	return r
}

func (r *liveProc) pump(wg *sync.WaitGroup, rd io.Reader, buf *lockedBuf, ch chan string) {
	defer wg.Done()
	defer close(ch)
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		buf.WriteString(line + "\n")
		select {
		case ch <- line:
		default:
		}
	}
}

// stop ends the process if it still runs and waits for it.
func (r *liveProc) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.done:
		return
	case <-time.After(5 * time.Second):
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

// line waits under ctx for a line on ch (r.out or r.errs) that match accepts.
func (r *liveProc) line(ctx context.Context, ch <-chan string, what string, match func(string) bool) string {
	r.t.Helper()
	for {
		select {
		case l, ok := <-ch:
			if !ok {
				<-r.done
				r.t.Fatalf("%s ended (exit %d) before %s\nstdout:\n%s\nstderr:\n%s", r.name, r.code, what, lastBytes(r.stdout.String(), 3000), lastBytes(r.stderr.String(), 3000))
			}
			if match(l) {
				return l
			}
		case <-ctx.Done():
			r.t.Fatalf("waiting for %s from %s: %v\nstderr so far:\n%s", what, r.name, ctx.Err(), lastBytes(r.stderr.String(), 3000))
		}
	}
}

// wait waits under ctx for the process to end and returns its exit code.
func (r *liveProc) wait(ctx context.Context) int {
	r.t.Helper()
	select {
	case <-r.done:
		return r.code
	case <-ctx.Done():
		r.t.Fatalf("waiting for %s to exit: %v\nstderr so far:\n%s", r.name, ctx.Err(), lastBytes(r.stderr.String(), 3000))
		return -1
	}
}

// liveEmulator is a liveProc `webex emulator` and what it printed first.
type liveEmulator struct {
	*liveProc
	baseURL, clientID, clientSecret string
}

// env is the environment that points webex at this emulator, with its own config folder.
func (e *liveEmulator) env(configDir string) []string {
	return []string{
		"WEBEX_CONFIG_DIR=" + configDir,
		"WEBEX_BASE_URL=" + e.baseURL,
		"WEBEX_CLIENT_ID=" + e.clientID,
		"WEBEX_CLIENT_SECRET=" + e.clientSecret,
	}
}

// startLiveEmulator runs `webex emulator --addr 127.0.0.1:0 ARGS...` and reads its first three
// lines: the API base URL and the client's credentials.
func startLiveEmulator(t testing.TB, ctx context.Context, args ...string) *liveEmulator {
	t.Helper()
	r := startLive(t, nil, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...)
	e := &liveEmulator{liveProc: r}
	e.baseURL = r.line(ctx, r.out, "the emulator's base URL", func(string) bool { return true })
	if u, err := url.Parse(e.baseURL); err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != "/v1" {
		t.Fatalf("emulator: first line %q is not http://127.0.0.1:PORT/v1", e.baseURL)
	}
	e.clientID = strings.TrimPrefix(r.line(ctx, r.out, "WEBEX_CLIENT_ID", func(string) bool { return true }), "WEBEX_CLIENT_ID=")
	e.clientSecret = strings.TrimPrefix(r.line(ctx, r.out, "WEBEX_CLIENT_SECRET", func(string) bool { return true }), "WEBEX_CLIENT_SECRET=")
	if e.clientID == "" || strings.Contains(e.clientID, "=") || e.clientSecret == "" || strings.Contains(e.clientSecret, "=") {
		t.Fatalf("emulator: unexpected credential lines:\n%s", r.stdout.String())
	}
	return e
}

// statusEntry is the part of one `webex status --json` profile the tests look at.
type statusEntry struct {
	Profile         string `json:"profile"`
	Provider        string `json:"provider"`
	ClientID        string `json:"client_id"`
	Subject         string `json:"subject"`
	Email           string `json:"email"`
	Flow            string `json:"flow"`
	Storage         string `json:"storage"`
	AccessValid     bool   `json:"access_valid"`
	HasRefreshToken bool   `json:"has_refresh_token"`
}

// statusProfiles runs `webex status --json` and returns its profiles.
func statusProfiles(t testing.TB, env []string) []statusEntry {
	t.Helper()
	p := runWebex(t, env, "", "status", "--json")
	if p.code != 0 {
		t.Fatalf("webex status --json: exit %d\n%s", p.code, p.stderr)
	}
	var st struct {
		Profiles []statusEntry `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(p.stdout), &st); err != nil {
		t.Fatalf("webex status --json: %v\n%s", err, p.stdout)
	}
	return st.Profiles
}

// decodeJWTParts decodes a compact JWS's header and claims, failing the test when it is not one.
func decodeJWTParts(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[2] == "" {
		t.Fatalf("not a signed JWT: %d parts", len(parts))
	}
	dec := func(i int) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d is not base64url: %v", i, err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("JWT part %d is not a JSON object: %v", i, err)
		}
		return m
	}
	return dec(0), dec(1)
}

// withoutQuery drops the query of an address for failure messages: it may hold a code.
func withoutQuery(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?..."
	}
	return s
}

// lastBytes is the last n bytes of s.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// lockedBuf is a bytes.Buffer safe for concurrent writers and readers.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuf) WriteString(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(p)
}

func (s *lockedBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *lockedBuf) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
