// A small web app that signs people in through AskOnce, as a site owner's own app would:
// Express for the pages, openid-client (OpenID Certified) for the protocol — discovery, the
// authorization code flow with PKCE, state and nonce, the ID token's checks, userinfo.
//
//   ISSUER=http://127.0.0.1:3000 CLIENT_ID=example CLIENT_SECRET="$EXAMPLE_SECRET" npm start
//
// Settings (environment): ISSUER (AskOnce's public_url), CLIENT_ID, CLIENT_SECRET (unset for
// a public client, which then relies on PKCE alone), PORT (default 4000; 0 picks a free one),
// SCOPE (default "openid profile email"), APP_NAME. It prints "READY <url>" once listening.
// Register <url>/backchannel-logout as the application's backchannel_logout_uri and signing
// out of AskOnce signs people out of this app too (OpenID Connect Back-Channel Logout 1.0).
import { randomBytes } from 'node:crypto';
import express from 'express';
import * as oidc from 'openid-client';
import * as jose from 'jose';

const issuer = new URL(process.env.ISSUER ?? 'http://127.0.0.1:3000');
const clientId = process.env.CLIENT_ID ?? 'example';
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
// Cookies ignore ports: two of these apps on one host (the tests run a shop and a forum)
// each need their own name.
const sessions = new Map();
const cookieName = `rp_session_${clientId.replace(/[^A-Za-z0-9_]/g, '_')}`;
function session(req, res) {
  const id = (req.headers.cookie ?? '').split(';').map((c) => c.trim().split('=')).find(([k]) => k === cookieName)?.[1];
  if (id && sessions.has(id)) return sessions.get(id);
  const fresh = randomBytes(24).toString('base64url');
  res.append('Set-Cookie', `${cookieName}=${fresh}; HttpOnly; SameSite=Lax; Path=/`);
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
    `<p><a href="/login">Sign in again</a> · <a href="/logout" data-testid="rp-sign-out">Sign out</a></p>`));
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
    s.sid = claims.sid;
    s.tokens = { access_token: tokens.access_token, refresh_token: tokens.refresh_token, id_token: tokens.id_token };
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

// What a long-lived app does with its tokens (and what the tests check, as JSON).
const signedIn = (req, res) => {
  const s = session(req, res);
  if (!s.tokens) res.status(401).json({ error: 'not signed in' });
  return s.tokens ? s : null;
};

// A new access token from the refresh token; AskOnce rotates the refresh token each time.
app.get('/refresh', async (req, res, next) => {
  const s = signedIn(req, res);
  if (!s) return;
  try {
    const before = s.tokens.refresh_token;
    const tokens = await oidc.refreshTokenGrant(await provider(), before);
    s.tokens = { access_token: tokens.access_token, refresh_token: tokens.refresh_token, id_token: tokens.id_token ?? s.tokens.id_token };
    res.json({ rotated: !!tokens.refresh_token && tokens.refresh_token !== before, sub: tokens.claims()?.sub ?? null });
  } catch (err) {
    console.error(err);
    res.status(400).json({ error: err?.error ?? err?.code ?? 'error' });
  }
});

// /userinfo by POST (RFC 6750 §2.1 header), beside the GET openid-client made at sign-in.
app.get('/userinfo-post', async (req, res, next) => {
  const s = signedIn(req, res);
  if (!s) return;
  try {
    const cfg = await provider();
    const answer = await oidc.fetchProtectedResource(cfg, s.tokens.access_token, new URL(cfg.serverMetadata().userinfo_endpoint), 'POST');
    res.status(answer.status).json(await answer.json());
  } catch (err) {
    next(err);
  }
});

app.get('/introspect', async (req, res) => {
  const s = signedIn(req, res);
  if (!s) return;
  const which = req.query.token === 'refresh' ? s.tokens.refresh_token : s.tokens.access_token;
  try {
    res.json(await oidc.tokenIntrospection(await provider(), which));
  } catch (err) {
    res.status(400).json({ error: err?.error ?? err?.code ?? 'error' });
  }
});

app.get('/revoke', async (req, res) => {
  const s = signedIn(req, res);
  if (!s) return;
  try {
    await oidc.tokenRevocation(await provider(), s.tokens.refresh_token);
    res.json({ revoked: true });
  } catch (err) {
    res.status(400).json({ error: err?.error ?? err?.code ?? 'error' });
  }
});

// Signing out here signs out of AskOnce too (RP-initiated logout), then comes back.
app.get('/logout', async (req, res, next) => {
  const s = session(req, res);
  try {
    const hint = s.tokens?.id_token;
    delete s.user;
    delete s.tokens;
    const cfg = await provider();
    res.redirect(oidc.buildEndSessionUrl(cfg, { post_logout_redirect_uri: `${base()}/`, ...(hint ? { id_token_hint: hint } : { client_id: clientId }) }).href);
  } catch (err) {
    next(err);
  }
});

// Back-Channel Logout 1.0 §2.6: AskOnce posts a logout token when the person's AskOnce
// session ends; every session of this app signed in from it ends too.
const backchannelLogouts = [];
// A logout token's jti is used once (§2.6 step 8 allows refusing a replay); kept for the
// token's two minutes.
const seenJti = new Map();
let jwks;
app.post('/backchannel-logout', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
  res.set('Cache-Control', 'no-store');
  try {
    const cfg = await provider();
    const meta = cfg.serverMetadata();
    jwks ??= jose.createRemoteJWKSet(new URL(meta.jwks_uri));
    const { payload } = await jose.jwtVerify(String(req.body?.logout_token ?? ''), jwks, {
      issuer: meta.issuer,
      audience: clientId,
      typ: 'logout+jwt',
      algorithms: ['RS256'],
      maxTokenAge: '2 minutes',
      requiredClaims: ['iat', 'jti', 'events'],
    });
    if (!payload.events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload || !(payload.sid || payload.sub)) {
      throw new Error('not a logout token');
    }
    const now = Date.now();
    for (const [jti, until] of seenJti) if (until < now) seenJti.delete(jti);
    if (seenJti.has(payload.jti)) throw new Error('a logout token used twice');
    seenJti.set(payload.jti, (payload.exp ?? 0) * 1000 + 60_000);
    let ended = 0;
    for (const s of sessions.values()) {
      const mine = s.user && (payload.sid ? s.sid === payload.sid : s.user.claims.sub === payload.sub);
      if (mine) {
        delete s.user;
        delete s.tokens;
        ended += 1;
      }
    }
    backchannelLogouts.push({ sid: payload.sid ?? null, sub: payload.sub ?? null, ended, token: String(req.body.logout_token) });
    res.status(200).end();
  } catch (err) {
    backchannelLogouts.push({ refused: err?.code ?? err?.message ?? 'invalid' });
    res.status(400).json({ error: 'invalid_request' });
  }
});

// What the tests read: the logout tokens received and what each ended. Only with
// RP_TEST_ENDPOINTS=1: it names every session that ended, whoever asks.
if (process.env.RP_TEST_ENDPOINTS === '1') {
  app.get('/backchannel.json', (req, res) => res.json(backchannelLogouts));
}

app.use((err, req, res, _next) => {
  console.error(err);
  res.status(502).send(page('AskOnce is unreachable', `<p role="alert">Could not reach AskOnce: ${escape(err.message)}</p>`));
});

const server = app.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  app.locals.host = `127.0.0.1:${bound}`;
  console.log(`READY ${base()}`);
});
