// Seed 002's form — Arengu's "Progressive profiling with Auth0 rules" — step by step, and
// nothing added for AskOnce: the proof that a form built exactly as the seed describes works
// against AskOnce's `/continue`.
//
// The form (the seed's step 3): the fields to ask (the seed's IDs by default: company_name,
// job_title) and two hidden fields, `state` and `session_token`, prefilled from the URL as
// Arengu prefills them. Its flow (step 4), on submit:
//   1. "Verify JSON web token": `session_token` with the secret and the issuer (npm
//      jsonwebtoken, as Arengu's action: nothing else is checked);
//   2. if it is not valid, "Show error message";
//   3. "Sign JSON web token": HS256, the secret, the issuer, subject = the verified `sub`,
//      expires in 30 s, the answers inside `other`;
//   4. "Submit the form" redirecting to `<AskOnce>/continue?state=<state>&session_token=<jwt>`.
//
// Standalone: SESSION_TOKEN_SECRET=… ISSUER=http://127.0.0.1:3000 PORT=4011 node server.js
// The browser suite starts it in-process with `startSeedForm()`.
const { createServer } = require('node:http');
const jwt = require('jsonwebtoken');

const escape = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

/**
 * Starts the form on 127.0.0.1. `askonce`: AskOnce's address (the Auth0 domain in the seed:
 * where `/continue` is); `issuer`: the host the flow's JWT actions name (by default that same
 * address, which is the `iss` AskOnce sends); `secret`: SESSION_TOKEN_SECRET (may be set
 * later). `flows` lists each run: `{ valid, sub }`.
 */
async function startSeedForm({ askonce, issuer = askonce, secret = '', fields = ['company_name', 'job_title'], port = 0 } = {}) {
  let current = secret;
  const flows = [];
  let url = '';
  const server = createServer((req, res) => {
    const here = new URL(req.url, url);
    const send = (status, html, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(html);
    };
    if (here.pathname !== '/form') return send(404, page('Not found', ''));
    if (req.method === 'GET') {
      const inputs = fields
        .map((id) => `<p><label for="${escape(id)}">${escape(id.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()))}</label><br>`
          + `<input id="${escape(id)}" name="${escape(id)}" required></p>`)
        .join('\n');
      return send(200, page('Complete your profile', `<form method="post">
<input type="hidden" name="state" value="${escape(here.searchParams.get('state'))}">
<input type="hidden" name="session_token" value="${escape(here.searchParams.get('session_token'))}">
${inputs}
<p><button type="submit">Submit</button></p>
</form>`));
    }
    if (req.method === 'POST') {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const body = Object.fromEntries(new URLSearchParams(raw));
        let verifyJwt;
        try {
          verifyJwt = { valid: true, payload: jwt.verify(body.session_token, current, { issuer }) };
        } catch (e) {
          verifyJwt = { valid: false, error: e.message };
        }
        flows.push({ valid: verifyJwt.valid, sub: verifyJwt.payload?.sub });
        if (!verifyJwt.valid) return send(400, page('Something went wrong', `<p role="alert">${escape(verifyJwt.error)}</p>`));
        const other = Object.fromEntries(fields.map((id) => [id, body[id]]));
        const signJwt = jwt.sign({ other }, current, { algorithm: 'HS256', issuer, subject: verifyJwt.payload.sub, expiresIn: 30 });
        const back = `${askonce}/continue?state=${encodeURIComponent(body.state)}&session_token=${signJwt}`;
        send(303, '', { location: back });
      });
      return;
    }
    send(405, page('Not allowed', ''));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${server.address().port}/form`;
  return {
    url,
    flows,
    setSecret: (s) => {
      current = s;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startSeedForm };

if (require.main === module) {
  startSeedForm({
    askonce: process.env.ASKONCE ?? 'http://127.0.0.1:3000',
    issuer: process.env.ISSUER,
    secret: process.env.SESSION_TOKEN_SECRET ?? '',
    port: Number(process.env.PORT ?? 4011),
  }).then((form) => console.log(`seed 002 form at ${form.url}`));
}
