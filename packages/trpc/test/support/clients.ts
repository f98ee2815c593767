/**
 * Clients of the tests: tRPC's own client with its own links (httpBatchLink for queries and
 * mutations, httpSubscriptionLink over SSE for subscriptions, with the `eventsource`
 * package as Node 20 has no EventSource), and typed websocket clients of the chat
 * (`@orrery/client`).
 */
import { createWebsocketClient, type WebsocketClient } from '@orrery/client';
import type { ServerMessage } from '@orrery/protocol';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCLink } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { EventSource } from 'eventsource';
import { chat, type Chat, type ChatRouter } from './chat.js';

type Fetch = typeof globalThis.fetch;

/** tRPC's links for a router without a transformer: httpBatchLink, and httpSubscriptionLink for subscriptions. */
function links(url: string, fetch: Fetch | undefined): TRPCLink<ChatRouter> {
  return splitLink({
    condition: (op) => op.type === 'subscription',
    true: httpSubscriptionLink({ url, EventSource, eventSourceOptions: fetch === undefined ? {} : { fetch } }),
    false: httpBatchLink({ url, fetch }),
  });
}

/** A tRPC client of router `R` (no transformer) at `url`, e.g. `http://127.0.0.1:PORT/trpc`; `fetch` replaces the network. */
export function trpcClient<R extends AnyTRPCRouter>(url: string, fetch?: Fetch) {
  return createTRPCClient<R>({ links: [links(url, fetch) as unknown as TRPCLink<R>] });
}

/** A tRPC client of the chat router. */
export function chatTrpcClient(url: string, fetch?: Fetch) {
  return trpcClient<ChatRouter>(url, fetch);
}

/** A typed websocket client of the chat (`@orrery/client`) and what it received, in order. */
export interface ChatConnection {
  readonly client: WebsocketClient<Chat>;
  readonly inbox: Inbox<ServerMessage<Chat>>;
}

/** Connect to `/chat` in `room` as `name` and wait until open (the server's init has joined the room). */
export async function joinChat(chatUrl: string, room: string, name: string): Promise<ChatConnection> {
  const client = createWebsocketClient(chat, { url: chatUrl, params: { room, name }, reconnect: false });
  const inbox = new Inbox<ServerMessage<Chat>>();
  client.on('said', (data) => inbox.push({ name: 'said', data }));
  client.on('notice', (data) => inbox.push({ name: 'notice', data }));
  await new Promise<void>((resolve, reject) => {
    const stop = client.subscribe((state) => {
      if (state.status === 'open') resolve();
      else if (state.status === 'closed') reject(state.error ?? new Error('closed before open'));
      else return;
      stop();
    });
  });
  return { client, inbox };
}

/** Close a chat connection. */
export function leaveChat(connection: ChatConnection): void {
  connection.client.close();
}

/** Values pushed by a callback, awaited one by one. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiters: (() => void)[] = [];

  push = (item: T): void => {
    this.items.push(item);
    for (const wake of this.waiters.splice(0)) wake();
  };

  private cursor = 0;

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

  /** The item after the one the previous `next()` returned. */
  next(timeoutMs?: number): Promise<T> {
    return this.at(this.cursor++, timeoutMs);
  }
}
