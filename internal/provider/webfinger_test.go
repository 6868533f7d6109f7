package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseWebFinger(t *testing.T) {
	got, err := ParseWebFinger([]byte(`{"subject":"acct:a@b","links":[{"rel":"other","href":"x"},{"rel":"` + IssuerRel + `","href":"https://idbroker.webex.com/idb"}]}`))
	if err != nil || len(got) != 1 || got[0] != "https://idbroker.webex.com/idb" {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{``, `{}`, `{"links":[]}`, `{"links":[{"rel":"` + IssuerRel + `"}]}`, `nope`, `{"links":"x"}`} {
		if _, err := ParseWebFinger([]byte(bad)); err == nil {
			t.Errorf("ParseWebFinger(%q) accepted", bad)
		}
	}
}

func TestWebFinger(t *testing.T) {
	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" {
			http.NotFound(w, r)
			return
		}
		gotQuery = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/jrd+json")
		w.Write([]byte(`{"links":[{"rel":"` + IssuerRel + `","href":"https://issuer.example"}]}`))
	}))
	defer srv.Close()
	p, err := ParseDiscovery(srv.URL+"/tenant", marshal(t, discoveryDocFor(srv.URL+"/tenant")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ep := p.Endpoints.WebFinger; ep != srv.URL+"/.well-known/webfinger" {
		t.Fatalf("endpoint %q", ep)
	}
	got, err := p.WebFinger(context.Background(), "ada@example.com")
	if err != nil || len(got) != 1 || got[0] != "https://issuer.example" {
		t.Fatalf("WebFinger = %v, %v", got, err)
	}
	if !strings.Contains(gotQuery, "resource=acct%3Aada%40example.com") || !strings.Contains(gotQuery, "rel=http") {
		t.Errorf("query %q", gotQuery)
	}
	for _, bad := range []string{"", "ada", "@example.com", "ada@", "a b@example.com"} {
		if _, err := p.WebFinger(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "not an email address") {
			t.Errorf("WebFinger(%q): %v", bad, err)
		}
	}
}

func FuzzParseWebFinger(f *testing.F) {
	for _, s := range []string{`{"links":[{"rel":"` + IssuerRel + `","href":"https://x"}]}`, `{"links":[null]}`, `null`, `[`, "\x00\xff", `{"links":[{"rel":1}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := ParseWebFinger(b)
		if err == nil && len(out) == 0 {
			t.Fatal("no issuers and no error")
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}
