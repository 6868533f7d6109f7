// Package cli is the command line of webex: the cobra command tree, flag parsing, output
// formatting and the mapping of errors to exit codes. It is the only package that imports cobra.
// Protocol work lives in the internal packages it wires together in deps.go.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
	"github.com/webex-cli/webex/internal/iostreams"
)

// Main runs the command line with args (without the program name) and returns the exit code.
//
// Interrupts (Ctrl-C, SIGTERM) cancel the command's context, so that it stops cleanly and
// exits 130, from the moment the command starts work that can block: a network request, a
// login, the emulator, a child process. The handler is installed only then, because
// installing it costs a measurable share of a `webex token` that answers from the store.
// Before that the default action applies, which the shell also reports as 130.
func Main(args []string, ios *iostreams.IOStreams) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDeps(ios)
	var once sync.Once
	d.interruptible = func() {
		once.Do(func() {
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
	}
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
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			fmt.Fprintln(d.io.ErrOut, "webex: "+d.scrub(safe(errorLine(err))))
			var ue *usageError
			if errors.As(err, &ue) && cmd != nil {
				fmt.Fprintf(d.io.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
			}
		}
	}
	return exitCode(err)
}

// NewRootCmd builds the whole command tree. cmd/gendocs uses it to write the man pages,
// the Markdown reference and the completion scripts.
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
		wrapArgs(c)
	}
	return root
}

// wrapArgs turns cobra's positional-argument errors into usage errors (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	args := c.Args
	c.Args = func(cmd *cobra.Command, a []string) error {
		if err := args(cmd, a); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

// CommandTree returns the command tree wired to buffers instead of the terminal, for tools
// that describe the commands (cmd/gendocs) without running them.
func CommandTree() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	return NewRootCmd(newDeps(ios))
}
