package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/testutil/iotest"
)

// The flag-to-options mapping of the commands, through their runF seams: no network, no
// stores, nothing run.

func TestLoginFlags(t *testing.T) {
	ios, _, _, _ := iotest.Streams()
	d := newDeps(ios)
	for _, c := range []struct {
		args        []string
		flow        string
		storage     string
		timeout     time.Duration
		qr          string
		redirectURI string
	}{
		{[]string{}, "auto", "", 5 * time.Minute, "auto", ""},
		{[]string{"--browser"}, "browser", "", 5 * time.Minute, "auto", ""},
		{[]string{"--device", "--qr", "never"}, "device", "", 5 * time.Minute, "never", ""},
		{[]string{"--flow", "device", "--storage", "file", "--timeout", "30s"}, "device", "file", 30 * time.Second, "auto", ""},
		{[]string{"--redirect-uri", "http://127.0.0.1:18085/callback"}, "auto", "", 5 * time.Minute, "auto", "http://127.0.0.1:18085/callback"},
	} {
		var got *LoginOptions
		cmd := newCmdLogin(d, func(o *LoginOptions) error { got = o; return nil })
		cmd.SetArgs(c.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if got.Flow != c.flow || got.Storage != c.storage || got.Timeout != c.timeout || got.QR != c.qr || got.RedirectURI != c.redirectURI {
			t.Errorf("%v: got %+v", c.args, got)
		}
	}
	cmd := newCmdLogin(d, func(*LoginOptions) error { t.Fatal("ran"); return nil })
	cmd.SetArgs([]string{"--browser", "--device"})
	if err := cmd.Execute(); exitCode(err) != ExitUsage {
		t.Errorf("--browser --device: %v", err)
	}
}

func TestTokenDecodeExecFlags(t *testing.T) {
	ios, _, _, _ := iotest.Streams()
	d := newDeps(ios)

	var tok *TokenOptions
	cmd := newCmdToken(d, func(o *TokenOptions) error { tok = o; return nil })
	cmd.SetArgs([]string{"--min-ttl", "90s", "--json"})
	if err := cmd.Execute(); err != nil || tok.MinTTL != 90*time.Second || !tok.JSON || tok.IDToken {
		t.Errorf("token: %+v %v", tok, err)
	}

	for _, c := range []struct {
		args     []string
		token    string
		hasToken bool
	}{
		{[]string{}, "", false},
		{[]string{"-"}, "-", true},
		{[]string{""}, "", true},
		{[]string{"a.b.c", "--verify", "--client-id", "C1"}, "a.b.c", true},
	} {
		var dec *DecodeOptions
		cmd := newCmdDecode(d, func(o *DecodeOptions) error { dec = o; return nil })
		cmd.SetArgs(c.args)
		if err := cmd.Execute(); err != nil || dec.Token != c.token || dec.HasToken != c.hasToken {
			t.Errorf("decode %q: %+v %v", c.args, dec, err)
		}
	}

	var minTTL time.Duration
	var argv []string
	cmd = newCmdExec(d, func(o *ExecOptions) error { minTTL, argv = o.MinTTL, o.Args; return nil })
	cmd.SetArgs([]string{"--min-ttl", "1h", "--", "curl", "--min-ttl", "-s"})
	if err := cmd.Execute(); err != nil || minTTL != time.Hour || len(argv) != 3 || argv[1] != "--min-ttl" {
		t.Errorf("exec: %v %v %v", minTTL, argv, err)
	}
	cmd = newCmdExec(d, func(o *ExecOptions) error { minTTL = o.MinTTL; return nil })
	cmd.SetArgs([]string{"--", "true"})
	if err := cmd.Execute(); err != nil || minTTL != 10*time.Minute {
		t.Errorf("exec default --min-ttl: %v %v", minTTL, err)
	}
}

func TestEmulatorFlags(t *testing.T) {
	ios, _, _, _ := iotest.Streams()
	var got *EmulatorOptions
	cmd := newCmdEmulator(newDeps(ios), func(o *EmulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0", "--redirect-uri", "http://127.0.0.1:8085/callback", "--redirect-uri", "https://oauth-helper-a.wbx2.com/helperservice/v1/actions/device/callback",
		"--user", "a@example.com", "--user", "b@example.com", "--approve", "auto", "--slow-down-every", "3", "--device-interval", "1s",
		"--scope", "spark:people_read", "--scope", "spark:rooms_read", "--stale-jwks", "1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Addr != "127.0.0.1:0" || len(got.RedirectURIs) != 2 || len(got.Users) != 2 || strings.Join(got.Scopes, " ") != "spark:people_read spark:rooms_read" || got.StaleJWKS != 1 || got.Approve != "auto" || got.SlowDownEvery != 3 || got.DeviceInterval != time.Second || got.AccessTTL != 14*24*time.Hour {
		t.Errorf("emulator options: %+v", got)
	}
}

func TestOptionsOfTheOtherCommands(t *testing.T) {
	ios, _, _, _ := iotest.Streams()
	d := newDeps(ios)
	run := func(cmd *cobra.Command, args ...string) {
		t.Helper()
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	var disc *DiscoverOptions
	run(newCmdDiscover(d, func(o *DiscoverOptions) error { disc = o; return nil }), "--issuer", "https://idp.example.com", "--json", "a@example.com")
	if disc.Issuer != "https://idp.example.com" || !disc.JSON || disc.Email != "a@example.com" || disc.deps != d || disc.ctx == nil {
		t.Errorf("discover: %+v", disc)
	}
	var sw *SwitchOptions
	run(newCmdSwitch(d, func(o *SwitchOptions) error { sw = o; return nil }), "work")
	if sw.Name != "work" {
		t.Errorf("switch: %+v", sw)
	}
	var lo *LogoutOptions
	run(newCmdLogout(d, func(o *LogoutOptions) error { lo = o; return nil }), "--all")
	if !lo.All {
		t.Errorf("logout: %+v", lo)
	}
	var st *StatusOptions
	run(newCmdStatus(d, func(o *StatusOptions) error { st = o; return nil }), "--json")
	var re *RefreshOptions
	run(newCmdRefresh(d, func(o *RefreshOptions) error { re = o; return nil }), "--json")
	var ui *UserinfoOptions
	run(newCmdUserinfo(d, func(o *UserinfoOptions) error { ui = o; return nil }), "--json")
	if !st.JSON || !re.JSON || !ui.JSON {
		t.Errorf("--json: status %v, refresh %v, userinfo %v", st.JSON, re.JSON, ui.JSON)
	}
	var api *APIOptions
	run(newCmdAPI(d, func(o *APIOptions) error { api = o; return nil }), "people/me", "-X", "GET", "--paginate")
	if api.Path != "people/me" || api.Method != "GET" || !api.Paginate || !api.Slurp {
		t.Errorf("api: %+v", api)
	}
	ran := false
	run(newCmdVersion(d, func(*VersionOptions) error { ran = true; return nil }))
	if !ran {
		t.Error("version: runF not called")
	}
}
