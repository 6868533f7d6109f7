// Package e2e holds whole-process tests: they build the webex binary and run it as users and
// scripts do, against the built-in emulator, panva's oidc-provider, the real Secret Service and
// headless Chromium. Suites that need an outside component run only when their WEBEX_TEST_*
// variable is set, and then fail loudly if the component is missing.
package e2e
