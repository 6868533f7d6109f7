package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzAPIField parses -f/-F field arguments as a user (or a script passing on data) may
// write them: no panic, a key without brackets or "=", and a value that encodes as JSON.
func FuzzAPIField(f *testing.F) {
	for _, s := range []string{"title=hi", "n=42", "f=-1.5e3", "b=true", "z=null", "tag[]=a", "k=", "=v", "a[b]=c",
		"noequals", "k==v", "k=1e999", "k=+1", "k=--1", "k=0x10", "k[]=[]", "k=@", "ü=ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, array, value, err := splitField(s)
		if err != nil {
			return
		}
		if key == "" || strings.ContainsAny(key, "=[]") {
			t.Fatalf("splitField(%q) key %q", s, key)
		}
		v := typedValue(value)
		if n, ok := v.(json.Number); ok && !json.Valid([]byte(n)) {
			t.Fatalf("typedValue(%q) = invalid number %q", value, n)
		}
		if _, err := json.Marshal(fieldObject([]apiField{{key: key, array: array, value: v}})); err != nil {
			t.Fatalf("body of %q: %v", s, err)
		}
	})
}
