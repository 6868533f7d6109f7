package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"
)

// followURL plays a browser without a screen: it keeps cookies and follows redirects from
// url until a page answers, which for a sign-in with automatic consent is the CLI's loopback
// callback.
func followURL(t testing.TB, url string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("following the sign-in URL: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
