// Command demo (go run ./scripts/demo) builds webex, starts its emulator, signs in with the
// device flow, then shows status, token, userinfo, a browser-flow login and the verified ID
// token, all on 127.0.0.1 and in a temporary folder removed at the end.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	// In "open" mode this program is the browser of the browser-flow step: it follows the
	// sign-in URL's redirects, as a browser would, to the CLI's loopback callback.
	if len(os.Args) == 3 && os.Args[1] == "--open" {
		if err := open(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "demo browser:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// open follows url's redirects; webex started it without waiting and serves the callback.
func open(url string) error {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	tmp, err := os.MkdirTemp("", "webex-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "webex")
	step("Building webex")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/webex")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}

	step("Starting the Login-with-Webex emulator (approves device codes after 5 s)")
	lines, stopEmulator, err := startEmulator(ctx, bin, tmp)
	if err != nil {
		return err
	}
	defer stopEmulator()
	base := lines[0]
	fmt.Printf("  API base: %s\n  %s\n  %s\n", base, lines[1], lines[2])

	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(),
		"WEBEX_CONFIG_DIR="+filepath.Join(tmp, "config"),
		"WEBEX_BASE_URL="+base,
		lines[1], lines[2],
		// A fresh machine may have no Secret Service; the demo keeps its throwaway tokens in a
		// 0600 file instead. On a desktop, leave this out to use the OS keyring.
		"WEBEX_STORAGE=file",
		"BROWSER="+self+" --open",
	)
	steps := []struct {
		title string
		runs  [][]string
	}{
		{"Signing in with the device flow, as over SSH", [][]string{
			{"login", "--flow", "device", "--qr", "always"},
			{"status"},
			{"token"},
			{"token", "--json"},
			{"userinfo", "--json"},
		}},
		{"Signing in with the browser flow (PKCE through a loopback redirect), as on a desktop", [][]string{
			{"login", "--profile", "desktop", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback"},
			{"decode", "--profile", "desktop"},
			{"decode", "--profile", "desktop", "--verify"},
			{"status"},
		}},
	}
	for _, s := range steps {
		step(s.title)
		for _, args := range s.runs {
			fmt.Printf("\n\033[1m$ webex %s\033[0m\n", strings.Join(args, " "))
			c := exec.CommandContext(ctx, bin, args...)
			c.Env = env
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
			if err := c.Run(); err != nil {
				return fmt.Errorf("webex %s: %w", strings.Join(args, " "), err)
			}
		}
	}
	step("Done. Against the real Webex, drop WEBEX_BASE_URL and use your integration's client id and secret.")
	return nil
}

// startEmulator starts `webex emulator` from bin, logging to a file in tmp, and returns the
// lines it prints first (API base, client id, client secret) and how to stop it.
func startEmulator(ctx context.Context, bin, tmp string) (lines []string, stop func(), err error) {
	emu := exec.CommandContext(ctx, bin, "emulator", "--addr", "127.0.0.1:0", "--approve", "auto",
		"--approve-delay", "5s", "--device-interval", "1s", "--user", "alice@example.com")
	out, err := emu.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	logFile, err := os.Create(filepath.Join(tmp, "emulator.log"))
	if err != nil {
		return nil, nil, err
	}
	emu.Stderr = logFile
	if err := emu.Start(); err != nil {
		return nil, nil, err
	}
	stop = func() {
		_ = emu.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { emu.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = emu.Process.Kill()
		}
	}
	sc := bufio.NewScanner(out)
	for len(lines) < 3 && sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if len(lines) < 3 {
		stop()
		return nil, nil, fmt.Errorf("the emulator did not start (see %s)", logFile.Name())
	}
	go io.Copy(io.Discard, out)
	return lines, stop, nil
}

func step(s string) { fmt.Printf("\n\033[1;36m==> %s\033[0m\n", s) }
