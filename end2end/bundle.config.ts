// The bundle benchmark (scripts/bench-bundle.sh): the browser-test set-up (real server, real
// provider, Debian's Chromium) pointed at a release build, running end2end/bench instead of
// the tests. Not part of the test suite: it measures, it does not gate.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

export default defineConfig({
  ...base,
  testDir: './bench',
  timeout: 120_000,
});
