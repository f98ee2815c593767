/**
 * Group subscriptions and typed publishing without a tRPC transport, on both registry
 * backends: what a subscription yields, every way it ends (and leaves the group), bounded
 * buffering and its overflow outcome, the checks of received and published messages.
 */
import { isOrreryError, type ServerMessage } from '@orrery/protocol';
import { memoryRegistry, type RegistryBackend } from '@orrery/server';
import { redisRegistry } from '@orrery/redis';
import { isTrackedEnvelope } from '@trpc/server';
import { orreryTrpc } from '@orrery/trpc';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../../redis/test/support/redis-servers.js';
import { consoleLogger } from '@orrery/server';
import { chat, type Chat } from './support/chat.js';
import { joinChat, leaveChat } from './support/clients.js';
import { startChatServer, type ChatServer } from './support/servers.js';

let redis: RedisProcess | undefined;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });

const said = (text: string): ServerMessage<Chat> => ({ name: 'said', data: { from: 'test', text, at: 1 } });

/** The error `run` throws or rejects with. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

function expectOrreryError(error: unknown, code: string, text: string): void {
  expect(isOrreryError(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toContain(text);
}

const backends: [string, () => Promise<RegistryBackend | undefined>][] = [
  ['in-memory', async () => undefined],
  ['redis', async () => {
    const backend = redisRegistry({ redis: redis!.url, leaseMs: 2_000, logger: consoleLogger('error') });
    await backend.ready();
    return backend;
  }],
];

describe.each(backends)('group subscriptions (%s registry)', (_name, makeBackend) => {
  let backend: RegistryBackend | undefined;
  let s: ChatServer;
  beforeEach(async () => {
    backend = await makeBackend();
    s = await startChatServer(backend, { maxBuffered: 3 });
  });
  afterEach(async () => {
    await s.close();
    await backend?.close();
  });

  it('yields the messages published to its group in order, and leaves on return()', async () => {
    const sub = s.orrery.subscribe('room:a');
    await sub.ready;
    expect(s.orrery.activeSubscriptions).toBe(1);
    expect(await s.orrery.publish('room:a', said('one'))).toBe(1);
    expect(await s.orrery.publish('room:a', said('two'))).toBe(1);
    expect(await s.orrery.publish('room:b', said('elsewhere'))).toBe(0);
    expect(sub.buffered).toBe(2);
    expect(await sub.next()).toEqual({ done: false, value: said('one') });
    expect(await sub.next()).toEqual({ done: false, value: said('two') });
    expect(await sub.return()).toEqual({ done: true, value: undefined });
    expect(sub.closed).toBe(true);
    expect(s.orrery.activeSubscriptions).toBe(0);
    expect(s.memberships()).toBe(0);
    expect(await s.orrery.publish('room:a', said('after'))).toBe(0);
    expect(await sub.next()).toEqual({ done: true, value: undefined });
  });

  it('receives what connections publish, and counts as a recipient beside them', async () => {
    const ann = await joinChat(s.chatUrl, 'c', 'ann');
    const sub = s.orrery.subscribe('room:c');
    await sub.ready;
    ann.client.send('say', { text: 'hello' });
    expect(await sub.next()).toEqual({ done: false, value: { name: 'said', data: { from: 'ann', text: 'hello', at: expect.any(Number) } } });
    expect(await ann.inbox.next()).toEqual({ name: 'said', data: { from: 'ann', text: 'hello', at: expect.any(Number) } });
    expect(await s.orrery.publish('room:c', said('both'))).toBe(2);
    expect(await ann.inbox.next()).toEqual(said('both'));
    expect(await sub.next()).toEqual({ done: false, value: said('both') });
    sub.close();
    expect(await s.orrery.publish('room:c', said('ann only'))).toBe(1);
    leaveChat(ann);
  });

  it('wakes a pending next() as done when it returns or its signal aborts', async () => {
    const first = s.orrery.subscribe('room:d');
    const waiting = first.next();
    await first.return();
    expect(await waiting).toEqual({ done: true, value: undefined });

    const abort = new AbortController();
    const second = s.orrery.subscribe('room:d', { signal: abort.signal });
    await second.ready;
    const pending = second.next();
    expect(await s.orrery.publish('room:d', said('before abort'))).toBe(1);
    expect(await pending).toEqual({ done: false, value: said('before abort') });
    const next = second.next();
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(second.closed).toBe(true);
    expect(await s.orrery.publish('room:d', said('after abort'))).toBe(0);
    expect(s.orrery.activeSubscriptions).toBe(0);
  });

  it('never joins when its signal is already aborted', async () => {
    const sub = s.orrery.subscribe('room:e', { signal: AbortSignal.abort() });
    await sub.ready;
    expect(sub.closed).toBe(true);
    expect(await s.orrery.publish('room:e', said('nobody'))).toBe(0);
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    expect(s.orrery.activeSubscriptions).toBe(0);
  });

  it('overflows past maxBuffered: leaves the group at once, then next() rejects with ORRERY_SLOW_CONSUMER, then done', async () => {
    const sub = s.orrery.subscribe('room:f');
    await sub.ready;
    for (const text of ['1', '2', '3']) expect(await s.orrery.publish('room:f', said(text))).toBe(1);
    expect(sub.buffered).toBe(3);
    expect(await s.orrery.publish('room:f', said('4'))).toBe(1); // intended, then refused
    expect(sub.closed).toBe(true);
    expect(sub.buffered).toBe(0);
    expect(s.memberships()).toBe(0);
    expect(await s.orrery.publish('room:f', said('5'))).toBe(0);
    expectOrreryError(await failure(() => sub.next()), 'ORRERY_SLOW_CONSUMER', '3 messages were waiting (maxBuffered 3)');
    expect(await sub.next()).toEqual({ done: true, value: undefined });
  });

  it('overflows when the transport below reports more than maxBacklogBytes waiting', async () => {
    let backlog = 0;
    const sub = s.orrery.subscribe('room:g', { backlogBytes: () => backlog, maxBacklogBytes: 1_000 });
    await sub.ready;
    await s.orrery.publish('room:g', said('fits'));
    backlog = 1_001;
    await s.orrery.publish('room:g', said('too much below'));
    expect(sub.closed).toBe(true);
    expectOrreryError(await failure(() => sub.next()), 'ORRERY_SLOW_CONSUMER', '1001 bytes were waiting to be written (maxBacklogBytes 1000)');
  });

  it('ends with ORRERY_INVALID_MESSAGE when a message the protocol does not define arrives (raw publish)', async () => {
    const raw = s.server.registry('/chat');
    const unknownName = s.orrery.subscribe('room:h');
    const badData = s.orrery.subscribe('room:i');
    await Promise.all([unknownName.ready, badData.ready]);
    expect(await raw.group.publish('room:h', { name: 'shout', data: {} })).toBe(1);
    expect(await raw.group.publish('room:i', { name: 'said', data: { from: 1 } })).toBe(1);
    expect(s.memberships()).toBe(0);
    expectOrreryError(await failure(() => unknownName.next()), 'ORRERY_INVALID_MESSAGE', 'server message "shout"');
    expectOrreryError(await failure(() => badData.next()), 'ORRERY_INVALID_MESSAGE', '"said"');
  });

  it('refuses to publish or send a message the protocol does not define, before anything is sent', async () => {
    const ann = await joinChat(s.chatUrl, 'j', 'ann-j');
    expectOrreryError(await failure(() => s.orrery.publish('room:j', { name: 'shout', data: {} } as never)), 'ORRERY_INVALID_MESSAGE', 'is not defined by the protocol (server messages: said, notice)');
    expectOrreryError(await failure(() => s.orrery.publish('room:j', { name: 'said', data: { text: 'no from' } } as never)), 'ORRERY_INVALID_MESSAGE', 'does not match its schema');
    expectOrreryError(await failure(() => s.orrery.sendMessage('user:ann-j', { name: 'notice', data: {} } as never)), 'ORRERY_INVALID_MESSAGE', 'does not match its schema');
    // Nothing reached ann: her first message is the next valid one.
    expect(await s.orrery.sendMessage('user:ann-j', { name: 'notice', data: { text: 'valid' } })).toBe(true);
    expect(await ann.inbox.next()).toEqual({ name: 'notice', data: { text: 'valid' } });
    leaveChat(ann);
  });

  it('throws ORRERY_INVALID_NAME for a bad group without joining anything', async () => {
    expectOrreryError(await failure(() => s.orrery.subscribe('')), 'ORRERY_INVALID_NAME', 'must not be empty');
    expectOrreryError(await failure(() => s.orrery.subscribe('x'.repeat(257))), 'ORRERY_INVALID_NAME', 'the limit is 256 UTF-8 bytes');
    expect(s.orrery.activeSubscriptions).toBe(0);
    expect(s.memberships()).toBe(0);
  });

  it('yields tRPC tracked envelopes with track()', async () => {
    const sub = s.orrery.subscribe('room:k', { track: (m) => (m.name === 'said' ? `${m.data.text}@${m.data.at}` : 'notice') });
    await sub.ready;
    await s.orrery.publish('room:k', said('tracked'));
    const { value } = await sub.next();
    expect(isTrackedEnvelope(value)).toBe(true);
    expect([value![0], value![1]]).toEqual(['tracked@1', said('tracked')]);
    sub.close();
  });

  it('closeSubscriptions() ends every subscription with ORRERY_SERVER_CLOSED and refuses new ones', async () => {
    const subs = [s.orrery.subscribe('room:l'), s.orrery.subscribe('room:m')];
    await Promise.all(subs.map((sub) => sub.ready));
    const pending = subs[0]!.next();
    s.orrery.closeSubscriptions();
    expect(s.orrery.activeSubscriptions).toBe(0);
    expect(s.memberships()).toBe(0);
    expectOrreryError(await failure(() => pending), 'ORRERY_SERVER_CLOSED', 'shutting down');
    expectOrreryError(await failure(() => subs[1]!.next()), 'ORRERY_SERVER_CLOSED', 'shutting down');
    expectOrreryError(await failure(() => s.orrery.subscribe('room:l')), 'ORRERY_SERVER_CLOSED', 'subscribe on another node');
    expect(await s.orrery.publish('room:l', said('publishing still works'))).toBe(0);
  });

  it('works over a bare backend namespace, as a tRPC-only process would use it', async () => {
    const ann = await joinChat(s.chatUrl, 'n', 'ann-n');
    const namespace = s.server.registryBackend.namespace('/chat');
    const orrery = orreryTrpc({ protocol: chat, registry: () => namespace });
    expect(await orrery.publish('room:n', said('via the namespace'))).toBe(1);
    expect(await ann.inbox.next()).toEqual(said('via the namespace'));
    const sub = orrery.subscribe('room:n');
    await sub.ready;
    ann.client.send('say', { text: 'back' });
    expect(await sub.next()).toEqual({ done: false, value: { name: 'said', data: { from: 'ann-n', text: 'back', at: expect.any(Number) } } });
    sub.close();
    expect(await orrery.publish('room:n', said('ann only'))).toBe(1);
    leaveChat(ann);
  });
});

describe('subscription edge cases', () => {
  it('reports a failed join through ready and next()', async () => {
    const backend = memoryRegistry();
    const orrery = orreryTrpc({ protocol: chat, registry: backend.namespace('/chat') });
    await backend.close();
    const sub = orrery.subscribe('room:x');
    expectOrreryError(await failure(() => sub.ready), 'ORRERY_REGISTRY_CLOSED', 'the registry is closed');
    expectOrreryError(await failure(() => sub.next()), 'ORRERY_REGISTRY_CLOSED', 'the registry is closed');
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    expect(orrery.activeSubscriptions).toBe(0);
  });

  it('rejects a second concurrent next() and bad options', async () => {
    const orrery = orreryTrpc({ protocol: chat, registry: memoryRegistry().namespace('/chat') });
    const sub = orrery.subscribe('room:y');
    const first = sub.next();
    expectOrreryError(await failure(() => sub.next()), 'ORRERY_INVALID_OPTIONS', 'while another next() was pending');
    sub.close();
    expect(await first).toEqual({ done: true, value: undefined });
    expectOrreryError(await failure(() => orrery.subscribe('room:y', { maxBuffered: 0 })), 'ORRERY_INVALID_OPTIONS', 'maxBuffered must be a positive integer');
    expectOrreryError(await failure(() => orrery.subscribe('room:y', { backlogBytes: 5 as never })), 'ORRERY_INVALID_OPTIONS', 'backlogBytes must be a function');
    expectOrreryError(await failure(() => orreryTrpc({ protocol: chat, registry: {} as never })), 'ORRERY_INVALID_OPTIONS', 'registry must be server.registry(route)');
    expectOrreryError(await failure(() => orreryTrpc({ protocol: {} as never, registry: memoryRegistry().namespace('x') })), 'ORRERY_INVALID_OPTIONS', 'defineProtocol');
    expect(orrery.activeSubscriptions).toBe(0);
  });

  it('checks only names with validate: false', async () => {
    const namespace = memoryRegistry().namespace('/chat');
    const orrery = orreryTrpc({ protocol: chat, registry: namespace, subscriptions: { validate: false } });
    const sub = orrery.subscribe('room:z');
    await namespace.publish('room:z', { name: 'said', data: { unchecked: true } });
    expect(await sub.next()).toEqual({ done: false, value: { name: 'said', data: { unchecked: true } } });
    await namespace.publish('room:z', { name: 'shout' });
    expectOrreryError(await failure(() => sub.next()), 'ORRERY_INVALID_MESSAGE', 'server message "shout"');
  });
});
