// Command webex signs in with Login with Webex (or any OpenID provider) and hands scripts a
// valid bearer token. See `webex --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/webex-cli/webex/internal/cli"
	"github.com/webex-cli/webex/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(code)
}
