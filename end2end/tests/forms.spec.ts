// Issue 16 in Chromium: a multiselect made in the console and answered as tick boxes (its
// choices shown ticked when edited again, its answer under its label), a stage's "only when"
// rules and its Markdown introduction in the live preview, "at login N only", and the
// console's users: field filters, create (invitation), edit name and email, link and unlink
// accounts; a multi-step stage inline with Back. axe-core on each
// changed page. Everything made here is removed again (the specs share one database).
import { expect, test } from '@playwright/test';
import { signInAsAdmin, signUp } from './accounts';
import { expectAccessible, hydrated } from './pages';

test('a multiselect is answered as tick boxes and edited with its choices ticked', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page, '/admin/questions/fields/new');
  await hydrated(page);
  await page.getByLabel('Key', { exact: true }).fill('topics');
  await page.getByLabel('Question (label)').fill('Topics you follow');
  await page.getByLabel('Kind of answer').selectOption('multiselect');
  await page.getByLabel('Stored in').fill('user_metadata.topics');
  await page.getByLabel('Choices', { exact: true }).fill('rust = Rust\nwasm = WebAssembly\nsql = SQL');
  await page.getByLabel('Most choices (multiselect)').fill('2');
  // The preview shows the boxes and the bound.
  const preview = page.getByTestId('stage-preview');
  await expect(preview.getByRole('group', { name: /Topics you follow/ })).toContainText('choose up to 2');
  await expect(preview.getByRole('checkbox')).toHaveCount(3);
  await page.getByRole('button', { name: 'Save field' }).click();
  await expect(page).toHaveURL(/\/admin\/questions\?changed=topics$/);

  const person = await (await browser.newContext()).newPage();
  await signUp(person, `topics-${Date.now()}@example.com`, '/profile');
  await person.getByLabel('First name').fill('Ada');
  await person.getByLabel('Last name').fill('Lovelace');
  await person.getByRole('button', { name: 'Continue' }).click();
  await expect(person.getByRole('heading', { name: 'Your profile', level: 1 })).toBeVisible();
  await hydrated(person);
  const edit = person.getByRole('group', { name: /Topics you follow/ });
  await edit.getByLabel('Rust').check();
  await edit.getByLabel('WebAssembly').check();
  await edit.getByLabel('SQL').check();
  await person.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(person.locator('#field-topics-error')).toHaveText('Choose at most 2.');
  await edit.getByLabel('SQL').uncheck();
  await person.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(person.getByText('Saved.')).toBeVisible();
  await person.reload();
  await hydrated(person);
  // Editing again starts from what is stored; the answer reads under its question.
  await expect(edit.getByLabel('Rust')).toBeChecked();
  await expect(edit.getByLabel('WebAssembly')).toBeChecked();
  await expect(edit.getByLabel('SQL')).not.toBeChecked();
  await expect(person.locator('[data-answer="topics"]')).toContainText('Rust, WebAssembly');
  await expect(person.locator('dt', { hasText: 'Topics you follow' })).toBeVisible();
  await expectAccessible(person, 'profile with a multiselect');
  // Unticking everything clears the list (the form says "none" explicitly).
  await edit.getByLabel('Rust').uncheck();
  await edit.getByLabel('WebAssembly').uncheck();
  await person.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(person.getByText('Saved.')).toBeVisible();

  await page.goto('/admin/questions');
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete field topics' }).click();
  await expect(page.getByTestId('field-list')).not.toContainText('Topics you follow');
});

test('a stage takes "only when" rules, a Markdown introduction and an exact login', async ({ page }) => {
  test.setTimeout(90_000);
  await signInAsAdmin(page, '/admin/questions/stages/new');
  await hydrated(page);
  await page.getByLabel('Key', { exact: true }).fill('upsell');
  await page.getByLabel('Title', { exact: true }).fill('Tell us about your team');
  await page.getByLabel('Introduction').fill('We ask **once**. See [our policy](https://example.com/privacy).\n\n- short\n- <b>safe</b>');
  await page.getByLabel('Shown', { exact: true }).selectOption('login');
  await page.getByLabel('From login number (login stages)').fill('3');
  await page.getByLabel('Until login number (login stages)').fill('3');
  await page.getByLabel('Fields, in the order asked').fill('company');
  await page.getByLabel('Rule 1: value').fill('user_metadata.plan');
  await page.getByTestId('rule-1').getByLabel('test').selectOption('in');
  await page.getByTestId('rule-1').getByLabel('compared with').fill('pro, team');
  await page.getByLabel('Rule 2: value').fill('user_metadata.company');
  await page.getByTestId('rule-2').getByLabel('test').selectOption('missing');
  const preview = page.getByTestId('stage-preview');
  await expect(page.getByTestId('preview-when')).toHaveText(
    'Asked only when user_metadata.plan is one of “pro”, “team” and user_metadata.company is missing.',
  );
  await page.getByLabel('Ask when').selectOption('any');
  await expect(page.getByTestId('preview-when')).toContainText('“team” or user_metadata.company is missing');
  // The introduction's Markdown, rendered safely: the typed <b> stays text.
  await expect(preview.locator('.intro strong')).toHaveText('once');
  await expect(preview.locator('.intro a')).toHaveAttribute('href', 'https://example.com/privacy');
  await expect(preview.locator('.intro li')).toHaveCount(2);
  await expect(preview.locator('.intro b')).toHaveCount(0);
  await expect(preview.locator('.intro')).toContainText('<b>safe</b>');
  await expectAccessible(page, 'stage editor with rules');
  await page.getByRole('button', { name: 'Save stage' }).click();
  await expect(page).toHaveURL(/\/admin\/questions\?changed=upsell$/);
  await expect(page.getByTestId('stage-list').locator('tr', { hasText: 'upsell' })).toContainText('at login 3 only');

  // Opened again, the rules are rules (not JSON).
  await page.goto('/admin/questions/stages/upsell');
  await hydrated(page);
  await expect(page.getByLabel('Rule 1: value')).toHaveValue('user_metadata.plan');
  await expect(page.getByLabel('Ask when')).toHaveValue('any');
  await expect(page.getByTestId('rule-2').getByLabel('test')).toHaveValue('missing');

  await page.goto('/admin/questions');
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete stage upsell' }).click();
  await expect(page.getByTestId('stage-list')).not.toContainText('upsell');
});

test('site owners find users by field, create one by invitation, edit a name and email, link and unlink accounts', async ({ page }) => {
  test.setTimeout(90_000);
  await signInAsAdmin(page, '/admin/users');
  await hydrated(page);
  const email = `invited-${Date.now()}@example.com`;
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Name (optional)').fill('Grace Hopper');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page).toHaveURL(/\/admin\/users\/[^/?]+\?created=1$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
  await hydrated(page);
  await expectAccessible(page, 'user detail with attributes and identities');

  // The name and email, edited: the table says the site set them.
  await page.getByLabel('Given name').fill('Grace');
  await page.getByLabel('Family name').fill('Hopper');
  const changed = email.replace('invited-', 'admiral-');
  await page.getByLabel('Email', { exact: true }).fill(changed);
  await page.getByRole('button', { name: 'Save name, email and picture' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.getByTestId('user-email')).toHaveText(changed);
  await expect(page.locator('tr', { hasText: 'given_name' })).toContainText('admin');
  const gracePage = page.url();

  // Someone signs in with the demo provider: a second account, then linked into Grace's.
  const other = await (await page.context().browser()!.newContext()).newPage();
  const login = `linked-${Date.now()}`;
  await other.goto('/login');
  await hydrated(other);
  await other.getByRole('link', { name: 'Continue with Demo IdP' }).click();
  await other.locator('input[name="login"]').fill(login);
  await other.locator('input[name="password"]').fill('any password');
  await other.locator('button[type="submit"]').click();
  await expect(other.getByRole('heading', { level: 2 }).first()).toBeVisible();
  await page.goto(`/admin/users?q=${encodeURIComponent('connection:demo')}`);
  await page.getByTestId('user-list').locator('tbody a').first().click();
  await expect(page).toHaveURL(/\/admin\/users\/[^/?]+$/);
  const otherId = decodeURIComponent(page.url().split('/admin/users/')[1]);
  await page.goto(gracePage);
  await hydrated(page);
  await page.getByLabel('Link the account of user (id)').fill(otherId);
  await page.getByRole('button', { name: 'Link account' }).click();
  const identities = page.locator('section[aria-labelledby="identities-heading"] .identity-list li');
  await expect(identities).toHaveCount(2);
  await expect(identities.filter({ hasText: login })).toBeVisible();
  await page.getByRole('button', { name: `Unlink demo ${login}` }).click();
  await expect(identities).toHaveCount(1);
  // The last way to sign in stays, and the page says why.
  await identities.first().getByRole('button', { name: /^Unlink / }).click();
  await expect(page.locator('#unlink-error')).toContainText('only way to sign in');

  // The invitation went out (the outbox), and the list finds her by field.
  await page.goto(`/admin/users?q=${encodeURIComponent(`email:${changed} connection:Username-Password-Authentication`)}`);
  await expect(page.getByTestId('user-list').getByRole('link', { name: changed })).toBeVisible();
  await page.goto(`/admin/users?q=${encodeURIComponent('email:nobody-at-all')}`);
  await expect(page.getByText('No users match.')).toBeVisible();
  await page.goto(`/admin/users?q=${encodeURIComponent('email:')}`);
  await expect(page.getByRole('alert').filter({ hasText: 'needs a value' })).toBeVisible();
  await expectAccessible(page, 'users with a search problem');
});

test('a multi-step stage asks one step at a time, keeps what was typed on Back and stores at the end', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page, '/admin/questions/stages/new');
  await hydrated(page);
  await page.getByLabel('Key', { exact: true }).fill('career');
  await page.getByLabel('Title', { exact: true }).fill('Your career');
  await page.getByLabel('Shown', { exact: true }).selectOption('context');
  await page.getByLabel('Context name (context stages, e.g. article)').fill('article');
  await page.getByLabel('Fields, in the order asked').fill('job_title | company');
  await page.getByRole('button', { name: 'Save stage' }).click();
  await expect(page).toHaveURL(/\/admin\/questions\?changed=career$/);

  const reader = await (await browser.newContext()).newPage();
  await signUp(reader, `career-${Date.now()}@example.com`, '/articles/rust-ownership-in-practice');
  await reader.getByLabel('First name').fill('Ada');
  await reader.getByLabel('Last name').fill('Lovelace');
  await reader.getByRole('button', { name: 'Continue' }).click();
  // The subscription question comes first in this place; a "no" is an answer.
  const prompt = reader.getByTestId('progressive-prompt');
  await hydrated(reader);
  await prompt.getByLabel('No').check();
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(reader.getByTestId('prompt-thanks')).toBeVisible();
  await reader.reload();
  await hydrated(reader);
  await expect(prompt.getByTestId('step-count')).toHaveText('Step 1 of 2');
  await expect(prompt.getByLabel('Company')).toHaveCount(0);
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(prompt.locator('#field-job_title-error')).toHaveText('Please answer this question.');
  await prompt.getByLabel('Job title').fill('Analyst');
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(prompt.getByTestId('step-count')).toHaveText('Step 2 of 2');
  await prompt.getByLabel('Company').fill('Analytical Engines');
  await expectAccessible(reader, 'a multi-step stage, step 2');
  await prompt.getByRole('button', { name: 'Back' }).click();
  await expect(prompt.getByTestId('step-count')).toHaveText('Step 1 of 2');
  await expect(prompt.getByLabel('Job title')).toHaveValue('Analyst');
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(prompt.getByLabel('Company')).toHaveValue('Analytical Engines');
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await expect(reader.getByTestId('prompt-thanks')).toBeVisible();
  await reader.goto('/profile');
  await expect(reader.locator('[data-answer="job_title"]')).toContainText('Analyst');
  await expect(reader.locator('[data-answer="company"]')).toContainText('Analytical Engines');

  await page.goto('/admin/questions');
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete stage career' }).click();
  await expect(page.getByTestId('stage-list')).not.toContainText('career');
});
