package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by goreleaser:
// -X github.com/webex-cli/webex/internal/cli.version=... (and commit, date).
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo returns version, commit and date, falling back to what the Go toolchain recorded
// when the binary was built without ldflags (go build, go install).
func buildInfo() (v, c, d string) {
	v, c, d = version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d
}

func versionString() string {
	v, c, d := buildInfo()
	return fmt.Sprintf("webex %s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newCmdVersion(d *deps) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(d.io.Out, versionString())
			return err
		},
	}
}

func shortVersion() string {
	v, _, _ := buildInfo()
	return v
}
