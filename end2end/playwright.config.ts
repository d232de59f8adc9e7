// Browser tests against the real AskOnce server binary with a fresh SQLite database.
// Chromium is Debian's (/usr/bin/chromium): Playwright's own browser download is not
// available on these machines, and `npx playwright install` must never run.
import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..');
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// The real OpenID Provider (oidc-provider from npm) the browser signs in at.
const idpPort = Number(process.env.E2E_IDP_PORT ?? 3200);
const issuer = `http://127.0.0.1:${idpPort}`;
// A real SMTP server (maildev from npm): AskOnce delivers to it, the tests read what arrived
// through its REST API (tests/mail.ts).
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? 3300);
const mailWebPort = Number(process.env.E2E_MAIL_WEB_PORT ?? (process.env.E2E_MAIL_WEB_PORT = '3301'));
// Two instances of the example relying app (examples/relying-app: Express + openid-client),
// registered as the clients `shop` and `forum`: the site's own apps signing in through AskOnce.
const shopPort = Number(process.env.E2E_SHOP_PORT ?? (process.env.E2E_SHOP_PORT = '3400'));
const forumPort = Number(process.env.E2E_FORUM_PORT ?? (process.env.E2E_FORUM_PORT = '3401'));
// A partner's app (not the site's own): people are asked for consent.
const partnerPort = Number(process.env.E2E_PARTNER_PORT ?? (process.env.E2E_PARTNER_PORT = '3402'));
const clientSecret = 'e2e-client-secret-0123456789abcdefghijklmn';
const relyingApp = (port: number, clientId: string, name: string) => ({
  command: `node ../examples/relying-app/app.mjs`,
  url: `http://127.0.0.1:${port}/`,
  reuseExistingServer: false,
  timeout: 30_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
  env: { PORT: String(port), ISSUER: baseURL, CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, APP_NAME: name },
});
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target');
const bin = process.env.E2E_BIN ?? path.join(targetDir, 'debug', 'askonce');
// One fresh database per run; the config file is evaluated again in workers, so the main
// process chooses the folder and hands it down through the environment.
const dataDir =
  process.env.E2E_DATA_DIR ??
  (process.env.E2E_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'askonce-e2e-')));

export default defineConfig({
  testDir: './tests',
  // Two cores: one browser at a time keeps timings stable.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium' }],
  webServer: [
  {
    command: `node oidc/provider.mjs --port ${idpPort} --redirect ${baseURL}/auth/demo/callback`,
    url: `${issuer}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  {
    command: `node node_modules/maildev/dist/bin/maildev.js --ip 127.0.0.1 --web-ip 127.0.0.1 --smtp ${smtpPort} --web ${mailWebPort} --silent`,
    url: `http://127.0.0.1:${mailWebPort}/api/email`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  { ...relyingApp(shopPort, 'shop', 'The shop'), env: { ...relyingApp(shopPort, 'shop', 'The shop').env, RP_TEST_ENDPOINTS: '1' } },
  relyingApp(forumPort, 'forum', 'The forum'),
  relyingApp(partnerPort, 'partner', 'The partner'),
  {
    command: `"${bin}" serve`,
    cwd: repo,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      ASKONCE_SERVER__BIND: `127.0.0.1:${port}`,
      ASKONCE_SERVER__PUBLIC_URL: baseURL,
      // The built site (wasm, js, css); the bundle benchmark points it at a release build.
      ASKONCE_SERVER__SITE_ROOT: process.env.E2E_SITE_ROOT ?? path.join(repo, 'target', 'site'),
      ASKONCE_DATABASE__URL: `sqlite://${path.join(dataDir, 'askonce.db')}?mode=rwc`,
      ASKONCE_LOG__LEVEL: process.env.ASKONCE_LOG__LEVEL ?? 'warn',
      ASKONCE_EMAIL__SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ASKONCE_EMAIL__POLL_INTERVAL_SECS: '1',
      // Every browser test signs in from 127.0.0.1: lift the per-IP sign-in limit (its 429 is
      // covered by the Rust HTTP tests).
      ASKONCE_RATE_LIMIT__AUTH_PER_MINUTE: '10000',
      ASKONCE_RATE_LIMIT__AUTH_BURST: '10000',
      // The console's admin in the browser tests (verified by the provider).
      ASKONCE_ADMINS: '["alan@example.com"]',
      // The hook extensibility.spec starts listens on 127.0.0.1, which hooks may call only
      // when the operator lists the range.
      ASKONCE_HOOKS__ALLOW_PRIVATE: '["127.0.0.0/8"]',
      ASKONCE_CONNECTIONS__DEMO__KIND: 'oidc',
      ASKONCE_CONNECTIONS__DEMO__DISPLAY_NAME: 'Demo IdP',
      ASKONCE_CONNECTIONS__DEMO__ISSUER: issuer,
      ASKONCE_CONNECTIONS__DEMO__CLIENT_ID: 'askonce',
      ASKONCE_CONNECTIONS__DEMO__CLIENT_SECRET: 'askonce-test-secret',
      ASKONCE_OPENID_PROVIDER__KEY_ENCRYPTION_KEY_FILE: path.join(dataDir, 'askonce.kek'),
      ASKONCE_CLIENTS__SHOP__NAME: 'The shop',
      ASKONCE_CLIENTS__SHOP__APP_TYPE: 'regular_web',
      ASKONCE_CLIENTS__SHOP__CLIENT_SECRET: clientSecret,
      ASKONCE_CLIENTS__SHOP__CALLBACKS: `["http://127.0.0.1:${shopPort}/callback"]`,
      ASKONCE_CLIENTS__SHOP__RELEASED_FIELDS: '["job_title"]',
      ASKONCE_CLIENTS__SHOP__ALLOWED_LOGOUT_URLS: `["http://127.0.0.1:${shopPort}/"]`,
      // The shop asks in context on its own pages (end2end/tests/embedded-prompt.spec.ts).
      ASKONCE_CLIENTS__SHOP__SCOPES: '["openid", "profile", "email", "offline_access", "prompt"]',
      ASKONCE_CLIENTS__SHOP__WEB_ORIGINS: `["http://127.0.0.1:${shopPort}"]`,
      ASKONCE_CLIENTS__FORUM__NAME: 'The forum',
      ASKONCE_CLIENTS__FORUM__APP_TYPE: 'regular_web',
      ASKONCE_CLIENTS__FORUM__CLIENT_SECRET: clientSecret,
      ASKONCE_CLIENTS__FORUM__CALLBACKS: `["http://127.0.0.1:${forumPort}/callback"]`,
      ASKONCE_CLIENTS__PARTNER__NAME: 'The partner',
      ASKONCE_CLIENTS__PARTNER__APP_TYPE: 'regular_web',
      ASKONCE_CLIENTS__PARTNER__CLIENT_SECRET: clientSecret,
      ASKONCE_CLIENTS__PARTNER__CALLBACKS: `["http://127.0.0.1:${partnerPort}/callback"]`,
      ASKONCE_CLIENTS__PARTNER__FIRST_PARTY: 'false',
    },
  },
  ],
});
