// Accessibility: axe-core on every page with a form, signed out and signed in: no serious
// or critical violations.
import { expect, test } from '@playwright/test';
import { expectAccessible, hydrated } from './pages';

test('login, welcome, inline prompt and profile pages have no serious accessibility violations', async ({ page }) => {
  await page.goto('/');
  await expectAccessible(page, 'home');
  await page.goto('/login');
  await hydrated(page);
  await expectAccessible(page, 'login');

  await page.locator('#signup-email').fill(`a11y-${Date.now()}@example.com`);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
  await expectAccessible(page, 'welcome');
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.goto('/articles/rust-ownership-in-practice');
  await expect(page.getByTestId('progressive-prompt')).toBeVisible();
  await expectAccessible(page, 'article with prompt');

  await page.goto('/profile');
  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
  await expectAccessible(page, 'profile');
});

test('edit a detail, forget an answer and be asked again, download, delete the account and start afresh', async ({ page }) => {
  const email = `erase-${Date.now()}@example.com`;
  await page.goto('/login?return_to=%2Farticles%2Frust-ownership-in-practice');
  await hydrated(page);
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('First name').fill('Emmy');
  await page.getByLabel('Last name').fill('Noether');
  await page.getByRole('button', { name: 'Continue' }).click();
  const prompt = page.getByTestId('progressive-prompt');
  await prompt.getByLabel('Yes').check();
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('prompt-thanks')).toBeVisible();

  await page.goto('/profile');
  await hydrated(page);
  await expect(page.locator('[data-answer="subscribed"]')).toContainText('agreed');
  await expect(page.locator('[data-answer="subscribed"]')).toContainText('you told us');
  // Answers read under their questions, and the account as people know it.
  await expect(page.locator('dt', { hasText: 'Email me when new articles on these topics are published' })).toBeVisible();
  await expect(page.locator('.identity-list li').first()).toContainText('Email and password');
  await page.getByRole('button', { name: 'Forget Email me when new articles' }).click();
  await expect(page.locator('[data-answer="subscribed"]')).toHaveCount(0);
  await page.goto('/articles/rust-ownership-in-practice');
  await expect(page.getByTestId('progressive-prompt')).toBeVisible();

  // Edit a detail; after a reload it says where it came from.
  await page.goto('/profile');
  await hydrated(page);
  await page.getByLabel('Company').fill('Universität Göttingen');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.reload();
  await expect(page.locator('[data-answer="company"]')).toContainText('Universität Göttingen');
  await expect(page.locator('[data-answer="company"]')).toContainText('you told us on');
  // The README's picture of /profile; refreshed with UPDATE_SCREENSHOTS=1.
  await page.screenshot({
    path: process.env.UPDATE_SCREENSHOTS ? '../docs/profile.png' : 'test-results/profile.png',
    fullPage: true,
  });

  const download = page.waitForEvent('download');
  await page.goto('/profile');
  await hydrated(page);
  await page.getByRole('link', { name: 'Download my data' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('askonce-my-data.json');

  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.locator('#delete-error')).toHaveText('Tick the box to confirm that you want your account deleted.');
  await page.getByLabel('Yes, delete my account').check();
  await page.locator('#delete-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  // The header's link: the page below may say "sign in" too while it is being replaced.
  await expect(page.getByTestId('session-state').getByRole('link', { name: 'Sign in' })).toBeVisible();

  // Signing up again with the same email makes a new account, asked from the start.
  await page.goto('/login');
  await hydrated(page);
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
});
