package privatefile

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Token string    `json:"token,omitempty"`
	N     int       `json:"n,omitempty"`
	When  time.Time `json:"when,omitzero"`
}

// decodeMessage is every shape a DecodeObject error may take: fixed words, byte offsets and
// field names, never content.
var decodeMessage = regexp.MustCompile(`^(the file is empty|not a JSON object|invalid JSON at byte [0-9]+|field "[^"]*" has the wrong type|a value has the wrong type|the JSON object is cut short|a field holds an invalid value|unexpected data after the JSON object)$`)

func TestDecodeObject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    sample
		wantErr string
	}{
		{"object", `{"token":"t","n":2}`, sample{Token: "t", N: 2}, ""},
		{"white space around", " \n{\"token\":\"t\"}\n\n", sample{Token: "t"}, ""},
		{"unknown fields are accepted", `{"future":{"x":[1]},"n":1}`, sample{N: 1}, ""},
		{"empty", "", sample{}, "the file is empty"},
		{"blank", " \t\r\n", sample{}, "the file is empty"},
		{"array", `[]`, sample{}, "not a JSON object"},
		{"null", `null`, sample{}, "not a JSON object"},
		{"byte order mark", "\xef\xbb\xbf{}", sample{}, "not a JSON object"},
		{"syntax error quotes no content", `{"token":"SECRET" SECRET}`, sample{}, "invalid JSON at byte 19"},
		{"syntax error offset counts leading space", `  {"token" SECRET}`, sample{}, "invalid JSON at byte 12"},
		{"wrong type", `{"n":"SECRET"}`, sample{}, `field "n" has the wrong type`},
		{"bad time quotes no content", `{"when":"SECRET"}`, sample{}, "a field holds an invalid value"},
		{"cut short", `{"token":"SECRET`, sample{}, "the JSON object is cut short"},
		{"trailing data", `{"token":"t"} {"token":"SECRET"}`, sample{}, "unexpected data after the JSON object"},
		{"trailing garbage", `{} SECRET`, sample{}, "unexpected data after the JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got sample
			err := DecodeObject([]byte(tc.in), &got)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeObject = %v", err)
				}
				if got != tc.want {
					t.Errorf("decoded %+v, want %+v", got, tc.want)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes the content", err)
			}
		})
	}
}

// FuzzDecodeObject: DecodeObject never panics, its errors are always one of the fixed shapes
// (so they can never quote the content), and what it accepts round-trips.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{
		`{"token":"t","n":2,"when":"2025-01-01T00:00:00Z"}`, `{}`, ` {} `, ``, ` `, `null`, `[]`, `"s"`,
		`{`, `{"n":"x"}`, `{"when":"x"}`, `{"token":1}`, `{} x`, `{}{}`, "\xef\xbb\xbf{}", "\xff\xfe{}",
		`{"token":"\u00e9\ud834\udd1e"}`, `{"n":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s sample
		err := DecodeObject(data, &s)
		if err != nil {
			if !decodeMessage.MatchString(err.Error()) {
				t.Fatalf("unexpected error shape %q", err)
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			return // a time outside years 0..9999
		}
		var again sample
		if err := DecodeObject(out, &again); err != nil || !again.When.Equal(s.When) || again.Token != s.Token || again.N != s.N {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}
