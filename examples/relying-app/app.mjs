// A small web app that signs people in through AskOnce, as a site owner's own app would:
// Express for the pages, openid-client (OpenID Certified) for the protocol — discovery, the
// authorization code flow with PKCE, state and nonce, the ID token's checks, userinfo.
//
//   ISSUER=http://127.0.0.1:3000 CLIENT_ID=example-app CLIENT_SECRET=… npm start
//
// Settings (environment): ISSUER (AskOnce's public_url), CLIENT_ID, CLIENT_SECRET (unset for
// a public client, which then relies on PKCE alone), PORT (default 4000; 0 picks a free one),
// SCOPE (default "openid profile email"), APP_NAME. It prints "READY <url>" once listening.
import { randomBytes } from 'node:crypto';
import express from 'express';
import * as oidc from 'openid-client';

const issuer = new URL(process.env.ISSUER ?? 'http://127.0.0.1:3000');
const clientId = process.env.CLIENT_ID ?? 'example-app';
const clientSecret = process.env.CLIENT_SECRET || undefined;
const scope = process.env.SCOPE ?? 'openid profile email';
const appName = process.env.APP_NAME ?? 'Example app';
const port = Number(process.env.PORT ?? 4000);

// http:// is only for an AskOnce on this machine (development, the tests).
const local = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
const options = issuer.protocol === 'http:' && local ? { execute: [oidc.allowInsecureRequests] } : undefined;

let config;
async function provider() {
  // Discovery once, on first use: AskOnce may start after this app.
  config ??= await oidc.discovery(issuer, clientId, clientSecret, clientSecret ? undefined : oidc.None(), options);
  return config;
}

// Sessions in memory, by a random cookie: enough for an example.
const sessions = new Map();
function session(req, res) {
  const id = (req.headers.cookie ?? '').split(';').map((c) => c.trim().split('=')).find(([k]) => k === 'rp_session')?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  const fresh = randomBytes(24).toString('base64url');
  res.append('Set-Cookie', `rp_session=${fresh}; HttpOnly; SameSite=Lax; Path=/`);
  const s = {};
  sessions.set(fresh, s);
  return s;
}

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
    `<body><header><h1>${escape(appName)}</h1></header><main>${body}</main></body></html>`;
}

const app = express();
const base = () => `http://${app.locals.host}`;

app.get('/', (req, res) => {
  const s = session(req, res);
  if (!s.user) {
    res.send(page(appName, `<p>You are not signed in.</p><p><a href="/login" data-testid="rp-sign-in">Sign in with AskOnce</a></p>`));
    return;
  }
  const { claims, userinfo } = s.user;
  const rows = Object.entries(userinfo)
    .map(([k, v]) => `<tr><th scope="row">${escape(k)}</th><td data-claim="${escape(k)}">${escape(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`)
    .join('');
  res.send(page(appName, `<p data-testid="rp-signed-in">Signed in as ${escape(claims.email ?? claims.sub)}</p>` +
    `<table><caption>What AskOnce told ${escape(appName)}</caption>${rows}</table>` +
    `<p><a href="/login">Sign in again</a></p>`));
});

// What the tests read: the ID token's claims (checked by openid-client) and /userinfo's.
app.get('/claims.json', (req, res) => {
  const s = session(req, res);
  res.json(s.user ?? null);
});

app.get('/login', async (req, res, next) => {
  try {
    const s = session(req, res);
    const cfg = await provider();
    s.verifier = oidc.randomPKCECodeVerifier();
    s.state = oidc.randomState();
    s.nonce = oidc.randomNonce();
    const params = {
      redirect_uri: `${base()}/callback`,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(s.verifier),
      code_challenge_method: 'S256',
      state: s.state,
      nonce: s.nonce,
    };
    if (typeof req.query.prompt === 'string') params.prompt = req.query.prompt;
    res.redirect(oidc.buildAuthorizationUrl(cfg, params).href);
  } catch (err) {
    next(err);
  }
});

app.get('/callback', async (req, res) => {
  const s = session(req, res);
  try {
    const cfg = await provider();
    // Checks state, iss (RFC 9207), the code exchange, the ID token's iss, aud, exp, iat and nonce.
    const tokens = await oidc.authorizationCodeGrant(cfg, new URL(req.originalUrl, base()), {
      pkceCodeVerifier: s.verifier,
      expectedState: s.state,
      expectedNonce: s.nonce,
    });
    const claims = tokens.claims();
    const userinfo = await oidc.fetchUserInfo(cfg, tokens.access_token, claims.sub);
    s.user = { claims, userinfo, scope: tokens.scope ?? null };
    delete s.verifier;
    res.redirect('/');
  } catch (err) {
    // An error the authorization server sent back (interaction_required, access_denied…) or
    // a check that failed: shown, never the tokens.
    const code = err?.error ?? err?.code ?? 'error';
    s.lastError = code;
    res.status(400).send(page('Sign-in failed', `<p role="alert" data-testid="rp-error" data-error="${escape(code)}">Sign-in failed: ${escape(code)}</p>` +
      `<p>${escape(err?.error_description ?? err?.message ?? '')}</p><p><a href="/">Back</a></p>`));
  }
});

app.use((err, req, res, _next) => {
  console.error(err);
  res.status(502).send(page('AskOnce is unreachable', `<p role="alert">Could not reach AskOnce: ${escape(err.message)}</p>`));
});

const server = app.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  app.locals.host = `127.0.0.1:${bound}`;
  console.log(`READY ${base()}`);
});
