// Stored text that would end a <textarea> or a <title> stays text in Chromium: before
// hydration (the server's HTML), after it, and when the form is saved with and without
// JavaScript (app/src/escaping; the HTTP tests in server/tests/http/raw_text.rs parse the pages).
import { expect, test, type Page } from '@playwright/test';
import { signInAsAdmin } from './accounts';
import { hydrated } from './pages';

const HOSTILE =
  '</textarea><img src=https://evil.example/x.png> </title><form action=/admin/users/delete><button>Go</button></form> ' +
  '<script>alert(1)</script></style></noscript> &lt;b&gt; &amp;amp; "double" \'single\' <!-- x -->';
const shown = JSON.stringify({ company: HOSTILE }, null, 2);

async function storedCompany(page: Page): Promise<unknown> {
  const me = await (await page.request.get('/api/me')).json();
  return me.user_metadata.company;
}

async function nothingInjected(page: Page) {
  await expect(page.locator('img[src*="evil.example"]')).toHaveCount(0);
  await expect(page.locator('form[action="/admin/users/delete"]')).toHaveCount(0);
  await expect(page.locator('textarea')).toHaveCount(2);
}

test('a metadata value that ends a textarea stays text, hydrates, and saves unchanged with and without JavaScript', async ({
  page,
  browser,
}) => {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  await signInAsAdmin(page);
  const id = (await (await page.request.get('/api/me')).json()).user_id as string;
  const address = `/admin/users/${encodeURIComponent(id)}`;

  // Written with JavaScript, through the console's own editor.
  await page.goto(address);
  await hydrated(page);
  const metadata = page.locator('#user-metadata');
  const original = await metadata.inputValue();
  await metadata.fill(shown);
  await page.getByRole('button', { name: 'Save metadata' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  expect(await storedCompany(page)).toBe(HOSTILE);

  // The server's HTML, read without JavaScript: the value is the textarea's text, nothing else.
  const nojs = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const plain = await nojs.newPage();
  await plain.goto(address);
  await expect(plain.locator('#user-metadata')).toHaveValue(shown);
  await nothingInjected(plain);
  await expect(plain).toHaveTitle(/AskOnce/);

  // Hydrated: the same value, no hydration complaint, nothing injected.
  problems.length = 0;
  await page.goto(address);
  await hydrated(page);
  await expect(metadata).toHaveValue(shown);
  await nothingInjected(page);
  expect(problems.filter((p) => /hydrat|panicked|unreachable/i.test(p))).toEqual([]);

  // Saved unchanged with JavaScript, then without: the same bytes each time.
  await page.getByRole('button', { name: 'Save metadata' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  expect(await storedCompany(page)).toBe(HOSTILE);
  await plain.getByRole('button', { name: 'Save metadata' }).click();
  await expect(plain.locator('#user-metadata')).toHaveValue(shown);
  expect(await storedCompany(page)).toBe(HOSTILE);
  await nojs.close();

  // Put back as it was, for the specs that read this account.
  await page.goto(address);
  await hydrated(page);
  await metadata.fill(original);
  await page.getByRole('button', { name: 'Save metadata' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
});
