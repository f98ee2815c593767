/**
 * Kill the server (SIGKILL: no close frame, clients see the socket drop) and start it again
 * on the same port: the page shows reconnecting, then reconnects by itself and works —
 * including the message written while the server was down.
 */
import { expect, test } from '@playwright/test';
import { saveScreenshot } from './support/artifacts.js';
import { delivered, joinChat, onlineNicks, say } from './support/chat.js';
import { startDemo, type DemoProcess } from './support/demo-process.js';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

test('server killed and restarted: reconnecting is shown, then the page reconnects and works', async ({ page, browser }) => {
  await joinChat(page, demo.url, 'Ann', 'lobby');
  await say(page, 'before the crash');
  await expect(delivered(page, 'before the crash')).toBeVisible();

  await demo.kill();
  const status = page.locator('#status');
  await expect(status).toHaveAttribute('data-state', 'reconnecting');
  await expect(status).toContainText('Reconnecting…');
  await expect(page.locator('#banner')).toContainText('Connection lost');
  await say(page, 'written while away');
  await expect(page.locator('#messages .msg[data-state="pending"]')).toHaveText(/written while away/);
  await saveScreenshot(page, 'chat-reconnecting');

  await demo.start();
  await expect(status).toHaveAttribute('data-state', 'open');
  await expect(page.locator('#banner')).toBeHidden();
  await expect(delivered(page, 'written while away')).toBeVisible();
  await expect(delivered(page, 'before the crash')).toBeVisible();
  await expect.poll(() => onlineNicks(page)).toEqual(['Ann']);

  const bob = await (await browser.newContext()).newPage();
  await joinChat(bob, demo.url, 'Bob', 'lobby');
  await expect.poll(() => onlineNicks(page)).toEqual(['Ann', 'Bob']);
  await say(page, 'after the restart');
  await expect(delivered(bob, 'after the restart')).toBeVisible();
  // The restarted server kept nothing in memory but what was said since.
  await expect(bob.locator('#messages .msg[data-kind="user"] .msg-text')).toHaveText(['written while away', 'after the restart']);
  await bob.context().close();
});
