#!/usr/bin/env node
// Benchmark driver for AskOnce *as an OpenID Provider* (scripts/bench-openid-provider.sh),
// the same for AskOnce and for the comparison, oidc-provider (bench/oidc-provider-op.mjs).
// Node 20, no dependencies: built-in fetch with `redirect: 'manual'`, a cookie jar per
// browser, node:crypto for PKCE and for checking the ID tokens' signatures.
//
//   node bench/op-bench.mjs --kind askonce|oidc-provider --op URL [--pid OP_PID]
//        [--client-id bench] [--client-secret S] [--redirect http://127.0.0.1:9/cb]
//        [--machine-id bench-machine] [--machine-secret S] [--authorizations 400]
//        [--concurrency 8] [--warmup 40] [--token-seconds 15] [--token-concurrency 32]
//        [--token-threads N]
//
// Phases:
// 1. Setup (not measured): one signed-in person per concurrent browser, each with its own
//    cookie jar. oidc-provider: one authorization through its devInteractions login form
//    (account `bench`, any password). AskOnce: a password sign-up (`POST /api/auth/password/
//    sign_up`, as the hydrated sign-up page calls it), the sign-up's question answered
//    (`POST /api/profiling/answer`, stage `name`), then `GET /api/me` must be 200 JSON.
// 2. Authorizations: `--warmup` unmeasured, then `--authorizations` measured, each: a new
//    state, nonce and PKCE verifier (S256); GET the authorization endpoint (from discovery),
//    following every redirect with the browser's cookies — AskOnce: /authorize → /welcome
//    (nothing to ask: it redirects on) → /authorize/continue → the redirect URI — until one
//    points at the redirect URI, which is never requested (nothing listens there); `state`
//    and `iss` (RFC 9207) must match; the code exchanged at the token endpoint (Basic auth,
//    code_verifier) must give an access token and an ID token whose RS256 signature (by the
//    JWKS), iss, aud and nonce check; GET userinfo with the bearer must be 200 JSON with the
//    ID token's sub. Timed as a whole; the OP's CPU (utime + stime from /proc/PID/stat)
//    read before and after.
// 3. Token endpoint: `--token-concurrency` clients POST grant_type=client_credentials
//    (scope read:users) as fast as they can for `--token-seconds`, after two seconds of
//    warm-up. AskOnce: the machine application (`--machine-id`), whose tokens are for its
//    management API; oidc-provider: the same client, its tokens for a resource server
//    standing for that API (JWTs both). The clients are spread over `--token-threads`
//    worker threads (default: half the cores, 1 to 4): one event loop sending 32 requests
//    at a time is busy enough that its own queueing would show in the p99.
//
// 4. Prompt decisions (AskOnce, `--prompt-requests N` > 0): what deciding which question is
//    due costs the server, three ways side by side — `GET /welcome` with the browser's
//    session (the login moment; nothing is due: it redirects on), `GET /api/v2/users/{sub}/
//    prompt?moment=article` with a machine token holding `prompt:users` (the in-context
//    moment; the default `subscription` stage is due) and `GET /api/prompt?moment=article`
//    with prompt tokens (RFC 8693 exchange of each person's last access token). N requests
//    each for the first two at `--concurrency`; the prompt API's own limits (per network,
//    person and token: docs/OPENID_PROVIDER.md) allow only a burst, so it gets 40 per person,
//    each person from its own loopback address (127.0.0.10+) with two tokens. A 429 there is
//    a failure. CPU per request from /proc as above.
//
// `driver_busy` in the results is the driver's CPU time over the phase's wall time (per
// thread): near 1, the driver itself limited the rate and its queueing is in the latencies —
// compare CPU per authorization / request then, not latencies.
//
// Output: human lines on stderr; on stdout one `RESULT {json}` line per phase (setup,
// authorizations, token) and last a markdown table row:
//   | label | authorizations ok | OP CPU ms / authorization | authorizations/s | p50 / p99 ms |
//     token rps | token p50 / p99 ms | token CPU ms / request |
// Exit status 1 when anything failed, 2 on bad usage.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { request as httpRequest } from 'node:http';
import { Failure, Jar, isRedirect, percentile, round, snippet } from './common.mjs';

// --- options -----------------------------------------------------------------------
const argv = process.argv.slice(2);
const flags = new Set(['help']);
const valued = new Set([
  'kind', 'op', 'client-id', 'client-secret', 'redirect', 'pid', 'authorizations', 'concurrency', 'warmup',
  'token-seconds', 'token-concurrency', 'token-threads', 'machine-id', 'machine-secret', 'label', 'timeout-ms',
  'prompt-requests',
]);
const opts = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const name = a.replace(/^--/, '');
  if (!a.startsWith('--') || !(flags.has(name) || valued.has(name))) usage(`unknown argument ${a}`);
  if (flags.has(name)) opts[name] = true;
  else if (i + 1 < argv.length) opts[name] = argv[++i];
  else usage(`${a} needs a value`);
}
function usage(msg) {
  if (msg) console.error(`op-bench.mjs: ${msg}`);
  console.error(`usage: node bench/op-bench.mjs --kind askonce|oidc-provider --op URL [--pid OP_PID]
  [--client-id bench] [--client-secret S] [--redirect http://127.0.0.1:9/cb]
  [--machine-id ID] [--machine-secret S] [--authorizations 400] [--concurrency 8] [--warmup 40]
  [--token-seconds 15] [--token-concurrency 32] [--token-threads N] [--label NAME] [--timeout-ms 30000]
  [--prompt-requests 0]`);
  process.exit(2);
}
if (opts.help) usage();
if (!['askonce', 'oidc-provider'].includes(opts.kind)) usage('--kind must be askonce or oidc-provider');
if (!opts.op) usage('--op is required');
const kind = opts.kind;
const op = new URL(opts.op).origin;
const clientId = opts['client-id'] ?? 'bench';
const clientSecret = opts['client-secret'] ?? 'bench-client-secret-0123456789abcdefghijkl';
const redirectUri = opts.redirect ?? 'http://127.0.0.1:9/cb';
// AskOnce gives client_credentials to a machine application only; oidc-provider's one client
// has every grant.
const machineId = opts['machine-id'] ?? (kind === 'askonce' ? 'bench-machine' : clientId);
const machineSecret = opts['machine-secret'] ?? clientSecret;
const authorizations = int('authorizations', 400);
const concurrency = int('concurrency', 8);
const warmup = int('warmup', 40, 0);
const tokenSeconds = int('token-seconds', 15);
const tokenConcurrency = int('token-concurrency', 32);
const tokenThreads = Math.min(tokenConcurrency, int('token-threads', Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)))));
const timeoutMs = int('timeout-ms', 30000);
const promptRequests = int('prompt-requests', 0, 0);
if (promptRequests && kind !== 'askonce') usage('--prompt-requests: the prompt API is AskOnce\'s');
const label = opts.label ?? kind;
const opPid = opts.pid ? Number(opts.pid) : undefined;
function int(name, fallback, min = 1) {
  const v = opts[name] === undefined ? fallback : Number(opts[name]);
  if (!Number.isInteger(v) || v < min) usage(`--${name} must be an integer ≥ ${min}`);
  return v;
}
const SCOPE = 'openid profile email';
const MACHINE_SCOPE = 'read:users';
const PASSWORD = 'correct horse battery staple 1';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

// --- HTTP ----------------------------------------------------------------------------

// One request; `jar` may be null (the token and userinfo endpoints read no cookies).
async function send(jar, method, url, { form, headers: extra = {} } = {}) {
  const headers = { 'user-agent': 'askonce-op-bench/1 (bench/op-bench.mjs)', accept: BROWSER_ACCEPT, ...extra };
  const cookie = jar?.header(url);
  if (cookie) headers.cookie = cookie;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  jar?.store(url, res.headers.getSetCookie());
  const text = await res.text();
  const location = res.headers.get('location');
  return { status: res.status, url, text, location: location ? new URL(location, url).href : null };
}
const withoutQuery = (url) => String(url).split('?')[0];
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const random = (bytes = 16) => randomBytes(bytes).toString('base64url');
function json(r, op) {
  try {
    const v = JSON.parse(r.text);
    if (v && typeof v === 'object') return v;
  } catch { /* reported below */ }
  throw new Failure(op, r.status, withoutQuery(r.url), `not a JSON object: ${snippet(r.text)}`);
}

// Runs `fn`, counting it under `op`; a thrown non-Failure (network error, timeout) counts
// as a failure of `op` with status 0.
async function step(op, url, fn) {
  try {
    const r = await fn();
    count(op, true);
    return r;
  } catch (err) {
    count(op, false);
    if (err instanceof Failure) throw err;
    throw new Failure(op, 0, withoutQuery(url), `${err.name}: ${err.cause?.code ?? ''} ${err.message}`);
  }
}

// --- the provider's metadata and keys ---------------------------------------------------
const discovery = await send(null, 'GET', `${op}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } })
  .catch((err) => { console.error(`op-bench.mjs: no discovery at ${op}: ${err.cause?.code ?? err.message}`); process.exit(1); });
if (discovery.status !== 200) {
  console.error(`op-bench.mjs: discovery at ${op} answered ${discovery.status}: ${snippet(discovery.text)}`);
  process.exit(1);
}
const meta = JSON.parse(discovery.text);
const issuer = meta.issuer;
if (new URL(issuer).origin !== op) {
  console.error(`op-bench.mjs: discovery names issuer ${issuer}, not ${op}`);
  process.exit(1);
}
let keys = new Map();
async function loadKeys() {
  const r = await send(null, 'GET', meta.jwks_uri, { headers: { accept: 'application/json' } });
  if (r.status !== 200) throw new Failure('jwks', r.status, meta.jwks_uri, snippet(r.text));
  keys = new Map(JSON.parse(r.text).keys.filter((k) => k.kty === 'RSA').map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]));
}
await loadKeys();

// The claims of an RS256 JWT whose signature one of the JWKS keys checks.
async function verifiedClaims(jwt, op) {
  const [h, p, s] = String(jwt).split('.');
  if (!s) throw new Failure(op, 200, meta.token_endpoint, 'the ID token is not a JWS');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  if (header.alg !== 'RS256') throw new Failure(op, 200, meta.token_endpoint, `ID token alg ${header.alg}`);
  if (!keys.has(header.kid)) await loadKeys(); // a key made since the start
  const key = keys.get(header.kid);
  if (!key || !verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) {
    throw new Failure(op, 200, meta.token_endpoint, `ID token signature does not verify (kid ${header.kid})`);
  }
  return JSON.parse(Buffer.from(p, 'base64url'));
}

// --- one authorization ----------------------------------------------------------------
// Follows the provider's redirects from `url` with the browser's cookies until one points
// at the redirect URI; returns that address. `forms`: fill in oidc-provider's
// devInteractions pages (login, consent) on the way, as a person would (setup only: a
// measured authorization that shows a page is a failure).
async function toRedirectUri(jar, url, forms) {
  const reached = (u) => u === redirectUri || u.startsWith(`${redirectUri}?`);
  for (let hop = 0; hop < 20; hop++) {
    if (reached(url)) return url;
    const r = await send(jar, 'GET', url);
    if (isRedirect(r.status) && r.location) { url = r.location; continue; }
    const action = forms && r.status === 200 ? /<form[^>]*action="([^"]+)"/.exec(r.text)?.[1] : undefined;
    if (!action) throw new Failure('authorize', r.status, withoutQuery(r.url), r.location ? `location ${r.location}` : snippet(r.text));
    const fields = {};
    for (const [, name, value] of r.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[name] = value;
    if (fields.prompt === 'login') Object.assign(fields, { login: 'bench', password: 'x' });
    const target = new URL(action.replace(/&amp;/g, '&'), r.url).href;
    const post = await send(jar, 'POST', target, { form: fields });
    if (!isRedirect(post.status) || !post.location) throw new Failure('authorize', post.status, withoutQuery(post.url), snippet(post.text));
    url = post.location;
  }
  throw new Failure('authorize', 0, withoutQuery(url), 'more than 20 redirects');
}

async function authorization(jar, forms = false) {
  const state = random();
  const nonce = random();
  const verifier = random(32);
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const start = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: SCOPE, state, nonce,
    code_challenge: challenge, code_challenge_method: 'S256',
  })) start.searchParams.set(k, v);

  const code = await step('authorize', start.href, async () => {
    const back = new URL(await toRedirectUri(jar, start.href, forms));
    const p = back.searchParams;
    if (p.has('error')) throw new Failure('authorize', 0, redirectUri, `error=${p.get('error')} ${p.get('error_description') ?? ''}`);
    if (p.get('state') !== state) throw new Failure('authorize', 0, redirectUri, `state ${p.get('state')} is not the one sent`);
    if (p.get('iss') !== issuer) throw new Failure('authorize', 0, redirectUri, `iss ${p.get('iss')} is not ${issuer}`);
    if (!p.get('code')) throw new Failure('authorize', 0, redirectUri, 'no code');
    return p.get('code');
  });

  const tokens = await step('token', meta.token_endpoint, async () => {
    const r = await send(null, 'POST', meta.token_endpoint, {
      form: { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier },
      headers: { accept: 'application/json', authorization: basic(clientId, clientSecret) },
    });
    if (r.status !== 200) throw new Failure('token', r.status, meta.token_endpoint, snippet(r.text));
    const t = json(r, 'token');
    if (!t.access_token || !t.id_token) throw new Failure('token', r.status, meta.token_endpoint, `no access_token or id_token: ${snippet(r.text)}`);
    const claims = await verifiedClaims(t.id_token, 'token');
    const aud = [claims.aud].flat();
    if (claims.iss !== issuer || !aud.includes(clientId) || claims.nonce !== nonce) {
      throw new Failure('token', r.status, meta.token_endpoint, `ID token iss/aud/nonce: ${JSON.stringify({ iss: claims.iss, aud: claims.aud, nonce: claims.nonce })}`);
    }
    return { access: t.access_token, sub: claims.sub };
  });

  await step('userinfo', meta.userinfo_endpoint, async () => {
    const r = await send(null, 'GET', meta.userinfo_endpoint, { headers: { accept: 'application/json', authorization: `Bearer ${tokens.access}` } });
    if (r.status !== 200) throw new Failure('userinfo', r.status, meta.userinfo_endpoint, snippet(r.text));
    const info = json(r, 'userinfo');
    if (info.sub !== tokens.sub) throw new Failure('userinfo', r.status, meta.userinfo_endpoint, `sub ${info.sub} is not the ID token's ${tokens.sub}`);
  });
  jar.lastTokens = tokens;
}

// --- setup: a signed-in person per browser ----------------------------------------------
const runTag = `${Date.now().toString(36)}${random(3).toLowerCase().replace(/[^a-z0-9]/g, '')}`;

// AskOnce: the password sign-up and its question, as the hydrated pages call them (a
// same-origin fetch asking for JSON: the cross-site check wants `Sec-Fetch-Site`).
async function signUpAtAskOnce(jar, worker) {
  const api = { accept: 'application/json', 'sec-fetch-site': 'same-origin' };
  const email = `op-bench-${runTag}-${worker}@example.com`;
  const signUpUrl = `${op}/api/auth/password/sign_up`;
  await step('sign_up', signUpUrl, async () => {
    const r = await send(jar, 'POST', signUpUrl, { form: { email, password: PASSWORD, return_to: '' }, headers: api });
    if (!(r.status >= 200 && r.status < 400)) throw new Failure('sign_up', r.status, signUpUrl, snippet(r.text));
    if (!jar.header(`${op}/`)) throw new Failure('sign_up', r.status, signUpUrl, 'no session cookie set');
  });
  const answerUrl = `${op}/api/profiling/answer`;
  await step('answer', answerUrl, async () => {
    const form = { stage: 'name', 'answers[given_name]': 'Bench', 'answers[family_name]': 'Person' };
    const r = await send(jar, 'POST', answerUrl, { form, headers: api });
    if (!(r.status >= 200 && r.status < 400)) throw new Failure('answer', r.status, answerUrl, snippet(r.text));
  });
  const meUrl = `${op}/api/me`;
  await step('me', meUrl, async () => {
    const r = await send(jar, 'GET', meUrl, { headers: { accept: 'application/json' } });
    if (r.status !== 200) throw new Failure('me', r.status, meUrl, r.location ? `location ${r.location}` : snippet(r.text));
    json(r, 'me');
  });
}

// --- bookkeeping ---------------------------------------------------------------------
const ops = {};
function count(op, ok) {
  ops[op] ??= { ok: 0, failed: 0 };
  ops[op][ok ? 'ok' : 'failed']++;
}
const failures = new Map(); // reason → { count, sample }
function recordFailure(f) {
  const path = (() => { try { return new URL(f.url).pathname; } catch { return f.url; } })();
  const reason = `${f.op} ${f.status} ${path}`;
  const entry = failures.get(reason) ?? { reason, count: 0, sample: { status: f.status, url: f.url, body: snippet(f.body) } };
  entry.count++;
  failures.set(reason, entry);
  if (entry.count === 1 && failures.size <= 5) console.error(`[op-bench] failure: ${reason}: ${entry.sample.body}`);
}
const asFailure = (err) => (err instanceof Failure ? err : new Failure('internal', 0, '', String(err?.stack ?? err)));
const failureList = () => [...failures.values()].sort((a, b) => b.count - a.count);

let clockTicks = 100;
try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { /* 100 on Linux */ }
function cpuMs(pid) {
  if (!pid) return undefined;
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    console.error(`op-bench.mjs: cannot read the CPU time of --pid ${pid} (${err.code}): is it the provider's own process?`);
    process.exit(1);
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields 3… (state first)
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicks; // utime + stime
}
const result = (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
// A --pid that used no CPU in a whole phase is most likely a shell around the provider
// (`cmd && node … &` backgrounds a subshell), not the provider.
function idleWarning(cpu, phase) {
  if (opPid && cpu === 0) console.error(`[op-bench] ${label}: --pid ${opPid} used no CPU during the ${phase} phase: is it the provider's own process?`);
}
function busyWarning(r) {
  if (r.driver_busy > 0.85) {
    console.error(`[op-bench] ${label}: the driver was busy ${Math.round(r.driver_busy * 100)}% of the ${r.phase} phase: its rate and latencies `
      + 'measure the driver as much as the provider (CPU per operation still holds)');
  }
}
let anyFailed = false;

// --- 1. setup ---------------------------------------------------------------------------
const jars = Array.from({ length: concurrency }, () => new Jar());
{
  const t0 = performance.now();
  const outcomes = await Promise.allSettled(jars.map((jar, w) => (kind === 'askonce' ? signUpAtAskOnce(jar, w) : authorization(jar, true))));
  const failed = outcomes.filter((o) => o.status === 'rejected');
  for (const o of failed) recordFailure(asFailure(o.reason));
  result({ phase: 'setup', label, kind, op, browsers: concurrency, ok: concurrency - failed.length, failed: failed.length, wall_s: round((performance.now() - t0) / 1000), ops: structuredClone(ops), failures: failureList() });
  if (failed.length) {
    console.error(`[op-bench] ${label}: setup failed for ${failed.length} of ${concurrency} browsers; stopping`);
    process.exit(1);
  }
  console.error(`[op-bench] ${label}: ${concurrency} people signed in at ${op}`);
}

// --- 2. authorizations -----------------------------------------------------------------------
async function authorizationRun(total) {
  let issued = 0;
  let ok = 0;
  let failed = 0;
  const latencies = [];
  await Promise.all(jars.map(async (jar) => {
    while (issued < total) {
      issued++;
      const t0 = performance.now();
      try {
        await authorization(jar);
        latencies.push(performance.now() - t0);
        ok++;
      } catch (err) {
        failed++;
        recordFailure(asFailure(err));
      }
    }
  }));
  return { ok, failed, latencies };
}

let authSummary;
{
  const warm = warmup ? await authorizationRun(warmup) : { ok: 0, failed: 0 };
  if (warm.failed) anyFailed = true;
  // The measured run's counts and failures alone (the warm-up's are in its own entry).
  const warmFailures = failureList();
  for (const k of Object.keys(ops)) delete ops[k];
  failures.clear();
  const cpu0 = cpuMs(opPid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const run = await authorizationRun(authorizations);
  const wall = (performance.now() - t0) / 1000;
  const cpu = opPid ? cpuMs(opPid) - cpu0 : undefined;
  const self = process.cpuUsage(self0);
  idleWarning(cpu, 'authorizations');
  if (run.failed) anyFailed = true;
  run.latencies.sort((a, b) => a - b);
  authSummary = {
    phase: 'authorizations',
    label,
    kind,
    op,
    browsers: concurrency,
    authorizations,
    warmup: { ok: warm.ok, failed: warm.failed, failures: warmFailures },
    ok: run.ok,
    failed: run.failed,
    wall_s: round(wall),
    authorizations_per_s: round(run.ok / wall, 1),
    authorization_ms: { p50: round(percentile(run.latencies, 50), 1), p90: round(percentile(run.latencies, 90), 1), p99: round(percentile(run.latencies, 99), 1) },
    op_cpu_ms: round(cpu, 0),
    op_cpu_ms_per_authorization: cpu === undefined || !run.ok ? null : round(cpu / run.ok),
    driver_cpu_ms_per_authorization: run.ok ? round((self.user + self.system) / 1000 / run.ok) : null,
    driver_busy: round((self.user + self.system) / 1000 / (wall * 1000)),
    ops: structuredClone(ops),
    failures: failureList(),
  };
  result(authSummary);
  busyWarning(authSummary);
  const cpuText = authSummary.op_cpu_ms_per_authorization == null ? '' : `, OP CPU ${authSummary.op_cpu_ms_per_authorization} ms/authorization`;
  console.error(`[op-bench] ${label}: ${run.ok}/${authorizations} authorizations ok, ${run.failed} failed, ${concurrency} browsers, ${authSummary.wall_s} s `
    + `(${authSummary.authorizations_per_s}/s, p50 ${authSummary.authorization_ms.p50} ms, p99 ${authSummary.authorization_ms.p99} ms)${cpuText}`);
}

// --- 3. the token endpoint: client_credentials ------------------------------------------------
// Each worker thread runs its share of the clients for `seconds` and posts back every
// answer's latency, the counts, and a few failed answers. (Code as a string: this file,
// loaded in a thread, would run a benchmark of its own.)
const TOKEN_WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
(async () => {
  const until = performance.now() + w.seconds * 1000;
  const latencies = [];
  const samples = [];
  let ok = 0, non200 = 0, errors = 0;
  await Promise.all(Array.from({ length: w.clients }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const res = await fetch(w.url, { method: 'POST', headers: w.headers, body: w.body, signal: AbortSignal.timeout(w.timeoutMs) });
        const text = await res.text();
        latencies.push(performance.now() - t0);
        if (res.status === 200 && text.includes('"access_token"')) ok++;
        else { non200++; if (samples.length < 20) samples.push({ status: res.status, body: text }); }
      } catch (err) {
        errors++;
        if (samples.length < 20) samples.push({ status: 0, body: err.name + ': ' + (err.cause?.code ?? '') + ' ' + err.message });
      }
    }
  }));
  parentPort.postMessage({ latencies: Float64Array.from(latencies), ok, non200, errors, samples });
})();
`;
const tokenRequest = {
  url: meta.token_endpoint,
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: MACHINE_SCOPE }).toString(),
  headers: {
    'user-agent': 'askonce-op-bench/1 (bench/op-bench.mjs)',
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basic(machineId, machineSecret),
  },
  timeoutMs,
};
async function tokenRun(seconds) {
  const shares = Array.from({ length: tokenThreads }, (_, i) => Math.floor(tokenConcurrency / tokenThreads) + (i < tokenConcurrency % tokenThreads ? 1 : 0));
  const parts = await Promise.all(shares.map((clients) => new Promise((resolve, reject) => {
    const worker = new Worker(TOKEN_WORKER, { eval: true, workerData: { ...tokenRequest, clients, seconds } });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));
  const run = { ok: 0, non200: 0, errors: 0, latencies: [] };
  for (const part of parts) {
    run.ok += part.ok;
    run.non200 += part.non200;
    run.errors += part.errors;
    run.latencies.push(...part.latencies);
    for (const f of part.samples) recordFailure(new Failure('client_credentials', f.status, meta.token_endpoint, f.body));
  }
  return run;
}

// What the token is (both sides should sign an RS256 JWT): one request first.
async function tokenShape() {
  const r = await send(null, 'POST', meta.token_endpoint, { form: { grant_type: 'client_credentials', scope: MACHINE_SCOPE }, headers: { accept: 'application/json', authorization: basic(machineId, machineSecret) } });
  if (r.status !== 200) throw new Failure('client_credentials', r.status, meta.token_endpoint, snippet(r.text));
  const t = json(r, 'client_credentials');
  const [h, p, s] = String(t.access_token).split('.');
  if (!s) return { format: 'opaque', scope: t.scope ?? null };
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  return { format: 'jwt', alg: header.alg, typ: header.typ ?? null, aud: claims.aud ?? null, scope: t.scope ?? null, expires_in: t.expires_in ?? null };
}

let tokenSummary;
{
  let shape = null;
  try {
    shape = await tokenShape();
  } catch (err) {
    recordFailure(asFailure(err));
    anyFailed = true;
  }
  if (shape) {
    const warm = await tokenRun(2); // warm-up: not measured
    if (warm.non200 || warm.errors) anyFailed = true;
    const cpu0 = cpuMs(opPid);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await tokenRun(tokenSeconds);
    const wall = (performance.now() - t0) / 1000;
    const cpu = opPid ? cpuMs(opPid) - cpu0 : undefined;
    const self = process.cpuUsage(self0);
    idleWarning(cpu, 'token');
    const requests = run.latencies.length + run.errors;
    if (run.non200 || run.errors) anyFailed = true;
    run.latencies.sort((a, b) => a - b);
    tokenSummary = {
      phase: 'token',
      label,
      kind,
      op,
      grant: 'client_credentials',
      client_id: machineId,
      token: shape,
      clients: tokenConcurrency,
      threads: tokenThreads,
      seconds: round(wall),
      requests,
      ok: run.ok,
      non200: run.non200,
      errors: run.errors,
      requests_per_s: round(run.latencies.length / wall, 0),
      token_ms: { p50: round(percentile(run.latencies, 50), 2), p90: round(percentile(run.latencies, 90), 2), p99: round(percentile(run.latencies, 99), 2) },
      op_cpu_ms: round(cpu, 0),
      op_cpu_ms_per_request: cpu === undefined || !requests ? null : round(cpu / requests, 3),
      driver_cpu_ms_per_request: requests ? round((self.user + self.system) / 1000 / requests, 3) : null,
      driver_busy: round((self.user + self.system) / 1000 / (wall * 1000) / tokenThreads),
      failures: failureList().filter((f) => f.reason.startsWith('client_credentials')),
    };
    result(tokenSummary);
    console.error(`[op-bench] ${label}: client_credentials ${tokenSummary.requests_per_s} req/s with ${tokenConcurrency} clients, `
      + `p50 ${tokenSummary.token_ms.p50} ms, p99 ${tokenSummary.token_ms.p99} ms, non-200 ${run.non200}, errors ${run.errors}`
      + `${tokenSummary.op_cpu_ms_per_request == null ? '' : `, OP CPU ${tokenSummary.op_cpu_ms_per_request} ms/request`}`
      + ` (token: ${shape.format}${shape.alg ? ` ${shape.alg}` : ''})`);
    busyWarning(tokenSummary);
  }
}

// --- 4. prompt decisions ------------------------------------------------------------------
// One GET from `localAddress` (node:http: built-in fetch cannot choose its source address).
function getFrom(localAddress, url, headers) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', localAddress, headers: { 'user-agent': 'askonce-op-bench/1 (bench/op-bench.mjs)', ...headers }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, url, text, location: res.headers.location ?? null }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// Runs `jobs` (async functions) `width` at a time; the latencies of those that succeeded.
async function measured(name, jobs, width) {
  const latencies = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  const cpu0 = cpuMs(opPid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const s0 = performance.now();
      try {
        await job();
        latencies.push(performance.now() - s0);
        ok++;
      } catch (err) {
        failed++;
        recordFailure(asFailure(err));
      }
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  const cpu = opPid ? cpuMs(opPid) - cpu0 : undefined;
  const self = process.cpuUsage(self0);
  idleWarning(cpu, name);
  if (failed) anyFailed = true;
  latencies.sort((x, y) => x - y);
  const r = {
    phase: 'prompt', path: name, label, requests: jobs.length, ok, failed, concurrency: width, wall_s: round(wall),
    ms: { p50: round(percentile(latencies, 50), 2), p99: round(percentile(latencies, 99), 2) },
    op_cpu_ms: round(cpu, 0),
    op_cpu_ms_per_request: cpu === undefined || !jobs.length ? null : round(cpu / jobs.length, 3),
    driver_busy: round((self.user + self.system) / 1000 / (wall * 1000)),
  };
  result(r);
  console.error(`[op-bench] ${label}: ${name}: ${ok}/${jobs.length} ok, p50 ${r.ms.p50} ms, p99 ${r.ms.p99} ms`
    + `${r.op_cpu_ms_per_request == null ? '' : `, OP CPU ${r.op_cpu_ms_per_request} ms/request`}`);
  return r;
}

const promptRows = [];
if (promptRequests) {
  const apiJson = { accept: 'application/json' };
  const dueStage = (r, op, url) => {
    if (r.status !== 200) throw new Failure(op, r.status, withoutQuery(url), snippet(r.text));
    const body = json(r, op);
    if (!body.prompt?.stage) throw new Failure(op, r.status, withoutQuery(url), `no stage due: ${snippet(r.text)}`);
  };
  // The machine's token for the management API's prompt routes.
  const machineToken = await step('client_credentials', meta.token_endpoint, async () => {
    const r = await send(null, 'POST', meta.token_endpoint, { form: { grant_type: 'client_credentials', scope: 'prompt:users' }, headers: { ...apiJson, authorization: basic(machineId, machineSecret) } });
    if (r.status !== 200) throw new Failure('client_credentials', r.status, meta.token_endpoint, snippet(r.text));
    return json(r, 'client_credentials').access_token;
  });
  // Two prompt tokens per person, from the access token of their last authorization.
  const exchange = (jar) => step('token_exchange', meta.token_endpoint, async () => {
    const r = await send(null, 'POST', meta.token_endpoint, {
      form: {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: jar.lastTokens.access,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'prompt',
      },
      headers: { ...apiJson, authorization: basic(clientId, clientSecret) },
    });
    if (r.status !== 200) throw new Failure('token_exchange', r.status, meta.token_endpoint, snippet(r.text));
    return json(r, 'token_exchange').access_token;
  });
  const promptTokens = await Promise.all(jars.map(async (jar) => [await exchange(jar), await exchange(jar)]));

  const welcome = `${op}/welcome`;
  const welcomeJobs = Array.from({ length: promptRequests }, (_, i) => () => step('welcome', welcome, async () => {
    const jar = jars[i % jars.length];
    const r = await send(jar, 'GET', welcome);
    // Nothing is due at the login moment: /welcome sends the person on.
    if (!isRedirect(r.status)) throw new Failure('welcome', r.status, welcome, `expected a redirect (nothing due): ${snippet(r.text)}`);
  }));
  const machineJobs = Array.from({ length: promptRequests }, (_, i) => {
    const url = `${op}/api/v2/users/${encodeURIComponent(jars[i % jars.length].lastTokens.sub)}/prompt?moment=article&tags=rust,web&page=%2Farticles%2Fbench`;
    return () => step('users_prompt', url, async () => dueStage(await send(null, 'GET', url, { headers: { ...apiJson, authorization: `Bearer ${machineToken}` } }), 'users_prompt', url));
  });
  const perPerson = 40;
  // The people interleaved: request i is person i % browsers's.
  const apiJobs = Array.from({ length: perPerson * jars.length }, (_, i) => {
    const w = i % jars.length;
    const url = `${op}/api/prompt?moment=article&tags=rust,web&page=%2Farticles%2Fbench`;
    const token = promptTokens[w][Math.floor(i / jars.length) % 2];
    return () => step('prompt_api', url, async () => dueStage(await getFrom(`127.0.0.${10 + w}`, url, { ...apiJson, authorization: `Bearer ${token}` }), 'prompt_api', url));
  });

  // A short warm-up of each (not measured), then the three side by side.
  await measured('warm-up', [...welcomeJobs.slice(0, 40), ...machineJobs.slice(0, 40)], concurrency);
  promptRows.push(await measured('GET /welcome (session; login moment, nothing due)', welcomeJobs, concurrency));
  promptRows.push(await measured('GET /api/v2/users/{id}/prompt (machine token; article, stage due)', machineJobs, concurrency));
  promptRows.push(await measured('GET /api/prompt (prompt token; article, stage due)', apiJobs, concurrency));
}

for (const f of failureList().slice(0, 10)) {
  console.error(`[op-bench]   ${f.count} × ${f.reason} — e.g. ${f.sample.status} ${f.sample.url}: ${f.sample.body}`);
}
const v = (x) => (x == null ? '–' : x);
const a = authSummary;
const t = tokenSummary ?? { token_ms: {} };
process.stdout.write(`| ${label} | ${a.ok} / ${a.authorizations} | ${v(a.op_cpu_ms_per_authorization)} | ${v(a.authorizations_per_s)} | `
  + `${v(a.authorization_ms.p50)} / ${v(a.authorization_ms.p99)} | ${v(t.requests_per_s)} | ${v(t.token_ms.p50)} / ${v(t.token_ms.p99)} | ${v(t.op_cpu_ms_per_request)} |\n`);
// The prompt decisions' rows (a table of their own: `||` starts them, for the script).
for (const r of promptRows) {
  process.stdout.write(`|| ${label} | ${r.path} | ${r.ok} / ${r.requests} | ${v(r.op_cpu_ms_per_request)} | ${v(r.ms.p50)} / ${v(r.ms.p99)} |\n`);
}
process.exit(anyFailed ? 1 : 0);
