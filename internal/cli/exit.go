package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes of the command-line contract.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitUsage         = 2
	ExitLoginRequired = 4
	ExitCancelled     = 130
)

// usageError marks a bad flag or argument (exit 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// loginRequiredError means there is no usable login for the profile (exit 4).
type loginRequiredError struct {
	profile string
	reason  string
	login   string // the login command to suggest; "" is `webex login`
}

func (e *loginRequiredError) Error() string {
	cmd := cmp.Or(e.login, "webex login")
	if e.profile != "" && e.profile != "default" {
		cmd += " --profile " + e.profile
	}
	return fmt.Sprintf("%s: run `%s`", e.reason, cmd)
}

func loginRequired(profile, reason string) error {
	return &loginRequiredError{profile: profile, reason: reason}
}

// notLoggedIn is the "login required" error of a profile with no stored login.
func notLoggedIn(profile string) error {
	return loginRequired(profile, fmt.Sprintf("not logged in (profile %q)", profile))
}

// exitError carries an exact exit code, for `webex exec` passing its child's code through.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var (
		ue *usageError
		le *loginRequiredError
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
	case errors.As(err, &ue):
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
