// Test-only OpenID Provider for the Go end-to-end suites.
//
// Runs panva's certified oidc-provider on 127.0.0.1 with in-memory storage, freshly generated
// RS256 signing keys, two pre-registered clients and a fully automatic user interaction, so a
// plain HTTP client (no browser) can complete the authorization code + PKCE flow and the device
// flow. It must never be reachable from anywhere but the loopback interface.
//
// Start:   node server.mjs [--port N]        (N = 0 or absent: a random free port)
// Ready:   one JSON line on stdout:
//          {"issuer":"http://127.0.0.1:PORT","client_id":..,"client_secret":..,
//           "public_client_id":..,"redirect_uris":[..],"pid":..}
// Stop:    SIGTERM / SIGINT, or (with WEBEX_TEST_EXIT_ON_STDIN_EOF=1) when stdin closes.
//
// Environment (all optional; durations in whole seconds):
//   WEBEX_TEST_PORT                      port when --port is not given (default 0)
//   WEBEX_TEST_CLIENT_ID                 confidential client id (default "webex-test-client")
//   WEBEX_TEST_CLIENT_SECRET             its secret (default "webex-test-secret")
//   WEBEX_TEST_PUBLIC_CLIENT_ID          public (auth method "none") client id (default "webex-test-public")
//   WEBEX_TEST_REDIRECT_URIS             extra redirect URIs, space separated
//   WEBEX_TEST_ACCESS_TTL                access token lifetime (default 3600)
//   WEBEX_TEST_REFRESHED_ACCESS_TTL      lifetime of access tokens from the refresh_token grant
//                                        (default: WEBEX_TEST_ACCESS_TTL)
//   WEBEX_TEST_ID_TOKEN_TTL              ID token lifetime (default 3600)
//   WEBEX_TEST_REFRESH_TTL               refresh token lifetime (default 14 days)
//   WEBEX_TEST_DEVICE_CODE_TTL           device code lifetime (default 600)
//   WEBEX_TEST_ROTATE_REFRESH            "true": every refresh grant rotates the refresh token;
//                                        "false" (default): the same refresh token is returned
//   WEBEX_TEST_REFRESH_NEEDS_OFFLINE_ACCESS
//                                        "1": the authorization code grant issues a refresh token
//                                        only when offline_access was granted (which oidc-provider
//                                        only does with prompt=consent); default: always, for
//                                        clients allowed the refresh_token grant (like Webex)
//   WEBEX_TEST_ID_TOKEN_CLAIMS           "1": put scope claims (email, name...) into ID tokens
//                                        too; default: only UserInfo has them (OIDC Core 5.4)
//   WEBEX_TEST_EXTRA_SCOPES              extra supported scopes, space separated (for example
//                                        "spark:people_read"); they are granted but carry no claims
//   WEBEX_TEST_DEVICE_AUTO_APPROVE       unset: device codes wait for POST /test/device/approve;
//                                        N >= 0: a device code is approved for the default account
//                                        after it has been answered authorization_pending N times
//                                        (0: approved as soon as it is issued)
//   WEBEX_TEST_DEVICE_INTERVAL           "interval" (seconds) added to device authorization answers;
//                                        default: none, so RFC 8628 clients poll every 5 s
//   WEBEX_TEST_STALE_JWKS                N: the first N answers of the JWKS endpoint list only a
//                                        retired key (another kid), not the signing key, as during a
//                                        key rotation; default 0
//   WEBEX_TEST_GRANT_LOG                 file to append the grant log to (default stderr)
//   WEBEX_TEST_EXIT_ON_STDIN_EOF         "1": exit when stdin reaches EOF (parent died)
//
// Accounts: "alice" (alice@example.com, "Alice Example", the default) and "bob"
// (bob@example.com, "Bob Example"). An authorization request's login_hint picks one by sub or
// email; any other login_hint ends the request with error=access_denied.
//
// Test routes (not part of any standard):
//   GET  /test/stats           counts as a flat JSON object, see `stats` below
//   POST /test/stats/reset     zero all counts
//   POST /test/device/approve  form or JSON {user_code, account?, deny?}: approve (or deny with
//                              access_denied) a pending device code; 404 unknown, 409 expired/used
//
// Grant log: one JSON line per token endpoint answer, for example
//   {"event":"grant.success","grant_type":"refresh_token","client_id":"webex-test-client"}
//   {"event":"grant.error","grant_type":"refresh_token","client_id":"..","error":"invalid_grant"}
// It never contains a token, code or secret.

import { generateKeyPairSync, randomBytes, createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { appendFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const env = process.env;

function intEnv(name, def) {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 0 || String(n) !== v.trim()) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  return n;
}

function boolEnv(name) {
  const v = (env[name] || '').toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}

function portArg() {
  const i = process.argv.indexOf('--port');
  if (i !== -1 && process.argv[i + 1] !== undefined) {
    const n = Number.parseInt(process.argv[i + 1], 10);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error('--port must be 0..65535');
    return n;
  }
  return intEnv('WEBEX_TEST_PORT', 0);
}

const CLIENT_ID = env.WEBEX_TEST_CLIENT_ID || 'webex-test-client';
const CLIENT_SECRET = env.WEBEX_TEST_CLIENT_SECRET || 'webex-test-secret';
const PUBLIC_CLIENT_ID = env.WEBEX_TEST_PUBLIC_CLIENT_ID || 'webex-test-public';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

// Registered without a port: for application_type "native" clients oidc-provider ignores the
// port of http loopback redirect URIs (RFC 8252 section 7.3), so any
// http://127.0.0.1:<port>/callback matches.
const REDIRECT_URIS = [
  'http://127.0.0.1/callback',
  'http://localhost/callback',
  ...(env.WEBEX_TEST_REDIRECT_URIS || '').split(/\s+/).filter(Boolean),
];

const ACCESS_TTL = intEnv('WEBEX_TEST_ACCESS_TTL', 3600);
const REFRESHED_ACCESS_TTL = intEnv('WEBEX_TEST_REFRESHED_ACCESS_TTL', ACCESS_TTL);
const ID_TOKEN_TTL = intEnv('WEBEX_TEST_ID_TOKEN_TTL', 3600);
const REFRESH_TTL = intEnv('WEBEX_TEST_REFRESH_TTL', 14 * 24 * 3600);
const DEVICE_CODE_TTL = intEnv('WEBEX_TEST_DEVICE_CODE_TTL', 600);
const ROTATE_REFRESH = boolEnv('WEBEX_TEST_ROTATE_REFRESH');
const REFRESH_NEEDS_OFFLINE = boolEnv('WEBEX_TEST_REFRESH_NEEDS_OFFLINE_ACCESS');
const ID_TOKEN_CLAIMS = boolEnv('WEBEX_TEST_ID_TOKEN_CLAIMS');
const AUTO_APPROVE = env.WEBEX_TEST_DEVICE_AUTO_APPROVE === undefined
  || env.WEBEX_TEST_DEVICE_AUTO_APPROVE === ''
  ? -1 : intEnv('WEBEX_TEST_DEVICE_AUTO_APPROVE', -1);
const DEVICE_INTERVAL = intEnv('WEBEX_TEST_DEVICE_INTERVAL', 0);
const GRANT_LOG = env.WEBEX_TEST_GRANT_LOG || '';
const STALE_JWKS = intEnv('WEBEX_TEST_STALE_JWKS', 0);
let jwksServed = 0;

const CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'preferred_username', 'updated_at'],
};
const SCOPES = [
  'openid', 'offline_access', 'email', 'profile',
  ...(env.WEBEX_TEST_EXTRA_SCOPES || '').split(/\s+/).filter(Boolean),
];
const SCOPE_SET = new Set(SCOPES);

const ACCOUNTS = {
  alice: {
    sub: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    name: 'Alice Example',
    given_name: 'Alice',
    family_name: 'Example',
    preferred_username: 'alice',
    updated_at: 1700000000,
  },
  bob: {
    sub: 'bob',
    email: 'bob@example.com',
    email_verified: true,
    name: 'Bob Example',
    given_name: 'Bob',
    family_name: 'Example',
    preferred_username: 'bob',
    updated_at: 1700000000,
  },
};
const DEFAULT_ACCOUNT = 'alice';

function accountFor(hint) {
  if (!hint) return DEFAULT_ACCOUNT;
  const h = String(hint).toLowerCase();
  for (const [id, a] of Object.entries(ACCOUNTS)) {
    if (id === h || a.email === h) return id;
  }
  return undefined;
}

// ---- stats and grant log ----

const stats = Object.create(null);
function count(key) {
  stats[key] = (stats[key] || 0) + 1;
}

function logGrant(line) {
  const s = `${JSON.stringify(line)}\n`;
  if (GRANT_LOG) appendFileSync(GRANT_LOG, s);
  else process.stderr.write(s);
}

// ---- signing keys ----

function rsaSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

// The public half of a key that no longer signs, for the stale JWKS answers.
const retiredKey = (({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use }))(rsaSigningKey());

// ---- configuration ----

function configuration() {
  return {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        response_types: ['code'],
        redirect_uris: REDIRECT_URIS,
      },
      {
        client_id: PUBLIC_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        response_types: ['code'],
        redirect_uris: REDIRECT_URIS,
      },
    ],
    jwks: { keys: [rsaSigningKey()] },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      // Plain http on 127.0.0.1: SameSite=None would need Secure, which browsers refuse over
      // http. Lax keeps the cookies usable by browsers as well as by Go's cookie jar.
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    claims: CLAIMS,
    scopes: SCOPES,
    responseTypes: ['code', 'none'],
    conformIdTokenClaims: !ID_TOKEN_CLAIMS,
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
    },
    interactions: {
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    async findAccount(ctx, sub) {
      const a = ACCOUNTS[sub];
      if (!a) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { ...a };
        },
      };
    },
    // Tokens never depend on the browser session (the session cookie only exists in the
    // automatic interaction's cookie jar).
    expiresWithSession: async () => false,
    async issueRefreshToken(ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      if (code.kind === 'DeviceCode') return true;
      return !REFRESH_NEEDS_OFFLINE || code.scopes.has('offline_access');
    },
    rotateRefreshToken: () => ROTATE_REFRESH,
    ttl: {
      AccessToken: (ctx) => (ctx?.oidc?.params?.grant_type === 'refresh_token'
        ? REFRESHED_ACCESS_TTL : ACCESS_TTL),
      IdToken: () => ID_TOKEN_TTL,
      RefreshToken: () => REFRESH_TTL,
      DeviceCode: () => DEVICE_CODE_TTL,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: Math.max(REFRESH_TTL, 3600),
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

// ---- automatic decisions ----

async function grantAll(provider, { accountId, clientId, scope, claims, grantId }) {
  let grant;
  if (grantId) grant = await provider.Grant.find(grantId);
  if (!grant || grant.accountId !== accountId) grant = new provider.Grant({ accountId, clientId });
  const granted = (scope || '').split(' ').filter((s) => SCOPE_SET.has(s));
  if (granted.length) grant.addOIDCScope(granted.join(' '));
  if (claims) {
    try {
      const parsed = typeof claims === 'string' ? JSON.parse(claims) : claims;
      const names = [
        ...Object.keys(parsed.userinfo || {}),
        ...Object.keys(parsed.id_token || {}),
      ];
      if (names.length) grant.addOIDCClaims(names);
    } catch {
      // oidc-provider has already rejected malformed claims parameters
    }
  }
  return { grantId: await grant.save(), scope: granted.join(' ') };
}

// approveDevice decides a pending device code the way the device verification page would.
async function decideDevice(provider, code, { accountId, deny }) {
  if (deny) {
    Object.assign(code, { error: 'access_denied', errorDescription: 'End-User denied the request' });
    await code.save();
    count('device_denied');
    return;
  }
  const { grantId, scope } = await grantAll(provider, {
    accountId,
    clientId: code.clientId,
    scope: code.params?.scope,
  });
  Object.assign(code, {
    accountId,
    authTime: Math.floor(Date.now() / 1000),
    amr: ['pwd'],
    grantId,
    scope,
  });
  await code.save();
  count('device_approved');
}

async function readBody(ctx) {
  const chunks = [];
  let size = 0;
  for await (const c of ctx.req) {
    size += c.length;
    if (size > 64 * 1024) ctx.throw(413, 'body too large');
    chunks.push(c);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (ctx.is('application/json')) return raw ? JSON.parse(raw) : {};
  return Object.fromEntries(new URLSearchParams(raw));
}

function normalizeUserCode(input) {
  return String(input).toUpperCase().replace(/\W/g, '');
}

// ---- main ----

const server = createServer();
server.listen(portArg(), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration());

  const pendingPolls = new Map();

  provider.on('grant.success', (ctx) => {
    const grantType = ctx.oidc.params.grant_type;
    count(grantType);
    logGrant({ event: 'grant.success', grant_type: grantType, client_id: ctx.oidc.client?.clientId });
  });
  provider.on('grant.error', (ctx, err) => {
    const grantType = ctx.oidc?.params?.grant_type || 'unknown';
    const error = err.error || 'server_error';
    count(`error:${grantType}:${error}`);
    logGrant({
      event: 'grant.error', grant_type: grantType, client_id: ctx.oidc?.client?.clientId, error,
    });
  });
  provider.on('server_error', (ctx, err) => {
    count('server_error');
    process.stderr.write(`server_error ${ctx.method} ${ctx.path}: ${err.stack || err}\n`);
  });
  provider.on('device_authorization.success', () => count('device_authorization'));
  provider.on('authorization.success', (ctx) => {
    if (ctx.oidc.route === 'authorization' || ctx.oidc.route === 'resume') count('authorization');
  });

  provider.use(async (ctx, next) => {
    // Automatic end-user interaction: log in the hinted (or default) account and grant every
    // requested scope and claim, then resume the authorization request.
    const m = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
    if (m && ctx.method === 'GET') {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== m[1]) ctx.throw(400, 'interaction mismatch');
      const { params } = details;
      const accountId = accountFor(params.login_hint);
      let result;
      if (!accountId) {
        result = { error: 'access_denied', error_description: 'unknown login_hint' };
      } else {
        const { grantId } = await grantAll(provider, {
          accountId,
          clientId: params.client_id,
          scope: params.scope,
          claims: params.claims,
          grantId: details.grantId,
        });
        result = {
          login: { accountId, amr: ['pwd'] },
          consent: { grantId },
        };
      }
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
        mergeWithLastSubmission: false,
      });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }

    if (ctx.path === '/jwks' && ctx.method === 'GET') {
      count('jwks');
      jwksServed += 1;
      if (jwksServed <= STALE_JWKS) {
        ctx.type = 'json';
        ctx.body = JSON.stringify({ keys: [retiredKey] });
        return;
      }
    }
    if (ctx.path === '/test/stats' && ctx.method === 'GET') {
      ctx.type = 'json';
      ctx.body = JSON.stringify(stats);
      return;
    }
    if (ctx.path === '/test/stats/reset' && ctx.method === 'POST') {
      for (const k of Object.keys(stats)) delete stats[k];
      ctx.status = 204;
      return;
    }
    if (ctx.path === '/test/device/approve' && ctx.method === 'POST') {
      const body = await readBody(ctx);
      if (!body.user_code) ctx.throw(400, 'user_code is required');
      const accountId = accountFor(body.account);
      if (!accountId) ctx.throw(400, 'unknown account');
      const code = await provider.DeviceCode.findByUserCode(
        normalizeUserCode(body.user_code),
        { ignoreExpiration: true },
      );
      if (!code) ctx.throw(404, 'user code not found');
      if (code.isExpired || code.accountId || code.error || code.consumed) {
        ctx.throw(409, 'user code expired or already used');
      }
      const deny = body.deny === true || body.deny === 'true' || body.deny === '1';
      await decideDevice(provider, code, { accountId, deny });
      ctx.type = 'json';
      ctx.body = JSON.stringify({ approved: !deny, denied: deny, account: accountId });
      return;
    }

    await next();

    if (DEVICE_INTERVAL > 0 && ctx.oidc?.route === 'device_authorization' && ctx.status === 200
      && ctx.body && typeof ctx.body === 'object') {
      ctx.body.interval = DEVICE_INTERVAL;
    }

    // Deterministic automatic device approval: decided before the answer leaves the server.
    if (AUTO_APPROVE >= 0 && ctx.method === 'POST') {
      if (AUTO_APPROVE === 0 && ctx.oidc?.route === 'device_authorization' && ctx.status === 200) {
        const code = ctx.oidc.entities.DeviceCode;
        if (code) await decideDevice(provider, code, { accountId: DEFAULT_ACCOUNT });
      } else if (ctx.oidc?.route === 'token'
        && ctx.oidc.params?.grant_type === DEVICE_GRANT
        && ctx.body?.error === 'authorization_pending') {
        const dc = ctx.oidc.params.device_code;
        const n = (pendingPolls.get(dc) || 0) + 1;
        pendingPolls.set(dc, n);
        if (n >= AUTO_APPROVE) {
          pendingPolls.delete(dc);
          const code = await provider.DeviceCode.find(dc, { ignoreExpiration: true });
          if (code && !code.accountId && !code.error) {
            await decideDevice(provider, code, { accountId: DEFAULT_ACCOUNT });
          }
        }
      }
    }

    if (ctx.method === 'POST' && ctx.oidc?.route === 'revocation' && ctx.status === 200) {
      count('revocation');
    }
    if (ctx.oidc?.route === 'userinfo' && ctx.status === 200) {
      count('userinfo');
    }
  });

  server.on('request', provider.callback());

  process.stdout.write(`${JSON.stringify({
    issuer,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    public_client_id: PUBLIC_CLIENT_ID,
    redirect_uris: REDIRECT_URIS,
    pid: process.pid,
  })}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (boolEnv('WEBEX_TEST_EXIT_ON_STDIN_EOF')) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
