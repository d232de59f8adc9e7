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
    `<h2>Articles</h2><ul>${Object.entries(articles).map(([slug, x]) => `<li><a href="/articles/${slug}">${escape(x.title)}</a> (<a href="/read/${slug}">without scripts</a>)</li>`).join('')}</ul>` +
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

// ---- Asking in context on this app's own pages (AskOnce's prompt API) ----------------------
//
// Articles, and the seed's third moment: a reader is offered, in place, what AskOnce says is
// due for `article` with the article's tags — never what it knows. Two ways:
//   /articles/:slug      the <askonce-prompt> web component (AskOnce's /embed/prompt.js), under
//                        a strict CSP: scripts and connections only to this app and AskOnce;
//   /read/:slug          this server asks the headless API and renders a plain HTML form
//                        (works without JavaScript).
// Both need a prompt token: this server exchanges the person's access token for one (RFC 8693
// token exchange; the application must be allowed the `prompt` scope and list its origin in
// `web_origins`).
const articles = {
  rust: { title: 'Fearless concurrency in practice', tags: ['rust', 'web'] },
  sql: { title: 'Indexes you did not know you needed', tags: ['sql'] },
  css: { title: 'Container queries, finally', tags: ['css', 'web'] },
};

// A prompt token for the signed-in person, kept until a minute before it expires.
async function promptToken(s) {
  if (s.prompt && s.prompt.until > Date.now()) return s.prompt.token;
  const answer = await oidc.genericGrantRequest(await provider(), 'urn:ietf:params:oauth:grant-type:token-exchange', {
    subject_token: s.tokens.access_token,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  });
  s.prompt = { token: answer.access_token, until: Date.now() + Math.max(0, (answer.expires_in ?? 60) - 60) * 1000 };
  return s.prompt.token;
}

function article(req, res) {
  const s = session(req, res);
  const a = Object.hasOwn(articles, req.params.slug) ? articles[req.params.slug] : null;
  if (!a) {
    res.status(404).send(page('Not found', '<p>No such article.</p>'));
    return null;
  }
  if (!s.tokens) {
    res.send(page(a.title, `<article><h2>${escape(a.title)}</h2><p>An article.</p></article>` +
      `<p><a href="/login" data-testid="rp-sign-in">Sign in with AskOnce</a> to be told when the next one is out.</p>`));
    return null;
  }
  return { s, a };
}

const body = (a) => `<article><h2>${escape(a.title)}</h2><p>Tags: ${a.tags.map(escape).join(', ')}.</p>` +
  '<p>Lorem ipsum, the article itself. Reading it is the moment AskOnce may ask something.</p></article>';

app.get('/articles/:slug', async (req, res, next) => {
  const found = article(req, res);
  if (!found) return;
  try {
    const { s, a } = found;
    let token = await promptToken(s);
    // What the tests do to a token: revoke it before the page renders.
    if (process.env.RP_TEST_ENDPOINTS === '1' && req.query.revoke === '1') {
      await oidc.tokenRevocation(await provider(), token);
      delete s.prompt;
    }
    const askonce = issuer.origin;
    // The strict policy the component is made for: nothing inline, Trusted Types required.
    res.set('Content-Security-Policy',
      `default-src 'self'; script-src 'self' ${askonce}; connect-src ${askonce}; style-src 'self' ${askonce}; require-trusted-types-for 'script'`);
    res.send(page(a.title, body(a) +
      `<askonce-prompt moment="article" tags="${escape(a.tags.join(','))}" token="${escape(token)}" data-testid="rp-prompt"></askonce-prompt>` +
      '<h3>What the prompt told this page</h3><ul id="prompt-events" data-testid="rp-events"></ul>' +
      `<script type="module" src="${askonce}/embed/prompt.js"></script><script type="module" src="/host.js"></script>`));
  } catch (err) {
    next(err);
  }
});

// The host page's own script: lists the component's events (what a site would send to its
// analytics). A file, not inline: the policy allows no inline script.
app.get('/host.js', (req, res) => {
  res.type('text/javascript').send(`const list = document.getElementById('prompt-events');
for (const name of ['shown', 'answered', 'skipped', 'none', 'error']) {
  document.addEventListener('askonce:' + name, (e) => {
    const item = document.createElement('li');
    item.textContent = name + (e.detail && e.detail.status !== undefined ? ' ' + e.detail.status : '');
    item.dataset.event = name;
    // How long after DOMContentLoaded the question was on screen (the benchmark reads it).
    const nav = performance.getEntriesByType('navigation')[0];
    if (nav) item.dataset.ms = String(Math.round(performance.now() - nav.domContentLoadedEventStart));
    list.append(item);
  });
}
`);
});

// The headless API from this server: GET the stage due, render it as a plain form; the form
// posts here and this server posts the answers on. The page's address is the `page`.
async function askonceApi(token, path, init = {}) {
  const res = await fetch(new URL(path, issuer), {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

function stageForm(slug, stage, errors = {}, typed = {}, general = '') {
  const field = (f) => {
    const id = `f-${escape(f.key)}`;
    const err = errors[f.key];
    const described = `aria-describedby="${id}-error"${err ? ' aria-invalid="true"' : ''}`;
    const value = typed[f.key] ?? '';
    const choices = (type, options) => options.map((o) =>
      `<label><input type="${type}" name="${escape(f.key)}" value="${escape(o.value)}"${[].concat(value).includes(o.value) ? ' checked' : ''}> ${escape(o.label)}</label>`).join(' ');
    let input;
    if (['consent', 'radio', 'multiselect'].includes(f.kind)) {
      const options = f.kind === 'consent' ? [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }] : f.options;
      input = `<fieldset ${described}><legend>${escape(f.label)}</legend>` +
        (f.consent ? `<p>${escape(f.consent.purpose)}</p>` : '') + choices(f.kind === 'multiselect' ? 'checkbox' : 'radio', options) + '</fieldset>';
    } else if (f.kind === 'checkbox') {
      input = `<label><input id="${id}" type="checkbox" name="${escape(f.key)}" value="yes" ${described}> ${escape(f.label)}</label>`;
    } else if (f.kind === 'dropdown') {
      input = `<label for="${id}">${escape(f.label)}</label><select id="${id}" name="${escape(f.key)}" ${described}><option value="">Choose…</option>` +
        f.options.map((o) => `<option value="${escape(o.value)}"${o.value === value ? ' selected' : ''}>${escape(o.label)}</option>`).join('') + '</select>';
    } else if (f.kind === 'textarea') {
      input = `<label for="${id}">${escape(f.label)}</label><textarea id="${id}" name="${escape(f.key)}" ${described}>${escape(value)}</textarea>`;
    } else {
      const type = { email: 'email', phone: 'tel', url: 'url', number: 'number', date: 'date' }[f.kind] ?? 'text';
      input = `<label for="${id}">${escape(f.label)}</label><input id="${id}" type="${type}" name="${escape(f.key)}" value="${escape(value)}" ${described}>`;
    }
    return `<div>${input}${f.help ? `<p>${escape(f.help)}</p>` : ''}<p id="${id}-error" role="alert">${escape(err ?? '')}</p></div>`;
  };
  // The introduction's HTML is AskOnce's safe subset (it escapes what the site owner typed).
  return `<section aria-labelledby="stage-title" data-testid="rp-headless-prompt"><h3 id="stage-title">${escape(stage.title)}</h3>` +
    (stage.intro ? stage.intro.html : '') +
    (stage.external_url ? `<p><a href="${escape(stage.external_url)}">Continue to the form</a></p>` :
      `<form method="post" action="/read/${escape(slug)}/answer"><input type="hidden" name="stage" value="${escape(stage.stage)}">` +
      stage.fields.map(field).join('') + `<p role="alert">${escape(general)}</p><button type="submit">Continue</button></form>`) +
    (stage.skippable ? `<form method="post" action="/read/${escape(slug)}/skip"><input type="hidden" name="stage" value="${escape(stage.stage)}"><button type="submit">Skip for now</button></form>` : '') +
    '</section>';
}

// The form posts change the reader's profile: only this app's own pages may send them (a
// sibling site on the same host shares the Lax cookie).
function sameOrigin(req, res) {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  if ((site && site !== 'same-origin') || (origin && origin !== base())) {
    res.status(403).send(page('Refused', '<p role="alert">Cross-site request refused.</p>'));
    return false;
  }
  return true;
}

const place = (req, a) => ({ moment: 'article', tags: a.tags.join(','), page: `/read/${req.params.slug}` });

app.get('/read/:slug', async (req, res, next) => {
  const found = article(req, res);
  if (!found) return;
  try {
    const { s, a } = found;
    const token = await promptToken(s);
    const where = place(req, a);
    const due = await askonceApi(token, `/api/prompt?${new URLSearchParams(where)}`);
    const note = req.query.done ? `<p role="status" data-testid="rp-headless-done">${req.query.done === 'answered' ? 'Thanks — noted.' : 'Maybe later, then.'}</p>` : '';
    let asked = '';
    if (due.status === 200 && due.body.prompt) {
      asked = stageForm(req.params.slug, due.body.prompt);
      await askonceApi(token, '/api/prompt/shown', { method: 'POST', body: JSON.stringify({ ...where, stage: due.body.prompt.stage }) });
    }
    res.send(page(a.title, body(a) + note + asked));
  } catch (err) {
    next(err);
  }
});

app.post('/read/:slug/answer', express.urlencoded({ extended: false, limit: '32kb' }), async (req, res, next) => {
  if (!sameOrigin(req, res)) return;
  const found = article(req, res);
  if (!found) return;
  try {
    const { s, a } = found;
    const token = await promptToken(s);
    const where = place(req, a);
    const { stage, ...answers } = req.body;
    const sent = await askonceApi(token, '/api/prompt/answers', { method: 'POST', body: JSON.stringify({ ...where, stage, answers }) });
    if (sent.status === 200) return res.redirect(303, `/read/${req.params.slug}?done=answered`);
    // A refusal names the fields: the form again, with what was typed and the reasons.
    const due = await askonceApi(token, `/api/prompt?${new URLSearchParams(where)}`);
    const form = due.body.prompt ? stageForm(req.params.slug, due.body.prompt, sent.body.fields ?? {}, answers, sent.body.fields ? '' : sent.body.message) : '';
    res.status(sent.status === 422 ? 422 : 400).send(page(a.title, body(a) + form));
  } catch (err) {
    next(err);
  }
});

app.post('/read/:slug/skip', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res, next) => {
  if (!sameOrigin(req, res)) return;
  const found = article(req, res);
  if (!found) return;
  try {
    const { s, a } = found;
    const token = await promptToken(s);
    await askonceApi(token, '/api/prompt/skip', { method: 'POST', body: JSON.stringify({ ...place(req, a), stage: req.body.stage }) });
    res.redirect(303, `/read/${req.params.slug}?done=skipped`);
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
