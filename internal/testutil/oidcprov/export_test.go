package oidcprov

import (
	"context"
	"net/url"
)

// LoginErr exposes login's error for tests of the failure paths that Login turns into t.Fatal.
func (s *Server) LoginErr(ctx context.Context, authURL string) (*url.URL, error) {
	return s.login(ctx, authURL)
}
