/**
 * Clients of the tests: tRPC's own client with its own links (httpBatchLink for queries and
 * mutations, httpSubscriptionLink over SSE for subscriptions, with the `eventsource`
 * package as Node 20 has no EventSource), and orrery.v1 websocket connections to the chat.
 */
import { connectTestClient, type TestClient } from '@orrery/server/testing';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { expect } from 'vitest';
import type { ChatRouter } from './chat.js';

type Fetch = typeof globalThis.fetch;

/** A tRPC client of the chat router at `url` (e.g. `http://127.0.0.1:PORT/trpc`); `fetch` replaces the network. */
export function chatTrpcClient(url: string, fetch?: Fetch) {
  return createTRPCClient<ChatRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url, EventSource, eventSourceOptions: fetch === undefined ? {} : { fetch } }),
        false: httpBatchLink({ url, fetch }),
      }),
    ],
  });
}

/** A websocket connection to `/chat` in `room` as `name`, past its welcome frame. */
export async function joinChat(chatUrl: string, room: string, name: string): Promise<TestClient> {
  const client = await connectTestClient(`${chatUrl}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`, { protocols: ['orrery.v1'] });
  expect(await client.nextJson()).toEqual({ t: 'welcome' });
  return client;
}

/** Close a websocket connection and wait for the close. */
export async function leaveChat(client: TestClient): Promise<void> {
  client.close(1000);
  await client.closed;
}

/** Values pushed by a callback, awaited one by one. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiters: (() => void)[] = [];

  push = (item: T): void => {
    this.items.push(item);
    for (const wake of this.waiters.splice(0)) wake();
  };

  /** Everything received so far. */
  get all(): readonly T[] {
    return this.items;
  }

  /** The `index`-th item (from 0), waiting up to `timeoutMs` for it. */
  async at(index: number, timeoutMs = 5_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length <= index) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`item ${index} did not arrive within ${timeoutMs} ms (got ${this.items.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.items[index]!;
  }
}
