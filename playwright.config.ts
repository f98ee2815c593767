/**
 * Playwright e2e: the specs in e2e/ drive the built demo (`npm run build` first; `npm test`
 * does) in headless Chromium. Each spec starts the demo servers it needs (and a redis-server
 * of its own for the two-node case) on free ports and stops exactly those.
 *
 * Playwright cannot download browsers here: where Debian's Chromium is installed
 * (/usr/bin/chromium, which .ci/run installs when missing) it is used; elsewhere Playwright's
 * own Chromium (`npx playwright install chromium`).
 */
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const launchOptions = existsSync(DEBIAN_CHROMIUM)
  ? {
      executablePath: DEBIAN_CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }
  : {};

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // Traces, failure screenshots and the pages' screenshots (git-ignored).
  outputDir: 'test-results/e2e',
  timeout: 45_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
