/**
 * Driving the chat page like a user: join with a nickname, write, read the room.
 */
import { expect, type Locator, type Page } from '@playwright/test';

/** Open the chat in `room`, join as `nick`, and wait until connected. */
export async function joinChat(page: Page, baseUrl: string, nick: string, room = 'lobby'): Promise<void> {
  await page.goto(`${baseUrl}/#${room}`);
  await page.fill('#nick', nick);
  await page.click('#join-form button[type="submit"]');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'open');
  await expect(page.locator('#room-title')).toHaveText(`# ${room}`);
  await expect(online(page).filter({ hasText: nick }).first()).toBeVisible();
}

/** Write `text` in the composer and press Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
}

/** The texts of the room's user messages. */
export function messageTexts(page: Page): Locator {
  return page.locator('#messages .msg[data-kind="user"] .msg-text');
}

/** The room's delivered user message with exactly `text`. */
export function delivered(page: Page, text: string): Locator {
  return page.locator('#messages .msg[data-kind="user"][data-state="delivered"]').filter({ has: page.getByText(text, { exact: true }) });
}

/** The lines of the online list. */
export function online(page: Page): Locator {
  return page.locator('#people-list .person');
}

/** The nicknames in the online list, in order. */
export async function onlineNicks(page: Page): Promise<string[]> {
  return page.locator('#people-list .person').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.nick ?? ''));
}
