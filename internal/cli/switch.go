package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
)

// SwitchOptions are the settings of `webex switch`.
type SwitchOptions struct {
	cmdOptions
	Name string
}

func newCmdSwitch(d *deps, runF func(*SwitchOptions) error) *cobra.Command {
	o := &SwitchOptions{}
	return &cobra.Command{
		Use:   "switch PROFILE",
		Short: "Make PROFILE the active profile",
		Long:  "Make PROFILE the profile that commands use when neither --profile nor WEBEX_PROFILE names one.",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return d.completeProfiles(cmd, args, toComplete)
		},
		RunE: runE(d, o, func(args []string) error {
			o.Name = args[0]
			return nil
		}, runF, switchRun),
	}
}

func switchRun(o *SwitchOptions) error {
	d, name := o.deps, o.Name
	if err := config.ValidateName(name); err != nil {
		return usageErrorf("%v", err)
	}
	cfg, err := d.config()
	if err != nil {
		return err
	}
	if _, err := cfg.Load(name); errors.Is(err, config.ErrNotFound) {
		return fmt.Errorf("no profile named %q (see `webex status`)", name)
	} else if err != nil {
		return err
	}
	if err := cfg.SetDefault(name); err != nil {
		return err
	}
	fmt.Fprintf(d.io.ErrOut, "Profile %s is now active.\n", name)
	return nil
}
