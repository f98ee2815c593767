/**
 * Two demo processes on one Redis (a redis-server of this spec's own, on a free port), one
 * browser on each: rooms, presence, messages, history and announcements cross nodes.
 */
import { expect, test } from '@playwright/test';
import { startRedis, type RedisProcess } from '../packages/redis/test/support/redis-servers.js';
import { saveScreenshot } from './support/artifacts.js';
import { delivered, joinChat, messageTexts, onlineNicks, say } from './support/chat.js';
import { startDemo, type DemoProcess } from './support/demo-process.js';

let redis: RedisProcess;
let one: DemoProcess;
let two: DemoProcess;
test.beforeAll(async () => {
  redis = await startRedis();
  [one, two] = await Promise.all([startDemo({ redisUrl: redis.url }), startDemo({ redisUrl: redis.url })]);
});
test.afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await redis?.stop();
});

test('a broadcast crosses nodes: one browser on each of two servers sharing Redis', async ({ browser }) => {
  expect(one.port).not.toBe(two.port);
  const ann = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  await joinChat(ann, one.url, 'Ann', 'across');
  await joinChat(bob, two.url, 'Bob', 'across');
  await expect.poll(() => onlineNicks(ann)).toEqual(['Ann', 'Bob']);
  await expect.poll(() => onlineNicks(bob)).toEqual(['Ann', 'Bob']);

  await say(ann, 'from node one');
  await expect(delivered(bob, 'from node one')).toBeVisible();
  await say(bob, 'from node two');
  await expect(delivered(ann, 'from node two')).toBeVisible();

  // An announcement through node two's tRPC reaches node one's connection.
  await bob.click('#announce-toggle');
  await bob.fill('#announce-form input', 'Shared across the cluster');
  await bob.press('#announce-form input', 'Enter');
  await expect(ann.locator('#messages .msg[data-kind="system"] .msg-text')).toHaveText(['Shared across the cluster']);
  await saveScreenshot(ann, 'chat-cluster-node-one');

  // History lives in Redis: a newcomer on node one sees what was said on both nodes.
  const cy = await (await browser.newContext()).newPage();
  await joinChat(cy, one.url, 'Cy', 'across');
  await expect(messageTexts(cy)).toHaveText(['from node one', 'from node two']);
  await expect(cy.locator('#messages .msg[data-kind="system"] .msg-text')).toHaveText(['Shared across the cluster']);

  await bob.context().close();
  await expect.poll(() => onlineNicks(ann)).toEqual(['Ann', 'Cy']);
  await ann.context().close();
  await cy.context().close();
});
