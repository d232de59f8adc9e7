// The reference external form: the smallest complete implementation of AskOnce's redirect
// protocol (docs/MANUAL.md, "External forms"), in plain Node with no dependencies. It
//
// 1. takes `GET /?session_token=<JWT>&state=<opaque>`, checks the token (HS256 with the
//    stage's secret, `aud` = this form's address, not expired) and shows a form asking the
//    fields in the token's `ask`, prefilled from its `profile`;
// 2. on submit, signs an answer token (`aud` = the token's `iss`, same `sub` and `state`, a
//    fresh `jti`, a few minutes of life, the answers) and sends the browser back to
//    `<iss>/continue?state=…&token=…`.
//
// The secret stays on this server; the browser only ever carries signed tokens.
//
// Standalone: FORM_SECRET=fsec_… PORT=4010 node server.js (the stage's address: http://127.0.0.1:4010/)
// The browser suite starts it in-process with `startReferenceForm()`.
// CommonJS, so both `node server.js` and the browser suite (which loads it with require())
// can use it.
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const { createServer } = require('node:http');

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function signHs256(claims, secret) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** The claims of `token` if signed with `secret` (HS256 only) for `audience` and alive. */
function verifyHs256(token, secret, audience) {
  const [head, body, sig] = String(token).split('.');
  if (!head || !body || !sig) throw new Error('not a token');
  if (JSON.parse(Buffer.from(head, 'base64url')).alg !== 'HS256') throw new Error('not HS256');
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');
  const claims = JSON.parse(Buffer.from(body, 'base64url'));
  if (claims.aud !== audience) throw new Error('not for this form');
  if (!(claims.exp > Date.now() / 1000)) throw new Error('expired');
  return claims;
}

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function formPage(claims, sessionToken) {
  const fields = claims.ask
    .map((key) => {
      const id = `f-${key}`;
      const label = key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
      return `<p><label for="${id}">${escape(label)}</label><br><input id="${id}" name="${escape(key)}" value="${escape(claims.profile?.[key])}"></p>`;
    })
    .join('\n');
  return page(
    'A few details',
    `<form method="post">
<input type="hidden" name="session_token" value="${escape(sessionToken)}">
${fields}
<p><button type="submit">Send</button></p>
</form>`,
  );
}

/**
 * Starts the form on 127.0.0.1 (`port` 0: any free one). `secret` may be set later with
 * `setSecret` (the console makes it once the stage exists). `received` lists the session
 * tokens' claims the form accepted.
 */
async function startReferenceForm({ port = 0, secret = '', path = '/form' } = {}) {
  let current = secret;
  const received = [];
  let url = '';
  const server = createServer((req, res) => {
    const here = new URL(req.url, url);
    const send = (status, html, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(html);
    };
    if (here.pathname !== new URL(url).pathname) return send(404, page('Not found', ''));
    if (req.method === 'GET') {
      try {
        const claims = verifyHs256(here.searchParams.get('session_token'), current, url);
        if (claims.state !== here.searchParams.get('state')) throw new Error('state differs');
        received.push(claims);
        return send(200, formPage(claims, here.searchParams.get('session_token')));
      } catch (e) {
        return send(400, page('This link does not work', `<p>${escape(e.message)}</p>`));
      }
    }
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        let claims;
        try {
          claims = verifyHs256(form.get('session_token'), current, url);
        } catch (e) {
          return send(400, page('This link does not work', `<p>${escape(e.message)}</p>`));
        }
        const answers = Object.fromEntries(claims.ask.map((key) => [key, form.get(key) ?? null]));
        const token = signHs256(
          {
            aud: claims.iss,
            sub: claims.sub,
            exp: Math.floor(Date.now() / 1000) + 300,
            jti: randomUUID(),
            state: claims.state,
            stage: claims.stage,
            answers,
          },
          current,
        );
        const back = new URL('/continue', claims.iss);
        back.searchParams.set('state', claims.state);
        back.searchParams.set('token', token);
        send(303, '', { location: back.toString() });
      });
      return;
    }
    send(405, page('Not allowed', ''));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}${path}`;
  return {
    url,
    received,
    setSecret: (s) => {
      current = s;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { signHs256, verifyHs256, startReferenceForm };

if (require.main === module) {
  startReferenceForm({ port: Number(process.env.PORT ?? 4010), secret: process.env.FORM_SECRET ?? '', path: '/' }).then((form) =>
    console.log(`reference form at ${form.url}`),
  );
}
