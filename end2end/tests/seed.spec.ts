// The seed scenario of docs/ARCHITECTURE.md, end to end in Chromium, against the shipped defaults
// and the real OpenID Provider: ask a little at a time, never what is already known.
import { expect, test, type Page } from '@playwright/test';
import { signIn, signOut, signUp } from './accounts';

async function providerSignIn(page: Page, login: string) {
  await page.goto('/login?return_to=%2Farticles');
  await page.getByRole('link', { name: 'Continue with Demo IdP' }).click();
  const form = page.locator('input[name="login"]');
  await expect(form.or(page.getByTestId('signed-in-as'))).toBeVisible();
  if (await form.isVisible()) {
    await form.fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
  }
}

test('password sign-up: names at signup, work at the second login, subscription once on articles', async ({ page }) => {
  const email = `seed-${Date.now()}@example.com`;

  // 1. Sign up -> asked first and last name.
  await signUp(page, email);
  await expect(page).toHaveURL(/\/welcome\?return_to=/);
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
  await expect(page.getByLabel('Job title')).toHaveCount(0);
  // In the browser, the same rules as the server, as soon as a field is left.
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const answers = [] as string[];
  page.on('request', (r) => r.url().includes('/api/profiling/answer') && answers.push(r.url()));
  await page.getByLabel('Last name').fill('x');
  await page.getByLabel('Last name').press('Tab');
  await page.getByLabel('Last name').fill('');
  await page.getByLabel('Last name').press('Tab');
  await expect(page.locator('#field-family_name-error')).toHaveText('Please answer this question.');
  expect(answers).toHaveLength(0);
  // Server-side validation: the error sits next to its field and the input is kept.
  await page.getByLabel('First name').fill('Ada');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.locator('#field-family_name-error')).toHaveText('Please answer this question.');
  await expect(page.getByLabel('Last name')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('First name')).toHaveValue('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/articles$/);
  await expect(page.getByTestId('signed-in-as')).toHaveText('Ada Lovelace');

  // 2. A later login -> asked job title and company.
  await signOut(page);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Tell us about your work' })).toBeVisible();
  await expect(page.getByLabel('First name')).toHaveCount(0);
  await page.getByLabel('Job title').fill('Analyst');
  await page.getByLabel('Company').fill('Analytical Engines Ltd');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/articles$/);

  // 3. Reading an article -> offered the subscription inline, once.
  await page.getByRole('link', { name: 'Ownership in practice' }).click();
  const prompt = page.getByTestId('progressive-prompt');
  await expect(prompt.getByText('Get new articles by email?')).toBeVisible();
  await page.evaluate(() => ((window as any).__noReload = true));
  await prompt.getByLabel('Yes').check();
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('prompt-thanks')).toBeVisible();
  await expect(prompt).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);

  // Never offered again: another article, a reload, another login.
  await page.goto('/articles/openid-connect-for-busy-people');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('OpenID Connect for busy people');
  await expect(page.getByTestId('progressive-prompt')).toHaveCount(0);
  await signOut(page);
  await signIn(page, email, '/articles/rust-ownership-in-practice');
  await expect(page).toHaveURL(/:\d+\/articles\/rust-ownership-in-practice$/);
  await expect(page.getByTestId('progressive-prompt')).toHaveCount(0);

  const me = await (await page.request.get('/api/me')).json();
  expect(me.user_metadata).toEqual({ job_title: 'Analyst', company: 'Analytical Engines Ltd', subscribed: true });
  expect(me.provenance['user_metadata.company'].source).toBe('user');
});

test('a provider that knows name and job title: nothing asked at signup, only company at the second login', async ({ page }) => {
  const login = `katherine-${Date.now()}`;
  await providerSignIn(page, login);
  // Nothing to ask: straight on to where the sign-in was going.
  await expect(page).toHaveURL(/:\d+\/articles$/);
  await expect(page.getByTestId('signed-in-as')).toHaveText('Katherine Johnson');

  await signOut(page);
  await providerSignIn(page, login);
  await expect(page.getByRole('heading', { name: 'Tell us about your work' })).toBeVisible();
  await expect(page.getByLabel('Job title')).toHaveCount(0);
  await page.getByLabel('Company').fill('NASA');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/articles$/);

  const me = await (await page.request.get('/api/me')).json();
  expect(me.user_metadata.job_title).toBe('Mathematician');
  expect(me.provenance['user_metadata.job_title'].source).toBe('claim:demo:job_title');
  expect(me.user_metadata.company).toBe('NASA');
});

test('a stage skipped at the second login waits out its cooldown', async ({ page }) => {
  const email = `skip-${Date.now()}@example.com`;
  await signUp(page, email);
  await page.getByLabel('First name').fill('Grace');
  await page.getByLabel('Last name').fill('Hopper');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/:\d+\/articles$/);

  await signOut(page);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Tell us about your work' })).toBeVisible();
  await page.getByRole('button', { name: 'Skip for now' }).click();
  await expect(page).toHaveURL(/:\d+\/articles$/);

  // The third login comes within the 7-day cooldown: nothing is asked.
  await signOut(page);
  await signIn(page, email);
  await expect(page).toHaveURL(/:\d+\/articles$/);
  await expect(page.getByRole('heading', { name: 'Tell us about your work' })).toHaveCount(0);
});
