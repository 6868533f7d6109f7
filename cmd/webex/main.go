// Command webex signs in with Login with Webex (or any OpenID provider) and hands scripts a
// valid bearer token. See `webex --help`.
package main

import (
	"os"

	"github.com/webex-cli/webex/internal/cli"
	"github.com/webex-cli/webex/internal/iostreams"
)

func main() {
	// cli.Main turns Ctrl-C and SIGTERM into a cancelled context (exit 130) once a command
	// starts work that can block; until then their default action ends the process, which
	// writes nothing half-way.
	os.Exit(cli.Main(os.Args[1:], iostreams.System()))
}
