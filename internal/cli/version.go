package cli

import (
	"cmp"
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
		if bi.Main.Version != "(devel)" {
			v = cmp.Or(v, bi.Main.Version)
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				c = cmp.Or(c, s.Value)
			case "vcs.time":
				d = cmp.Or(d, s.Value)
			}
		}
	}
	return cmp.Or(v, "dev"), cmp.Or(c, "unknown"), cmp.Or(d, "unknown")
}

func versionString() string {
	v, c, d := buildInfo()
	return fmt.Sprintf("webex %s (commit %s, built %s, %s %s/%s)", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// VersionOptions are the settings of `webex version`.
type VersionOptions struct{ cmdOptions }

func newCmdVersion(d *deps, runF func(*VersionOptions) error) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: runE(d, &VersionOptions{}, nil, runF, func(o *VersionOptions) error {
			_, err := fmt.Fprintln(o.io.Out, versionString())
			return err
		}),
	}
}

func shortVersion() string {
	v, _, _ := buildInfo()
	return v
}
