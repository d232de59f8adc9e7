// The site owner's console in Chromium: create a field and a stage (with its live
// preview), put the stage first, see a brand-new user asked it at signup, read the answer
// in analytics and the simulator, then remove both again. axe-core on every console page.
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, hydrated } from './pages';
import { signInAsAdmin } from './accounts';

test('an admin creates a field and a stage, previews it, a new user is asked it, analytics shows the answer', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  await expect(page.getByTestId('console-link')).toBeVisible();
  await expectAccessible(page, 'console overview');

  // A field, with an error next to its input first.
  await page.goto('/admin/questions/fields/new');
  await hydrated(page);
  await page.getByLabel('Key', { exact: true }).fill('favourite_topic');
  await page.getByLabel('Question (label)').fill('Which topic do you read most?');
  await page.getByLabel('Stored in').fill('user_metadata.favourite_topic');
  await expect(page.getByTestId('stage-preview')).toContainText('Which topic do you read most?');
  await expectAccessible(page, 'field editor');
  // A target the checks refuse: the reason appears under its input.
  await page.getByLabel('Stored in').fill('app_metadata.topic');
  await page.getByRole('button', { name: 'Save field' }).click();
  await expect(page.locator('#q-target-error')).toContainText('app_metadata');
  await page.getByLabel('Stored in').fill('user_metadata.favourite_topic');
  await page.getByRole('button', { name: 'Save field' }).click();
  await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=\w+$/);
  await expect(page.getByTestId('field-list')).toContainText('favourite_topic');

  // A stage asking it at signup, previewed live as it is typed.
  await page.goto('/admin/questions/stages/new');
  await hydrated(page);
  await page.getByLabel('Key', { exact: true }).fill('interests');
  await page.getByLabel('Title', { exact: true }).fill('What do you like to read?');
  await page.getByLabel('Shown', { exact: true }).selectOption('signup');
  await page.getByLabel('Fields, in the order asked').fill('favourite_topic');
  const preview = page.getByTestId('stage-preview');
  await expect(preview.getByRole('heading')).toHaveText('What do you like to read?');
  await expect(preview.getByText('Which topic do you read most?')).toBeVisible();
  await expectAccessible(page, 'stage editor');
  await page.getByRole('button', { name: 'Save stage' }).click();
  await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=\w+$/);

  // First in line: move it up past the three shipped stages.
  const stages = page.getByTestId('stage-list');
  for (let i = 0; i < 3; i++) {
    await page.getByRole('button', { name: 'Move stage interests up' }).click();
    await expect(stages.locator('tbody tr').nth(2 - i)).toContainText('interests');
  }
  await expectAccessible(page, 'questions');

  // A brand-new person is asked it at signup, and answers.
  const visitor = await browser.newContext();
  const newcomer = await visitor.newPage();
  const email = `reader-${Date.now()}@example.com`;
  await newcomer.goto('/login');
  await newcomer.locator('#signup-email').fill(email);
  await newcomer.locator('#signup-password').fill('correct horse battery');
  await newcomer.getByRole('button', { name: 'Create account' }).click();
  await expect(newcomer.getByRole('heading', { name: 'What do you like to read?' })).toBeVisible();
  await newcomer.getByLabel('Which topic do you read most?').fill('Compilers');
  await newcomer.getByRole('button', { name: 'Continue' }).click();
  await expect(newcomer).toHaveURL(/:\d+\/$/);
  await visitor.close();

  // Analytics counts it.
  await page.goto('/admin/analytics');
  const row = page.getByTestId('stage-stats').locator('tr[data-stage="interests"]');
  await expect(row).toContainText('What do you like to read?');
  await expect(row.locator('td').nth(0)).toHaveText('1');
  await expect(row.locator('td').nth(1)).toHaveText('1');
  await expect(row.locator('td').nth(4)).toHaveText('100%');
  await expect(page.getByRole('img', { name: /What do you like to read\?: shown 1, answered 1/ })).toBeVisible();
  await expectAccessible(page, 'analytics');

  // The user directory and the simulator know the answer and why it is not asked again.
  await page.goto(`/admin/users?q=${encodeURIComponent(email)}`);
  await page.getByTestId('user-list').getByRole('link', { name: email }).click();
  await expect(page.getByTestId('raw-json')).toContainText('Compilers', { useInnerText: false });
  await expectAccessible(page, 'user detail');
  await page.goto(`/admin/simulator?user=${encodeURIComponent(email)}&event=signup`);
  const topic = page.getByTestId('simulation').locator('tr', { hasText: 'favourite_topic' });
  await expect(topic).toContainText('known: user_metadata.favourite_topic (answered by the user');
  await expectAccessible(page, 'simulator');

  // Clean up for the tests that follow: the stage, then its field.
  await page.goto('/admin/questions');
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete stage interests' }).click();
  await expect(page.getByTestId('stage-list')).not.toContainText('interests');
  await page.getByRole('button', { name: 'Delete field favourite_topic' }).click();
  await expect(page.getByTestId('field-list')).not.toContainText('favourite_topic');
});

test('a signed-in person who is not an admin is refused the console', async ({ page }) => {
  await page.goto('/login');
  await page.locator('#signup-email').fill(`not-admin-${Date.now()}@example.com`);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
  const res = await page.goto('/admin/users');
  expect(res?.status()).toBe(403);
  await expect(page.getByTestId('admin-refused')).toHaveText('You do not have access to this.');
  await expect(page.getByTestId('console-link')).toHaveCount(0);
});
