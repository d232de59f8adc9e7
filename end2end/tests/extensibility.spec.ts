// Site-owner extensibility in Chromium: a post-login hook (a real HTTP endpoint started here)
// enriches the profile so its stage is never asked; an external form (the reference form of
// reference-form/, started here) asks a stage on another site and hands the answers back; and
// a required stage holds a new person at /welcome whatever they open; a reworded consent
// purpose asks again those who agreed, the change report counts them, and the profile lists
// and withdraws consents. Each is undone at the end: the other specs share this server's
// database.
import { expect, test, type Page } from '@playwright/test';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { expectAccessible, hydrated } from './pages';
import { startReferenceForm } from '../reference-form/server';
import { startSeedForm } from '../seed-form/server';
import { password, signIn, signInAsAdmin, signOut, signUp } from './accounts';

test('a post-login hook fills in work details, so the work stage is never asked', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const calls: string[] = [];
  const endpoint = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      calls.push(`${req.headers['askonce-signature'] ? 'signed' : 'unsigned'} ${JSON.parse(body).trigger}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user_metadata: { job_title: 'Librarian', company: 'Hooked Inc' } }));
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/askonce`;
  try {
    await signInAsAdmin(page, '/admin/hooks');
    await expect(page.getByRole('heading', { name: 'Hooks', level: 1 })).toBeVisible();
    await expectAccessible(page, 'hooks');
    // A problem is shown beside its input, without losing what was typed.
    await page.getByLabel('Name').fill('Not Valid');
    await page.getByLabel('Endpoint URL').fill(url);
    await page.getByRole('button', { name: 'Add hook' }).click();
    await expect(page.locator('#hook-name-error')).toContainText('lowercase');
    await page.getByLabel('Name').fill('crm');
    await page.getByRole('button', { name: 'Add hook' }).click();
    await expect(page.getByTestId('new-hook-secret')).toContainText('whsec_');
    await expectAccessible(page, 'hooks with a new secret');

    const person = await (await browser.newContext()).newPage();
    const email = `hooked-${Date.now()}@example.com`;
    await signUp(person, email);
    await person.getByLabel('First name').fill('Hedy');
    await person.getByLabel('Last name').fill('Lamarr');
    await person.getByRole('button', { name: 'Continue' }).click();
    await expect(person).toHaveURL(/:\d+\/articles$/);
    await signOut(person);
    // The second sign-in is when the work stage asks job title and company: the hook told.
    await signIn(person, email);
    await expect(person).toHaveURL(/:\d+\/articles$/);
    await expect(person.getByLabel('Job title')).toHaveCount(0);
    await person.goto('/profile');
    await expect(person.locator('[data-answer="company"]')).toContainText('Hooked Inc');
    await person.close();
    expect(calls).toEqual(['signed post-login', 'signed post-login']);

    await page.reload();
    const card = page.locator('[data-hook="crm"]');
    await expect(card.getByTestId('hook-calls')).toContainText('ok');
    await expectAccessible(page, 'hooks with calls');
    await hydrated(page);
    await card.getByRole('button', { name: 'Delete crm' }).click();
    await expect(page.getByText('No hooks yet.')).toBeVisible();
  } finally {
    endpoint.close();
  }
});

test('a required stage holds a new person at /welcome until answered', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page, '/admin/questions/stages/name');
  await hydrated(page);
  const skippable = page.getByLabel('People may skip it');
  await skippable.uncheck();
  await page.getByRole('button', { name: 'Save stage' }).click();
  await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=\w+$/);
  try {
    const person = await (await browser.newContext()).newPage();
    await signUp(person, `held-${Date.now()}@example.com`);
    await expect(person.getByRole('heading', { name: 'Welcome! What should we call you?' })).toBeVisible();
    await expect(person.getByRole('button', { name: 'Skip for now' })).toHaveCount(0);
    // Walking away: every page brings the person back, and then on to where they went.
    for (const path of ['/profile', '/articles', '/']) {
      await person.goto(path);
      await expect(person).toHaveURL(/\/welcome\?return_to=/);
    }
    await person.goto('/profile');
    await hydrated(person);
    await person.getByLabel('First name').fill('Grace');
    await person.getByLabel('Last name').fill('Hopper');
    await person.getByRole('button', { name: 'Continue' }).click();
    await expect(person).toHaveURL(/:\d+\/profile$/);
    await expect(person.getByRole('heading', { name: 'Your profile' })).toBeVisible();
    await person.close();
  } finally {
    await page.goto('/admin/questions/stages/name');
    await hydrated(page);
    await page.getByLabel('People may skip it').check();
    await page.getByRole('button', { name: 'Save stage' }).click();
    await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=\w+$/);
  }
});

// On the work stage's editor: asks the stage by the form at `url` ('' : here again), saves,
// and opens the editor again.
async function askWorkByForm(page: Page, url: string) {
  await page.getByLabel('Form address').fill(url);
  await page.getByRole('button', { name: 'Save stage' }).click();
  await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=\w+$/);
  await page.goto('/admin/questions/stages/work');
  await hydrated(page);
}

test('an external form asks the work stage on another site and hands the answers back', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const form = await startReferenceForm();
  await signInAsAdmin(page, '/admin/questions/stages/work');
  await hydrated(page);
  try {
    await askWorkByForm(page, form.url);
    await page.getByRole('button', { name: 'Set the secret' }).click();
    const secret = page.getByTestId('form-secret');
    await expect(secret).toContainText('fsec_');
    form.setSecret((await secret.textContent())!.trim());
    await expectAccessible(page, 'stage editor with a form secret');

    const person = await (await browser.newContext()).newPage();
    const email = `formed-${Date.now()}@example.com`;
    await signUp(person, email);
    await person.getByLabel('First name').fill('Ada');
    await person.getByLabel('Last name').fill('Byron');
    await person.getByRole('button', { name: 'Continue' }).click();
    await expect(person).toHaveURL(/:\d+\/articles$/);
    await signOut(person);

    // The second sign-in sends the person to the form, which asks what is unknown.
    await signIn(person, email);
    await expect(person.getByRole('heading', { name: 'A few details' })).toBeVisible();
    expect(person.url().startsWith(form.url)).toBe(true);
    expect(form.received.at(-1)!.ask).toEqual(['job_title', 'company']);

    // A forged return changes nothing and says so, with the way back to the form.
    await person.goto('/continue?state=forged&token=not.a.token');
    await expect(person.getByTestId('form-problem')).toContainText('could not be checked');
    await expectAccessible(person, 'welcome with a form problem');
    await person.getByTestId('open-external-form').click();
    await expect(person.getByRole('heading', { name: 'A few details' })).toBeVisible();

    await person.getByLabel('Job title').fill('Analyst');
    await person.getByLabel('Company').fill('Formed Ltd');
    await person.getByRole('button', { name: 'Send' }).click();
    await expect(person).toHaveURL(/:\d+\/articles$/);
    await person.goto('/profile');
    await expect(person.locator('[data-answer="company"]')).toContainText('Formed Ltd');
    await person.close();
  } finally {
    await page.goto('/admin/questions/stages/work');
    await hydrated(page);
    await askWorkByForm(page, '');
    await form.close();
  }
});

test('a form built exactly as seed 002 (Arengu) describes works unchanged, with and without JavaScript', async ({ page, browser, baseURL }) => {
  test.setTimeout(150_000);
  // The seed's SESSION_TOKEN_SECRET, chosen by the site, and its issuer: AskOnce's address.
  const secret = `seed-002-session-token-secret-${Date.now()}-0123456789`;
  const form = await startSeedForm({ askonce: baseURL!, secret, fields: ['job_title', 'company'] });
  await signInAsAdmin(page, '/admin/questions/stages/work');
  await hydrated(page);
  try {
    await askWorkByForm(page, form.url);
    await page.getByLabel("The site's own secret (optional)").fill(secret);
    await page.getByRole('button', { name: 'Set the secret' }).click();
    await expect(page.getByTestId('form-secret')).toHaveText(secret);
    const stored = page.locator('[data-testid="form-round-trips"] tr[data-outcome="stored"]');
    await page.getByRole('link', { name: 'Recent round trips to the form' }).click();
    await expect(page.getByTestId('form-round-trips').or(page.getByText('Nobody has been sent to the form yet.'))).toBeVisible();
    const storedBefore = await stored.count();

    // With JavaScript: signed up, then signed in again — the work stage goes to the form.
    const person = await (await browser.newContext()).newPage();
    const email = `seed-form-${Date.now()}@example.com`;
    await signUp(person, email);
    await person.getByLabel('First name').fill('Grace');
    await person.getByLabel('Last name').fill('Hopper');
    await person.getByRole('button', { name: 'Continue' }).click();
    await expect(person).toHaveURL(/:\d+\/articles$/);
    await signOut(person);
    await signIn(person, email);
    await expect(person.getByRole('heading', { name: 'Complete your profile' })).toBeVisible();
    await person.getByLabel('Job title').fill('Rear admiral');
    await person.getByLabel('Company').fill('US Navy');
    await person.getByRole('button', { name: 'Submit' }).click();
    await expect(person).toHaveURL(/:\d+\/articles$/);
    expect(form.flows.at(-1)!.valid).toBe(true);
    await person.goto('/profile');
    await expect(person.locator('[data-answer="company"]')).toContainText('US Navy');
    await person.close();
    // The console lists the round trip: sent, back, stored.
    await page.goto('/admin/questions/stages/work/round-trips');
    await hydrated(page);
    await expect(stored).toHaveCount(storedBefore + 1);
    await expectAccessible(page, 'the round trips to a form');

    // Without JavaScript: plain form posts and redirects all the way.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    const plainEmail = `seed-form-nojs-${Date.now()}@example.com`;
    await plain.goto('/login?return_to=%2Farticles');
    await plain.locator('#signup-email').fill(plainEmail);
    await plain.locator('#signup-password').fill(password);
    await plain.getByRole('button', { name: 'Create account' }).click();
    await plain.getByLabel('First name').fill('Katherine');
    await plain.getByLabel('Last name').fill('Johnson');
    await plain.getByRole('button', { name: 'Continue' }).click();
    await expect(plain).toHaveURL(/:\d+\/articles$/);
    await context.clearCookies();
    await plain.goto('/login?return_to=%2Farticles');
    await plain.locator('#signin-email').fill(plainEmail);
    await plain.locator('#signin-password').fill(password);
    await plain.getByRole('button', { name: 'Sign in' }).click();
    await expect(plain.getByRole('heading', { name: 'Complete your profile' })).toBeVisible();
    await plain.getByLabel('Job title').fill('Mathematician');
    await plain.getByLabel('Company').fill('NASA');
    await plain.getByRole('button', { name: 'Submit' }).click();
    await expect(plain).toHaveURL(/:\d+\/articles$/);
    await plain.goto('/profile');
    await expect(plain.locator('[data-answer="company"]')).toContainText('NASA');
    await context.close();
  } finally {
    await page.goto('/admin/questions/stages/work');
    await hydrated(page);
    await askWorkByForm(page, '');
    await form.close();
  }
});

test('a reworded consent purpose asks again those who agreed; the profile lists consents and withdraws them', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const original = 'We email you when an article on a topic you read is published. Nothing else, and you can withdraw on your profile at any time.';
  const reworded = 'We email you new articles on your topics, and a monthly digest.';
  const person = await (await browser.newContext()).newPage();
  await signUp(person, `consent-${Date.now()}@example.com`);
  await person.getByLabel('First name').fill('Mary');
  await person.getByLabel('Last name').fill('Somerville');
  await person.getByRole('button', { name: 'Continue' }).click();
  await expect(person).toHaveURL(/:\d+\/articles$/);

  // Agreeing to the wording in force (version 1) on an article.
  await person.goto('/articles/rust-ownership-in-practice');
  await hydrated(person);
  const prompt = person.getByTestId('progressive-prompt');
  await expect(prompt.getByText(original)).toBeVisible();
  await prompt.getByLabel('Yes').check();
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(person.getByTestId('prompt-thanks')).toBeVisible();
  await person.goto('/profile');
  const consent = person.locator('[data-consent="subscribed"]');
  await expect(consent).toHaveAttribute('data-granted', 'true');
  await expect(consent).toContainText('You agreed on');

  await signInAsAdmin(page, '/admin/questions/fields/subscribed');
  await hydrated(page);
  try {
    await page.getByLabel('Purpose of the agreement (consent fields)').fill(reworded);
    await page.getByRole('button', { name: 'Save field' }).click();
    await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=subscribed$/);
    // The change report: the engine counts whom the stage would now ask, recording nothing.
    await page.getByTestId('changed-banner').getByRole('link', { name: 'who stage subscription reaches' }).click();
    await expect(page.getByTestId('change-report')).toBeVisible();
    expect(Number(await page.getByTestId('report-asked').locator('td').first().textContent())).toBeGreaterThan(0);
    await expectAccessible(page, 'change report');

    // The person agreed to version 1: the next article asks again, in the new words.
    await person.goto('/articles/openid-connect-for-busy-people');
    await hydrated(person);
    await expect(prompt.getByText(reworded)).toBeVisible();
    await prompt.getByLabel('Yes').check();
    await prompt.getByRole('button', { name: 'Continue' }).click();
    await expect(person.getByTestId('prompt-thanks')).toBeVisible();

    await person.goto('/profile');
    await hydrated(person);
    await expect(consent).toContainText(reworded);
    await expect(consent).toContainText('You agreed on');
    await expectAccessible(person, 'profile with consents');
    await consent.getByRole('button', { name: /Withdraw my agreement/ }).click();
    await expect(consent).toHaveAttribute('data-granted', 'false');
    await expect(consent).toContainText('withdrew');
    const me = await (await person.request.get('/api/me')).json();
    expect(me.user_metadata.subscribed).toBe(false);
  } finally {
    await page.goto('/admin/questions/fields/subscribed');
    await hydrated(page);
    await page.getByLabel('Purpose of the agreement (consent fields)').fill(original);
    await page.getByRole('button', { name: 'Save field' }).click();
    await expect(page).toHaveURL(/:\d+\/admin\/questions\?changed=subscribed$/);
    await person.close();
  }
});
