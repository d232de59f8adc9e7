// Where you are signed in: end a session on another device and see it signed out there.
import { expect, test } from '@playwright/test';

test('ending another session signs that browser out', async ({ browser }) => {
  const email = `devices-${Date.now()}@example.com`;
  const laptop = await (await browser.newContext()).newPage();
  await laptop.goto('/login?return_to=%2Fprofile');
  await laptop.locator('#signup-email').fill(email);
  await laptop.locator('#signup-password').fill('correct horse battery');
  await laptop.getByRole('button', { name: 'Create account' }).click();
  await laptop.getByLabel('First name').fill('Ada');
  await laptop.getByLabel('Last name').fill('Lovelace');
  await laptop.getByRole('button', { name: 'Continue' }).click();
  await expect(laptop).toHaveURL(/:\d+\/profile$/);

  const phone = await (await browser.newContext()).newPage();
  await phone.goto('/login?return_to=%2Fprofile');
  await phone.locator('#signin-email').fill(email);
  await phone.locator('#signin-password').fill('correct horse battery');
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await expect(phone.getByTestId('signed-in-as')).toHaveText('Ada Lovelace');

  await laptop.reload();
  const sessions = laptop.getByTestId('sessions');
  await expect(sessions.locator('li')).toHaveCount(2);
  await expect(sessions).toContainText('(this device)');
  await sessions.getByRole('button', { name: 'End this session' }).click();
  await expect(sessions.locator('li')).toHaveCount(1);

  await phone.goto('/profile');
  await expect(phone.getByTestId('session-state').getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(laptop.getByTestId('signed-in-as')).toHaveText('Ada Lovelace');
});
