/**
 * A network blip loses no message: one browser goes offline for a few seconds while another
 * posts; back online, the messages appear once, in order, without a reload — the session was
 * resumed (the server parked it and replayed what it missed), not started over.
 */
import { expect, test } from '@playwright/test';
import { saveScreenshot } from './support/artifacts.js';
import { delivered, joinChat, messageTexts, say } from './support/chat.js';
import { startDemo, type DemoProcess } from './support/demo-process.js';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

test('offline for a few seconds while another browser posts: the messages arrive once, in order, with no reload', async ({ browser }) => {
  const ann = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  await joinChat(ann, demo.url, 'Ann', 'blip');
  await joinChat(bob, demo.url, 'Bob', 'blip');
  await say(bob, 'before');
  await expect(delivered(ann, 'before')).toBeVisible();
  await ann.evaluate(() => { (window as unknown as { marker: string }).marker = 'the same page'; });

  await ann.context().setOffline(true);
  // Chromium drops the page's websocket; the page notices and keeps trying.
  await expect(ann.locator('#status')).toHaveAttribute('data-state', 'reconnecting', { timeout: 30_000 });
  for (const text of ['one', 'two', 'three']) {
    await say(bob, text);
    await expect(delivered(bob, text)).toBeVisible();
  }
  await ann.waitForTimeout(2_000);
  await saveScreenshot(ann, 'chat-offline');
  await ann.context().setOffline(false);

  await expect(ann.locator('#status')).toHaveAttribute('data-state', 'open', { timeout: 20_000 });
  await expect(ann.locator('#banner')).toHaveAttribute('data-resume', 'resumed');
  await expect(messageTexts(ann)).toHaveText(['before', 'one', 'two', 'three']);
  expect(await ann.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('the same page');
  // Nothing arrives twice later either.
  await say(bob, 'after');
  await expect(delivered(ann, 'after')).toBeVisible();
  await expect(messageTexts(ann)).toHaveText(['before', 'one', 'two', 'three', 'after']);
  await ann.context().close();
  await bob.context().close();
});
