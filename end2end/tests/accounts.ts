// Signing in and out the way people do, shared by the specs.
import { expect, type Page } from '@playwright/test';
import { hydrated } from './pages';

export const password = 'correct horse battery';

// The example relying app registered as `shop` (playwright.config.ts).
export const shopUrl = `http://127.0.0.1:${process.env.E2E_SHOP_PORT ?? '3400'}`;

export async function signUp(page: Page, email: string, returnTo = '/articles') {
  await page.goto(`/login?return_to=${encodeURIComponent(returnTo)}`);
  await hydrated(page);
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

export async function signIn(page: Page, email: string, returnTo = '/articles') {
  await page.goto(`/login?return_to=${encodeURIComponent(returnTo)}`);
  await hydrated(page);
  await page.locator('#signin-email').fill(email);
  await page.locator('#signin-password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  // The header's link: the page below may say "sign in" too while it is being replaced.
  await expect(page.getByTestId('session-state').getByRole('link', { name: 'Sign in' })).toBeVisible();
}

// alan@example.com is named in `admins` (playwright.config.ts) and verified by the provider.
// Lands on the console, then on `then` when given.
export async function signInAsAdmin(page: Page, then?: string) {
  await page.goto('/login?return_to=%2Fadmin');
  await page.getByRole('link', { name: 'Continue with Demo IdP' }).click();
  const form = page.locator('input[name="login"]');
  const console = page.getByRole('heading', { name: 'Console', level: 1 });
  const welcome = page.getByRole('button', { name: 'Skip for now' });
  await expect(form.or(console).or(welcome)).toBeVisible();
  if (await form.isVisible()) {
    await form.fill('alan');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
  }
  await expect(console.or(welcome)).toBeVisible();
  if (await welcome.isVisible()) await welcome.click();
  await expect(console).toBeVisible();
  if (then) await page.goto(then);
}

// Signs up through an application's sign-in (the example relying app at `app`), answering the
// sign-up's question inside it.
export async function signUpInsideTheSignIn(page: Page, email: string, given: string, family: string, app = shopUrl) {
  await page.goto(app);
  await page.getByTestId('rp-sign-in').click();
  // AskOnce's login page, on AskOnce's origin.
  await expect(page.getByRole('heading', { name: 'Sign in to AskOnce' })).toBeVisible();
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  // The sign-up's question, asked before the shop gets its code.
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
  await page.getByLabel('First name').fill(given);
  await page.getByLabel('Last name').fill(family);
  await page.getByRole('button', { name: 'Continue' }).click();
}
