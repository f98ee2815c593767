/**
 * The chat router on tRPC's own adapters, in one process with the in-memory registry: the
 * standalone HTTP adapter (errors as tRPC codes, a slow subscriber's overflow), the fetch
 * adapter (mutations and SSE subscriptions without a Node server), and tRPC's ws adapter
 * with wsLink. Real websocket connections (`@orrery/client`) receive what procedures publish.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { ServerMessage } from '@orrery/protocol';
import { createTRPCClient, createWSClient, TRPCClientError, wsLink } from '@trpc/client';
import { initTRPC, type TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../../redis/test/support/helpers.js';
import { createChatRouter, type Chat, type ChatRouter } from './support/chat.js';
import { chatTrpcClient, Inbox, joinChat, leaveChat, trpcClient } from './support/clients.js';
import { startChatServer, type ChatServer } from './support/servers.js';

let s: ChatServer;
let http: Server | undefined;
let router: ChatRouter;
const serverErrors: TRPCError[] = [];
const said = (text: string): ServerMessage<Chat> => ({ name: 'said', data: { from: 'test', text, at: 1 } });

beforeEach(async () => {
  s = await startChatServer();
  router = createChatRouter(s.orrery, () => s.server.stats().registry);
  serverErrors.length = 0;
});

afterEach(async () => {
  if (http !== undefined) {
    http.closeAllConnections();
    await new Promise((resolve) => http!.close(resolve));
    http = undefined;
  }
  await s.close();
});

/** Serve `r` with the standalone adapter on a free port; returns its URL. */
async function serveStandalone(r: Parameters<typeof createHTTPServer>[0]['router']): Promise<string> {
  http = createHTTPServer({ router: r, onError: ({ error }) => serverErrors.push(error) });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function clientError(run: () => Promise<unknown>): Promise<TRPCClientError<ChatRouter>> {
  const error = await run().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<ChatRouter>;
}

describe('standalone HTTP adapter', () => {
  it('answers Orrery errors with tRPC codes, and a message the protocol does not define reaches no one', async () => {
    const trpc = chatTrpcClient(await serveStandalone(router));
    const ann = await joinChat(s.chatUrl, 'lobby', 'ann');

    const badName = await clientError(() => trpc.announce.mutate({ room: 'x'.repeat(300), text: 'hi' }));
    expect(badName.data?.code).toBe('BAD_REQUEST');
    expect(badName.message).toBe('group is 305 bytes; the limit is 256 UTF-8 bytes');

    const undefinedMessage = await clientError(() => trpc.undefinedMessage.mutate());
    expect(undefinedMessage.data?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(undefinedMessage.message).toContain('server message "shout" (from group.publish) is not defined by the protocol');
    const cause = serverErrors.at(-1)?.cause as { code?: string } | undefined;
    expect(cause?.code).toBe('ORRERY_INVALID_MESSAGE');

    expect(await trpc.announce.mutate({ room: 'lobby', text: 'the first ann sees' })).toBe(1);
    expect(await ann.inbox.next()).toEqual({ name: 'said', data: { from: 'system', text: 'the first ann sees', at: expect.any(Number) } });
    leaveChat(ann);
  });

  it('stops a subscription whose group name is refused (BAD_REQUEST: not retried)', async () => {
    const trpc = chatTrpcClient(await serveStandalone(router));
    const failed = new Promise<TRPCClientError<ChatRouter>>((resolve) => {
      trpc.roomEvents.subscribe({ room: 'y'.repeat(300) }, { onError: resolve });
    });
    const error = await failed;
    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.message).toBe('group is 305 bytes; the limit is 256 UTF-8 bytes');
    expect(s.memberships()).toBe(0);
  });

  it('leaves nothing behind after many subscribers come and go', async () => {
    const trpc = chatTrpcClient(await serveStandalone(router));
    const started = new Inbox<number>();
    const subscriptions = Array.from({ length: 40 }, (_, i) =>
      trpc.roomEvents.subscribe({ room: `churn-${i % 4}` }, { onStarted: () => started.push(i) }));
    await started.at(39);
    await eventually(() => s.memberships() === 40, 'every subscription to join');
    expect(s.orrery.activeSubscriptions).toBe(40);
    expect(await s.orrery.publish('room:churn-0', said('ten of them'))).toBe(10);
    for (const subscription of subscriptions) subscription.unsubscribe();
    await eventually(() => s.memberships() === 0, 'every subscription to leave');
    expect(s.orrery.activeSubscriptions).toBe(0);
    expect(await s.orrery.publish('room:churn-0', said('none'))).toBe(0);
  });

  it('a subscriber that falls behind leaves the group at once and gets SERVICE_UNAVAILABLE, then the link reconnects', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const t = initTRPC.create();
    const slowRouter = t.router({
      slowFeed: t.procedure.concat(s.orrery.procedure).subscription(async function* ({ ctx }) {
        const subscription = ctx.orrery.subscribe('room:slow', { maxBuffered: 2 });
        await gate; // a consumer busy with something else
        yield* subscription;
      }),
    });
    const trpc = trpcClient<typeof slowRouter>(await serveStandalone(slowRouter));
    const states: { state: string; error: TRPCClientError<typeof slowRouter> | null }[] = [];
    const received = new Inbox<ServerMessage<Chat>>();
    const subscription = trpc.slowFeed.subscribe(undefined, { onData: received.push, onConnectionStateChange: (state) => states.push(state) });
    try {
      await eventually(() => s.memberships() === 1, 'the subscription to join');
      for (const text of ['1', '2']) expect(await s.orrery.publish('room:slow', said(text))).toBe(1);
      expect(await s.orrery.publish('room:slow', said('3: one too many'))).toBe(1);
      expect(s.memberships()).toBe(0); // left at the overflow, not when the consumer comes back
      expect(await s.orrery.publish('room:slow', said('4'))).toBe(0);

      release();
      await eventually(() => states.some((state) => state.error !== null), 'the overflow error to reach the client');
      const error = states.find((state) => state.error !== null)!.error!;
      expect(error.data?.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.message).toContain('subscription to group "room:slow" fell behind: 2 messages were waiting (maxBuffered 2)');
      expect(states.find((state) => state.error !== null)!.state).toBe('connecting');
      expect(received.all).toEqual([]); // what was waiting was dropped, as the error says

      // SERVICE_UNAVAILABLE is retryable: the link reconnects and the procedure joins again.
      await eventually(() => s.memberships() === 1, 'the reconnected subscription to join again');
      expect(await s.orrery.publish('room:slow', said('5'))).toBe(1);
      expect(await received.next()).toEqual(said('5'));
    } finally {
      subscription.unsubscribe();
    }
    await eventually(() => s.memberships() === 0, 'the subscription to leave');
});
});

describe('fetch adapter', () => {
  it('serves mutations and SSE subscriptions without a Node HTTP server', async () => {
    const handle = ((input: RequestInfo | URL, init?: RequestInit) =>
      fetchRequestHandler({ endpoint: '/trpc', req: new Request(input, init), router })) as typeof fetch;
    const trpc = chatTrpcClient('http://orrery.test/trpc', handle);
    const ann = await joinChat(s.chatUrl, 'fetch', 'ann-fetch');
    const inbox = new Inbox<ServerMessage<Chat>>();
    const subscription = trpc.roomEvents.subscribe({ room: 'fetch' }, { onData: inbox.push });
    try {
      await eventually(() => s.memberships() === 2, 'the subscription to join beside ann');
      expect(await trpc.announce.mutate({ room: 'fetch', text: 'through fetch' })).toBe(2);
      const message = { name: 'said', data: { from: 'system', text: 'through fetch', at: expect.any(Number) } };
      expect(await inbox.next()).toEqual(message);
      expect(await ann.inbox.next()).toEqual(message);
      expect(await trpc.whisper.mutate({ to: 'ann-fetch', text: 'hi' })).toBe(true);
      expect(await ann.inbox.next()).toEqual({ name: 'notice', data: { text: 'hi' } });
    } finally {
      subscription.unsubscribe();
    }
    await eventually(() => s.memberships() === 1, 'the subscription to leave');
    expect(await trpc.announce.mutate({ room: 'fetch', text: 'ann only' })).toBe(1);
    leaveChat(ann);
  });
});

describe("tRPC's ws adapter with wsLink", () => {
  it('subscriptions receive group messages and leave on unsubscribe and when the socket closes', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    const handler = applyWSSHandler({ wss, router });
    const wsClient = createWSClient({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, WebSocket: WebSocket as never });
    const trpc = createTRPCClient<ChatRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      const inbox = new Inbox<ServerMessage<Chat>>();
      const first = trpc.roomEvents.subscribe({ room: 'ws' }, { onData: inbox.push });
      await eventually(() => s.memberships() === 1, 'the wsLink subscription to join');
      expect(await trpc.announce.mutate({ room: 'ws', text: 'over tRPC ws' })).toBe(1);
      expect(await inbox.next()).toEqual({ name: 'said', data: { from: 'system', text: 'over tRPC ws', at: expect.any(Number) } });
      first.unsubscribe();
      await eventually(() => s.memberships() === 0, 'the unsubscribed subscription to leave');

      trpc.roomEvents.subscribe({ room: 'ws' }, {});
      await eventually(() => s.memberships() === 1, 'the second subscription to join');
      wsClient.close(); // the socket closes under a live subscription
      await eventually(() => s.memberships() === 0, 'the subscription of the closed socket to leave');
      expect(await s.orrery.publish('room:ws', said('nobody left'))).toBe(0);
    } finally {
      wsClient.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
