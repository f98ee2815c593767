/**
 * The echo page: the seed's raw echo handler on /echo, through the browser's WebSocket.
 */
import { expect, test } from '@playwright/test';
import { saveScreenshot } from './support/artifacts.js';
import { startDemo, type DemoProcess } from './support/demo-process.js';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

test('echo round trip: what is sent comes back, and the page shows the connection state', async ({ page }) => {
  await page.goto(`${demo.url}/echo`);
  const status = page.locator('#status');
  await expect(status).toHaveAttribute('data-state', 'open');
  await expect(status).toContainText('Connected');

  await page.fill('#echo-input', 'hello, orrery');
  await page.press('#echo-input', 'Enter');
  const received = page.locator('.echo-line[data-direction="in"] .echo-text');
  await expect(received).toHaveText(['hello, orrery']);
  await expect(page.locator('.echo-line[data-direction="out"] .echo-text')).toHaveText(['hello, orrery']);
  await expect(page.locator('#echo-input')).toHaveValue('');

  // Markup is echoed and shown as text, never parsed.
  await page.fill('#echo-input', '<b id="injected">bold?</b>');
  await page.click('#echo-form button[type="submit"]');
  await expect(received.first()).toHaveText('<b id="injected">bold?</b>');
  await expect(page.locator('#injected')).toHaveCount(0);
  await saveScreenshot(page, 'echo');
});

test('echo: empty input is refused with a reason, disconnect and connect again', async ({ page }) => {
  await page.goto(`${demo.url}/echo`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'open');
  await page.fill('#echo-input', '   ');
  await page.press('#echo-input', 'Enter');
  await expect(page.locator('#echo-problem')).toHaveText('Type something to send first.');
  await expect(page.locator('.echo-line')).toHaveCount(0);

  await page.click('#echo-toggle');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'closed');
  await expect(page.locator('#status')).toContainText('closed by the user (code 1000)');
  await page.fill('#echo-input', 'while closed');
  await page.press('#echo-input', 'Enter');
  await expect(page.locator('#echo-problem')).toHaveText('Not connected: press Connect first.');

  await page.click('#echo-toggle');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'open');
  await page.fill('#echo-input', 'back again');
  await page.press('#echo-input', 'Enter');
  await expect(page.locator('.echo-line[data-direction="in"] .echo-text')).toHaveText(['back again']);
});

test('echo page at phone width', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${demo.url}/echo`);
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'open');
  await page.fill('#echo-input', 'from a phone');
  await page.click('#echo-form button[type="submit"]');
  await expect(page.locator('.echo-line[data-direction="in"] .echo-text')).toHaveText(['from a phone']);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await saveScreenshot(page, 'echo-phone');
  await context.close();
});
