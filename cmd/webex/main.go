// Command webex signs in with Login with Webex (or any OpenID provider) and hands scripts a
// valid bearer token. See `webex --help`.
package main

import (
	"os"

	"github.com/webex-cli/webex/internal/cli"
	"github.com/webex-cli/webex/internal/iostreams"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], iostreams.System()))
}
