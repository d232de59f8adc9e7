#!/usr/bin/env node
// The comparison for AskOnce *as an OpenID Provider* (scripts/bench-openid-provider.sh):
// panva/oidc-provider, OpenID-certified, configured as close to AskOnce's provider as it
// allows, driven by the same bench/op-bench.mjs.
//
//   node bench/oidc-provider-op.mjs --port 4500 --redirect http://127.0.0.1:9/cb \
//        [--client-id bench] [--client-secret bench-client-secret-0123456789abcdefghijkl]
//
// Prints `READY <issuer>` on stdout once it listens, and nothing per request (a server
// error, which the benchmark counts as a failure anyway, is printed on stderr).
//
// How it compares with AskOnce (docs/OPENID_PROVIDER.md):
// - One confidential client, client_secret_basic, with authorization_code, refresh_token
//   and client_credentials; PKCE required (oidc-provider 9 knows only S256); RS256 ID tokens
//   signed by an RSA 2048 key made at start, like AskOnce's keys.
// - Consent is implied, as for AskOnce's first-party apps: `loadExistingGrant` hands back
//   the session's grant for the client, or makes one for openid/profile/email.
// - ID tokens carry the scopes' claims (`conformIdTokenClaims: false`), as AskOnce's do.
// - Access tokens for /userinfo are opaque here: oidc-provider only issues JWT access
//   tokens for a resource server, and refuses those at /userinfo. AskOnce signs an RS256 JWT
//   (RFC 9068) for its /userinfo. So each authorization here costs one RS256 signature (the
//   ID token) and AskOnce two.
// - client_credentials tokens are RS256 JWTs (RFC 9068) for one resource server standing for
//   AskOnce's management API (scope read:users), as AskOnce's are, so the token phase signs
//   the same token on both sides. It is the default resource for that grant only, so the
//   driver sends both the same request. One difference stays: oidc-provider stores nothing
//   for a JWT access token, while AskOnce records each (its `jti`) in its database, since the
//   API checks every call against it (revocation, the machine's scopes now).
// - Lifetimes as AskOnce's defaults: access tokens 10 minutes, ID tokens an hour, codes 60 s.
// - State in oidc-provider's development memory adapter (an LRU of 1,000 entries): no
//   database, so this side pays no storage cost; AskOnce writes SQLite or PostgreSQL.
//
// The one account is `bench` (the login form accepts any password); other login names are
// refused at the form, so every worker of the driver signs in as `bench`, each in its own
// session.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// oidc-provider is installed in end2end/ (the version its package.json pins, from its
// lockfile: `cd end2end && npm ci`), not next to this file: resolve it from there.
const requireFromEnd2end = createRequire(new URL('../end2end/package.json', import.meta.url));
let Provider;
try {
  ({ default: Provider } = await import(pathToFileURL(requireFromEnd2end.resolve('oidc-provider')).href));
} catch (err) {
  console.error(`oidc-provider-op.mjs: oidc-provider is not installed in end2end/ (run \`cd end2end && npm ci\`): ${err.message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const port = Number(arg('port', '0'));
const redirectUris = arg('redirect', 'http://127.0.0.1:9/cb').split(',').filter(Boolean);
const clientId = arg('client-id', 'bench');
const clientSecret = arg('client-secret', 'bench-client-secret-0123456789abcdefghijkl');

const ACCOUNT_ID = 'bench';
const claims = {
  email: 'bench@example.com',
  email_verified: true,
  given_name: 'Bench',
  family_name: 'Person',
  name: 'Bench Person',
};

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
// The resource server standing for AskOnce's management API (its audience there is
// `<public_url>/api/v2/`).
const api = `${issuer}/api/v2/`;

// An RSA 2048 signing key, as AskOnce makes (oidc-provider's development keys otherwise).
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'bench-rs256',
  use: 'sig',
  alg: 'RS256',
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [signingKey] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'nickname', 'picture', 'locale', 'updated_at'],
  },
  conformIdTokenClaims: false,
  cookies: { keys: ['askonce-bench-cookie-key'] },
  pkce: { required: () => true },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    IdToken: 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 14 * 24 * 3600,
  },
  features: {
    devInteractions: { enabled: true },
    userinfo: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The API only for client_credentials: an authorization's access token stays one
      // /userinfo accepts.
      async defaultResource(ctx, _client, oneOf) {
        if (oneOf) return oneOf;
        return ctx.oidc.route === 'token' && ctx.oidc.params?.grant_type === 'client_credentials' ? api : undefined;
      },
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== api) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'read:users',
          audience: api,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async findAccount(_ctx, id) {
    if (id !== ACCOUNT_ID) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // Consent implied (a first-party app): the grant this session already holds for the
  // client, else a new one — once per session, as a real deployment would keep it.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.on('server_error', (_ctx, err) => console.error(`oidc-provider server_error: ${err.stack ?? err}`));
server.on('request', provider.callback());
process.stdout.write(`READY ${issuer}\n`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    // Keep-alive connections would hold close() open.
    server.closeAllConnections?.();
  });
}
