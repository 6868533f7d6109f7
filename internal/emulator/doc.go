// Package emulator is a local, in-memory emulator of "Login with Webex", Cisco Webex's OpenID
// Connect and OAuth 2.0 service, with the quirks described in docs/webex-login.md. It
// backs the `webex emulator` command and the end-to-end tests.
//
// It owns: the /v1 endpoints of one integration (one client id and secret), the people who can
// sign in, the sign-in and device pages, and every code and token it hands out. It must not
// talk to any host, print (beyond the optional request log it is given), open browsers or keep
// state outside the Server; it listens on IPv4 loopback only unless Config.AllowNonLoopback
// is set (see Exposure beyond loopback).
//
// # Endpoints
//
// Under the API base http://127.0.0.1:PORT/v1:
//
//	GET  /authorize                        sign-in page (authorization code flow, RFC 6749 4.1)
//	POST /authorize                        the sign-in page's form
//	POST /access_token                     authorization_code (PKCE, RFC 7636) and refresh_token
//	POST /device/authorize                 device authorization (RFC 8628 3.1), client_id + scope, no client authentication
//	POST /device/token                     device polling (RFC 8628 3.4), HTTP Basic required
//	GET  /userinfo                         UserInfo (OIDC Core 5.3), Bearer
//	GET  /people/me                        Webex person, Bearer
//	GET  /people                           the people who can sign in (REST, paginated)
//	GET  /rooms, POST /rooms               the caller's group rooms (REST, paginated), create one
//	GET  /messages, POST /messages         a room's messages, newest first (REST, paginated), post one
//	GET  /verification                     JWKS: several RSA keys (Config.StaleJWKS: first answers without the signing key)
//	GET  /.well-known/openid-configuration discovery, issuer an IdBroker URL
//	GET  /.well-known/webfinger            ?resource=acct:EMAIL
//
// and at the root: GET/POST /verify (the device page, the verification_uri) and GET / (an index).
//
// # Webex quirks reproduced
//
//   - Discovery's issuer is Config.DiscoveryIssuer (https://idbroker-b-us.webex.com/idb), not
//     the base URL, and differs from the ID tokens' iss (Config.IDTokenIssuer,
//     https://idbroker.webex.com/idb). It lists only client_secret_basic, PKCE plain and S256,
//     and no device, revocation or end-session endpoint.
//   - ID tokens are RS256 with header {"alg":"RS256","typ":"JWT"} and no kid, signed with the
//     last of the keys at /verification (three by default). Claims: iss, sub (a UUID per user),
//     aud (the client id), iat, exp = iat + IDTokenTTL, auth_time, nonce. No e-mail or name.
//     A refresh of an openid grant returns a fresh ID token without nonce (OIDC Core 12.2).
//   - The client secret is required at /access_token (Basic or form fields); /device/token
//     requires HTTP Basic; /device/authorize refuses it (an Authorization header or a
//     client_secret field), since Webex documents no client authentication there. redirect_uri must equal a registered one exactly; with none
//     registered any http://127.0.0.1:PORT/callback matches. With some registered, the device
//     flow works only if a Webex OAuth helper callback is among them (generic 400 otherwise).
//   - PKCE: when the authorization request had a code_challenge the verifier must match; when
//     it had none, a code_verifier is refused (no downgrade). Codes are single use and live 5 min;
//     any redemption attempt burns the code.
//   - Device flow: device_code a UUID, user_code six digits, verification_uri <root>/verify,
//     verification_uri_complete <root>/verify?userCode=<64 hex> (an HMAC-SHA256 of the user
//     code), expires_in and interval from Config. OpenID Connect scopes (openid, email, profile,
//     phone, address) are refused with 400 invalid_scope, since Webex's device flow takes none;
//     device grants never carry an ID token.
//   - Scopes: the OpenID Connect scopes need no registration; any other scope must be one of
//     Config.Scopes (default spark:people_read), else the browser flow redirects with
//     error=invalid_scope and device authorization answers 400 invalid_scope.
//   - Refresh does not rotate: the answer repeats the same refresh_token with
//     refresh_token_expires_in counting down to its original expiry, and a new access token.
//   - UserInfo returns the claims of the granted OIDC scopes; email_verified is the string
//     "true" and the phone claim is phone. It answers 403 to tokens without the openid scope
//     (device-flow tokens); /people/me accepts any valid token.
//   - Tokens are opaque: 256 random bits (base64url) followed by "_PF84_" and the org UUID.
//   - Every response has a TrackingID header.
//
// # REST API
//
// /people/me, /people, /rooms and /messages take a bearer token. /people needs the scope
// spark:people_read, /rooms spark:rooms_read (GET) or spark:rooms_write (POST), /messages
// spark:messages_read or spark:messages_write; spark:all, the scope of
// Server.PersonalAccessToken (a personal access token or, for an address at webex.bot, a bot
// token, made without an OAuth flow), covers them all. A user whose address is at webex.bot
// is a person of type "bot". POST bodies must be application/json objects (415 otherwise).
// Rooms are visible to their creator only; messages need a roomId (the emulator has no 1:1
// messages) and text or markdown of at most 7439 bytes. Lists answer {"items":[...]} with at
// most max items (1 to 1000, default 100) and, while more remain, a header
// Link: <URL>; rel="next" whose URL carries an opaque cursor. Every RateLimitEvery-th REST
// request (counted across all four paths) is answered 429 with Retry-After: 1.
//
// # Error shapes
//
// The Webex envelope is {"message":M,"errors":[{"description":D}],"trackingId":T}; where an
// OAuth error code applies, M is that code (for example "invalid_client") and D a sentence.
// The OAuth shape is {"error":C,"error_description":D}.
//
//	POST /access_token, every error      OAuth shape: 400 invalid_request, invalid_grant,
//	                                     invalid_scope, unsupported_grant_type; 401
//	                                     invalid_client (with WWW-Authenticate); 415 when the
//	                                     body is not a form
//	POST /device/authorize               envelope, 400: invalid_client (unknown client_id),
//	                                     invalid_scope (none, OIDC or unregistered scopes),
//	                                     invalid_request (client authentication sent, or helper
//	                                     callbacks not registered)
//	POST /device/token pending           envelope, 428, message authorization_pending
//	POST /device/token slow_down         OAuth shape, 400 (every SlowDownEvery-th poll)
//	POST /device/token throttled         envelope, 429 with Retry-After (every RateLimitEvery-th)
//	POST /device/token expired code      OAuth shape, 400 invalid_grant
//	POST /device/token denied            envelope, 400 access_denied
//	POST /device/token unknown/used code envelope, 400 invalid_grant
//	POST /device/token no Basic          envelope, 400 invalid_client (401 if Basic is wrong)
//	POST /device/token other             envelope, 400 invalid_request / unsupported_grant_type
//	GET /userinfo, /people/me            envelope, 401 bad or expired token; 403
//	                                     insufficient_scope (userinfo without openid)
//	REST (people, rooms, messages)       envelope: 400 bad max, cursor or body, 401, 403
//	                                     missing scope, 404 unknown room, 415 not JSON, 429
//	                                     every RateLimitEvery-th request, 503 table full
//	unknown path, wrong method           envelope, 404 / 405
//	a table is full (see Limits)         envelope, 503 with Retry-After: 60
//	GET/POST /verify, too many wrong     HTML error page, 429 with Retry-After
//	codes from one address
//
// GET /authorize shows errors about the client id or redirect URI on the page and never
// redirects to an unregistered URI. After those checks, errors are redirected in the query:
// unsupported_response_type, invalid_scope (none, or an unregistered scope), invalid_request, login_required (prompt=none: the
// emulator keeps no session), access_denied (Deny).
//
// # Pages
//
// Plain server-rendered HTML, no JavaScript, stable element ids for browser tests:
//
//	sign-in page (GET /v1/authorize), title "Webex emulator - Sign in"
//	  form#signin (POST /v1/authorize)
//	  input#csrf_token[name=csrf_token]          hidden, single-use, per request
//	  input#user-0, #user-1, ... [name=user]     radio, value = e-mail, in Config.Users order;
//	                                             login_hint (else the first user) is checked
//	  button#approve[name=decision][value=approve]
//	  button#deny[name=decision][value=deny]
//	  #client_id, #redirect_uri, ul#scopes > li.scope[data-scope]
//	device page (GET /verify), title "Webex emulator - Device sign-in"
//	  form#code-form (POST /verify)
//	  input#user_code[name=user_code]            six digits; spaces and dashes are ignored
//	  button#continue
//	device confirmation (after #continue, or GET /verify?userCode=<hash>)
//	  form#device-form (POST /verify), #code (the user code), input#csrf_token,
//	  input#user-N[name=user], button#approve, button#deny, ul#scopes
//	done page, title "Webex emulator - Done"
//	  p#result[data-result=approved|denied]
//	any page with an error
//	  p#error (the error page's title is "Webex emulator - Error")
//
// Approve on the sign-in page answers 303 to redirect_uri?code=...&state=...; Deny answers
// 303 with error=access_denied. With Config.Approve "auto", GET /v1/authorize redirects at once
// (302) and device codes count as approved after Config.ApproveDelay.
//
// # Limits
//
// The tables that anyone who can reach the server can fill without the client secret hold at
// most Config.MaxPending live entries each (DefaultMaxPending, 10000): pending page forms,
// device codes, authorization codes (auto mode hands them out to anyone), and the client
// addresses tracked below; and the REST API's rooms and messages. When one is full, expired
// entries are pruned at once; if it is still full the request gets HTTP 503 with the Webex
// envelope (message "Service Unavailable") and Retry-After: 60.
//
// The device page accepts at most 10 user codes (or verification_uri_complete hashes) that
// match no device code per client address (the peer's IP; forwarding headers are not
// trusted) per minute; then every code lookup from that address gets a 429 error page with
// Retry-After until the minute is over, since six digits can be guessed. Malformed codes do
// not count.
//
// # Exposure beyond loopback
//
// With Config.AllowNonLoopback (`webex emulator --allow-remote`) other machines can reach the
// pages, say a phone scanning the device QR code. The emulator has no real security: use it on
// trusted networks only. The HTTP server bounds every connection (10s for the request header,
// 30s to read the request, 30s to write the response, 120s idle). When the listen address is
// unspecified (0.0.0.0 or ::), the absolute URLs the server hands out (verification_uri,
// verification_uri_complete, discovery endpoints, the index page) are built from each
// request's Host header, accepted only as host[:port] (anything else falls back to the
// loopback address and port of the listener), so that a phone that reached the machine by its
// LAN address is sent back there; Start then returns http://127.0.0.1:PORT/v1 (or [::1]).
//
// # State
//
// Everything lives in memory behind one mutex. Secrets are compared in constant time. Expired
// codes, tokens, forms and device codes are pruned as new ones are made. Times come from
// Config.Now, so tests can move the clock.
package emulator
