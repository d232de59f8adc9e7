// What browser tests check on every page they visit: hydration, and axe-core's verdict.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

// Pages hydrate after their wasm chunks arrive (app/src/routes.rs); a click before that posts
// the form without JavaScript, which other tests cover. These tests drive the hydrated page.
export async function hydrated(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
}

// Checked on the settled page: hydration replaces parts of the document (the title among
// them), and axe reading it halfway through reported a page without a title (a flake).
export async function expectAccessible(page: Page, what: string) {
  await hydrated(page);
  await expect(page).toHaveTitle(/AskOnce/);
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}
