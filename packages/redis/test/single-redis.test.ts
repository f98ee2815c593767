/**
 * One Redis, in-process: faults (Redis gone, hung, restarted empty), garbage on our channels,
 * unawaited failing calls, the bounds that keep a node from buffering, ordering across
 * nodes, and subscriptions that follow local membership.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOrreryError, type OrreryErrorCode } from '@orrery/server';
import { RecordingMember } from '@orrery/server/testing';
import { redisRegistry, type RedisRegistry, type RedisRegistryOptions } from '@orrery/redis';
import { eventually, MemoryLogger, sleep } from './support/helpers.js';
import { startRedis, type RedisProcess } from './support/redis-servers.js';

let redis: RedisProcess;
let nodes: RedisRegistry[] = [];
let probes: Redis[] = [];

beforeEach(async () => { redis = await startRedis(); });
afterEach(async () => {
  redis.resume();
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  for (const p of probes.splice(0)) p.disconnect();
  await redis.stop();
});

async function node(options: RedisRegistryOptions = {}): Promise<RedisRegistry> {
  const n = redisRegistry({ redis: redis.url, leaseMs: 5_000, heartbeatMs: 500, commandTimeoutMs: 500, logger: new MemoryLogger(), ...options });
  nodes.push(n);
  await n.ready();
  return n;
}

/** A plain client to look at (or scribble on) the test's Redis. */
function probe(): Redis {
  const p = new Redis(redis.url);
  probes.push(p);
  return p;
}

async function rejectsWith(promise: Promise<unknown>, code: OrreryErrorCode): Promise<void> {
  await expect(promise).rejects.toSatisfy((err: unknown) => isOrreryError(err, code));
}

let seq = 0;
const member = (label: string): RecordingMember => new RecordingMember(`faults-${++seq}-${label}`);

describe('Redis unreachable, then restarted with every key lost', () => {
  it('keeps local delivery, fails cluster calls fast, and heals by itself', async () => {
    const A = await node();
    const B = await node();
    const ra = A.namespace('chat');
    const rb = B.namespace('chat');
    const a = member('a');
    const b = member('b');
    expect(await ra.register('alice', a)).toBe('ok');
    await ra.join('room', a);
    await rb.join('room', b);

    await redis.kill();
    await eventually(() => A.status === 'unavailable' && B.status === 'unavailable', 'both nodes to notice');
    // Local: delivered without Redis.
    expect(await ra.sendMessage('alice', 'local-direct')).toBe(true);
    await rejectsWith(ra.publish('room', 'local-publish'), 'ORRERY_REGISTRY_UNAVAILABLE');
    expect(a.received).toEqual(['local-direct', 'local-publish']);
    // Cluster: typed errors, nothing left behind.
    await rejectsWith(rb.register('bob', b), 'ORRERY_REGISTRY_UNAVAILABLE');
    await rejectsWith(rb.sendMessage('alice', 'x'), 'ORRERY_REGISTRY_UNAVAILABLE');
    await rejectsWith(rb.join('other', b), 'ORRERY_REGISTRY_UNAVAILABLE');
    expect(rb.localSize()).toEqual({ names: 0, groups: 1, memberships: 1 });
    // Giving up works locally and is mirrored later.
    expect(await rb.leave('room', b)).toBe('ok');

    await redis.start();
    await eventually(() => A.status === 'ready' && B.status === 'ready', 'both nodes to re-assert', 10_000);
    expect(await rb.register('alice', b)).toBe('taken');
    expect(await rb.sendMessage('alice', 'after-restart')).toBe(true);
    expect(await rb.publish('room', 'room-after-restart')).toBe(1);
    await a.waitFor(4, 2_000);
    expect(a.received.slice(2)).toEqual(['after-restart', 'room-after-restart']);
    expect(b.received).toEqual([]);
  }, 20_000);

  it('closing while Redis is down neither hangs nor throws', async () => {
    const A = await node();
    await A.namespace('chat').register('alice', member('a'));
    await redis.kill();
    await A.close();
    expect(A.status).toBe('closed');
    await rejectsWith(A.namespace('chat').publish('room', 1), 'ORRERY_REGISTRY_CLOSED');
  });
});

describe('bounds', () => {
  it('a hung Redis (SIGSTOP): calls reject after commandTimeoutMs instead of waiting', async () => {
    const A = await node({ commandTimeoutMs: 200 });
    const ra = A.namespace('chat');
    redis.pause();
    await rejectsWith(ra.register('alice', member('a')), 'ORRERY_REGISTRY_UNAVAILABLE');
    await rejectsWith(ra.publish('room', 'x'), 'ORRERY_REGISTRY_UNAVAILABLE');
    expect(ra.localSize().names).toBe(0);
    redis.resume();
    await eventually(async () => (await ra.register('alice', member('a2')).catch(() => 'failed')) === 'ok', 'Redis to answer again');
  });

  it('more than maxInFlight calls at once: the excess fails at once', async () => {
    const A = await node({ maxInFlight: 2 });
    const ra = A.namespace('chat');
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => ra.publish('room', n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    const reason = (results[2] as PromiseRejectedResult).reason as Error;
    expect(isOrreryError(reason, 'ORRERY_REGISTRY_UNAVAILABLE')).toBe(true);
    expect(reason.message).toContain('maxInFlight');
  });
});

describe('bad input from Redis and from callers', () => {
  it('garbage published on the registry channels is logged and dropped', async () => {
    const logger = new MemoryLogger();
    const A = await node({ logger });
    const ra = A.namespace('chat');
    const a = member('a');
    await ra.join('room', a);
    await ra.register('alice', a);
    const p = probe();
    const [groupChannel] = (await p.call('PUBSUB', 'SHARDCHANNELS', '*:c:*')) as string[];
    const inboxes = (await p.call('PUBSUB', 'SHARDCHANNELS', `*:i:${A.nodeId}`)) as string[];
    expect(groupChannel).toMatch(/^\{orrery:\d+\}:c:4:chat:room$/);
    expect(inboxes).toHaveLength(64);
    const garbage = ['not json', '{"a":1}', '["g"]', '["g", 42, "x"]', '["d", "chat", "alice", "x"]', '', '\u0000\uffff'];
    for (const g of garbage) await p.spublish(groupChannel!, g);
    for (const ch of inboxes) await p.spublish(ch, '["d", "chat"]');
    await p.spublish(inboxes[0]!, '["g", "someone", "x"]');
    const B = await node();
    expect(await B.namespace('chat').publish('room', 'valid')).toBe(1);
    expect(await B.namespace('chat').sendMessage('alice', 'valid-direct')).toBe(true);
    await a.waitFor(2, 2_000);
    expect(a.received).toEqual(['valid', 'valid-direct']);
    const dropped = logger.lines.filter((l) => l.message.includes('cannot decode'));
    expect(dropped.length).toBe(garbage.length + inboxes.length + 1);
    expect(dropped[0]!.level).toBe('warn');
    expect(dropped[0]!.fields).toMatchObject({ channel: groupChannel, start: 'not json' });
  });

  it('an unawaited call that fails is logged, never an unhandled rejection', async () => {
    const logger = new MemoryLogger();
    const A = await node({ logger });
    const ra = A.namespace('chat');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    try {
      await redis.kill();
      await eventually(() => A.status === 'unavailable', 'the node to notice');
      void ra.publish('room', 'fire-and-forget');
      void ra.register('someone', member('x'));
      void ra.sendMessage('nobody-here', 'x');
      await sleep(100);
      expect(unhandled).toEqual([]);
      for (const op of ['publish', 'register', 'sendMessage']) {
        expect(logger.find(`registry ${op} failed`).map((l) => l.level)).toEqual(['warn']);
      }
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a member whose deliver() throws is logged; the others still receive', async () => {
    const logger = new MemoryLogger();
    const A = await node({ logger });
    const ra = A.namespace('chat');
    const bad = { id: 'throws', deliver: (): void => { throw new Error('boom'); } };
    const good = member('good');
    await ra.join('room', bad);
    await ra.join('room', good);
    expect(await ra.publish('room', 'hi')).toBe(2);
    expect(good.received).toEqual(['hi']);
    expect(logger.find('threw from deliver')[0]?.fields).toMatchObject({ member: 'throws' });
  });

  it('bad options are refused at construction with ORRERY_INVALID_OPTIONS', () => {
    const bad: RedisRegistryOptions[] = [
      { redis: 'redis://x', cluster: [{ host: 'x', port: 1 }] },
      { cluster: [] },
      { nodeId: 'has space' },
      { nodeId: '' },
      { prefix: 'bad{tag}' },
      { leaseMs: 0 },
      { leaseMs: 1_000, heartbeatMs: 600 },
      { commandTimeoutMs: 1.5 },
      { buckets: 0 },
      { maxInFlight: -1 },
    ];
    for (const options of bad) {
      expect(() => redisRegistry(options), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'ORRERY_INVALID_OPTIONS' }));
    }
  });

  it('nodes with another bucket count under the same prefix refuse to run', async () => {
    await node({ buckets: 64 });
    const logger = new MemoryLogger();
    const other = redisRegistry({ redis: redis.url, buckets: 32, logger });
    nodes.push(other);
    await expect(other.ready()).rejects.toSatisfy((err: unknown) => isOrreryError(err, 'ORRERY_INVALID_OPTIONS'));
    expect(other.status).toBe('failed');
    await expect(other.namespace('chat').publish('room', 1)).rejects.toSatisfy((err: unknown) => isOrreryError(err, 'ORRERY_INVALID_OPTIONS'));
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });
});

describe('ordering across nodes', () => {
  it('publishes in flight together arrive in order on every other node (FIFO per publisher)', async () => {
    // A generous timeout: this is about order, and a loaded CI machine may be slow.
    const A = await node({ commandTimeoutMs: 10_000 });
    const B = await node({ commandTimeoutMs: 10_000 });
    const C = await node({ commandTimeoutMs: 10_000 });
    const onA = member('a');
    const onC = member('c');
    await A.namespace('chat').join('seq', onA);
    await C.namespace('chat').join('seq', onC);
    const rb = B.namespace('chat');
    const counts = await Promise.all(Array.from({ length: 2_000 }, (_, i) => rb.publish('seq', i)));
    expect(new Set(counts)).toEqual(new Set([2]));
    for (const m of [onA, onC]) {
      await m.waitFor(2_000, 5_000);
      expect(m.received).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    }
  });

  it('register then removeMember in one tick leaves the name free cluster-wide', async () => {
    const A = await node();
    const B = await node();
    const ra = A.namespace('chat');
    const a = member('a');
    const registered = ra.register('fleeting', a);
    ra.removeMember(a);
    expect(await registered).toBe('ok');
    await eventually(async () => (await B.namespace('chat').register('fleeting', member('b'))) === 'ok', 'the name to be free');
  });
});

describe('subscriptions follow local membership', () => {
  it('a node is subscribed to a group channel only while it has local members', async () => {
    const A = await node();
    const ra = A.namespace('chat');
    const p = probe();
    const subscribers = async (): Promise<number> => {
      const channels = (await p.call('PUBSUB', 'SHARDCHANNELS', '*:c:*')) as string[];
      return channels.length;
    };
    const a = member('a');
    const b = member('b');
    expect(await subscribers()).toBe(0);
    await ra.join('room', a);
    await ra.join('room', b);
    expect(await subscribers()).toBe(1);
    await ra.leave('room', a);
    expect(await subscribers()).toBe(1);
    ra.removeMember(b);
    await eventually(async () => (await subscribers()) === 0, 'the unsubscribe');
    // Publishing to a group does not subscribe the publisher.
    expect(await ra.publish('room', 'x')).toBe(0);
    expect(await subscribers()).toBe(0);
  });
});
