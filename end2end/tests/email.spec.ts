// The account's life by email in the browser, against a real SMTP server (maildev): forgot
// password → the mail → a new password → signed in; verify the address from /profile; and
// axe-core on every page these flows add.
import { expect, test, type Page } from '@playwright/test';
import { countMail, linkIn, newestMail } from './mail';
import { expectAccessible, hydrated } from './pages';

async function signUp(page: Page, email: string, password = 'correct horse battery') {
  await page.goto('/login?return_to=/profile');
  await hydrated(page);
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  // The first sign-in's questions (if the site has a sign-up stage): not this test's subject.
  const skip = page.getByRole('button', { name: 'Skip for now' });
  const profile = page.getByRole('heading', { name: 'Your profile' });
  await expect(skip.or(profile)).toBeVisible();
  if (await skip.isVisible()) await skip.click();
  await expect(profile).toBeVisible();
}

test('forgot password: the emailed link sets a new password and signs in', async ({ page }) => {
  const email = `forgot-${Date.now()}@example.com`;
  await signUp(page, email);
  await page.getByTestId('session-state').getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('session-state').getByRole('link', { name: 'Sign in' })).toBeVisible();

  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
  await expectAccessible(page, 'forgot password');
  await page.locator('#forgot-email').fill(email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page.getByTestId('reset-sent')).toContainText('If that address belongs to an account');
  await expectAccessible(page, 'forgot password, sent');

  const link = linkIn(await newestMail(email, 'Reset your AskOnce password'), '/reset-password');
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await expectAccessible(page, 'reset password');
  await page.locator('#reset-password').fill('short');
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page.locator('#reset-error')).toHaveText('Use at least 8 characters.');
  await page.locator('#reset-password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page.getByTestId('password-reset-done')).toContainText('Your new password is saved');
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
  await newestMail(email, 'Your AskOnce password was changed');

  // The link worked once: opened again, it says so.
  await page.goto(link);
  await expect(page.getByTestId('link-refused')).toContainText('already used');
  await expectAccessible(page, 'reset password, used link');

  // "Recent activity" tells the story in plain words.
  await page.goto('/profile');
  await expect(page.getByRole('heading', { name: 'Recent activity' })).toBeVisible();
  await expect(page.locator('table.activity')).toContainText('Password reset with an emailed link');
});

test('verify the address from /profile', async ({ page }) => {
  const email = `verify-${Date.now()}@example.com`;
  await signUp(page, email);
  await newestMail(email, 'Confirm your email address');
  await hydrated(page);
  await expect(page.getByTestId('sign-in-email')).toContainText('not verified yet');
  await expectAccessible(page, 'profile, not verified yet');
  await page.goto('/verify-email');
  await expect(page.getByRole('button', { name: 'Email me a verification link' })).toBeVisible();
  await expectAccessible(page, 'verify email, not verified yet');
  await page.goto('/email/verify?token=0123');
  await expect(page.getByTestId('link-refused')).toContainText('This link is not valid');
  await expectAccessible(page, 'verify link, refused');
  await page.goto('/profile');
  await hydrated(page);
  await page.getByRole('button', { name: 'Email me a verification link' }).click();
  await expect(page.getByTestId('verification-sent')).toContainText('A verification link is on its way');
  // The newest message: asking again retired the sign-up's link.
  await expect.poll(() => countMail(email, 'Confirm your email address')).toBe(2);
  const link = linkIn(await newestMail(email, 'Confirm your email address'), '/email/verify');
  // The link's page changes nothing by itself (mail scanners open links too): its button does.
  await page.goto(link);
  await expect(page.getByRole('heading', { name: email })).toBeVisible();
  await expectAccessible(page, 'verify link');
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(page.getByTestId('link-done')).toHaveText('Your email address is verified. Thank you!');
  await expectAccessible(page, 'email link, done');
  await page.goto('/profile');
  await expect(page.getByTestId('sign-in-email')).toContainText(`${email} · verified`);
  await expect(page.locator('[data-attribute="email"]')).toContainText('(verified)');
  await expectAccessible(page, 'profile with email and activity');

  await page.goto('/email-link?refused=expired');
  await expect(page.getByTestId('link-refused')).toContainText('This link has expired');
  await expectAccessible(page, 'email link, refused');
  await page.goto('/verify-email');
  await expect(page.getByTestId('address-verified')).toBeVisible();
  await expectAccessible(page, 'verify email');
});

test('without JavaScript, forgot password and the reset form still work', async ({ browser }) => {
  const email = `forgot-nojs-${Date.now()}@example.com`;
  const setup = await browser.newPage();
  await signUp(setup, email);
  await setup.close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/forgot-password');
  await page.locator('#forgot-email').fill(email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page.getByTestId('reset-sent')).toBeVisible();
  const link = linkIn(await newestMail(email, 'Reset your AskOnce password'), '/reset-password');
  await page.goto(link);
  await page.locator('#reset-password').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Save and sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
  await context.close();
});
