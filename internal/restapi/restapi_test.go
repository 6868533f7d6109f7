package restapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webex-cli/webex/internal/oautherr"
)

func TestNextLink(t *testing.T) {
	cases := []struct{ link, want string }{
		{`<https://webexapis.com/v1/people?cursor=abc>; rel="next"`, "https://webexapis.com/v1/people?cursor=abc"},
		{`<https://a/x?p=2>; rel=next`, "https://a/x?p=2"},
		{`<https://a/first>; rel="first", <https://a/next>; rel="next"`, "https://a/next"},
		{`<https://a/x>; title="a, b"; rel="prev next"`, "https://a/x"},
		{`<https://a/x>; REL="Next"`, "https://a/x"},
		{`</v1/people?cursor=1>; rel="next"`, "/v1/people?cursor=1"},
		{`<https://a/x>; rel="prev"`, ""},
		{`<https://a/x>; rel="nextpage"`, ""},
		{`https://a/x; rel="next"`, ""},
		{`<https://a/x; rel="next"`, ""},
		{``, ""},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.link != "" {
			h.Set("Link", c.link)
		}
		if got := NextLink(h); got != c.want {
			t.Errorf("NextLink(%q) = %q, want %q", c.link, got, c.want)
		}
	}
	h := http.Header{"Link": {`<https://a/prev>; rel="prev"`, `<https://a/next>; rel="next"`}}
	if got := NextLink(h); got != "https://a/next" {
		t.Errorf("second Link header: %q", got)
	}
}

func TestResolveAndNextStayOnTheBaseOrigin(t *testing.T) {
	const base = "https://webexapis.com/v1"
	for path, want := range map[string]string{
		"people/me":                            base + "/people/me",
		"/people/me":                           base + "/people/me",
		"rooms?max=2":                          base + "/rooms?max=2",
		"https://webexapis.com/v1/people/me":   base + "/people/me",
		"https://WEBEXAPIS.com:443/v1/rooms":   "https://WEBEXAPIS.com:443/v1/rooms",
		"https://evil.example/v1/people/me":    "",
		"http://webexapis.com/v1/people/me":    "",
		"https://webexapis.com:8443/v1/people": "",
		"https://user@webexapis.com/v1/people": "",
		"//evil.example/v1":                    "",
		"ftp://webexapis.com/v1":               "",
	} {
		got, err := Resolve(base, path)
		if want == "" {
			if err == nil {
				t.Errorf("Resolve(%q) = %q, want an error", path, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", path, got, err, want)
		}
	}

	page := base + "/people?max=1"
	for link, want := range map[string]string{
		`</v1/people?cursor=2>; rel="next"`:                      base + "/people?cursor=2",
		`<https://webexapis.com/v1/people?cursor=2>; rel="next"`: base + "/people?cursor=2",
		`<https://evil.example/v1/people?cursor=2>; rel="next"`:  "",
		`<http://webexapis.com/v1/people?cursor=2>; rel="next"`:  "",
		`<//evil.example/v1/people?cursor=2>; rel="next"`:        "",
		`<https://webexapis.com.evil/v1/people?c=2>; rel="next"`: "",
	} {
		got, err := Next(base, page, http.Header{"Link": {link}})
		if want == "" {
			if err == nil || !strings.Contains(err.Error(), "is not on the API's host") {
				t.Errorf("Next(%q) = %q, %v; want a refusal of the other host", link, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("Next(%q) = %q, %v; want %q", link, got, err, want)
		}
	}
	if got, err := Next(base, page, http.Header{}); got != "" || err != nil {
		t.Errorf("no Link: %q, %v", got, err)
	}
}

// sleeper records the waits instead of sleeping.
type sleeper struct{ waits []time.Duration }

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return ctx.Err()
}

// serve answers with the statuses in turn (the last one for ever), each with Retry-After ra.
func serve(t *testing.T, ra string, statuses ...int) (*httptest.Server, *int) {
	t.Helper()
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
		s := statuses[min(n, len(statuses)-1)]
		n++
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(s)
		w.Write([]byte(`{"message":"m","trackingId":"T1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// Servers that fail with 5xx are not something the emulator does; these edge cases use fakes.
func TestDoRetries(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		ra       string
		statuses []int
		want     int
		waits    []time.Duration
		attempts int
	}{
		{"429 then success", "GET", "2", []int{429, 200}, 200, []time.Duration{2 * time.Second}, 2},
		{"429 without Retry-After", "POST", "", []int{429, 201}, 201, []time.Duration{5 * time.Second}, 2},
		{"429 for ever: three waits", "GET", "1", []int{429}, 429, []time.Duration{time.Second, time.Second, time.Second}, 4},
		{"429 asking too long", "GET", "61", []int{429, 200}, 429, nil, 1},
		{"5xx GET twice then success", "GET", "", []int{503, 502, 200}, 200, []time.Duration{time.Second, 2 * time.Second}, 3},
		{"5xx GET for ever", "GET", "", []int{500}, 500, []time.Duration{time.Second, 2 * time.Second}, 3},
		{"5xx Retry-After", "GET", "7", []int{503, 200}, 200, []time.Duration{7 * time.Second}, 2},
		{"5xx POST not retried", "POST", "", []int{500, 200}, 500, nil, 1},
		{"401 returned", "GET", "", []int{401, 200}, 401, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, n := serve(t, c.ra, c.statuses...)
			sl := &sleeper{}
			var told []time.Duration
			cl := &Client{HTTP: srv.Client(), Now: time.Now, Sleep: sl.sleep, OnWait: func(_ int, d time.Duration) { told = append(told, d) }}
			resp, err := cl.Do(context.Background(), &Request{Method: c.method, URL: srv.URL + "/v1/x", Body: []byte("{}")}, "tok")
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != c.want || *n != c.attempts {
				t.Errorf("status %d after %d attempts, want %d after %d", resp.Status, *n, c.want, c.attempts)
			}
			if len(sl.waits) != len(c.waits) || len(told) != len(c.waits) {
				t.Fatalf("waits %v (told %v), want %v", sl.waits, told, c.waits)
			}
			for i := range c.waits {
				if sl.waits[i] != c.waits[i] {
					t.Errorf("waits %v, want %v", sl.waits, c.waits)
				}
			}
			if resp.Status >= 300 {
				if e := oautherr.ParseAt(time.Now(), resp.Status, resp.Header, resp.Body); e.TrackingID != "T1" {
					t.Errorf("error %v", e)
				}
			}
			if !strings.HasPrefix(resp.StatusLine, "HTTP/1.1 ") {
				t.Errorf("status line %q", resp.StatusLine)
			}
		})
	}
}

func TestDoCancelledDuringWait(t *testing.T) {
	srv, _ := serve(t, "3", 429)
	ctx, cancel := context.WithCancel(context.Background())
	cl := &Client{HTTP: srv.Client(), Now: time.Now, Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	if _, err := cl.Do(ctx, &Request{Method: "GET", URL: srv.URL}, "tok"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
