package cli

import "github.com/webex-cli/webex/internal/termsafe"

var (
	// safe makes a provider-supplied string fit to print as one line of text.
	safe = termsafe.Line
	// safeJSON escapes, inside JSON text, the characters encoding/json leaves raw but a
	// terminal would act on; the result is the same JSON value, with its layout.
	safeJSON = termsafe.Text
)
