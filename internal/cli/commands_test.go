package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/emulator"
	"github.com/webex-cli/webex/internal/tokenstore"
)

func TestChooseFlow(t *testing.T) {
	cases := []struct {
		name string
		goos string
		env  map[string]string
		file map[string]string
		want string
		why  string
	}{
		{"ssh wins over a display", "linux", map[string]string{"SSH_CONNECTION": "1 2 3 4", "DISPLAY": ":0", "BROWSER": "firefox"}, nil, "device", "SSH"},
		{"ssh tty", "darwin", map[string]string{"SSH_TTY": "/dev/pts/1"}, nil, "device", "SSH"},
		{"explicit browser", "linux", map[string]string{"BROWSER": "chromium"}, nil, "browser", "$BROWSER"},
		{"wsl", "linux", map[string]string{"WSL_DISTRO_NAME": "Ubuntu", "DISPLAY": ":0"}, nil, "device", "WSL"},
		{"wsl by kernel", "linux", nil, map[string]string{"/proc/sys/kernel/osrelease": "5.15.90.1-microsoft-standard-WSL2"}, "device", "WSL"},
		{"container", "linux", map[string]string{"DISPLAY": ":0"}, map[string]string{"/.dockerenv": ""}, "device", "container"},
		{"kubernetes", "linux", map[string]string{"DISPLAY": ":0"}, map[string]string{"/proc/1/cgroup": "0::/kubepods/besteffort/pod1"}, "device", "container"},
		{"headless linux", "linux", nil, nil, "device", "DISPLAY"},
		{"x11", "linux", map[string]string{"DISPLAY": ":0"}, nil, "browser", "desktop"},
		{"wayland", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, nil, "browser", "desktop"},
		{"macos", "darwin", nil, nil, "browser", "desktop"},
		{"windows", "windows", nil, nil, "browser", "desktop"},
		{"unknown os", "plan9", nil, nil, "device", "plan9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := environment{
				getenv:   func(k string) string { return c.env[k] },
				goos:     c.goos,
				exists:   func(p string) bool { _, ok := c.file[p]; return ok },
				readFile: func(p string) string { return c.file[p] },
			}
			flow, why := chooseFlow(e)
			if flow != c.want || !strings.Contains(why, c.why) {
				t.Errorf("chooseFlow = %s (%s), want %s (%s)", flow, why, c.want, c.why)
			}
		})
	}
}

func TestQRCode(t *testing.T) {
	const target = "https://oauth-helper-r.wbx2.com/verify?userCode=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	w, err := qrWidth(target)
	if err != nil || w < 25 || w > 80 {
		t.Fatalf("qrWidth = %d, %v", w, err)
	}
	var plain, painted strings.Builder
	renderQR(&plain, target, false)
	renderQR(&painted, target, true)
	lines := strings.Split(strings.TrimRight(plain.String(), "\n"), "\n")
	// Half blocks: two modules per row, plus the quiet zone.
	if len(lines) < w/2 || len(lines) > w/2+3 {
		t.Errorf("%d rows for a %d-wide code", len(lines), w)
	}
	for i, l := range lines {
		if n := len([]rune(l)); n != w {
			t.Fatalf("row %d is %d columns, want %d", i, n, w)
		}
	}
	// The quiet zone is light on all sides: the first row is all light modules.
	if strings.Trim(lines[0], "█") != "" {
		t.Errorf("first row is not quiet: %q", lines[0])
	}
	// With colour every cell is painted dark-on-light explicitly, whatever the theme.
	if !strings.Contains(painted.String(), "\x1b[97;40m") || strings.Count(painted.String(), "\x1b[0m") < w {
		t.Error("coloured QR code does not paint its cells")
	}
	if _, err := qrWidth(strings.Repeat("x", 5000)); err == nil {
		t.Error("an over-long text was accepted")
	}
}

func TestDeviceScreenOnNarrowTerminal(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	h.tty, h.width = true, 30
	r := h.run("login", "--flow", "device")
	if r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "too narrow for the QR code", "enter the code")
	if strings.Contains(r.stderr, "▀") {
		t.Error("QR code drawn on a 30-column terminal")
	}

	h2 := newHarness(t, emulatorEnv(srv))
	h2.tty, h2.width = true, 200
	r = h2.run("login", "--flow", "device")
	if r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "scan this QR code", "\x1b[97;40m", "the code expires in")
}

func TestProfilesStatusSwitchLogoutAll(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	for _, p := range []string{"work", "home"} {
		if r := h.run("login", "--flow", "device", "--profile", p); r.code != 0 {
			t.Fatalf("login %s: %s", p, r.stderr)
		}
	}
	// The first login becomes the active profile.
	r := h.run("status")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	mustContain(t, "status", r.stdout, "* work", "  home", "alice@example.com", "in 13d 23h", "in 89d 23h", "keyring")

	if r := h.run("switch", "home"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = h.run("status", "--json")
	var st struct {
		Active   string `json:"active_profile"`
		Profiles []struct {
			Profile       string    `json:"profile"`
			Active        bool      `json:"active"`
			AccessExpires time.Time `json:"access_expires_at"`
			Storage       string    `json:"storage"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Active != "home" || len(st.Profiles) != 2 || !st.Profiles[0].Active || st.Profiles[0].Profile != "home" || st.Profiles[0].AccessExpires.IsZero() {
		t.Errorf("status after switch: %s", r.stdout)
	}
	if r := h.run("switch", "nope"); r.code != ExitFailure || !strings.Contains(r.stderr, `no profile named "nope"`) {
		t.Errorf("switch to a missing profile: %d %s", r.code, r.stderr)
	}
	if r := h.run("switch", "../etc"); r.code != ExitUsage {
		t.Errorf("switch to a bad name: exit %d", r.code)
	}

	// WEBEX_ACCESS_TOKEN wins, and status says so.
	h.env["WEBEX_ACCESS_TOKEN"] = "from-the-environment"
	if r := h.run("token"); strings.TrimSpace(r.stdout) != "from-the-environment" {
		t.Errorf("token with WEBEX_ACCESS_TOKEN: %q", r.stdout)
	}
	r = h.run("status")
	mustContain(t, "status stderr", r.stderr, "WEBEX_ACCESS_TOKEN is set")
	delete(h.env, "WEBEX_ACCESS_TOKEN")

	if r := h.run("logout", "--all"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, p := range []string{"work", "home"} {
		if _, err := h.stored(p); !errors.Is(err, tokenstore.ErrNotFound) {
			t.Errorf("profile %s still has tokens", p)
		}
	}
	if ps, _ := config.Open(h.env["WEBEX_CONFIG_DIR"]).List(); len(ps) != 0 {
		t.Errorf("profiles left: %d", len(ps))
	}
	if r := h.run("token", "--profile", "work"); r.code != ExitLoginRequired || !strings.Contains(r.stderr, "webex login --profile work") {
		t.Errorf("token after logout --all: %d %s", r.code, r.stderr)
	}
}

func TestExec(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto, AccessTTL: 2 * time.Hour})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	sec, _ := h.stored("default")
	// The child sees the token, and its exit code comes back.
	r := h.run("exec", "--", "sh", "-c", `test "$WEBEX_ACCESS_TOKEN" = "`+sec.AccessToken+`" && exit 7`)
	if r.code != 7 {
		t.Fatalf("exec exit %d, want 7: %s", r.code, r.stderr)
	}
	if srv.Stats().RefreshTokenGrants != 0 {
		t.Error("exec refreshed a token with 2 hours left under a 10-minute --min-ttl")
	}
	// 90 minutes later, less than --min-ttl is left: refreshed first.
	h.now = func() time.Time { return time.Now().Add(90 * time.Minute) }
	r = h.run("exec", "--min-ttl", "1h", "--", "sh", "-c", `printf %s "$WEBEX_ACCESS_TOKEN"`)
	if r.code != 0 || srv.Stats().RefreshTokenGrants != 1 {
		t.Fatalf("exec --min-ttl 1h: %d %+v %s", r.code, srv.Stats(), r.stderr)
	}
	now, _ := h.stored("default")
	if r.stdout != now.AccessToken || now.AccessToken == sec.AccessToken {
		t.Error("the child did not get the refreshed token")
	}
	if r := h.run("exec", "--", "no-such-command-webex-test"); r.code != ExitFailure || !strings.Contains(r.stderr, "cannot run") {
		t.Errorf("missing command: %d %s", r.code, r.stderr)
	}
	if r := h.run("exec"); r.code != ExitUsage {
		t.Errorf("exec without a command: exit %d", r.code)
	}
}

func TestUsageErrors(t *testing.T) {
	h := newHarness(t, nil)
	for _, args := range [][]string{
		{"login", "--flow", "sideways"},
		{"login", "--browser", "--device"},
		{"login", "--client-id", "x", "--storage", "floppy"},
		{"login", "--nope"},
		{"token", "extra"},
		{"decode", "a", "b"},
		{"token", "--min-ttl", "soon"},
		{"emulator", "--approve", "maybe"},
		{"frobnicate"},
		{"token", "--profile", "../etc"},
		{"status", "--profile", "a/b"},
		{"decode", "--profile", "..", "x.y.z"},
	} {
		r := h.run(args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
		if lines := strings.Count(strings.TrimSpace(r.stderr), "\n"); lines > 1 || !strings.HasPrefix(r.stderr, "webex: ") {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%v: stdout %q", args, r.stdout)
		}
	}
	h.env["WEBEX_PROFILE"] = "bad name"
	if r := h.run("token"); r.code != ExitUsage || !strings.Contains(r.stderr, "invalid profile name") {
		t.Errorf("WEBEX_PROFILE with a bad name: exit %d %s", r.code, r.stderr)
	}
	delete(h.env, "WEBEX_PROFILE")
	if r := h.run("login", "--client-id", "x", "--client-secret-file", "/nonexistent/secret"); r.code != ExitUsage {
		t.Errorf("missing secret file: exit %d", r.code)
	}
}

func TestClientSecretFromStdinNeverFromFlag(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	env := emulatorEnv(srv)
	delete(env, "WEBEX_CLIENT_SECRET")
	h := newHarness(t, env)
	r := h.runIn(srv.ClientSecret()+"\n", "login", "--flow", "device", "--client-secret-file", "-")
	if r.code != 0 {
		t.Fatalf("login with the secret on stdin: %s", r.stderr)
	}
	if r := h.run("login", "--client-secret", "x"); r.code != ExitUsage {
		t.Errorf("--client-secret accepted as a flag: exit %d", r.code)
	}
}

func TestVersion(t *testing.T) {
	h := newHarness(t, nil)
	r := h.run("version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "webex ") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("version: %q", r.stdout)
	}
}

// TestQRCodeMatrix reads the drawn QR code back, module by module, and compares it with the
// code rsc.io/qr computes: what is on the screen is exactly the code, with a light quiet zone.
func TestQRCodeMatrix(t *testing.T) {
	const text = "http://127.0.0.1:8080/verify?userCode=5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	renderQR(&out, text, false)
	// Without colour the glyphs show light modules in the foreground colour.
	light := map[rune][2]bool{'█': {true, true}, ' ': {false, false}, '▀': {true, false}, '▄': {false, true}}
	var grid [][]bool // grid[y][x] true = light
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		var top, bottom []bool
		for _, r := range line {
			m, ok := light[r]
			if !ok {
				t.Fatalf("unexpected glyph %q", r)
			}
			top, bottom = append(top, m[0]), append(bottom, m[1])
		}
		grid = append(grid, top, bottom)
	}
	for y := -qrQuietZone; y < code.Size+qrQuietZone-1; y++ {
		for x := -qrQuietZone; x < code.Size+qrQuietZone-1; x++ {
			gy, gx := y+qrQuietZone, x+qrQuietZone
			if gy >= len(grid) || gx >= len(grid[gy]) {
				t.Fatalf("the drawing is too small at module (%d,%d)", x, y)
			}
			dark := x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
			if grid[gy][gx] == dark {
				t.Fatalf("module (%d,%d): drawn light=%v, want dark=%v", x, y, grid[gy][gx], dark)
			}
		}
	}
}

func TestCompletion(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device", "--profile", "work"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "login", "--flow", ""}, []string{"auto", "browser", "device"}},
		{[]string{"__complete", "login", "--provider", ""}, []string{"webex", "webex-gov", "oidc"}},
		{[]string{"__complete", "login", "--storage", ""}, []string{"keyring", "file"}},
		{[]string{"__complete", "login", "--qr", ""}, []string{"auto", "always", "never"}},
		{[]string{"__complete", "token", "--profile", ""}, []string{"work"}},
		{[]string{"__complete", "switch", "w"}, []string{"work"}},
	} {
		r := h.run(c.args...)
		if r.code != 0 {
			t.Fatalf("%v: %s", c.args, r.stderr)
		}
		got := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(got) != len(c.want)+1 || strings.Join(got[:len(c.want)], " ") != strings.Join(c.want, " ") {
			t.Errorf("%v completes to %q, want %q", c.args, got, c.want)
		}
	}
}

func TestReloginReusesTheProfile(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	dir := h.env["WEBEX_CONFIG_DIR"]
	if r := h.run("login", "--flow", "device", "--storage", "file"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// Again with no flags and no credentials in the environment: the profile's client,
	// base URL, storage and stored client secret serve.
	for _, k := range []string{"WEBEX_CLIENT_ID", "WEBEX_CLIENT_SECRET", "WEBEX_BASE_URL"} {
		delete(h.env, k)
	}
	r := h.run("login", "--flow", "device")
	if r.code != 0 {
		t.Fatalf("second login: %s", r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "tokens in a file")
	if _, err := h.stored("default"); !errors.Is(err, tokenstore.ErrNotFound) {
		t.Error("the second login used the keyring although the profile keeps its tokens in a file")
	}
	// Moving to the keyring leaves no tokens in the file.
	if r := h.run("login", "--flow", "device", "--storage", "keyring"); r.code != 0 {
		t.Fatalf("login --storage keyring: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "tokens", "default.json")); !os.IsNotExist(err) {
		t.Errorf("the token file is still there after moving to the keyring: %v", err)
	}
	if sec, err := h.stored("default"); err != nil || sec.ClientSecret != srv.ClientSecret() {
		t.Errorf("keyring after the move: %v", err)
	}
}

func TestDamagedProfileFile(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Approve: emulator.ApproveAuto})
	h := newHarness(t, emulatorEnv(srv))
	if r := h.run("login", "--flow", "device", "--profile", "good"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	bad := filepath.Join(h.env["WEBEX_CONFIG_DIR"], "profiles", "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("status")
	if r.code != ExitFailure || !strings.Contains(r.stdout, "good") || !strings.Contains(r.stderr, "bad.json") {
		t.Errorf("status with a damaged profile: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = h.run("status", "--json")
	if r.code != ExitFailure || !strings.Contains(r.stdout, `"damaged_profiles": [`) || !strings.Contains(r.stdout, `"bad"`) {
		t.Errorf("status --json with a damaged profile: exit %d\n%s", r.code, r.stdout)
	}
	if r := h.run("logout", "--all"); r.code != 0 {
		t.Fatalf("logout --all: %s", r.stderr)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Error("logout --all left the damaged profile")
	}
	if r := h.run("status"); r.code != 0 || r.stdout != "" {
		t.Errorf("status after logout --all: %d %q", r.code, r.stdout)
	}
}
