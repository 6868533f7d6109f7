package cli

import (
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/webex-cli/webex/internal/config"
)

// environment is what chooseFlow looks at, so tests can describe any machine.
type environment struct {
	getenv   func(string) string
	goos     string
	exists   func(path string) bool
	readFile func(path string) string // a small system file's contents ("" when unreadable)
}

func systemEnvironment(getenv func(string) string) environment {
	return environment{
		getenv: getenv,
		goos:   runtime.GOOS,
		exists: func(p string) bool { _, err := os.Stat(p); return err == nil },
		readFile: func(p string) string {
			b, err := os.ReadFile(p)
			if err != nil || len(b) > 1<<16 {
				return ""
			}
			return string(b)
		},
	}
}

// chooseFlow picks the login flow for --flow auto and says why. The browser flow needs a
// browser on the machine of the loopback listener: not over SSH, in a container, on WSL
// without $BROWSER or on a Unix without a display.
func chooseFlow(e environment) (flow, reason string) {
	if e.getenv("SSH_CONNECTION") != "" || e.getenv("SSH_CLIENT") != "" || e.getenv("SSH_TTY") != "" {
		return config.FlowDevice, "this is an SSH session, so a browser here could not reach the local callback"
	}
	if e.getenv("BROWSER") != "" {
		return config.FlowBrowser, "$BROWSER is set"
	}
	if e.goos == "linux" {
		if e.getenv("WSL_DISTRO_NAME") != "" || e.getenv("WSL_INTEROP") != "" || containsAny(strings.ToLower(e.readFile("/proc/sys/kernel/osrelease")), "microsoft", "wsl") {
			return config.FlowDevice, "this is WSL and $BROWSER is not set"
		}
		if e.getenv("container") != "" || e.exists("/.dockerenv") || e.exists("/run/.containerenv") || containsAny(e.readFile("/proc/1/cgroup"), "docker", "kubepods", "containerd") {
			return config.FlowDevice, "this looks like a container, with no browser to open"
		}
	}
	switch e.goos {
	case "windows", "darwin":
		return config.FlowBrowser, "a desktop session can open a browser"
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		if e.getenv("DISPLAY") == "" && e.getenv("WAYLAND_DISPLAY") == "" {
			return config.FlowDevice, "no DISPLAY or WAYLAND_DISPLAY, so no browser can be opened"
		}
		return config.FlowBrowser, "a desktop session can open a browser"
	}
	return config.FlowDevice, "no known way to open a browser on " + e.goos
}

// containsAny reports whether s contains any of subs.
func containsAny(s string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}
