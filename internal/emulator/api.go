package emulator

import (
	"net/http"
	"strings"
	"time"
)

// authenticate returns the grant of the request's bearer token, or answers 401 with the
// Webex envelope.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (grant, bool) {
	tok, ok := bearerToken(r)
	now := s.cfg.Now()
	if ok {
		s.mu.Lock()
		at := s.access[tok]
		s.mu.Unlock()
		if at != nil && now.Before(at.expires) {
			return at.grant, true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="webex", error="invalid_token"`)
	writeEnvelope(w, http.StatusUnauthorized,
		"The request requires a valid access token set in the Authorization request header.", "")
	return grant{}, false
}

// handleUserInfo serves GET /v1/userinfo (OpenID Connect Core section 5.3). It needs an access
// token granted with the openid scope (so a device-flow token gets 403), and returns the claims
// of the granted scopes. email_verified is the string "true", as Webex sends it, and the phone
// number's claim is phone.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	g, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !hasScope(g.scopes, "openid") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="webex", error="insufficient_scope", scope="openid"`)
		writeEnvelope(w, http.StatusForbidden, "insufficient_scope", "UserInfo needs an access token granted with the openid scope.")
		return
	}
	u := g.user
	claims := map[string]any{"sub": u.sub}
	if hasScope(g.scopes, "email") {
		claims["email"] = u.email
		claims["email_verified"] = "true"
	}
	if hasScope(g.scopes, "profile") {
		claims["name"] = u.displayName
		claims["given_name"] = u.givenName
		claims["family_name"] = u.familyName
		claims["preferred_username"] = u.email
		claims["locale"] = "en_US"
		claims["zoneinfo"] = "America/Los_Angeles"
	}
	if hasScope(g.scopes, "phone") {
		claims["phone"] = u.phone
	}
	if hasScope(g.scopes, "address") {
		claims["address"] = map[string]string{"country": "US"}
	}
	s.mu.Lock()
	s.stats.UserInfoRequests++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, claims)
}

// person is the Webex REST representation of a person.
type person struct {
	ID           string        `json:"id"`
	Emails       []string      `json:"emails"`
	PhoneNumbers []phoneNumber `json:"phoneNumbers"`
	DisplayName  string        `json:"displayName"`
	NickName     string        `json:"nickName"`
	FirstName    string        `json:"firstName"`
	LastName     string        `json:"lastName"`
	UserName     string        `json:"userName"`
	OrgID        string        `json:"orgId"`
	Created      string        `json:"created"`
	LastModified string        `json:"lastModified"`
	LastActivity string        `json:"lastActivity"`
	Status       string        `json:"status"`
	Type         string        `json:"type"`
}

type phoneNumber struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// personCreated is the fixed creation time of every emulated person.
func personCreated() time.Time { return time.Date(2024, time.January, 15, 9, 30, 0, 0, time.UTC) }

// handlePeopleMe serves GET /v1/people/me with any valid access token (browser or device).
func (s *Server) handlePeopleMe(w http.ResponseWriter, r *http.Request) {
	g, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.stats.PeopleMeRequests++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.personOf(g.user))
}

// handleJWKS serves GET /v1/verification: every signing key, though ID tokens name none;
// the first Config.StaleJWKS answers leave out the key that signs.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body := s.jwks
	if s.stats.JWKSRequests < s.cfg.StaleJWKS {
		body = s.staleJWKS
	}
	s.stats.JWKSRequests++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(body)
}

// discovery is the OpenID Provider metadata (OpenID Connect Discovery section 3) as Webex
// publishes it: the issuer is an IdBroker URL, and there is no device, revocation or
// end-session endpoint.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserInfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	base := s.rootURL(r) + "/v1"
	writeJSON(w, http.StatusOK, discovery{
		Issuer:                            s.cfg.DiscoveryIssuer,
		AuthorizationEndpoint:             base + "/authorize",
		TokenEndpoint:                     base + "/access_token",
		UserInfoEndpoint:                  base + "/userinfo",
		JWKSURI:                           base + "/verification",
		ScopesSupported:                   []string{"openid", "email", "profile", "phone", "address"},
		ResponseTypesSupported:            []string{"code"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic"},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce",
			"name", "given_name", "family_name", "preferred_username", "email", "email_verified", "phone", "address"},
		CodeChallengeMethodsSupported: []string{"plain", "S256"},
	})
}

type jrdLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

type jrd struct {
	Subject string    `json:"subject"`
	Links   []jrdLink `json:"links"`
}

const issuerRel = "http://openid.net/specs/connect/1.0/issuer"

// handleWebFinger serves GET /v1/.well-known/webfinger?resource=acct:EMAIL (RFC 7033, OpenID
// Connect Discovery section 2): the issuer for any well-formed acct: resource.
func (s *Server) handleWebFinger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res := q.Get("resource")
	addr, ok := strings.CutPrefix(res, "acct:")
	at := strings.LastIndexByte(addr, '@')
	if !ok || at <= 0 || at == len(addr)-1 || strings.ContainsAny(addr, " /?#") {
		writeEnvelope(w, http.StatusBadRequest, "The resource parameter must be acct:EMAIL.", "")
		return
	}
	links := []jrdLink{}
	if rels := q["rel"]; len(rels) == 0 || hasScope(rels, issuerRel) {
		links = append(links, jrdLink{Rel: issuerRel, Href: s.cfg.DiscoveryIssuer})
	}
	writeJSONType(w, http.StatusOK, "application/jrd+json", jrd{Subject: res, Links: links})
}
