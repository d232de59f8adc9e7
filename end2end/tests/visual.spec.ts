// Visual checks: every page at desktop width and at a phone's (412 px), a screenshot of each
// kept under test-results/visual/ for people to look at, and what a screenshot would show
// checked in the page itself — nothing wider than the screen, the navigation marking exactly
// the page you are on, and every button's words readable (not red on red).
import { expect, test, type Page } from '@playwright/test';
import * as path from 'node:path';
import { signInAsAdmin, signUp } from './accounts';
import { hydrated } from './pages';

const widths = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 412, height: 915 },
];

const publicPages = ['/', '/articles', '/articles/rust-ownership-in-practice', '/status', '/login'];
const consolePages: { path: string; nav: string }[] = [
  { path: '/admin', nav: 'Overview' },
  { path: '/admin/questions', nav: 'Questions' },
  { path: '/admin/questions/fields/new', nav: 'Questions' },
  { path: '/admin/questions/stages/new', nav: 'Questions' },
  { path: '/admin/questions/fields/company', nav: 'Questions' },
  { path: '/admin/questions/stages/name/report', nav: 'Questions' },
  { path: '/admin/simulator', nav: 'Simulator' },
  { path: '/admin/users', nav: 'Users' },
  { path: '/admin/analytics', nav: 'Analytics' },
  { path: '/admin/hooks', nav: 'Hooks' },
  { path: '/admin/applications', nav: 'Applications' },
  { path: '/admin/tokens', nav: 'API tokens' },
  { path: '/admin/email', nav: 'Email' },
];

async function shoot(page: Page, address: string, width: string) {
  const name = `${width}${address.replace(/\//g, '_') || '_home'}.png`;
  // Kept beside the run's other results: test-results/visual/<width>_<page>.png.
  await page.screenshot({ path: path.join(test.info().project.outputDir, 'visual', name), fullPage: true });
}

// Nothing sticks out past the right edge: the page does not scroll sideways.
async function expectFitsWidth(page: Page, what: string) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => {
        const r = e.getBoundingClientRect();
        // Inside a scrolling box (a wide table in the console) is fine: the box scrolls.
        let p = e.parentElement;
        while (p) {
          const o = getComputedStyle(p).overflowX;
          if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
          p = p.parentElement;
        }
        return r.width > 0 && r.right > width + 1;
      })
      .slice(0, 3)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).split(' ')[0] : ''} (right edge ${Math.round(e.getBoundingClientRect().right)})`);
    return { scroll: document.documentElement.scrollWidth, width, wide };
  });
  expect(overflow.wide, `${what}: elements past the right edge of ${overflow.width}px`).toEqual([]);
  expect(overflow.scroll, `${what}: the page scrolls sideways`).toBeLessThanOrEqual(overflow.width);
}

// Every visible button says something a person can read: text, in a colour unlike its own
// background.
async function expectReadableButtons(page: Page, what: string) {
  const bad = await page.evaluate(() =>
    [...document.querySelectorAll('button')]
      .filter((b) => b.getBoundingClientRect().width > 0)
      .filter((b) => {
        const s = getComputedStyle(b);
        const text = (b.textContent ?? '').trim();
        const bg = s.backgroundColor;
        const transparent = bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent';
        return text === '' || (!transparent && s.color === bg);
      })
      .map((b) => b.getAttribute('aria-label') ?? b.outerHTML.slice(0, 80)),
  );
  expect(bad, `${what}: buttons without readable words`).toEqual([]);
}

async function expectCurrent(page: Page, nav: string, label: string) {
  const current = page.getByRole('navigation', { name: nav }).locator('[aria-current="page"]');
  await expect(current).toHaveCount(1);
  await expect(current).toHaveText(label);
}

for (const size of widths) {
  test(`public pages and the profile fit and read at ${size.name} width`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    for (const address of publicPages) {
      await page.goto(address);
      await hydrated(page);
      await expectFitsWidth(page, `${address} at ${size.width}px`);
      await expectReadableButtons(page, address);
      await shoot(page, address, size.name);
    }
    await signUp(page, `visual-${size.name}-${Date.now()}@example.com`, '/profile');
    // The sign-up stage first; then the profile.
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Your profile', level: 1 })).toBeVisible();
    await hydrated(page);
    // The header has room for the signed-in person's name and "Sign out" too.
    await expect(page.getByTestId('session-state').getByRole('button', { name: 'Sign out' })).toBeInViewport();
    await expectFitsWidth(page, `/profile at ${size.width}px`);
    await expectReadableButtons(page, '/profile');
    await shoot(page, '/profile', size.name);
  });

  test(`every console page fits, reads and marks where you are at ${size.name} width`, async ({ page }) => {
    await page.setViewportSize({ width: size.width, height: size.height });
    await signInAsAdmin(page);
    for (const { path: address, nav } of consolePages) {
      await page.goto(address);
      await hydrated(page);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      await expectCurrent(page, 'Console', nav);
      await expectFitsWidth(page, `${address} at ${size.width}px`);
      await expectReadableButtons(page, address);
      await shoot(page, address, size.name);
    }
    // One person's page, reached as a site owner does: from the list.
    await page.goto('/admin/users');
    await hydrated(page);
    await page.locator('table.data tbody a').first().click();
    await expect(page).toHaveURL(/\/admin\/users\/./);
    await hydrated(page);
    await expectCurrent(page, 'Console', 'Users');
    await expectFitsWidth(page, `a user's page at ${size.width}px`);
    await expectReadableButtons(page, "a user's page");
    await shoot(page, '/admin/users/one', size.name);
    // The Questions tables' row actions, Delete among them, are words.
    await page.goto('/admin/questions');
    await hydrated(page);
    const remove = page.getByRole('button', { name: 'Delete stage name' });
    await expect(remove).toHaveText('Delete');
    await expect(remove).toBeVisible();
  });
}

test('the main navigation marks only the page you are on', async ({ page }) => {
  await page.goto('/articles');
  await hydrated(page);
  await expectCurrent(page, 'Main', 'Articles');
  await page.goto('/');
  await hydrated(page);
  await expectCurrent(page, 'Main', 'Home');
});
