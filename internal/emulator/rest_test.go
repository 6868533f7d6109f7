package emulator_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/webex-cli/webex/internal/emulator"
)

// postJSON sends a JSON body with a bearer token.
func (e *env) postJSON(t *testing.T, target, bearer, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	return e.do(t, req)
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

func items(t *testing.T, r response) []any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	it, ok := r.json(t)["items"].([]any)
	if !ok {
		t.Fatalf("no items array: %s", r.body)
	}
	return it
}

func TestRESTPeoplePaginated(t *testing.T) {
	e := start(t, emulator.Config{Users: []string{"ann@example.com", "bob@example.com", "cy@example.com", "helper@webex.bot"}})
	tok, err := e.srv.PersonalAccessToken("ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	target := e.base + "/people?max=1&displayName="
	pages := 0
	for target != "" {
		r := e.get(t, target, tok)
		for _, p := range items(t, r) {
			emails = append(emails, p.(map[string]any)["emails"].([]any)[0].(string))
		}
		pages++
		target = ""
		if l := r.header.Get("Link"); l != "" {
			m := nextLink.FindStringSubmatch(l)
			if m == nil || !strings.HasPrefix(m[1], e.base+"/people?") {
				t.Fatalf("Link %q", l)
			}
			target = m[1]
		}
	}
	if pages != 4 || strings.Join(emails, ",") != "ann@example.com,bob@example.com,cy@example.com,helper@webex.bot" {
		t.Errorf("%d pages: %v", pages, emails)
	}
	if it := items(t, e.get(t, e.base+"/people?displayName=b", tok)); len(it) != 1 {
		t.Errorf("displayName filter: %v", it)
	}
	checkEnvelope(t, e.get(t, e.base+"/people?max=0", tok), 400, "")
	checkEnvelope(t, e.get(t, e.base+"/people?cursor=nonsense", tok), 400, "")
	checkEnvelope(t, e.get(t, e.base+"/people", "wrong"), 401, "")

	bot, _ := e.srv.PersonalAccessToken("helper@webex.bot")
	if me := e.get(t, e.base+"/people/me", bot).json(t); me["type"] != "bot" {
		t.Errorf("bot people/me: %v", me)
	}
	if me := e.get(t, e.base+"/people/me", tok).json(t); me["type"] != "person" {
		t.Errorf("people/me: %v", me)
	}
	if _, err := e.srv.PersonalAccessToken("nobody@example.com"); err != emulator.ErrUnknownUser {
		t.Errorf("unknown user: %v", err)
	}
}

func TestRESTRoomsAndMessages(t *testing.T) {
	e := start(t, emulator.Config{Users: []string{"ann@example.com", "bob@example.com"}, MaxPending: 3})
	ann, _ := e.srv.PersonalAccessToken("ann@example.com")
	bob, _ := e.srv.PersonalAccessToken("bob@example.com")

	r := e.postJSON(t, e.base+"/rooms", ann, `{"title":"Standup"}`)
	if r.status != 200 {
		t.Fatalf("create room: %d %s", r.status, r.body)
	}
	roomID := r.json(t)["id"].(string)
	checkEnvelope(t, e.postJSON(t, e.base+"/rooms", ann, `{"title":" "}`), 400, "")
	checkEnvelope(t, e.postJSON(t, e.base+"/rooms", ann, `{"title":`), 400, "")
	req, _ := http.NewRequest(http.MethodPost, e.base+"/rooms", strings.NewReader("title=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+ann)
	checkEnvelope(t, e.do(t, req), 415, "")

	for _, text := range []string{"one", "two"} {
		if r := e.postJSON(t, e.base+"/messages", ann, `{"roomId":"`+roomID+`","text":"`+text+`"}`); r.status != 200 || r.json(t)["personEmail"] != "ann@example.com" {
			t.Fatalf("post message: %d %s", r.status, r.body)
		}
	}
	msgs := items(t, e.get(t, e.base+"/messages?roomId="+roomID, ann))
	if len(msgs) != 2 || msgs[0].(map[string]any)["text"] != "two" {
		t.Errorf("messages, newest first: %v", msgs)
	}
	checkEnvelope(t, e.get(t, e.base+"/messages", ann), 400, "")
	checkEnvelope(t, e.get(t, e.base+"/messages?roomId="+roomID, bob), 404, "")
	checkEnvelope(t, e.postJSON(t, e.base+"/messages", bob, `{"roomId":"`+roomID+`","text":"x"}`), 404, "")
	checkEnvelope(t, e.postJSON(t, e.base+"/messages", ann, `{"roomId":"`+roomID+`"}`), 400, "")
	checkEnvelope(t, e.postJSON(t, e.base+"/messages", ann, `{"roomId":"`+roomID+`","text":"`+strings.Repeat("x", 7440)+`"}`), 400, "")
	if it := items(t, e.get(t, e.base+"/rooms", bob)); len(it) != 0 {
		t.Errorf("bob sees ann's rooms: %v", it)
	}
	if it := items(t, e.get(t, e.base+"/rooms", ann)); len(it) != 1 {
		t.Errorf("ann's rooms: %v", it)
	}

	// The tables are bounded: a third message fills MaxPending (3), the fourth gets 503.
	e.postJSON(t, e.base+"/messages", ann, `{"roomId":"`+roomID+`","text":"three"}`)
	r = e.postJSON(t, e.base+"/messages", ann, `{"roomId":"`+roomID+`","text":"four"}`)
	checkEnvelope(t, r, 503, "Service Unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestRESTScopes(t *testing.T) {
	e := start(t, emulator.Config{Approve: emulator.ApproveAuto})
	dc, _, _ := e.deviceStart(t, "spark:people_read")
	tok := decodeTokens(t, e.poll(t, dc)).AccessToken
	checkEnvelope(t, e.get(t, e.base+"/rooms", tok), 403, "")
	checkEnvelope(t, e.postJSON(t, e.base+"/messages", tok, `{}`), 403, "")
	if r := e.get(t, e.base+"/people", tok); r.status != 200 {
		t.Errorf("people with spark:people_read: %d", r.status)
	}
}

func TestRESTRateLimitEvery(t *testing.T) {
	e := start(t, emulator.Config{RateLimitEvery: 3})
	tok, _ := e.srv.PersonalAccessToken(emulator.DefaultUser)
	var got []int
	for range 6 {
		r := e.get(t, e.base+"/people/me", tok)
		got = append(got, r.status)
		if r.status == 429 {
			checkEnvelope(t, r, 429, "")
			if r.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
	}
	if want := []int{200, 200, 429, 200, 200, 429}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if s := e.srv.Stats(); s.APIRequests != 6 || s.APIRateLimited != 2 || s.PeopleMeRequests != 4 {
		t.Errorf("Stats = %+v", s)
	}
}
