package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// ExecOptions are the settings of `webex exec`.
type ExecOptions struct {
	cmdOptions
	MinTTL time.Duration
	Args   []string // the command and its arguments
}

func newCmdExec(d *deps, runF func(*ExecOptions) error) *cobra.Command {
	o := &ExecOptions{}
	cmd := &cobra.Command{
		Use:   "exec [flags] -- COMMAND [ARGS...]",
		Short: "Run a command with WEBEX_ACCESS_TOKEN set to a valid token",
		Long: `Run COMMAND with WEBEX_ACCESS_TOKEN in its environment, set to an access token that stays
valid for at least --min-ttl (refreshing it first when needed). COMMAND's exit code is passed
through. The token never appears on a command line. A --min-ttl longer than the whole
lifetime of the provider's access tokens is refused (exit 1) and nothing is run, since no new
token could last that long.

On Unix, signals sent to webex (INT, QUIT, TERM, HUP, USR1, USR2, WINCH) are passed on to COMMAND,
and webex waits for it to end. Ctrl-C at a terminal reaches COMMAND once, from the terminal.`,
		Example: `  webex exec -- sh -c 'curl -sH "Authorization: Bearer $WEBEX_ACCESS_TOKEN" https://webexapis.com/v1/people/me'
  webex exec --min-ttl 1h -- ./long-running-job`,
		Args: cobra.MinimumNArgs(1),
		RunE: runE(d, o, func(args []string) error {
			o.Args = args
			return checkMinTTL(o.MinTTL)
		}, runF, execRun),
	}
	cmd.Flags().DurationVar(&o.MinTTL, "min-ttl", 10*time.Minute, "the token must stay valid at least this long")
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func execRun(o *ExecOptions) error {
	d, args := o.deps, o.Args
	d.blocking()
	token, err := d.bearer(o.ctx, o.MinTTL)
	if err != nil {
		return err
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fmt.Errorf("cannot run %s: %w", args[0], err)
	}
	c := exec.Command(path, args[1:]...)
	c.Stdin, c.Stdout, c.Stderr = d.io.In, d.io.Out, d.io.ErrOut
	c.Env = append(childEnv(os.Environ()), "WEBEX_ACCESS_TOKEN="+token)
	// Signals sent to webex alone are passed on; webex waits for the child and reports its exit.
	forward, stop := catchSignals()
	defer stop()
	if err := o.ctx.Err(); err != nil { // interrupted before the child exists
		return err
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("cannot run %s: %w", args[0], err)
	}
	forward(c.Process)
	err = c.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code := ee.ExitCode()
		if code < 0 {
			code = 128 + exitSignal(ee)
		}
		return &exitError{code: code}
	}
	return err
}

// childEnv is webex's environment without the client secret and any WEBEX_ACCESS_TOKEN.
func childEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "WEBEX_CLIENT_SECRET=") || strings.HasPrefix(kv, "WEBEX_ACCESS_TOKEN=")
	})
}
