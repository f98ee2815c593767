/**
 * The chat on one server (in-memory registry): two browser contexts in one room, the online
 * list, history (tRPC query) and announcements (tRPC mutation), bad input, phone width.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { saveScreenshot } from './support/artifacts.js';
import { delivered, joinChat, messageTexts, online, onlineNicks, say } from './support/chat.js';
import { startDemo, type DemoProcess } from './support/demo-process.js';

let demo: DemoProcess;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => {
  await demo?.stop();
});

async function newPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context = await browser.newContext(options);
  return context.newPage();
}

test('two people in one room see each other; the online list follows joins and leaves, one line per person', async ({ browser }) => {
  const ann = await newPage(browser);
  await joinChat(ann, demo.url, 'Ann', 'team-a');
  await expect.poll(() => onlineNicks(ann)).toEqual(['Ann']);

  const bob = await newPage(browser);
  await joinChat(bob, demo.url, 'Bob', 'team-a');
  await expect.poll(() => onlineNicks(ann)).toEqual(['Ann', 'Bob']);
  await expect.poll(() => onlineNicks(bob)).toEqual(['Ann', 'Bob']);
  await expect(online(bob).filter({ hasText: 'Bob' })).toContainText('(you)');

  await say(ann, 'Hi Bob!');
  await expect(delivered(bob, 'Hi Bob!')).toBeVisible();
  await expect(delivered(ann, 'Hi Bob!')).toHaveClass(/mine/);
  await say(bob, 'Hello Ann');
  await expect(delivered(ann, 'Hello Ann')).toBeVisible();
  await expect(messageTexts(ann)).toHaveText(['Hi Bob!', 'Hello Ann']);
  await saveScreenshot(ann, 'chat');

  // A second tab of Ann is the same person: one line, "2 tabs".
  const annTab = await ann.context().newPage();
  await joinChat(annTab, demo.url, 'Ann', 'team-a');
  await expect(online(bob).filter({ hasText: 'Ann' })).toContainText('2 tabs');
  await expect.poll(() => onlineNicks(bob)).toEqual(['Ann', 'Bob']);
  await annTab.close();
  await expect(online(bob).filter({ hasText: 'Ann' })).not.toContainText('tabs');

  await bob.context().close();
  await expect.poll(() => onlineNicks(ann)).toEqual(['Ann']);
  await ann.context().close();
});

test('a late joiner gets the history (tRPC query); an announcement (tRPC mutation) reaches the room', async ({ browser }) => {
  const ann = await newPage(browser);
  await joinChat(ann, demo.url, 'Ann', 'team-b');
  await say(ann, 'first');
  await say(ann, 'second');
  await expect(delivered(ann, 'second')).toBeVisible();

  const cy = await newPage(browser);
  await joinChat(cy, demo.url, 'Cy', 'team-b');
  await expect(messageTexts(cy)).toHaveText(['first', 'second']);

  await cy.click('#announce-toggle');
  await cy.press('#announce-form input', 'Enter');
  await expect(cy.locator('#announce-problem')).toHaveText('The message is empty');
  await cy.fill('#announce-form input', 'Maintenance at noon');
  await cy.press('#announce-form input', 'Enter');
  for (const page of [ann, cy]) {
    await expect(page.locator('#messages .msg[data-kind="system"] .msg-text')).toHaveText(['Maintenance at noon']);
  }
  await expect(cy.locator('#announce-form')).toBeHidden();
  await ann.context().close();
  await cy.context().close();
});

test('bad input: empty and oversize messages, HTML as text, rapid-fire sending', async ({ browser }) => {
  const ann = await newPage(browser);
  const bob = await newPage(browser);
  await joinChat(ann, demo.url, 'Ann', 'team-c');
  await joinChat(bob, demo.url, 'Bob', 'team-c');

  await say(ann, '   ');
  await expect(ann.locator('#message-problem')).toHaveText('The message is empty');
  await ann.fill('#message-input', 'x'.repeat(2001));
  await expect(ann.locator('#message-count')).toHaveText('2001 / 2000');
  await expect(ann.locator('#message-count')).toHaveClass('over');
  await ann.press('#message-input', 'Enter');
  await expect(ann.locator('#message-problem')).toHaveText('A message has at most 2000 characters (this one has 2001)');
  await expect(ann.locator('#message-input')).toHaveValue('x'.repeat(2001));
  await ann.fill('#message-input', '');
  await expect(messageTexts(bob)).toHaveCount(0);

  const html = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
  await say(ann, html);
  await expect(delivered(bob, html)).toBeVisible();
  await expect(bob.locator('#messages img, #messages script, #messages b')).toHaveCount(0);
  expect(await bob.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

  // Rapid fire: 12 messages at once. The server lets a burst through and answers the rest
  // with RATE_LIMITED, shown on each refused message; the connection stays open.
  await ann.evaluate(() => {
    const input = document.querySelector<HTMLTextAreaElement>('#message-input')!;
    const form = document.querySelector<HTMLFormElement>('#message-form')!;
    for (let i = 1; i <= 12; i++) {
      input.value = `burst ${i}`;
      form.requestSubmit();
    }
  });
  const failed = ann.locator('#messages .msg[data-state="failed"]');
  await expect(failed.first()).toBeVisible();
  await expect(failed.first().locator('.msg-error')).toHaveText(/^Not sent: Slow down: at most 5 messages at once/);
  await expect(ann.locator('#messages .msg[data-state="pending"]')).toHaveCount(0);
  const deliveredBursts = await ann.locator('#messages .msg[data-state="delivered"] .msg-text').filter({ hasText: /^burst / }).count();
  expect(deliveredBursts).toBeGreaterThanOrEqual(4);
  expect(deliveredBursts + (await failed.count())).toBe(12);
  await expect(bob.locator('#messages .msg-text').filter({ hasText: /^burst / })).toHaveCount(deliveredBursts);
  await expect(ann.locator('#status')).toHaveAttribute('data-state', 'open');
  await saveScreenshot(ann, 'chat-bad-input');

  // Retry sends a refused message again (refused again while the bucket is empty).
  const lastBurst = (await failed.last().locator('.msg-text').textContent()) ?? '';
  await expect(async () => {
    await ann.locator('#messages .msg[data-state="failed"]').filter({ hasText: lastBurst }).locator('.msg-retry').click({ timeout: 1_000 });
    await expect(delivered(bob, lastBurst)).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(delivered(ann, lastBurst)).toBeVisible();
  await ann.context().close();
  await bob.context().close();
});

test('nicknames: empty and oversize are refused in the form; a reserved one is refused by the server, with its reason, without retrying', async ({ page }) => {
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`${demo.url}/#lobby`);
  await page.click('#join-form button[type="submit"]');
  await expect(page.locator('#join-problem')).toHaveText('Nickname: Pick a nickname');
  await page.fill('#nick', 'n'.repeat(25));
  await page.click('#join-form button[type="submit"]');
  await expect(page.locator('#join-problem')).toHaveText('Nickname: A nickname has at most 24 characters');
  expect(sockets).toEqual([]);

  await page.fill('#nick', 'System');
  await page.click('#join-form button[type="submit"]');
  await expect(page.locator('#refused')).toHaveText('The server refused to let you in: The nickname "System" is reserved; pick another one');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'closed');
  await expect(page.locator('#nick')).toHaveValue('System');
  await saveScreenshot(page, 'chat-refused');
  // No retry: one socket, and none after it (the client would retry within ~1 s).
  await page.waitForTimeout(2_500);
  expect(sockets).toEqual([`${demo.url.replace('http', 'ws')}/chat/lobby?nick=System`]);

  await page.fill('#nick', 'Sys');
  await page.click('#join-form button[type="submit"]');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'open');
});

test('phone width: the room fills the screen, the drawers open, nothing overflows', async ({ browser }) => {
  const phone = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(`${demo.url}/#team-d`);
  await saveScreenshot(phone, 'chat-join-phone');
  await phone.fill('#nick', 'Pat');
  await phone.click('#join-form button[type="submit"]');
  await expect(phone.locator('#status')).toHaveAttribute('data-state', 'open');
  await expect(phone.locator('#rooms')).toBeHidden();
  await expect(phone.locator('#people')).toBeHidden();
  await expect(phone.locator('#people-toggle')).toHaveText('1 online');
  await say(phone, 'typing on a phone');
  await expect(delivered(phone, 'typing on a phone')).toBeVisible();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await saveScreenshot(phone, 'chat-phone');

  await phone.click('#people-toggle');
  await expect(phone.locator('#people')).toBeVisible();
  await expect(phone.locator('#people-list .person')).toHaveText(['Pat(you)']);
  await saveScreenshot(phone, 'chat-phone-online');
  await phone.click('#people .drawer-close');
  await expect(phone.locator('#people')).toBeHidden();
  await phone.click('button[aria-controls="rooms"]');
  await phone.click('#rooms [data-room="random"]');
  await expect(phone.locator('#room-title')).toHaveText('# random');
  await expect(phone.locator('#rooms')).toBeHidden();
  await expect(phone.locator('#status')).toHaveAttribute('data-state', 'open');
  await phone.context().close();
});
