package httpx

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/termsafe"
)

// FuzzTrace sends arbitrary headers and bodies through the trace: it never panics, the
// caller gets the body unchanged, and nothing a terminal would act on reaches the trace.
func FuzzTrace(f *testing.F) {
	f.Add("application/json", "v", []byte(`{"error_description":"\u009b\u202e"}`))
	f.Add("text/plain", "a\u0085b", []byte("one\r\ntwo\u2066"))
	f.Add("", "\x1b]0;x\x07", []byte("\x1b[2J"))
	f.Add("application/x-www-form-urlencoded", "", []byte("code=c&x=%C2%9B"))
	f.Fuzz(func(t *testing.T, contentType, header string, body []byte) {
		var trace bytes.Buffer
		rt := &traceTransport{now: time.Now, w: &trace, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{
				Status: "200 OK", StatusCode: 200, Proto: "HTTP/1.1",
				Header:  http.Header{"Content-Type": {contentType}, "X-Note": {header}},
				Body:    io.NopCloser(bytes.NewReader(body)),
				Request: r,
			}, nil
		})}
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/x", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		if !bytes.Equal(got, body) {
			t.Fatal("the caller got another body")
		}
		if i := strings.IndexFunc(trace.String(), func(r rune) bool { return termsafe.Unsafe(r) && !strings.ContainsRune("\n\t\r", r) }); i >= 0 {
			t.Fatalf("unsafe character in the trace: %q", trace.String())
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
