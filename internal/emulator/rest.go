package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The Webex REST API the emulator serves besides /people/me: enough of people, rooms and
// messages for `webex api` and scripts to be tested end to end. Lists are paginated as on
// Webex: `max` items per page (1 to maxPageSize, default defaultPageSize) and a
// `Link: <URL>; rel="next"` header while more remain.

const (
	defaultPageSize = 100
	maxPageSize     = 1000
	// maxMessageBytes is Webex's limit on a message's text or markdown.
	maxMessageBytes = 7439
	// maxTitleBytes bounds a room title.
	maxTitleBytes = 512
	// restRetryAfter is the Retry-After, in seconds, of the 429 answered every
	// Config.RateLimitEvery-th REST request.
	restRetryAfter = 1
	// timeLayout is how the REST API writes times.
	timeLayout = "2006-01-02T15:04:05.000Z"
)

// room is a group space, visible to the user who created it.
type room struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Type         string `json:"type"`
	IsLocked     bool   `json:"isLocked"`
	LastActivity string `json:"lastActivity"`
	CreatorID    string `json:"creatorId"`
	Created      string `json:"created"`

	owner    *user
	activity time.Time
}

// message is a message posted in a room.
type message struct {
	ID          string `json:"id"`
	RoomID      string `json:"roomId"`
	RoomType    string `json:"roomType"`
	Text        string `json:"text,omitempty"`
	Markdown    string `json:"markdown,omitempty"`
	PersonID    string `json:"personId"`
	PersonEmail string `json:"personEmail"`
	Created     string `json:"created"`
}

// restState is the REST API's in-memory data. Rooms and messages each hold at most
// Config.MaxPending entries; they never expire, so a full table answers 503.
type restState struct {
	calls    int                   // REST requests so far, for Config.RateLimitEvery
	rooms    map[string]*room      // room id -> room
	messages map[string][]*message // room id -> messages, oldest first
	count    int                   // messages in all rooms
}

// rest wraps a REST handler: every Config.RateLimitEvery-th REST request is answered 429 with
// the Webex envelope and Retry-After, before anything else is looked at.
func (s *Server) rest(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.api.calls++
		s.stats.APIRequests++
		limited := s.cfg.RateLimitEvery > 0 && s.api.calls%s.cfg.RateLimitEvery == 0
		if limited {
			s.stats.APIRateLimited++
		}
		s.mu.Unlock()
		if limited {
			w.Header().Set("Retry-After", strconv.Itoa(restRetryAfter))
			writeEnvelope(w, http.StatusTooManyRequests, "Too Many Requests", "")
			return
		}
		h(w, r)
	}
}

// authorizeScope authenticates the request and checks that its token was granted scope (or
// spark:all, as personal access tokens are); it answers 401 or 403 otherwise.
func (s *Server) authorizeScope(w http.ResponseWriter, r *http.Request, scope string) (grant, bool) {
	g, ok := s.authenticate(w, r)
	if !ok {
		return g, false
	}
	if !hasScope(g.scopes, scope) && !hasScope(g.scopes, "spark:all") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="webex", error="insufficient_scope", scope="`+scope+`"`)
		writeEnvelope(w, http.StatusForbidden, "The access token lacks the scope "+scope+".", "")
		return g, false
	}
	return g, true
}

// PersonalAccessToken returns a new access token for the user with this e-mail address, with
// the scope spark:all and Config.AccessTTL to live, as the developer portal hands out personal
// access tokens (and bot tokens, for a user whose address ends in @webex.bot): no OAuth flow,
// no refresh token.
func (s *Server) PersonalAccessToken(email string) (string, error) {
	u := s.findUser(email)
	if u == nil {
		return "", ErrUnknownUser
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, _ := s.mintAccessLocked(grant{user: u, scopes: []string{"spark:all"}, authTime: now}, now)
	return tok, nil
}

// handlePeople serves GET /v1/people: the people who can sign in, filtered by email (exact),
// displayName (prefix, case-insensitive) or id (comma-separated), paginated.
func (s *Server) handlePeople(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorizeScope(w, r, "spark:people_read"); !ok {
		return
	}
	q := r.URL.Query()
	var ids map[string]bool
	if v := q.Get("id"); v != "" {
		ids = map[string]bool{}
		for _, id := range strings.Split(v, ",") {
			ids[strings.TrimSpace(id)] = true
		}
	}
	email, name := q.Get("email"), strings.ToLower(q.Get("displayName"))
	var items []any
	for _, u := range s.users {
		switch {
		case email != "" && !strings.EqualFold(email, u.email),
			name != "" && !strings.HasPrefix(strings.ToLower(u.displayName), name),
			ids != nil && !ids[u.personID]:
			continue
		}
		items = append(items, s.personOf(u))
	}
	s.writePage(w, r, items)
}

// personOf is the REST representation of u.
func (s *Server) personOf(u *user) person {
	return person{
		ID:           u.personID,
		Emails:       []string{u.email},
		PhoneNumbers: []phoneNumber{{Type: "work", Value: u.phone}},
		DisplayName:  u.displayName,
		NickName:     u.givenName,
		FirstName:    u.givenName,
		LastName:     u.familyName,
		UserName:     u.email,
		OrgID:        u.orgID,
		Created:      personCreated().Format(timeLayout),
		LastModified: personCreated().Format(timeLayout),
		LastActivity: s.cfg.Now().UTC().Format(timeLayout),
		Status:       "active",
		Type:         u.kind(),
	}
}

// handleRooms serves GET /v1/rooms (the caller's rooms, latest activity first, paginated) and
// POST /v1/rooms (a JSON body with a title creates a group room).
func (s *Server) handleRooms(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		g, ok := s.authorizeScope(w, r, "spark:rooms_write")
		if !ok {
			return
		}
		var body struct {
			Title string `json:"title"`
		}
		if !readJSONBody(w, r, &body) {
			return
		}
		title := strings.TrimSpace(body.Title)
		if title == "" || len(title) > maxTitleBytes {
			writeEnvelope(w, http.StatusBadRequest, "title is required and must be at most 512 bytes.", "")
			return
		}
		now := s.cfg.Now()
		s.mu.Lock()
		if len(s.api.rooms) >= s.cfg.MaxPending {
			s.mu.Unlock()
			writeBusy(w)
			return
		}
		rm := &room{ID: restID("ROOM"), Title: title, Type: "group", CreatorID: g.user.personID,
			Created: now.UTC().Format(timeLayout), owner: g.user}
		rm.touch(now)
		if s.api.rooms == nil {
			s.api.rooms, s.api.messages = map[string]*room{}, map[string][]*message{}
		}
		s.api.rooms[rm.ID] = rm
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, rm)
		return
	}
	g, ok := s.authorizeScope(w, r, "spark:rooms_read")
	if !ok {
		return
	}
	s.mu.Lock()
	var rooms []*room
	for _, rm := range s.api.rooms {
		if rm.owner == g.user {
			rooms = append(rooms, rm)
		}
	}
	sort.Slice(rooms, func(i, j int) bool {
		if !rooms[i].activity.Equal(rooms[j].activity) {
			return rooms[i].activity.After(rooms[j].activity)
		}
		return rooms[i].ID < rooms[j].ID
	})
	items := make([]any, len(rooms))
	for i, rm := range rooms {
		c := *rm
		items[i] = c
	}
	s.mu.Unlock()
	s.writePage(w, r, items)
}

func (rm *room) touch(now time.Time) {
	rm.activity = now
	rm.LastActivity = now.UTC().Format(timeLayout)
}

// handleMessages serves GET /v1/messages?roomId=... (newest first, paginated) and POST
// /v1/messages (a JSON body with roomId and text or markdown).
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		g, ok := s.authorizeScope(w, r, "spark:messages_write")
		if !ok {
			return
		}
		var body struct {
			RoomID   string `json:"roomId"`
			Text     string `json:"text"`
			Markdown string `json:"markdown"`
		}
		if !readJSONBody(w, r, &body) {
			return
		}
		switch {
		case body.RoomID == "":
			writeEnvelope(w, http.StatusBadRequest, "roomId is required (the emulator has no 1:1 messages).", "")
			return
		case body.Text == "" && body.Markdown == "":
			writeEnvelope(w, http.StatusBadRequest, "text or markdown is required.", "")
			return
		case len(body.Text) > maxMessageBytes || len(body.Markdown) > maxMessageBytes:
			writeEnvelope(w, http.StatusBadRequest, "The message is longer than 7439 bytes.", "")
			return
		}
		now := s.cfg.Now()
		s.mu.Lock()
		rm := s.api.rooms[body.RoomID]
		if rm == nil || rm.owner != g.user {
			s.mu.Unlock()
			writeEnvelope(w, http.StatusNotFound, "Could not find a room with provided ID.", "")
			return
		}
		if s.api.count >= s.cfg.MaxPending {
			s.mu.Unlock()
			writeBusy(w)
			return
		}
		m := &message{ID: restID("MESSAGE"), RoomID: rm.ID, RoomType: rm.Type, Text: body.Text, Markdown: body.Markdown,
			PersonID: g.user.personID, PersonEmail: g.user.email, Created: now.UTC().Format(timeLayout)}
		if m.Text == "" {
			m.Text = m.Markdown
		}
		s.api.messages[rm.ID] = append(s.api.messages[rm.ID], m)
		s.api.count++
		rm.touch(now)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, m)
		return
	}
	g, ok := s.authorizeScope(w, r, "spark:messages_read")
	if !ok {
		return
	}
	id := r.URL.Query().Get("roomId")
	if id == "" {
		writeEnvelope(w, http.StatusBadRequest, "roomId is required.", "")
		return
	}
	s.mu.Lock()
	rm := s.api.rooms[id]
	if rm == nil || rm.owner != g.user {
		s.mu.Unlock()
		writeEnvelope(w, http.StatusNotFound, "Could not find a room with provided ID.", "")
		return
	}
	msgs := s.api.messages[id]
	items := make([]any, len(msgs))
	for i, m := range msgs {
		items[len(msgs)-1-i] = *m
	}
	s.mu.Unlock()
	s.writePage(w, r, items)
}

// writePage answers {"items":[...]} with the page of items the request's max and cursor
// select, and a Link header to the next page when there is one. The cursor is the offset of
// the page, opaque to clients.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	size := defaultPageSize
	if v := q.Get("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeEnvelope(w, http.StatusBadRequest, "max must be a number from 1 to 1000.", "")
			return
		}
		size = n
	}
	offset := 0
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		if err != nil || cerr != nil || !strings.HasPrefix(string(b), "offset:") || n < 0 || n > len(items) {
			writeEnvelope(w, http.StatusBadRequest, "The cursor is not valid.", "")
			return
		}
		offset = n
	}
	end := min(offset+size, len(items))
	if end < len(items) {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("max", strconv.Itoa(size))
		next.Set("cursor", base64.RawURLEncoding.EncodeToString([]byte("offset:"+strconv.Itoa(end))))
		w.Header().Set("Link", "<"+s.rootURL(r)+r.URL.Path+"?"+next.Encode()+`>; rel="next"`)
	}
	page := items[offset:end]
	if page == nil {
		page = []any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": page})
}

// readJSONBody decodes a JSON object body of at most maxFormBytes into v, answering 415 when
// the body is not JSON and 400 when it does not parse.
func readJSONBody(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeEnvelope(w, http.StatusUnsupportedMediaType, "The request body must be application/json.", "")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeEnvelope(w, http.StatusRequestEntityTooLarge, "The request body is too large.", "")
			return false
		}
		writeEnvelope(w, http.StatusBadRequest, "The request body is not a valid JSON object.", "")
		return false
	}
	return true
}

// restID is a Webex-shaped REST id: base64 of ciscospark://us/KIND/<uuid>.
func restID(kind string) string {
	return base64.RawStdEncoding.EncodeToString([]byte("ciscospark://us/" + kind + "/" + newUUID()))
}
