package httpx

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/webex-cli/webex/internal/redact"
	"github.com/webex-cli/webex/internal/termsafe"
)

// MaxTraceBody is how much of each request and response body the trace reads and shows.
// Longer bodies are shown cut, with a note; the caller still gets the whole body.
const MaxTraceBody = 64 << 10

// traceTransport writes every exchange, numbered, to w, each block with one Write so that
// concurrent requests do not interleave. It reads up to MaxTraceBody bytes of a body to show
// it, and passes the whole body on.
type traceTransport struct {
	next http.RoundTripper
	now  func() time.Time
	seq  atomic.Int64

	mu sync.Mutex // serialises writes to w
	w  io.Writer
}

// write shows one block of the trace, escaped for a terminal as normal output is.
func (t *traceTransport) write(b []byte) {
	b = []byte(termsafe.Text(string(b)))
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.w.Write(b) // a failing debug writer must not fail the request
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	id := t.seq.Add(1)
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		prefix, err := io.ReadAll(io.LimitReader(req.Body, MaxTraceBody+1))
		if err != nil {
			req.Body.Close()
			t.write(fmt.Appendf(nil, "> #%d %s %s\n> error reading request body: %s\n\n", id, req.Method, redact.URL(req.URL.String()), redact.Text(err.Error())))
			return nil, fmt.Errorf("reading request body: %w", err)
		}
		reqBody = prefix
		r := req.Clone(req.Context()) // RoundTrip must not modify the caller's request
		r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(prefix), req.Body), Closer: req.Body}
		req = r
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "> #%d %s %s\n", id, req.Method, redact.URL(req.URL.String()))
	if req.Host != "" && req.Host != req.URL.Host {
		fmt.Fprintf(&b, "> Host: %s\n", redact.Text(req.Host))
	}
	writeMessage(&b, "> ", req.Header, reqBody)
	t.write(b.Bytes())

	start := t.now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.write(fmt.Appendf(nil, "< #%d error after %s: %s\n\n", id, elapsed(t.now().Sub(start)), redact.Text(err.Error())))
		return resp, err
	}

	var respBody []byte
	var readErr error
	if resp.Body != nil && resp.Body != http.NoBody {
		respBody, readErr = io.ReadAll(io.LimitReader(resp.Body, MaxTraceBody+1))
		var rest io.Reader = resp.Body
		if readErr != nil {
			rest = errReader{readErr}
		}
		resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(respBody), rest), Closer: resp.Body}
	}
	b.Reset()
	fmt.Fprintf(&b, "< #%d %s %s (%s)\n", id, resp.Proto, resp.Status, elapsed(t.now().Sub(start)))
	writeMessage(&b, "< ", resp.Header, respBody)
	if readErr != nil {
		fmt.Fprintf(&b, "[error reading body: %s]\n\n", redact.Text(readErr.Error()))
	}
	t.write(b.Bytes())
	return resp, nil
}

// cut trims a prefix read with a MaxTraceBody+1 limit to MaxTraceBody bytes, backing off to
// a rune boundary so text is not mistaken for binary, and reports whether it was cut.
func cut(prefix []byte) ([]byte, bool) {
	if len(prefix) <= MaxTraceBody {
		return prefix, false
	}
	p := prefix[:MaxTraceBody]
	for i := 0; i < utf8.UTFMax && len(p) > 0; i++ {
		if r, size := utf8.DecodeLastRune(p); r != utf8.RuneError || size != 1 {
			break
		}
		p = p[:len(p)-1]
	}
	if !utf8.Valid(p) {
		p = prefix[:MaxTraceBody] // really binary; let redact.Body say so
	}
	return p, true
}

// writeMessage writes the redacted headers and body of a request or response; body is what
// the trace read of it (MaxTraceBody+1 bytes at most).
func writeMessage(b *bytes.Buffer, prefix string, h http.Header, body []byte) {
	rh := redact.Header(h)
	for _, k := range slices.Sorted(maps.Keys(rh)) {
		for _, v := range rh[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, oneLine(v))
		}
	}
	b.WriteString(strings.TrimSpace(prefix))
	b.WriteByte('\n')
	body, truncated := cut(body)
	if len(body) > 0 {
		if ce := strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))); ce != "" && ce != "identity" {
			fmt.Fprintf(b, "[%s-encoded body, %d bytes]", ce, len(body))
		} else {
			b.WriteString(strings.TrimRight(redact.Body(h.Get("Content-Type"), body), " \t\r\n"))
		}
		b.WriteByte('\n')
	}
	if truncated {
		fmt.Fprintf(b, "[body longer than %d bytes; the rest is not shown]\n", MaxTraceBody)
	}
	b.WriteByte('\n')
}

// oneLine keeps a header value on its line in the trace.
func oneLine(s string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

func elapsed(d time.Duration) string {
	if d < time.Millisecond {
		return d.String()
	}
	return d.Round(time.Millisecond).String()
}

// replayBody gives back the bytes the trace read, then the rest of the original body, and
// closes the original.
type replayBody struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
