// The seed's third moment on a site that is not AskOnce: the example relying app (the shop)
// shows an article, and <askonce-prompt> — AskOnce's web component, under the host page's
// strict CSP — asks the reader to subscribe, once. And the same through the headless API, in
// a page the shop's server renders, without JavaScript.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { shopUrl as shop, signInAsAdmin, signUpInsideTheSignIn } from './accounts';

const askonce = `http://127.0.0.1:${process.env.E2E_PORT ?? '3100'}`;
const prompt = (page: Page) => page.getByTestId('rp-prompt');
const events = (page: Page) => page.getByTestId('rp-events');

// Any CSP or Trusted Types violation on the host page fails the test.
function watchPolicy(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Trusted Type|TrustedHTML|TrustedScript/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(e.message));
  return violations;
}

test('an article on the shop asks to subscribe once, in place, under a strict CSP', async ({ page }) => {
  const violations = watchPolicy(page);
  const email = `embed-${Date.now()}@example.com`;
  await signUpInsideTheSignIn(page, email, 'Ada', 'Lovelace');
  await expect(page).toHaveURL(`${shop}/`);

  // Everything the component loads from AskOnce, as Chromium's network log counts it.
  const loaded: { url: string; bytes: number }[] = [];
  page.on('requestfinished', async (request) => {
    if (request.url().startsWith(`${askonce}/embed/`)) {
      const sizes = await request.sizes();
      loaded.push({ url: request.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
    }
  });
  const response = await page.goto(`${shop}/articles/rust`);
  expect(response!.headers()['content-security-policy']).toBe(
    `default-src 'self'; script-src 'self' ${askonce}; connect-src ${askonce}; style-src 'self' ${askonce}; require-trusted-types-for 'script'`,
  );
  await expect(prompt(page).getByRole('heading', { name: 'Get new articles by email?' })).toBeVisible();
  await expect(events(page).locator('[data-event="shown"]')).toHaveCount(1);
  await expect(prompt(page).getByText('We email you when an article')).toBeVisible();

  // The budget: every file the component loaded, on the wire.
  const total = loaded.reduce((sum, f) => sum + f.bytes, 0);
  expect(loaded.map((f) => f.url.replace(askonce, '')).sort()).toEqual(['/embed/prompt.css', '/embed/prompt.js']);
  console.log(`embedded prompt: ${total} bytes from AskOnce (${loaded.map((f) => `${f.url.replace(askonce, '')} ${f.bytes}`).join(', ')})`);
  expect(total).toBeLessThanOrEqual(12 * 1024);
  const ms = await events(page).locator('[data-event="shown"]').getAttribute('data-ms');
  console.log(`embedded prompt: rendered ${ms} ms after DOMContentLoaded`);

  // Accessible on the host page with the component open (axe reads open shadow roots). axe
  // itself applies an inline style, which the host's policy reports: the component's record
  // is checked before axe runs, and again from after it.
  expect(violations).toEqual([]);
  const axe = await new AxeBuilder({ page }).analyze();
  violations.length = 0;
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // Continue without an answer: the field says why, and has focus.
  await prompt(page).getByRole('button', { name: 'Continue' }).click();
  await expect(prompt(page).getByRole('alert').filter({ hasText: 'Please' })).toBeVisible();
  await expect(prompt(page).getByRole('radio', { name: 'Yes' })).toBeFocused();
  await prompt(page).getByRole('radio', { name: 'Yes' }).check();
  await prompt(page).getByRole('button', { name: 'Continue' }).click();
  await expect(prompt(page).getByRole('status')).toHaveText('Thanks — noted.');
  await expect(events(page).locator('[data-event="answered"]')).toHaveCount(1);

  // Stored in AskOnce with where it came from (the browser also holds AskOnce's session).
  const me = await (await page.request.get(`${askonce}/api/me`)).json();
  expect(me.user_metadata.subscribed).toBe(true);
  expect(me.provenance['user_metadata.subscribed'].source).toBe('app:shop');

  // Asked once: the next article asks nothing.
  await page.goto(`${shop}/articles/sql`);
  await expect(events(page).locator('[data-event="none"]')).toHaveCount(1);
  await expect(prompt(page).getByRole('heading')).toHaveCount(0);
  expect(violations).toEqual([]);

  // The site owner's funnel, filtered to the shop's pages, counts it with its page.
  await page.context().clearCookies();
  await signInAsAdmin(page, '/admin/analytics?app=shop');
  await expect(page.getByTestId('analytics-app')).toHaveValue('shop');
  const pages = page.getByTestId('page-stats');
  await expect(pages.getByRole('row', { name: /\/articles\/rust/ })).toContainText('shop');
  const stage = page.getByTestId('stage-stats').getByRole('row', { name: /Get new articles by email/ });
  await expect(stage.getByRole('cell').nth(1)).not.toHaveText('0');
});

test('a skip holds for the cooldown on the next article; a revoked token shows nothing and says so', async ({ page }) => {
  const violations = watchPolicy(page);
  await signUpInsideTheSignIn(page, `embed-skip-${Date.now()}@example.com`, 'Grace', 'Hopper');
  await expect(page).toHaveURL(`${shop}/`);

  await page.goto(`${shop}/articles/css?revoke=1`);
  await expect(events(page).locator('[data-event="error"]')).toHaveText('error 401');
  await expect(prompt(page).getByRole('heading')).toHaveCount(0);

  await page.goto(`${shop}/articles/sql`);
  await prompt(page).getByRole('button', { name: 'Skip for now' }).click();
  await expect(events(page).locator('[data-event="skipped"]')).toHaveCount(1);
  await expect(prompt(page).getByRole('heading')).toHaveCount(0);
  await page.goto(`${shop}/articles/css`);
  await expect(events(page).locator('[data-event="none"]')).toHaveCount(1);
  expect(violations).toEqual([]);
});

test('the shop server-renders the question from the headless API, without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signUpInsideTheSignIn(page, `headless-${Date.now()}@example.com`, 'Mary', 'Somerville');
  await expect(page).toHaveURL(`${shop}/`);
  await page.goto(`${shop}/read/rust`);
  const asked = page.getByTestId('rp-headless-prompt');
  await expect(asked.getByRole('heading', { name: 'Get new articles by email?' })).toBeVisible();
  await asked.getByRole('button', { name: 'Continue' }).click();
  // AskOnce's reason, the same words /welcome uses, by the field.
  await expect(page.getByTestId('rp-headless-prompt').getByRole('alert').filter({ hasText: 'Please' })).toBeVisible();
  await page.getByTestId('rp-headless-prompt').getByRole('radio', { name: 'Yes' }).check();
  await page.getByTestId('rp-headless-prompt').getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('rp-headless-done')).toHaveText('Thanks — noted.');
  await expect(page.getByTestId('rp-headless-prompt')).toHaveCount(0);
  await page.goto(`${shop}/read/sql`);
  await expect(page.getByTestId('rp-headless-prompt')).toHaveCount(0);
  await context.close();
});
