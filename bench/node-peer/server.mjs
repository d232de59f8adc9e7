// A plain Node relying party for AskOnce's load test (scripts/bench-load.sh): the same
// user-visible work as AskOnce's federated sign-in, done the ordinary Node way —
// Express 5, openid-client 6, express-session with its memory store, users in a Map.
//
//   node bench/node-peer/server.mjs --port 3200 --issuer http://127.0.0.1:4000 \
//        --client-id askonce --client-secret askonce-test-secret
//
// (or PEER_PORT, PEER_ISSUER, PEER_CLIENT_ID, PEER_CLIENT_SECRET, PEER_PUBLIC_URL). Prints
// `READY <base url>` once it listens.
//
//   GET /auth/demo/start     authorization code + PKCE (S256), state, nonce → the provider
//   GET /auth/demo/callback  code exchange, ID token verification (claims and JWS signature
//                            against the provider's cached JWKS), userinfo; creates or
//                            updates the user, starts a fresh session, 302 /profile
//   GET /profile             a small signed-in HTML page (302 /login when signed out)
//   GET /api/me              the user as JSON (401 when signed out)
//
// It does less than AskOnce (no database, no profile normalization, no devices, no
// progressive questions): it is the floor to compare against, not an equivalent.
import crypto from 'node:crypto';
import express from 'express';
import session from 'express-session';
import * as oidc from 'openid-client';

const args = process.argv.slice(2);
const arg = (name, env, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return process.env[env] ?? fallback;
};
const port = Number(arg('port', 'PEER_PORT', '3200'));
const issuer = arg('issuer', 'PEER_ISSUER', undefined);
const clientId = arg('client-id', 'PEER_CLIENT_ID', 'askonce');
const clientSecret = arg('client-secret', 'PEER_CLIENT_SECRET', 'askonce-test-secret');
const publicUrl = (arg('public-url', 'PEER_PUBLIC_URL', `http://127.0.0.1:${port}`)).replace(/\/$/, '');
if (!issuer || !port) {
  console.error('usage: server.mjs --issuer URL [--port N (not 0: it is in the redirect URI)] [--client-id ID] [--client-secret S] [--public-url URL]');
  process.exit(2);
}
const redirectUri = `${publicUrl}/auth/demo/callback`;

// Discovery once at start-up; the JWKS is fetched on first use and cached in `config`.
const config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
  execute: [oidc.allowInsecureRequests], // the local test provider speaks plain http
});
// Verify ID token signatures too (openid-client skips it by default for tokens that come
// straight from the token endpoint); AskOnce verifies them, so the peer does as well.
oidc.enableNonRepudiationChecks(config);

/** Users by `issuer|subject`. */
const users = new Map();

const app = express();
app.disable('x-powered-by');
app.use(session({
  name: 'peer_session',
  secret: process.env.PEER_SESSION_SECRET ?? crypto.randomBytes(32).toString('hex'),
  resave: false,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), maxAge: 3 * 24 * 3600 * 1000 },
}));

app.get('/auth/demo/start', async (req, res, next) => {
  try {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    // One transaction per state, as AskOnce keeps them (several tabs may sign in at once).
    req.session.transactions = { ...(req.session.transactions ?? {}), [state]: { codeVerifier, nonce, at: Date.now() } };
    res.redirect(url.href);
  } catch (err) {
    next(err);
  }
});

app.get('/auth/demo/callback', async (req, res) => {
  const state = typeof req.query.state === 'string' ? req.query.state : undefined;
  const tx = state ? req.session.transactions?.[state] : undefined;
  if (tx) delete req.session.transactions[state];
  if (!tx || Date.now() - tx.at > 10 * 60 * 1000) return res.redirect('/login?error=no_transaction');
  try {
    const tokens = await oidc.authorizationCodeGrant(config, new URL(req.originalUrl, publicUrl), {
      pkceCodeVerifier: tx.codeVerifier,
      expectedState: state,
      expectedNonce: tx.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const key = `${claims.iss}|${claims.sub}`;
    const now = new Date().toISOString();
    const known = users.get(key);
    const user = {
      id: known?.id ?? crypto.randomUUID(),
      subject: claims.sub,
      email: info.email ?? null,
      email_verified: info.email_verified === true,
      name: info.name ?? ([info.given_name, info.family_name].filter(Boolean).join(' ') || null),
      given_name: info.given_name ?? null,
      family_name: info.family_name ?? null,
      job_title: info.job_title ?? null,
      created_at: known?.created_at ?? now,
      last_login: now,
      logins_count: (known?.logins_count ?? 0) + 1,
    };
    users.set(key, user);
    // A new session id at sign-in (no fixation), keeping nothing from before.
    req.session.regenerate((err) => {
      if (err) return res.redirect('/login?error=internal');
      req.session.userKey = key;
      req.session.save((err2) => (err2 ? res.redirect('/login?error=internal') : res.redirect('/profile')));
    });
  } catch (err) {
    console.error('sign-in failed:', err.code ?? '', err.message);
    res.redirect('/login?error=provider');
  }
});

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

app.get('/profile', (req, res) => {
  const user = req.session.userKey && users.get(req.session.userKey);
  if (!user) return res.redirect('/login');
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your profile</title></head>
<body><main>
<h1>Signed in as ${esc(user.name ?? user.email)}</h1>
<dl><dt>Name</dt><dd>${esc(user.name)}</dd><dt>Email</dt><dd>${esc(user.email)}</dd>
<dt>Job title</dt><dd>${esc(user.job_title)}</dd><dt>Sign-ins</dt><dd>${user.logins_count}</dd></dl>
</main></body></html>`);
});

app.get('/api/me', (req, res) => {
  const user = req.session.userKey && users.get(req.session.userKey);
  if (!user) return res.status(401).json({ error: 'unauthorized', message: 'Please sign in to continue.' });
  res.json(user);
});

app.get('/login', (req, res) => {
  res.type('html').send('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>'
    + '<body><main><a href="/auth/demo/start">Sign in with Demo IdP</a></main></body></html>');
});

app.use((err, _req, res, _next) => {
  console.error(err);
  res.status(500).send('Internal error');
});

const server = app.listen(port, '127.0.0.1', (err) => {
  if (err) throw err;
  process.stdout.write(`READY http://127.0.0.1:${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
