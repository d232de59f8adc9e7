// What the load drivers (load.mjs, op-bench.mjs) share: a browser's cookie jar, the
// failure they count, and the figures they print. No dependencies.

// --- a cookie jar (RFC 6265 storage model, enough for these servers) -------------------
// Like a browser, it ignores ports: an RP and a provider both on 127.0.0.1 see each other's
// cookies, as they would in a browser.
export class Jar {
  constructor() { this.cookies = new Map(); }

  store(url, setCookies) {
    const u = new URL(url);
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const c = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), domain: u.hostname, hostOnly: true, path: defaultPath(u.pathname), expires: Infinity };
      for (const attr of attrs) {
        const i = attr.indexOf('=');
        const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
        const val = i < 0 ? '' : attr.slice(i + 1).trim();
        if (key === 'path' && val.startsWith('/')) c.path = val;
        else if (key === 'domain' && val) { c.domain = val.replace(/^\./, '').toLowerCase(); c.hostOnly = false; }
        else if (key === 'max-age' && /^-?\d+$/.test(val)) c.maxAge = Number(val);
        else if (key === 'expires' && c.maxAge === undefined) { const t = Date.parse(val); if (!Number.isNaN(t)) c.expires = t; }
      }
      if (c.maxAge !== undefined) c.expires = c.maxAge <= 0 ? 0 : Date.now() + c.maxAge * 1000;
      if (!c.hostOnly && !domainMatch(u.hostname, c.domain)) continue;
      const key = `${c.domain}|${c.path}|${c.name}`;
      if (c.expires <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, c);
    }
  }

  header(url) {
    const u = new URL(url);
    const now = Date.now();
    const out = [];
    for (const [key, c] of this.cookies) {
      if (c.expires <= now) { this.cookies.delete(key); continue; }
      if (c.hostOnly ? u.hostname !== c.domain : !domainMatch(u.hostname, c.domain)) continue;
      if (!pathMatch(u.pathname, c.path)) continue;
      out.push(c);
    }
    out.sort((a, b) => b.path.length - a.path.length);
    return out.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}
function defaultPath(p) {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
function domainMatch(host, domain) {
  return host === domain || (host.endsWith(`.${domain}`) && !/^[\d.]+$/.test(host));
}
function pathMatch(reqPath, cookiePath) {
  return reqPath === cookiePath || (reqPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/'));
}

// --- a step's failure ------------------------------------------------------------------
export class Failure extends Error {
  constructor(op, status, url, body) {
    super(`${op}: ${status} ${url}`);
    this.op = op;
    this.status = status;
    this.url = url;
    this.body = body;
  }
}

// --- figures ---------------------------------------------------------------------------
export const isRedirect = (s) => s >= 300 && s < 400;
export const snippet = (text) => (text ?? '').slice(0, 200).replace(/\s+/g, ' ');
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);
export const round = (x, d = 2) => (x == null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
