package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/webex-cli/webex/internal/config"
)

func newCmdSwitch(d *deps, runF func(string) error) *cobra.Command {
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(args[0])
			}
			return runSwitch(d, args[0])
		},
	}
}

func runSwitch(d *deps, name string) error {
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
