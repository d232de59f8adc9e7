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
