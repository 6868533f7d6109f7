package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/config"
)

func TestFetchDiscoveryAndKeys(t *testing.T) {
	f := newFakeIdP(t)
	keys := testRSAKeys()
	f.setKeys([]string{"a", ""}, keys[0], keys[1])
	p := newWebexAt(t, f, Options{})

	got, err := p.FetchKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].KeyID != "a" || got[0].Type != "RSA" || got[0].Alg != "RS256" || got[1].KeyID != "" {
		t.Errorf("keys = %+v", got)
	}

	// The fake serves discovery at the host root, not under /v1.
	if _, err := p.FetchDiscovery(context.Background()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing document: err = %v", err)
	}
	f.setDiscovery(t, map[string]any{"issuer": "https://idbroker-b-us.webex.com/idb"})
	root, err := NewWebex(config.ProviderWebex, f.srv.URL, Options{HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := root.FetchDiscovery(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != "https://idbroker-b-us.webex.com/idb" {
		t.Errorf("doc = %v", doc)
	}
	f.mu.Lock()
	f.discovery = []byte("[]")
	f.mu.Unlock()
	if _, err := root.FetchDiscovery(context.Background()); err == nil {
		t.Error("array accepted as a discovery document")
	}
}
