/**
 * Who is online is the room's presence (`@orrery/server/presence`, `@orrery/client/presence`):
 * two tabs of one nickname are one member — on one server, and with the tabs on two servers
 * sharing Redis.
 */
import { expect, test, type Page } from '@playwright/test';
import { startRedis, type RedisProcess } from '../packages/redis/test/support/redis-servers.js';
import { joinChat, online, onlineNicks } from './support/chat.js';
import { startDemo, type DemoProcess } from './support/demo-process.js';

const count = (page: Page) => page.locator('#people-toggle');

test.describe('one server', () => {
  let demo: DemoProcess;
  test.beforeAll(async () => { demo = await startDemo(); });
  test.afterAll(async () => { await demo?.stop(); });

  test('two tabs of one nickname count as one member; it leaves with its last tab', async ({ browser }) => {
    const ada = await browser.newContext();
    const tab1 = await ada.newPage();
    const tab2 = await ada.newPage();
    const bob = await (await browser.newContext()).newPage();
    await joinChat(bob, demo.url, 'Bob', 'tabs');
    await joinChat(tab1, demo.url, 'Ada', 'tabs');
    await joinChat(tab2, demo.url, 'Ada', 'tabs');
    await expect(online(bob).filter({ hasText: 'Ada' })).toContainText('2 tabs');
    await expect.poll(() => onlineNicks(bob)).toEqual(['Ada', 'Bob']);
    await expect(count(bob)).toHaveText('2 online');
    await expect(online(tab2).filter({ hasText: 'Ada' })).toContainText('(you)');

    await tab1.close();
    await expect(online(bob).filter({ hasText: 'Ada' })).not.toContainText('tabs');
    await expect.poll(() => onlineNicks(bob)).toEqual(['Ada', 'Bob']);
    await expect(count(bob)).toHaveText('2 online');

    await tab2.close();
    await expect.poll(() => onlineNicks(bob)).toEqual(['Bob']);
    await expect(count(bob)).toHaveText('1 online');
  });
});

test.describe('two servers on one Redis', () => {
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

  test('tabs of one nickname on two servers are one member everywhere', async ({ browser }) => {
    const ada = await browser.newContext();
    const onOne = await ada.newPage();
    const onTwo = await ada.newPage();
    const bob = await (await browser.newContext()).newPage();
    await joinChat(bob, one.url, 'Bob', 'spread');
    await joinChat(onOne, one.url, 'Ada', 'spread');
    await joinChat(onTwo, two.url, 'Ada', 'spread');
    for (const page of [bob, onOne, onTwo]) {
      await expect(online(page).filter({ hasText: 'Ada' })).toContainText('2 tabs');
      await expect.poll(() => onlineNicks(page)).toEqual(['Ada', 'Bob']);
      await expect(count(page)).toHaveText('2 online');
    }

    await onTwo.close();
    await expect(online(bob).filter({ hasText: 'Ada' })).not.toContainText('tabs');
    await expect.poll(() => onlineNicks(bob)).toEqual(['Ada', 'Bob']);
    await onOne.close();
    await expect.poll(() => onlineNicks(bob)).toEqual(['Bob']);
  });
});
