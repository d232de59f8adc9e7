#!/usr/bin/env node
// Load driver for AskOnce's load test (scripts/bench-load.sh): N concurrent browsers doing
// federated sign-ins through a real OpenID provider against a relying party — AskOnce or
// the Node peer (bench/node-peer), the same driver for both. Node 20, no dependencies:
// built-in fetch with `redirect: 'manual'` and a cookie jar per browser.
//
//   node bench/load.mjs --rp http://127.0.0.1:3100 --op http://127.0.0.1:4000 \
//        --clients 8 --signins 400 [--pid RP_PID] [--op-pid OP_PID] [--cookie-out FILE]
//
// One sign-in, in a fresh browser (empty cookie jar) unless --keep-cookies:
//   GET {rp}/auth/demo/start → 3xx to the provider → follow its redirects; on its login
//   form, POST prompt=login, login=<account>, password=x to the form's action → follow
//   until a redirect points back at {rp} (the callback) → GET the callback, which must
//   redirect somewhere other than /login → follow the RP's redirects to a 200 page
//   (unless --stop-at-callback) → GET {rp}/api/me must be 200 with a JSON object.
//   --pages adds GET /profile and GET /welcome (AskOnce's pages: each must end in a 200
//   page of the RP, following its redirects — /welcome with nothing to ask redirects on).
//   --answers (AskOnce) makes every sign-in a new person's first (`<prefix>-<tag>-<client>-<n>`:
//   an account is created), then answers the question /welcome asks: its form's stage and
//   every `answers[…]` field, posted to /api/profiling/answer as the form does without
//   JavaScript; the answer must be accepted (a redirect on, not an error page).
//
// Accounts: `<prefix>-<client>` (default; with --tag T: `<prefix>-T-<client>`), so each
// browser is one person signing in again and again; --same-person makes every browser the
// same person (`<prefix>`). The test provider gives `grace-…` Grace Hopper's claims.
//
// --pid reads utime+stime of the RP process from /proc/PID/stat before and after the run:
// app CPU per sign-in (everything the loop does at the RP, including /api/me and, with
// --pages, the pages). --op-pid does the same for the provider.
//
// Output: a human line on stderr and one JSON line on stdout. Exit status 1 when any
// operation failed, 2 on bad usage.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Failure, Jar, isRedirect, percentile, round, snippet } from './common.mjs';

// --- options -----------------------------------------------------------------------
const argv = process.argv.slice(2);
const flags = new Set(['same-person', 'stop-at-callback', 'pages', 'answers', 'keep-cookies', 'help']);
const valued = new Set(['rp', 'op', 'clients', 'signins', 'accounts', 'tag', 'connection', 'pid', 'op-pid', 'timeout-ms', 'label', 'cookie-out']);
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
  if (msg) console.error(`load.mjs: ${msg}`);
  console.error(`usage: node bench/load.mjs --rp URL --op URL [--clients 8] [--signins 400]
  [--accounts grace] [--tag T] [--same-person] [--connection demo] [--pid RP_PID] [--op-pid OP_PID]
  [--stop-at-callback] [--pages] [--answers] [--keep-cookies] [--timeout-ms 30000] [--label NAME] [--cookie-out FILE]`);
  process.exit(2);
}
if (opts.help) usage();
if (!opts.rp || !opts.op) usage('--rp and --op are required');
const rp = new URL(opts.rp).origin;
const op = new URL(opts.op).origin;
const clients = int('clients', 8);
const signins = int('signins', 400);
const timeoutMs = int('timeout-ms', 30000);
const connection = opts.connection ?? 'demo';
const prefix = opts.accounts ?? 'grace';
const label = opts.label ?? rp;
function int(name, fallback) {
  const v = opts[name] === undefined ? fallback : Number(opts[name]);
  if (!Number.isInteger(v) || v < 1) usage(`--${name} must be a positive integer`);
  return v;
}
const accountFor = (client) => (opts['same-person'] ? prefix : opts.tag ? `${prefix}-${opts.tag}-${client}` : `${prefix}-${client}`);

// --- HTTP ----------------------------------------------------------------------------

async function send(jar, method, url, form, extraHeaders = {}) {
  const headers = { 'user-agent': 'askonce-load/1 (bench/load.mjs)', accept: 'text/html,application/json;q=0.9,*/*;q=0.8', ...extraHeaders };
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  let body;
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  jar.store(url, res.headers.getSetCookie());
  const text = await res.text();
  const location = res.headers.get('location');
  return { status: res.status, url, text, location: location ? new URL(location, url).href : null, type: res.headers.get('content-type') ?? '' };
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
    throw new Failure(op, 0, url, `${err.name}: ${err.cause?.code ?? ''} ${err.message}`);
  }
}

async function signIn(jar, account) {
  // 1. The RP sends the browser to the provider.
  const startUrl = `${rp}/auth/${connection}/start`;
  let next = await step('start', startUrl, async () => {
    const r = await send(jar, 'GET', startUrl);
    if (!isRedirect(r.status) || !r.location?.startsWith(op)) throw new Failure('start', r.status, r.url, `location=${r.location} ${snippet(r.text)}`);
    return r.location;
  });
  // 2. At the provider: its redirects, its login form, until it sends the browser back.
  next = await step('provider', next, async () => {
    let url = next;
    for (let hop = 0; hop < 20; hop++) {
      if (url.startsWith(rp)) return url;
      const r = await send(jar, 'GET', url);
      if (isRedirect(r.status) && r.location) { url = r.location; continue; }
      const action = r.status === 200 ? /action="([^"]+)"/.exec(r.text)?.[1] : undefined;
      if (!action) throw new Failure('provider', r.status, r.url, snippet(r.text));
      const target = new URL(action.replace(/&amp;/g, '&'), r.url).href;
      const post = await send(jar, 'POST', target, { prompt: 'login', login: account, password: 'x' });
      if (!isRedirect(post.status) || !post.location) throw new Failure('provider', post.status, post.url, snippet(post.text));
      url = post.location;
    }
    throw new Failure('provider', 0, url, 'more than 20 redirects at the provider');
  });
  // 3. The callback: the RP exchanges the code and signs the browser in.
  next = await step('callback', next, async () => {
    const r = await send(jar, 'GET', next);
    if (!isRedirect(r.status) || !r.location) throw new Failure('callback', r.status, r.url.split('?')[0], snippet(r.text));
    const to = new URL(r.location);
    if (to.origin !== rp || to.pathname === '/login' || to.searchParams.has('error')) {
      throw new Failure('callback', r.status, r.url.split('?')[0], `redirected to ${r.location}`);
    }
    return r.location;
  });
  // 4. Where the RP sends a signed-in browser (AskOnce: /welcome…; the peer: /profile).
  if (!opts['stop-at-callback']) await step('landing', next, () => follow(jar, 'landing', next));
}

// GET `url`, following the RP's own redirects (not to /login: that means signed out) to a
// 200 page; returns its body.
async function follow(jar, op, url) {
  for (let hop = 0; hop < 10; hop++) {
    const r = await send(jar, 'GET', url);
    if (r.status === 200) return r.text;
    const to = r.location && new URL(r.location);
    if (!isRedirect(r.status) || !to || to.origin !== rp || to.pathname === '/login') {
      throw new Failure(op, r.status, r.url, r.location ? `redirected to ${r.location}` : snippet(r.text));
    }
    url = to.href;
  }
  throw new Failure(op, 0, url, 'more than 10 redirects at the RP');
}

// GET {rp}{path} (following the RP's redirects, see `follow`); `json`: the page must be a
// JSON object, without redirects.
async function getOk(jar, op, path, json) {
  const url = `${rp}${path}`;
  await step(op, url, async () => {
    if (!json) return follow(jar, op, url);
    const r = await send(jar, 'GET', url);
    if (r.status !== 200) throw new Failure(op, r.status, url, r.location ? `redirected to ${r.location}` : snippet(r.text));
    let v;
    try { v = JSON.parse(r.text); } catch { throw new Failure(op, r.status, url, `not JSON: ${snippet(r.text)}`); }
    if (!v || typeof v !== 'object') throw new Failure(op, r.status, url, `not a JSON object: ${snippet(r.text)}`);
  });
}

// Answers the question /welcome asks right after a first sign-in, as its form would post it.
async function answerWelcome(jar) {
  const url = `${rp}/welcome`;
  await step('answer', url, async () => {
    const page = await send(jar, 'GET', url);
    if (page.status !== 200) throw new Failure('answer', page.status, url, page.location ? `redirected to ${page.location}` : snippet(page.text));
    const stage = /name="stage" value="([^"]*)"/.exec(page.text)?.[1];
    if (!stage) throw new Failure('answer', page.status, url, `no question asked: ${snippet(page.text)}`);
    const form = { stage, return_to: '/' };
    for (const [tag] of page.text.matchAll(/<(?:input|select|textarea)\b[^>]*>/g)) {
      const key = /name="answers\[([^\]]+)\]"/.exec(tag)?.[1];
      if (!key) continue;
      const type = /type="([a-z]+)"/.exec(tag)?.[1];
      form[`answers[${key}]`] = type === 'checkbox' || type === 'radio' ? 'yes' : `Load ${key}`;
    }
    const post = await send(jar, 'POST', `${rp}/api/profiling/answer`, form, { 'sec-fetch-site': 'same-origin' });
    const to = post.location ? new URL(post.location, rp) : null;
    if (!isRedirect(post.status) || !to || to.pathname === '/login' || to.searchParams.has('error')) {
      throw new Failure('answer', post.status, `${rp}/api/profiling/answer`, post.location ? `redirected to ${post.location}` : snippet(post.text));
    }
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
}

let clockTicks = 100;
try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { /* 100 on Linux */ }
function cpuMs(pid) {
  if (!pid) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields 3… (state first)
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicks; // utime + stime
}

// --- the run -------------------------------------------------------------------------
const rpPid = opts.pid ? Number(opts.pid) : undefined;
const opPid = opts['op-pid'] ? Number(opts['op-pid']) : undefined;
let issued = 0;
let ok = 0;
let failed = 0;
let cookieJar = null; // the jar of a browser that is signed in, for --cookie-out
const latencies = [];

async function browser(client) {
  const account = accountFor(client);
  let jar = new Jar();
  while (issued < signins) {
    issued++;
    if (!opts['keep-cookies']) jar = new Jar();
    const t0 = performance.now();
    try {
      await signIn(jar, opts.answers ? `${account}-${issued}` : account);
      await getOk(jar, 'me', '/api/me', true);
      latencies.push(performance.now() - t0);
      if (opts.answers) await answerWelcome(jar);
      if (opts.pages) {
        await getOk(jar, 'profile', '/profile', false);
        await getOk(jar, 'welcome', '/welcome', false);
      }
      ok++;
      cookieJar = jar;
    } catch (err) {
      failed++;
      recordFailure(err instanceof Failure ? err : new Failure('internal', 0, '', String(err?.stack ?? err)));
    }
  }
}

const rpCpu0 = cpuMs(rpPid);
const opCpu0 = cpuMs(opPid);
const self0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(Array.from({ length: clients }, (_, i) => browser(i)));
const wall = (performance.now() - t0) / 1000;
const selfCpu = process.cpuUsage(self0);
const rpCpu = rpPid ? cpuMs(rpPid) - rpCpu0 : undefined;
const opCpu = opPid ? cpuMs(opPid) - opCpu0 : undefined;

if (opts['cookie-out']) {
  if (cookieJar) writeFileSync(opts['cookie-out'], `${cookieJar.header(`${rp}/profile`)}\n`);
  else console.error('load.mjs: no browser ended signed in; no cookie written');
}

latencies.sort((a, b) => a - b);
const summary = {
  label,
  rp,
  op,
  clients,
  signins,
  ok,
  failed,
  mode: { accounts: opts['same-person'] ? `${prefix} (same person)` : accountFor('<client>'), fresh_browser: !opts['keep-cookies'], follow_rp_redirects: !opts['stop-at-callback'], pages: !!opts.pages },
  wall_s: round(wall),
  signins_per_s: round(ok / wall, 1),
  signin_ms: { p50: round(percentile(latencies, 50), 1), p90: round(percentile(latencies, 90), 1), p99: round(percentile(latencies, 99), 1) },
  rp_cpu_ms: round(rpCpu, 0),
  rp_cpu_ms_per_signin: rpCpu === undefined || !ok ? null : round(rpCpu / ok),
  op_cpu_ms_per_signin: opCpu === undefined || !ok ? null : round(opCpu / ok),
  driver_cpu_ms_per_signin: ok ? round((selfCpu.user + selfCpu.system) / 1000 / ok) : null,
  ops,
  failures: [...failures.values()].sort((a, b) => b.count - a.count),
};
const cpu = summary.rp_cpu_ms_per_signin == null ? '' : `, RP CPU ${summary.rp_cpu_ms_per_signin} ms/sign-in`;
console.error(`[load] ${label}: ${ok}/${signins} sign-ins ok, ${failed} failed, ${clients} clients, ${summary.wall_s} s `
  + `(${summary.signins_per_s}/s, p50 ${summary.signin_ms.p50} ms, p99 ${summary.signin_ms.p99} ms)${cpu}`);
for (const f of summary.failures.slice(0, 10)) {
  console.error(`[load]   ${f.count} × ${f.reason} — e.g. ${f.sample.status} ${f.sample.url}: ${f.sample.body}`);
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(failed ? 1 : 0);
