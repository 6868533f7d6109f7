// Package cli is the command line of webex: the cobra command tree, flag parsing, output and
// exit codes; protocol work lives in the packages deps.go wires in. Every command X is built by
// newCmdX(d, runF): its flags fill an XOptions and xRun runs it; tests pass runF instead.
package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
	"github.com/webex-cli/webex/internal/provider"
	"github.com/webex-cli/webex/internal/session"
	"github.com/webex-cli/webex/internal/termsafe"
)

// Main runs the command line with args (without the program name) and returns the exit code.
// Interrupts cancel the command's context (exit 130) once it starts work that can block; the
// handler is installed only then, as it costs a measurable share of a fast `webex token`.
func Main(args []string, ios *iostreams.IOStreams) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDeps(ios)
	d.blocking = sync.OnceFunc(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			select {
			case <-ch:
				cancel()
			case <-ctx.Done():
			}
		}()
	})
	return run(ctx, args, d)
}

func run(ctx context.Context, args []string, d *deps) int {
	root := NewRootCmd(d)
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && cmd == root && strings.HasPrefix(err.Error(), "unknown command ") {
		err = &usageError{err}
	}
	code := exitCode(err)
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(d.io.ErrOut, "webex: "+d.secrets.Scrub(termsafe.Line(errorLine(err))))
		if code == ExitUsage && cmd != nil {
			fmt.Fprintf(d.io.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(d *deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "webex",
		Short: "Sign in with Webex and hand scripts a bearer token",
		Long: `webex signs you in with Login with Webex (or any OpenID Connect provider),
keeps the tokens in the OS keyring, and hands scripts a valid bearer token,
refreshing it when needed.`,
		Example: `  webex login        # sign in: a browser on a desktop, a device code over SSH
  curl -H "Authorization: Bearer $(webex token)" https://webexapis.com/v1/people/me`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		Version:           versionString(),
	}
	root.SetIn(d.io.In)
	root.SetOut(d.io.Out)
	root.SetErr(d.io.ErrOut)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		for _, name := range []string{d.profileFlag, d.getenv("WEBEX_PROFILE")} {
			if name != "" {
				if err := config.ValidateName(name); err != nil {
					return &usageError{err}
				}
			}
		}
		return nil
	}

	pf := root.PersistentFlags()
	pf.StringVarP(&d.profileFlag, "profile", "p", "", "profile to use (env WEBEX_PROFILE; default: the active profile)")
	pf.BoolVar(&d.debug, "debug", false, "trace HTTP on stderr with secrets redacted (env WEBEX_DEBUG=1)")
	_ = root.RegisterFlagCompletionFunc("profile", d.completeProfiles)

	root.AddCommand(
		newCmdLogin(d, nil),
		newCmdToken(d, nil),
		newCmdRefresh(d, nil),
		newCmdUserinfo(d, nil),
		newCmdDecode(d, nil),
		newCmdDiscover(d, nil),
		newCmdStatus(d, nil),
		newCmdLogout(d, nil),
		newCmdSwitch(d, nil),
		newCmdExec(d, nil),
		newCmdAPI(d, nil),
		newCmdEmulator(d, nil),
		newCmdVersion(d, nil),
	)
	for _, c := range root.Commands() {
		c.SilenceErrors, c.SilenceUsage = true, true
		// Cobra's positional-argument errors are usage errors (exit 2).
		if args := c.Args; args != nil {
			c.Args = func(cmd *cobra.Command, a []string) error {
				if err := args(cmd, a); err != nil {
					return &usageError{err}
				}
				return nil
			}
		}
	}
	return root
}

// CommandTree returns the command tree wired to no terminal, for tools that describe the
// commands (cmd/gendocs) without running them.
func CommandTree() *cobra.Command {
	return NewRootCmd(newDeps(&iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}))
}

// Exit codes of the command-line contract.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitUsage         = 2
	ExitLoginRequired = 4
	ExitCancelled     = 130
)

// usageError marks a bad flag or argument (exit 2), as provider.UsageError does a bad
// provider setting.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// exitError carries an exact exit code, for `webex exec` passing its child's code through.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var (
		ue *usageError
		pe *provider.UsageError
		le *session.LoginRequiredError
		ee *exitError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return ExitCancelled
	case errors.As(err, &le):
		return ExitLoginRequired
	case errors.As(err, &ue), errors.As(err, &pe):
		return ExitUsage
	}
	return ExitFailure
}

// errorLine renders err as the one line printed on stderr: no stack, no newlines.
func errorLine(err error) string {
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(strings.TrimSpace(err.Error()))
}

// Set at link time by goreleaser (-X github.com/webex-cli/webex/internal/cli.version=...).
var (
	version = ""
	commit  = ""
	date    = ""
)

// buildInfo returns version, commit and date, else what the Go toolchain recorded.
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
		RunE:  runE(d, &VersionOptions{}, nil, runF, versionRun),
	}
}

func versionRun(o *VersionOptions) error {
	_, err := fmt.Fprintln(o.io.Out, versionString())
	return err
}
