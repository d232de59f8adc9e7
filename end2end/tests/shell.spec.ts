// The app shell: server rendering, hydration, a server-function round trip, errors, keyboard.
import { expect, test } from '@playwright/test';

test('the home page is useful without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in once. Never be asked twice.');
  await expect(page.getByTestId('status-summary')).toHaveText('All systems normal.');

  // Without JavaScript, "Check again" posts the form and the page comes back with a new check.
  const before = await page.getByTestId('checked-at').textContent();
  await page.getByRole('button', { name: 'Check again' }).click();
  await page.waitForLoadState('load');
  await expect(page.getByTestId('checked-at')).not.toHaveText(before ?? '');
  await expect(page.getByTestId('status-summary')).toHaveText('All systems normal.');
  await context.close();
});

test('the page hydrates and the status button calls the server without reloading', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const before = await page.getByTestId('checked-at').textContent();

  // A marker on window survives only if the page is not reloaded.
  await page.evaluate(() => ((window as any).__noReload = true));
  const call = page.waitForResponse((r) => r.url().includes('/api/check_status') && r.status() === 200);
  await page.getByRole('button', { name: 'Check again' }).click();
  await call;
  await expect(page.getByTestId('checked-at')).not.toHaveText(before ?? '');
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
});

test('an unknown address shows a helpful not-found page with status 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('keyboard users can skip to the content and see where focus is', async ({ page }) => {
  await page.goto('/status');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  // The focus ring is drawn (an outline wider than zero).
  const outline = await skip.evaluate((el) => getComputedStyle(el).outlineWidth);
  expect(parseFloat(outline)).toBeGreaterThan(0);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
});

// Each page is its own wasm chunk (app/src/routes.rs, `cargo leptos build --split`): the home
// page does not make its visitor download the sign-in page's code; going there fetches it,
// without a reload, and the page it shows works.
test('each page loads its own code: the sign-in chunk arrives only on the way to sign in', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm: string[] = [];
  page.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.startsWith('/pkg/') && pathname.endsWith('.wasm')) wasm.push(pathname);
  });

  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const home = [...wasm];
  expect(home, 'the main bundle').toContain('/pkg/askonce.wasm');
  expect(home.filter((f) => f !== '/pkg/askonce.wasm').length, 'the home page chunk').toBeGreaterThan(0);

  await page.evaluate(() => ((window as any).__noReload = true));
  await page.getByTestId('session-state').getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('button', { name: 'Create account' })).toBeVisible();
  const fetchedOnTheWay = wasm.slice(home.length);
  expect(fetchedOnTheWay.length, 'the sign-in page chunk').toBeGreaterThan(0);
  expect(fetchedOnTheWay.filter((f) => home.includes(f))).toEqual([]);
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);

  // The chunk's code runs: a refused sign-in is answered in place, without a page load.
  await page.locator('#signin-email').fill('nobody-here@example.com');
  await page.locator('#signin-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#signin-error')).not.toBeEmpty();
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  expect(errors).toEqual([]);
});
