// Signing in through a real OpenID Provider's login page, in Chromium.
import { expect, test, type Page } from '@playwright/test';

async function signInAtProvider(page: Page, login: string) {
  await page.goto('/login');
  await page.getByRole('link', { name: 'Continue with Demo IdP' }).click();
  // oidc-provider's own login page — unless the provider still has a session for this
  // browser (single sign-on), in which case it sends us straight back.
  const form = page.locator('input[name="login"]');
  const back = page.getByTestId('signed-in-as');
  await expect(form.or(back)).toBeVisible();
  if (await form.isVisible()) {
    await form.fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
  }
}

test('sign in at the provider, see your name, sign out, and sign in again', async ({ page }) => {
  await signInAtProvider(page, 'grace');
  await expect(page.getByTestId('signed-in-as')).toHaveText('Grace Hopper');

  const first = await (await page.request.get('/api/me')).json();
  expect(first.identities[0].connection).toBe('demo');
  expect(first.provenance.given_name.source).toBe('claim:demo:given_name');

  await page.getByRole('button', { name: 'Sign out' }).click();
  // The header's link: the page below may say "sign in" too while it is being replaced.
  await expect(page.getByTestId('session-state').getByRole('link', { name: 'Sign in' })).toBeVisible();
  expect((await page.request.get('/api/me')).status()).toBe(401);

  await signInAtProvider(page, 'grace');
  await expect(page.getByTestId('signed-in-as')).toHaveText('Grace Hopper');
  const second = await (await page.request.get('/api/me')).json();
  expect(second.logins_count).toBe(first.logins_count + 1);
  expect(second.user_id).toBe(first.user_id);
});
