package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// user is one person who can sign in. Everything but the e-mail address is derived from it,
// so it is stable across runs.
type user struct {
	email       string
	sub         string // UUID, the ID token and UserInfo subject
	org         string // UUID of the e-mail domain's organisation
	personID    string // Webex person id: base64 of ciscospark://us/PEOPLE/<sub>
	orgID       string // Webex org id: base64 of ciscospark://us/ORGANIZATION/<uuid of the domain>
	givenName   string
	familyName  string
	displayName string
	phone       string
}

func newUser(email string, index int) *user {
	lower := strings.ToLower(email)
	at := strings.LastIndexByte(lower, '@')
	local, domain := email[:at], lower[at+1:]
	sh := sha256.Sum256([]byte("webex-emulator user " + lower))
	oh := sha256.Sum256([]byte("webex-emulator org " + domain))
	sub, org := formatUUID(sh[:16]), formatUUID(oh[:16])

	var parts []string
	for _, p := range strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' }) {
		parts = append(parts, capitalize(p))
	}
	given, family := "User", "Emulated"
	switch {
	case len(parts) == 1:
		given = parts[0]
	case len(parts) > 1:
		given, family = parts[0], strings.Join(parts[1:], " ")
	}
	return &user{
		email:       email,
		sub:         sub,
		org:         org,
		personID:    base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/" + sub)),
		orgID:       base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/ORGANIZATION/" + org)),
		givenName:   given,
		familyName:  family,
		displayName: given + " " + family,
		phone:       fmt.Sprintf("+1 408 555 %04d", 100+index%9900),
	}
}

// kind is the person's type in the REST API: "bot" for an address at webex.bot, as Webex's
// bots have, else "person".
func (u *user) kind() string {
	if strings.HasSuffix(strings.ToLower(u.email), "@webex.bot") {
		return "bot"
	}
	return "person"
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
