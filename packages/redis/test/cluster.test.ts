/**
 * Redis Cluster specifics, in-process on a 3-master cluster: sharded pub/sub (each group's
 * channel lives on one master), a constant number of connections per node, and a master
 * that restarts empty.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordingMember } from '@orrery/server/testing';
import { redisRegistry, type RedisRegistry } from '@orrery/redis';
import { eventually, MemoryLogger } from './support/helpers.js';
import { startRedisCluster, type RedisClusterProcess } from './support/redis-servers.js';

let cluster: RedisClusterProcess;
let masters: Redis[] = [];
let nodes: RedisRegistry[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  masters = cluster.servers.map((s) => new Redis(s.port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
}, 30_000);
afterEach(async () => { await Promise.all(nodes.splice(0).map((n) => n.close())); });
afterAll(async () => {
  for (const m of masters) m.disconnect();
  await cluster?.stop();
});

async function node(): Promise<RedisRegistry> {
  const n = redisRegistry({ cluster: cluster.nodes, leaseMs: 3_000, heartbeatMs: 500, commandTimeoutMs: 10_000, logger: new MemoryLogger() });
  nodes.push(n);
  await n.ready();
  return n;
}

/** Connections each master holds for `nodeId` (by client name). */
async function connectionsPerMaster(nodeId: string): Promise<number[]> {
  return Promise.all(masters.map(async (m) =>
    String(await m.client('LIST')).split('\n').filter((l) => l.includes(`orrery:${nodeId}`)).length));
}

/** The shard channels of groups each master holds subscriptions for. */
async function groupChannelsPerMaster(): Promise<string[][]> {
  return Promise.all(masters.map(async (m) => (await m.call('PUBSUB', 'SHARDCHANNELS', '*:c:*')) as string[]));
}

let seq = 0;
const member = (label: string): RecordingMember => new RecordingMember(`cluster-${++seq}-${label}`);

describe('Redis Cluster (3 masters)', () => {
  it('two connections per master per node, however many members and groups it has', async () => {
    const A = await node();
    const before = await connectionsPerMaster(A.nodeId);
    expect(before).toEqual([2, 2, 2]); // one command connection + one sharded subscriber, per master
    const ns = A.namespace('chat');
    for (let i = 0; i < 200; i++) {
      const m = member(`m${i}`);
      await ns.register(`user-${i}`, m);
      await ns.join(`group-${i % 50}`, m);
    }
    expect(await connectionsPerMaster(A.nodeId)).toEqual(before);
  });

  it('each group channel is subscribed on exactly the master that owns its slot', async () => {
    const A = await node();
    const B = await node();
    const groups = Array.from({ length: 30 }, (_, i) => `spread-${i}`);
    const members = groups.map((g) => member(g));
    for (const [i, g] of groups.entries()) await A.namespace('chat').join(g, members[i]!);
    const perMaster = await groupChannelsPerMaster();
    const all = perMaster.flat();
    expect(all).toHaveLength(groups.length);
    expect(new Set(all).size).toBe(groups.length);
    expect(perMaster.every((channels) => channels.length > 0)).toBe(true); // spread over every shard
    for (const [i, g] of groups.entries()) expect(await B.namespace('chat').publish(g, i)).toBe(1);
    for (const [i, m] of members.entries()) {
      await m.waitFor(1, 2_000);
      expect(m.received).toEqual([i]);
    }
  });

  it('publishes in flight together arrive in order on another node, for groups on every shard', async () => {
    const A = await node();
    const B = await node();
    const groups = ['fifo-a', 'fifo-b', 'fifo-c', 'fifo-d', 'fifo-e', 'fifo-f'];
    const members = groups.map((g) => member(g));
    for (const [i, g] of groups.entries()) await A.namespace('chat').join(g, members[i]!);
    expect((await groupChannelsPerMaster()).map((channels) => channels.length > 0)).toEqual([true, true, true]);
    const rb = B.namespace('chat');
    const sends: Promise<number>[] = [];
    for (let n = 0; n < 300; n++) for (const g of groups) sends.push(rb.publish(g, n));
    expect(new Set(await Promise.all(sends))).toEqual(new Set([1]));
    for (const m of members) {
      await m.waitFor(300, 5_000);
      expect(m.received).toEqual(Array.from({ length: 300 }, (_, n) => n));
    }
  });

  it('a master that restarts empty: the nodes re-assert what lived on it', async () => {
    const A = await node();
    const B = await node();
    const ra = A.namespace('chat');
    const rb = B.namespace('chat');
    const a = member('a');
    const names = Array.from({ length: 12 }, (_, i) => `held-${i}`);
    for (const n of names) expect(await ra.register(n, a)).toBe('ok');
    await ra.join('survivors', a);
    const onFirstMaster = (await masters[0]!.keys('*:n:4:chat:held-*')).length;
    expect(onFirstMaster).toBeGreaterThan(0);
    await cluster.servers[0]!.restart();
    // Nothing is persisted, so the restarted master lost its share of the keys; the next
    // heartbeat finds A's lease missing there and syncs those buckets.
    // Poll with calls that change nothing (a register could take a name not yet re-asserted).
    await eventually(async () => {
      const found = await Promise.all(names.map((n) => rb.sendMessage(n, n).catch(() => false)));
      return found.every((x) => x === true);
    }, 'every name to be reachable again', 10_000);
    for (const n of names) expect(await rb.register(n, member('b'))).toBe('taken');
    await eventually(async () => (await rb.publish('survivors', 'back').catch(() => 0)) === 1, 'the group to work again', 10_000);
    await eventually(() => a.received.includes('back'), 'the publish to arrive');
  }, 30_000);
});
