// What a visitor downloads before a page is interactive: every /pkg script and wasm file the
// browser fetches on a first load (empty cache) until the page has hydrated, measured in
// Chromium. Run by scripts/bench-bundle.sh against `cargo leptos build --release --split`;
// writes a Markdown table to $BUNDLE_OUT (default: stdout).
import { expect, test, type Browser, type BrowserContext, type Response } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

type Fetched = { file: string; raw: number; gzip9: number; transfer: number };

const gzip9 = (body: Buffer) => zlib.gzipSync(body, { level: 9 }).length;

/** Loads `url` in `context` (a fresh one: nothing cached) and lists the /pkg files it fetched. */
async function firstLoad(context: BrowserContext, url: string): Promise<Fetched[]> {
  const page = await context.newPage();
  const measured: Promise<Fetched>[] = [];
  page.on('response', (response: Response) => {
    const { pathname } = new URL(response.url());
    if (!pathname.startsWith('/pkg/') || !/\.(wasm|js)$/.test(pathname)) return;
    measured.push(
      (async () => {
        const body = await response.body();
        const sizes = await response.request().sizes();
        return { file: pathname.slice('/pkg/'.length), raw: body.length, gzip9: gzip9(body), transfer: sizes.responseBodySize };
      })(),
    );
  });
  await page.goto(url);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  // Chunks a page imports after hydrating (none expected) count too.
  await page.waitForLoadState('networkidle');
  const files = await Promise.all(measured);
  await page.close();
  return files;
}

/** A context holding a signed-in session of a new password account (it has been through /welcome). */
async function passwordUser(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login?return_to=%2Farticles');
  await page.locator('#signup-email').fill(`bundle-${Date.now()}@example.com`);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/welcome/);
  await page.close();
  return context;
}

/** A context holding the admin's session (alan, named in `admins`, through the real provider). */
async function admin(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login?return_to=%2Fadmin');
  await page.getByRole('link', { name: 'Continue with Demo IdP' }).click();
  await page.locator('input[name="login"]').fill('alan');
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
  await page.close();
  return context;
}

/** A fresh context with `from`'s cookies only: signed in, with an empty HTTP cache. */
async function sameSession(browser: Browser, from: BrowserContext): Promise<BrowserContext> {
  return browser.newContext({ storageState: await from.storageState() });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

test('first-load bundle of each page, and of the whole app', async ({ browser, baseURL }) => {
  const anonymous = await browser.newContext();
  const articles = await anonymous.newPage();
  await articles.goto('/articles');
  const article = await articles.locator('a[href^="/articles/"]').first().getAttribute('href');
  expect(article).toBeTruthy();
  await articles.close();
  await anonymous.close();

  const user = await passwordUser(browser);
  const owner = await admin(browser);
  const pages: [string, string, BrowserContext | null][] = [
    ['/', 'home', null],
    ['/login', 'sign in', null],
    ['/articles', 'articles', null],
    [article!, 'an article', null],
    ['/status', 'status', null],
    ['/welcome?return_to=%2Farticles', 'welcome (new account)', user],
    ['/profile', 'profile', user],
    ['/admin', 'console overview', owner],
    ['/admin/questions', 'console questions', owner],
    ['/admin/users', 'console users', owner],
  ];

  const rows: string[] = [];
  for (const [url, what, session] of pages) {
    const context = session ? await sameSession(browser, session) : await browser.newContext();
    const files = await firstLoad(context, url);
    await context.close();
    const sum = (k: keyof Omit<Fetched, 'file'>) => files.reduce((n, f) => n + f[k], 0);
    const chunks = files.filter((f) => f.file.endsWith('.wasm')).length;
    rows.push(`| ${what} (\`${url.split('?')[0]}\`) | ${files.length} (${chunks} wasm) | ${kb(sum('raw'))} | **${kb(sum('gzip9'))}** | ${kb(sum('transfer'))} |`);
  }

  // Every script and wasm file the build wrote: the whole app, as if one visitor used every page.
  const siteRoot = process.env.E2E_SITE_ROOT ?? path.resolve(__dirname, '..', '..', 'target', 'site');
  const pkg = path.join(siteRoot, 'pkg');
  const all = fs.readdirSync(pkg).filter((f) => /\.(wasm|js)$/.test(f));
  const whole = all.map((f) => fs.readFileSync(path.join(pkg, f)));
  const wholeRaw = whole.reduce((n, b) => n + b.length, 0);
  const wholeGz = whole.reduce((n, b) => n + gzip9(b), 0);

  const out = [
    `First load in Chromium against ${baseURL} (site ${siteRoot}), empty cache, until hydrated:`,
    '',
    '| page | /pkg files fetched | raw | gzip -9 | transferred (server compression) |',
    '|---|---|---|---|---|',
    ...rows,
    `| whole app: every .js/.wasm in pkg/ | ${all.length} | ${kb(wholeRaw)} | **${kb(wholeGz)}** | |`,
    '',
  ].join('\n');
  if (process.env.BUNDLE_OUT) fs.writeFileSync(process.env.BUNDLE_OUT, out);
  console.log(out);
  await user.close();
  await owner.close();
});
