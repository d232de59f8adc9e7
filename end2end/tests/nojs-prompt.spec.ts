// The question stages without JavaScript: plain form posts, same rules.
import { expect, test } from '@playwright/test';

test('without JavaScript: welcome stage and the inline article prompt work as form posts', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = `nojs-prompt-${Date.now()}@example.com`;
  await page.goto('/login?return_to=%2Farticles%2Frust-ownership-in-practice');
  await page.locator('#signup-email').fill(email);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();

  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
  await page.getByLabel('First name').fill('Mary');
  await page.getByLabel('Last name').fill('Somerville');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/articles\/rust-ownership-in-practice$/);

  const prompt = page.getByTestId('progressive-prompt');
  await expect(prompt.getByText('Get new articles by email?')).toBeVisible();
  await prompt.getByLabel('No').check();
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/articles\/rust-ownership-in-practice/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ownership in practice');
  await expect(page.getByTestId('progressive-prompt')).toHaveCount(0);
  await context.close();
});

test('without JavaScript: editing your details saves and says so', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await page.locator('#signup-email').fill(`nojs-details-${Date.now()}@example.com`);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();

  await page.goto('/profile');
  const details = page.locator('section[aria-labelledby="edit-heading"]');
  await details.getByLabel('First name').fill('Mary');
  await details.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/profile\?saved=details$/);
  await expect(details.getByRole('status')).toHaveText('Saved.');
  await expect(details.getByLabel('First name')).toHaveValue('Mary');
  await context.close();
});
