/**
 * Where the pages' screenshots go: test-results/screenshots/<name>.png (git-ignored), kept
 * after the run as artifacts of the suite.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';

/** The folder of the pages' screenshots. */
export const SCREENSHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results', 'screenshots');

/** Save a full-page screenshot of `page` as `<name>.png`; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
