package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestEmulatorCommand runs `webex emulator` as a process: base URL and credentials on stdout,
// a request log on stderr, a clean stop on Ctrl-C.
func TestEmulatorCommand(t *testing.T) {
	cmd := exec.Command(webexBin(t), "emulator", "--addr", "127.0.0.1:0", "--client-id", "Cemulated", "--user", "ada@example.com")
	cmd.Env = baseEnv()
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	var lines []string
	for len(lines) < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "http://127.0.0.1:") || !strings.HasSuffix(lines[0], "/v1") ||
		lines[1] != "WEBEX_CLIENT_ID=Cemulated" || !strings.HasPrefix(lines[2], "WEBEX_CLIENT_SECRET=") || len(lines[2]) < len("WEBEX_CLIENT_SECRET=")+32 {
		t.Fatalf("first lines: %q", lines)
	}
	resp, err := http.Get(lines[0] + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] == nil || resp.Header.Get("TrackingID") == "" {
		t.Errorf("discovery: %v", doc)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "GET /v1/.well-known/openid-configuration 200") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "GET /v1/.well-known/openid-configuration 200") {
		t.Errorf("no request log on stderr:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), strings.TrimPrefix(lines[2], "WEBEX_CLIENT_SECRET=")) {
		t.Error("the secret is in the request log")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if code := cmd.ProcessState.ExitCode(); code != 130 {
			t.Fatalf("exit code after Ctrl-C: %d, want 130\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop on Ctrl-C")
	}
	if !strings.Contains(stderr.String(), "Emulator stopped.") {
		t.Errorf("stderr: %s", stderr.String())
	}

	r := runWebex(t, nil, "", "emulator", "--addr", "0.0.0.0:0")
	if r.code != 1 || !strings.Contains(r.stderr, "loopback") {
		t.Errorf("non-loopback address without --allow-remote: exit %d, %s", r.code, r.stderr)
	}
}

// TestCtrlCDuringLogin: an interrupted device login stops polling, says so, exits 130 and
// stores nothing.
func TestCtrlCDuringLogin(t *testing.T) {
	emu := exec.Command(webexBin(t), "emulator", "--addr", "127.0.0.1:0")
	emu.Env = baseEnv()
	out, err := emu.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { emu.Process.Kill(); emu.Wait() }()
	sc := bufio.NewScanner(out)
	var lines []string
	for len(lines) < 3 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 3 {
		t.Fatal("the emulator did not start")
	}
	dir := t.TempDir()
	login := exec.Command(webexBin(t), "login", "--flow", "device", "--json", "--storage", "file")
	login.Env = append(baseEnv(), "WEBEX_CONFIG_DIR="+dir, "WEBEX_BASE_URL="+lines[0], lines[1], lines[2])
	var stderr lockedBuffer
	login.Stderr = &stderr
	lout, err := login.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	ls := bufio.NewScanner(lout)
	if !ls.Scan() || !strings.Contains(ls.Text(), `"event":"device_code"`) {
		t.Fatalf("no device code event: %q %s", ls.Text(), stderr.String())
	}
	if err := login.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- login.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		login.Process.Kill()
		t.Fatal("the login did not stop on Ctrl-C")
	}
	if code := login.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit code %d, want 130; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "webex: cancelled") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if entries, _ := os.ReadDir(dir + "/profiles"); len(entries) != 0 {
		t.Errorf("a profile was stored: %v", entries)
	}
}

// TestBrowserLoginEmulatorStaleJWKS: as above against `webex emulator --stale-jwks N`, whose
// ID tokens name no kid (as Webex's): no key of the first set verifies, so the set is fetched
// once more.
func TestBrowserLoginEmulatorStaleJWKS(t *testing.T) {
	for _, tt := range []struct {
		stale string
		ok    bool
	}{{"1", true}, {"2", false}} {
		t.Run(tt.stale+" stale answers", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			emu := startLiveEmulator(t, ctx, "--approve", "auto", "--stale-jwks", tt.stale)
			env := append(emu.env(t.TempDir()), "WEBEX_STORAGE=file", "BROWSER="+os.Args[0]+" -test.run=^TestHelperBrowser$ --", "WEBEX_E2E_HELPER_BROWSER=1")
			r := runWebex(t, env, "", "login", "--flow", "browser", "--redirect-uri", "http://127.0.0.1:0/callback")
			switch {
			case tt.ok && r.code != 0:
				t.Fatalf("login: %d\n%s", r.code, r.stderr)
			case !tt.ok && (r.code != 1 || !strings.Contains(r.stderr, "the signature check")):
				t.Fatalf("login with two stale answers: %d\n%s", r.code, r.stderr)
			}
		})
	}
}
