// Local accounts in the browser: sign up, sign out, sign in again.
import { expect, test } from '@playwright/test';

test('sign up with a password, sign out, and sign in again', async ({ page }) => {
  const email = `ada-${Date.now()}@example.com`;
  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');

  // A too-short password is explained next to the form, and the email is kept.
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#signup-error')).toHaveText('Use at least 8 characters.');
  await expect(page.locator('#signup-email')).toHaveValue(email);

  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email.split('@')[0]);

  await page.getByRole('button', { name: 'Sign out' }).click();
  // The header's link: the page below may say "sign in" too while it is being replaced.
  await expect(page.getByTestId('session-state').getByRole('link', { name: 'Sign in' })).toBeVisible();

  await page.goto('/login');
  // Hydrated first: a click before that posts the form without JavaScript (a page load that
  // drops the typed email), which the test below covers on its own.
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await page.locator('#signin-email').fill(email);
  await page.locator('#signin-password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#signin-error')).toHaveText('Wrong email or password.');

  await page.locator('#signin-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(email.split('@')[0]);
});

test('signing in works without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = `nojs-${Date.now()}@example.com`;
  await page.goto('/login?return_to=/status');
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  // The sign-up continues through this sign-in's questions, then to return_to.
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
  await page.getByLabel('First name').fill('No');
  await page.getByLabel('Last name').fill('Script');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/status$/);
  await expect(page.getByTestId('signed-in-as')).toHaveText('No Script');
  await context.close();
});

test('without JavaScript, a refused sign-in or sign-up comes back to the form with the reason', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login?return_to=/status');
  await page.locator('#signin-email').fill(`nobody-${Date.now()}@example.com`);
  await page.locator('#signin-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login\?/);
  await expect(page.locator('#signin-error')).toHaveText('Wrong email or password.');

  await page.locator('#signup-email').fill(`short-${Date.now()}@example.com`);
  await page.locator('#signup-password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#signup-error')).toHaveText('Use at least 8 characters.');
  // The error is the page's, not a raw server answer, and the page still works.
  await expect(page.getByRole('heading', { name: 'Sign in to AskOnce' })).toBeVisible();
  await context.close();
});
