// Content-Security-Policy in a real browser: the app still hydrates and calls the server under
// the policy, and a script injected into the page (what an XSS would do) does not run.
import { expect, test, type Page } from '@playwright/test';

// Collects every CSP violation from the first byte of every document. Init scripts are
// injected by the browser's debugging protocol, so the policy does not apply to them.
async function recordViolations(page: Page) {
  await page.addInitScript(() => {
    (window as any).__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as any).__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
}

const violations = (page: Page) => page.evaluate(() => (window as any).__violations as { directive: string; blocked: string }[]);

test('pages hydrate under the CSP, with the header nonce on their scripts, and nothing is blocked', async ({ page }) => {
  await recordViolations(page);
  for (const path of ['/', '/login']) {
    const response = await page.goto(path);
    const csp = response?.headers()['content-security-policy'] ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, `CSP on ${path}: ${csp}`).toBeTruthy();
    expect(csp).toContain("'strict-dynamic'");
    // The provider's origin is allowed as a form target (its sign-in button redirects there).
    expect(csp).toMatch(/form-action 'self'[^;]* http:\/\/127\.0\.0\.1:\d+/);
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    // The browser hides nonce attributes from the DOM's attribute API (`.nonce` keeps it).
    const scriptNonces = await page.locator('script').evaluateAll((els) => els.map((el) => (el as HTMLScriptElement).nonce));
    expect(scriptNonces.length).toBeGreaterThan(0);
    expect(scriptNonces.every((n) => n === nonce)).toBe(true);
    expect(await violations(page)).toEqual([]);
  }

  // An interactive check: a server-function round trip without a reload.
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const before = await page.getByTestId('checked-at').textContent();
  const call = page.waitForResponse((r) => r.url().includes('/api/check_status') && r.status() === 200);
  await page.getByRole('button', { name: 'Check again' }).click();
  await call;
  await expect(page.getByTestId('checked-at')).not.toHaveText(before ?? '');
  expect(await violations(page)).toEqual([]);
});

// A stored XSS: markup that reaches the page as HTML. (Scripts inserted through Playwright's
// `evaluate` / `addScriptTag` are no test of the policy: code that DevTools evaluates bypasses
// CSP in Chromium — even `eval` runs there — so those would "run" under any policy.)
test('an injected inline script without the nonce is blocked and reported, and the page still works', async ({ page }) => {
  await recordViolations(page);
  await page.route('**/login', async (route) => {
    const response = await route.fetch();
    const injected =
      '<script>window.__injected = true;</script>' +
      '<script nonce="guessed-nonce">window.__guessed = true;</script>' +
      '<link rel="preload" href="/favicon.svg" as="image" onload="window.__handler = true">';
    // The server's own headers (its CSP) are kept; only the document gains the injection.
    await route.fulfill({ response, body: (await response.text()).replace('</head>', `${injected}</head>`) });
  });
  await page.goto('/login');
  // The page's own, nonced scripts still run: it hydrates.
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const ran = await page.evaluate(() => {
    const w = window as any;
    return { injected: w.__injected === true, guessed: w.__guessed === true, handler: w.__handler === true };
  });
  expect(ran).toEqual({ injected: false, guessed: false, handler: false });
  const reported = await violations(page);
  expect(reported.filter((v) => v.directive === 'script-src-elem' && v.blocked === 'inline')).toHaveLength(2);
  expect(reported).toContainEqual(expect.objectContaining({ directive: 'script-src-attr', blocked: 'inline' }));
});

// The "Link …" buttons on /profile are forms posting to /auth/<name>/start, which redirects to
// the provider. Chromium checks that redirect against form-action too: without the provider's
// origin in it, the browser would stop on an error page.
test('a form post that redirects to the provider is allowed by form-action', async ({ page }) => {
  const issuer = `http://127.0.0.1:${Number(process.env.E2E_IDP_PORT ?? 3200)}`;
  const email = `csp-${Date.now()}@example.com`;
  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email.split('@')[0]);

  const profile = await page.goto('/profile');
  expect(profile?.headers()['content-security-policy']).toContain(`form-action 'self' ${issuer}`);
  await page.getByRole('button', { name: 'Link Demo IdP' }).click();
  await page.waitForURL((url) => url.origin === issuer);
});
