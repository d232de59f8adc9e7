// AskOnce as the OpenID Provider of the site's own apps, in Chromium: the example relying app
// (Express + openid-client) signs people in through AskOnce, with the sign-up's question asked
// inside the sign-in; a second app signs in from the same session; prompt=none never skips a
// question; and without JavaScript the whole round trip still works.
import { expect, test } from '@playwright/test';
import { signInAsAdmin, signUpInsideTheSignIn } from './accounts';
import { expectAccessible, hydrated } from './pages';

const shop = `http://127.0.0.1:${process.env.E2E_SHOP_PORT ?? '3400'}`;
const forum = `http://127.0.0.1:${process.env.E2E_FORUM_PORT ?? '3401'}`;
const partner = `http://127.0.0.1:${process.env.E2E_PARTNER_PORT ?? '3402'}`;

test('the shop signs in through AskOnce, with the answers in its claims; the forum signs in from the same session', async ({ page }) => {
  const email = `op-${Date.now()}@example.com`;
  await signUpInsideTheSignIn(page, email, 'Ada', 'Lovelace');
  await expect(page).toHaveURL(`${shop}/`);
  await expect(page.getByTestId('rp-signed-in')).toHaveText(`Signed in as ${email}`);
  await expect(page.locator('[data-claim="given_name"]')).toHaveText('Ada');
  await expect(page.locator('[data-claim="family_name"]')).toHaveText('Lovelace');

  // Single sign-on: no password, no question (nothing is due), straight back.
  await page.goto(forum);
  await page.getByTestId('rp-sign-in').click();
  await expect(page).toHaveURL(`${forum}/`);
  await expect(page.getByTestId('rp-signed-in')).toHaveText(`Signed in as ${email}`);
  const shopClaims = await (await page.request.get(`${shop}/claims.json`)).json();
  const forumClaims = await (await page.request.get(`${forum}/claims.json`)).json();
  expect(forumClaims.claims.sub).toBe(shopClaims.claims.sub);
  expect(forumClaims.claims.aud).toEqual(['forum']);

  // Signing out of the shop signs out of AskOnce (RP-initiated logout) and comes back.
  await page.goto(shop);
  await page.getByTestId('rp-sign-out').click();
  await expect(page).toHaveURL(`${shop}/`);
  await expect(page.getByTestId('rp-sign-in')).toBeVisible();
  expect((await page.request.get('/api/me')).status()).toBe(401);
});

test('prompt=none with a question due comes back interaction_required', async ({ page }) => {
  // Signed up on AskOnce itself, the sign-up's question not answered yet.
  await page.goto('/login');
  await page.locator('#signup-email').fill(`op-none-${Date.now()}@example.com`);
  await page.locator('#signup-password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();

  await page.goto(`${forum}/login?prompt=none`);
  await expect(page.getByTestId('rp-error')).toHaveAttribute('data-error', 'interaction_required');
});

test('without JavaScript the authorization completes as plain form posts and redirects', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const email = `op-nojs-${Date.now()}@example.com`;
  await signUpInsideTheSignIn(page, email, 'Mary', 'Somerville');
  await expect(page).toHaveURL(`${shop}/`);
  await expect(page.locator('[data-claim="given_name"]')).toHaveText('Mary');
  await context.close();
});

test('a partner app asks for consent once; /profile lists it and removes its access', async ({ page }) => {
  const email = `op-consent-${Date.now()}@example.com`;
  await signUpInsideTheSignIn(page, email, 'Grace', 'Hopper');
  await expect(page).toHaveURL(`${shop}/`);

  await page.goto(partner);
  await page.getByTestId('rp-sign-in').click();
  await expect(page.getByRole('heading', { name: 'Allow The partner to use your AskOnce account?' })).toBeVisible();
  await expect(page.getByTestId('consent')).toContainText('See your email address');
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page).toHaveURL(`${partner}/`);
  await expect(page.getByTestId('rp-signed-in')).toHaveText(`Signed in as ${email}`);

  // Remembered: no question the second time.
  await page.goto(`${partner}/login`);
  await expect(page).toHaveURL(`${partner}/`);

  await page.goto('/profile');
  const apps = page.getByTestId('apps');
  await expect(apps).toContainText('The partner');
  await expect(apps).toContainText('The shop');
  await apps.getByRole('button', { name: 'Remove access The partner' }).click();
  await expect(apps).not.toContainText('The partner');

  // Asked again after removal.
  await page.goto(`${partner}/login`);
  await expect(page.getByRole('heading', { name: 'Allow The partner to use your AskOnce account?' })).toBeVisible();
});

test('a site owner registers an application in the console, rotates its secret and deletes it', async ({ page, request }) => {
  await signInAsAdmin(page, '/admin/applications');
  await expect(page.getByRole('heading', { name: 'Applications', level: 1 })).toBeVisible();
  // askonce.toml's applications are listed, read-only.
  await expect(page.locator('[data-client-id="shop"]')).toContainText('From askonce.toml');
  await expect(page.getByTestId('discovery-address')).toHaveText(/\/\.well-known\/openid-configuration$/);
  await expectAccessible(page, 'applications');
  await hydrated(page);

  const name = `Widgets ${Date.now()}`;
  await page.locator('#app-name').fill(name);
  await page.getByLabel('Web app with a server', { exact: false }).check();
  // A wildcard is refused with the reason, nothing registered.
  await page.locator('#new-callbacks').fill('https://*.widgets.example/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('applications-error')).toContainText('wildcards');
  await page.locator('#new-callbacks').fill('https://widgets.example/callback');
  await page.getByRole('button', { name: 'Register' }).click();
  const shown = page.getByTestId('new-client-secret');
  await expect(shown).toContainText('it is not shown again');
  const clientId = (await shown.locator('dd code').first().textContent())!.trim();
  const secret = (await shown.locator('code.secret').textContent())!.trim();
  expect(secret.length).toBeGreaterThanOrEqual(43);
  await expectAccessible(page, 'applications with a new secret');

  // The secret authenticates at the token endpoint: the answer is then about the grant (this
  // application has no refresh tokens: unauthorized_client), not invalid_client.
  const tryToken = async (s: string) => {
    const res = await request.post('/oauth/token', {
      form: { grant_type: 'refresh_token', refresh_token: 'none' },
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(s)}`).toString('base64')}` },
    });
    return (await res.json()).error === 'invalid_client' ? 'refused' : 'authenticated';
  };
  expect(await tryToken(secret)).toBe('authenticated');

  // Rotating shows a new secret; the old one works on for a day beside it.
  const card = page.locator(`[data-client-id="${clientId}"]`);
  await card.getByRole('button', { name: `Rotate the secret of ${name}` }).click();
  await expect(shown.locator('code.secret')).not.toHaveText(secret);
  const second = (await shown.locator('code.secret').textContent())!.trim();
  expect(await tryToken(second)).toBe('authenticated');
  expect(await tryToken(secret)).toBe('authenticated');
  await expect(card).toContainText('stops');

  // Changing it keeps the rest.
  await card.getByText('Change', { exact: true }).click();
  await card.locator(`#edit-${clientId}-released_fields`).fill('job_title');
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(card).toContainText('job_title');

  await card.getByRole('button', { name: `Delete ${name}` }).click();
  await expect(page.locator(`[data-client-id="${clientId}"]`)).toHaveCount(0);
  expect(await tryToken(second)).toBe('refused');
});
