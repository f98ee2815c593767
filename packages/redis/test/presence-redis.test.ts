/**
 * Presence on one Redis, in-process nodes: what it leaves in Redis, which nodes hear a
 * group's changes, a Redis that stops answering, and garbage on a presence channel.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOrreryError } from '@orrery/server';
import type { Presence, PresenceView } from '@orrery/server/presence';
import { PresenceMirror, PresenceRecorder } from '@orrery/server/testing';
import { redisPresence, redisRegistry, type RedisRegistryOptions } from '@orrery/redis';
import { eventually, MemoryLogger } from './support/helpers.js';
import { startRedis, type RedisProcess } from './support/redis-servers.js';

let redis: RedisProcess;
let probe: Redis;
let presences: Presence[] = [];
let seq = 0;
const NS = 'chat';

beforeEach(async () => {
  redis = await startRedis();
  probe = new Redis(redis.url);
});
afterEach(async () => {
  redis.resume();
  await Promise.all(presences.splice(0).map((p) => p.registry.close()));
  probe.disconnect();
  await redis.stop();
});

async function node(options: RedisRegistryOptions = {}): Promise<{ view: PresenceView; presence: Presence; logger: MemoryLogger }> {
  const logger = new MemoryLogger();
  const registry = redisRegistry({ redis: redis.url, leaseMs: 3_000, heartbeatMs: 300, commandTimeoutMs: 300, logger, ...options });
  await registry.ready();
  const presence = redisPresence(registry, { diffIntervalMs: 20 });
  presences.push(presence);
  presence.registry.namespace(NS);
  return { view: presence.of(NS), presence, logger };
}

const member = (label: string): PresenceRecorder => new PresenceRecorder(`r${++seq}.${label}`);
/** Every presence key in Redis (not the per-node marks), by type: `pn`, `pk`, `pm`, `pg`. */
async function presenceKeys(): Promise<string[]> {
  const keys = await probe.keys('{orrery:*}:p[nkmg]:*');
  return keys.sort();
}

describe('presence on Redis', () => {
  it('leaves nothing behind: a group without members has no keys, a closed node no marks', async () => {
    const A = await node();
    const B = await node();
    const a = member('a');
    const b = member('b');
    await A.view.track(a, 'room', 'ada', { x: 1 });
    await B.view.track(b, 'room', 'bob');
    expect((await presenceKeys()).length).toBeGreaterThan(0);
    A.presence.registry.namespace(NS).removeMember(a);
    expect(await B.view.untrack(b, 'room')).toBe('ok');
    await eventually(async () => (await presenceKeys()).length === 0, 'the group\'s keys to go');
    expect(await probe.keys('{orrery:*}:pmark')).not.toEqual([]);
    await Promise.all(presences.splice(0).map((p) => p.registry.close()));
    expect(await probe.keys('{orrery:*}:pmark')).toEqual([]);
    expect(await presenceKeys()).toEqual([]);
  });

  it('only nodes with subscribers in a group hear its changes', async () => {
    const A = await node();
    const B = await node();
    const shardSubscribers = async (): Promise<number> => {
      const channels = (await probe.call('PUBSUB', 'SHARDCHANNELS', '*pc:*')) as string[];
      if (channels.length === 0) return 0;
      const counts = (await probe.call('PUBSUB', 'SHARDNUMSUB', ...channels)) as (string | number)[];
      return counts.filter((_, i) => i % 2 === 1).reduce((n: number, c) => n + Number(c), 0);
    };
    await A.view.track(member('a'), 'room', 'ada');
    expect(await shardSubscribers()).toBe(0);
    const watcher = member('watcher');
    await B.view.subscribe(watcher, 'room');
    expect(await shardSubscribers()).toBe(1);
    await B.view.unsubscribe(watcher, 'room');
    await eventually(async () => (await shardSubscribers()) === 0, 'the unsubscribe');
  });

  it('Redis not answering: track fails fast and leaves nothing; untrack works locally; Redis is repaired afterwards', async () => {
    const A = await node();
    const B = await node();
    const [x, y, z] = [member('x'), member('y'), member('z')];
    await A.view.track(x, 'room', 'x');
    await A.view.track(y, 'room', 'y');
    redis.pause();
    expect(await A.view.untrack(x, 'room')).toBe('ok');
    await expect(A.view.track(z, 'room', 'z')).rejects.toSatisfy((err: unknown) => isOrreryError(err, 'ORRERY_REGISTRY_UNAVAILABLE'));
    expect(A.view.localSize().tracked).toBe(1);
    await expect(B.view.count('room')).rejects.toSatisfy((err: unknown) => isOrreryError(err, 'ORRERY_REGISTRY_UNAVAILABLE'));
    redis.resume();
    // z's write may still run late on Redis; A's next sync takes it back.
    await eventually(async () => JSON.stringify((await B.view.list('room')).map((m) => m.key)) === '["y"]', 'Redis to hold exactly what A holds', 5_000);
    expect(await B.view.count('room')).toBe(1);
  });

  it('garbage on a presence channel is logged and the group reloaded; subscribers keep a true list', async () => {
    const A = await node();
    const watcher = member('watcher');
    await A.view.subscribe(watcher, 'room');
    const mirror = new PresenceMirror(watcher, 'room');
    await A.view.track(member('a'), 'room', 'ada');
    await eventually(() => mirror.keys().join() === 'ada', 'ada');
    const [channel] = (await probe.call('PUBSUB', 'SHARDCHANNELS', '*pc:*')) as string[];
    await probe.call('SPUBLISH', channel!, 'not presence');
    await probe.call('SPUBLISH', channel!, JSON.stringify(['p', '1.0', 99, 'nobody', [['t', 'ghost', 'ghost', null]], 0]));
    await A.view.track(member('b'), 'room', 'bob');
    await eventually(() => mirror.keys().join() === 'ada,bob', 'bob, and no ghost');
    expect(A.logger.find('cannot decode').length).toBe(1);
  });
});
