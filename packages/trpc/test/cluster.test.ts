/**
 * Two server processes (A and B) on one Redis, each serving the chat's tRPC router over the
 * standalone HTTP adapter and its websocket route on one port. Real tRPC clients with tRPC's
 * own links (httpBatchLink, httpSubscriptionLink over SSE) and typed websocket clients
 * (`@orrery/client`).
 */
import { request } from 'node:http';
import type { ServerMessage } from '@orrery/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../redis/test/support/helpers.js';
import { startRedis, type RedisProcess } from '../../redis/test/support/redis-servers.js';
import type { Chat } from './support/chat.js';
import { chatTrpcClient, Inbox, joinChat, leaveChat, type ChatConnection } from './support/clients.js';
import { startTrpcNode, type TrpcNode } from './support/processes.js';

let redis: RedisProcess | undefined;
let a: TrpcNode;
let b: TrpcNode;

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startTrpcNode(redis.url), startTrpcNode(redis.url)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

async function expectSaid(connection: ChatConnection, from: string, text: string): Promise<void> {
  expect(await connection.inbox.next()).toEqual({ name: 'said', data: { from, text, at: expect.any(Number) } });
}

async function localMemberships(node: TrpcNode): Promise<number> {
  return (await chatTrpcClient(node.trpcUrl).registrySize.query()).memberships;
}

describe('tRPC procedures across two processes on Redis', () => {
  it('a mutation handled by process A reaches the connections on process B (publish and sendMessage)', async () => {
    const ann = await joinChat(b.chatUrl, 'lobby', 'ann');
    const bob = await joinChat(b.chatUrl, 'lobby', 'bob');
    const trpcA = chatTrpcClient(a.trpcUrl);
    try {
      expect(await trpcA.announce.mutate({ room: 'lobby', text: 'hello from A' })).toBe(2);
      await expectSaid(ann, 'system', 'hello from A');
      await expectSaid(bob, 'system', 'hello from A');

      expect(await trpcA.whisper.mutate({ to: 'bob', text: 'psst' })).toBe(true);
      expect(await bob.inbox.next()).toEqual({ name: 'notice', data: { text: 'psst' } });
      expect(await trpcA.whisper.mutate({ to: 'nobody', text: 'psst' })).toBe(false);

      // The whisper went to bob only: ann's next frame is the next broadcast.
      expect(await trpcA.announce.mutate({ room: 'lobby', text: 'second' })).toBe(2);
      await expectSaid(ann, 'system', 'second');
      await expectSaid(bob, 'system', 'second');
    } finally {
      leaveChat(ann);
      leaveChat(bob);
    }
  });

  it('a subscription on A receives what a connection and a mutation on B publish, and leaves on unsubscribe', async () => {
    const ann = await joinChat(b.chatUrl, 'garden', 'ann-garden');
    const trpcA = chatTrpcClient(a.trpcUrl);
    const trpcB = chatTrpcClient(b.trpcUrl);
    const inbox = new Inbox<ServerMessage<Chat>>();
    const errors: unknown[] = [];
    const subscription = trpcA.roomFeed.subscribe({ room: 'garden' }, { onData: inbox.push, onError: (e) => errors.push(e) });
    try {
      // roomFeed yields its notice after the join has been confirmed by Redis.
      expect(await inbox.at(0)).toEqual({ name: 'notice', data: { text: 'joined garden' } });
      expect(await localMemberships(a)).toBe(1);

      ann.client.send('say', { text: 'hi from B' });
      await expectSaid(ann, 'ann-garden', 'hi from B');
      expect(await inbox.at(1)).toEqual({ name: 'said', data: { from: 'ann-garden', text: 'hi from B', at: expect.any(Number) } });

      expect(await trpcB.announce.mutate({ room: 'garden', text: 'from B' })).toBe(2); // ann + the subscription
      expect(await inbox.at(2)).toEqual({ name: 'said', data: { from: 'system', text: 'from B', at: expect.any(Number) } });
      await expectSaid(ann, 'system', 'from B');
    } finally {
      subscription.unsubscribe();
    }
    await eventually(async () => (await localMemberships(a)) === 0, 'the subscription to leave the group on A');
    // A's leave reached Redis before A's publish (one bucket, one connection, in order).
    expect(await trpcA.announce.mutate({ room: 'garden', text: 'after' })).toBe(1);
    expect(await trpcB.announce.mutate({ room: 'garden', text: 'after, from B' })).toBe(1);
    expect(errors).toEqual([]);
    leaveChat(ann);
  });

  it('a subscription iterated with for await leaves the group when its AbortSignal aborts', async () => {
    const cat = await joinChat(b.chatUrl, 'pond', 'cat');
    const trpcA = chatTrpcClient(a.trpcUrl);
    const abort = new AbortController();
    const iterator = trpcA.roomEvents.subscribe({ room: 'pond' }, { signal: abort.signal });
    const first = iterator.next();
    await eventually(async () => (await localMemberships(a)) === 1, 'the subscription to join on A');
    // A's own members are reached without Redis, and counted with B's.
    expect(await trpcA.announce.mutate({ room: 'pond', text: 'ripple' })).toBe(2);
    expect(await first).toEqual({ done: false, value: { name: 'said', data: { from: 'system', text: 'ripple', at: expect.any(Number) } } });
    await expectSaid(cat, 'system', 'ripple');

    abort.abort();
    await eventually(async () => (await localMemberships(a)) === 0, 'the subscription to leave the group on A');
    expect(await trpcA.announce.mutate({ room: 'pond', text: 'after' })).toBe(1);
    leaveChat(cat);
  });

  it('a subscription whose socket drops leaves the group', async () => {
    const input = encodeURIComponent(JSON.stringify({ room: 'dock' }));
    const req = request(`${a.trpcUrl}/roomEvents?input=${input}`, { headers: { accept: 'text/event-stream' } });
    let body = '';
    const received = (text: string): Promise<void> => eventually(() => body.includes(text), `"${text}" in the event stream`);
    req.once('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('error', () => {});
    });
    req.on('error', () => {});
    req.end();
    await received('event: connected');
    await eventually(async () => (await localMemberships(a)) === 1, 'the SSE subscription to join on A');
    expect(await chatTrpcClient(a.trpcUrl).announce.mutate({ room: 'dock', text: 'anyone?' })).toBe(1);
    await received('"text":"anyone?"');

    req.destroy(); // the TCP connection drops: no unsubscribe, no close
    await eventually(async () => (await localMemberships(a)) === 0, 'the dropped subscription to leave the group on A');
    expect(await chatTrpcClient(a.trpcUrl).announce.mutate({ room: 'dock', text: 'gone' })).toBe(0);
  });
});
