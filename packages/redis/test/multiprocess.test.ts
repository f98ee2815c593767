/**
 * Three server processes (createWebsocketServer + redisRegistry) on one Redis, driven by real
 * websocket clients: the registry across processes, a crashed node, a Redis restart, and the
 * number of Redis connections per node.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/helpers.js';
import { startNodeProcess, type NodeProcess } from './support/node-processes.js';
import { Peer } from './support/peer.js';
import { startRedis, type RedisProcess } from './support/redis-servers.js';

const LEASE_MS = 2_000;
let redis: RedisProcess;
let probe: Redis;
let nodes: NodeProcess[] = [];
let peers: Peer[] = [];

beforeAll(async () => {
  redis = await startRedis();
  probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  nodes = await Promise.all([1, 2, 3].map(() => startNodeProcess({ redis: redis.url, leaseMs: LEASE_MS })));
}, 30_000);

afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

afterAll(async () => {
  // SHOW_NODE_LOGS=1 prints what the server processes logged (for debugging a failure).
  if (process.env.SHOW_NODE_LOGS !== undefined) for (const n of nodes) console.log(n.nodeId, n.stderr());
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  probe?.disconnect();
  await redis?.stop();
});

async function peer(node: NodeProcess, label: string): Promise<Peer> {
  const p = await Peer.connect(node.url, label);
  peers.push(p);
  return p;
}

/** Redis connections whose client name belongs to `nodeId` (CLIENT LIST, as Redis sees them). */
async function redisConnectionsOf(nodeId: string): Promise<number> {
  const list = String(await probe.client('LIST'));
  return list.split('\n').filter((line) => line.includes(` name=orrery:${nodeId}:`)).length;
}

let round = 0;

describe('three server processes on one Redis', () => {
  it('publish from any node reaches the members on every node', async () => {
    const group = `room-${++round}`;
    const members = await Promise.all(nodes.map((n, i) => peer(n, `member@${i + 1}`)));
    for (const m of members) expect(await m.join(group)).toBe('ok');
    for (const [i, m] of members.entries()) expect(await m.publish(group, { from: i + 1 })).toBe(3);
    for (const m of members) {
      const got = await m.waitMessages(3);
      expect(got).toEqual([{ from: 1 }, { from: 2 }, { from: 3 }]);
    }
  });

  it('sendMessage reaches a name held on another node; an unknown name is false', async () => {
    const name = `alice-${++round}`;
    const alice = await peer(nodes[0]!, 'alice@1');
    const sender = await peer(nodes[2]!, 'sender@3');
    expect(await alice.register(name)).toBe('ok');
    expect(await sender.send(name, 'hello from node 3')).toBe(true);
    expect(await sender.send(`nobody-${round}`, 'x')).toBe(false);
    expect(await alice.waitMessages(1)).toEqual(['hello from node 3']);
    expect(sender.messages()).toEqual([]);
  });

  it('a name taken on node A is taken on node B, and free once its holder disconnects', async () => {
    const name = `unique-${++round}`;
    const onA = await peer(nodes[0]!, 'holder@1');
    const onB = await peer(nodes[1]!, 'contender@2');
    expect(await onA.register(name)).toBe('ok');
    expect(await onB.register(name)).toBe('taken');
    onA.close();
    await eventually(async () => (await onB.register(name)) === 'ok', 'the name to be freed when its holder closed');
    expect(await onB.send(name, 'mine now')).toBe(true);
    expect(await onB.waitMessages(1)).toEqual(['mine now']);
  });

  it('the Redis connections of a node stay constant as its clients, names and groups grow', async () => {
    const node = nodes[1]!;
    const before = await redisConnectionsOf(node.nodeId);
    expect(before).toBe(2);
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => peer(node, `many-${i}`)));
    await Promise.all(many.map(async (p, i) => {
      await p.register(`many-${round}-${i}`);
      for (let g = 0; g < 5; g++) await p.join(`grow-${round}-${i}-${g}`);
    }));
    expect(await redisConnectionsOf(node.nodeId)).toBe(before);
    // Every group is live: a publish from another node reaches one of them.
    const other = await peer(nodes[0]!, 'publisher@1');
    expect(await other.publish(`grow-${round}-39-4`, 'ping')).toBe(1);
    expect(await many[39]!.waitMessages(1)).toEqual(['ping']);
    expect(await redisConnectionsOf(node.nodeId)).toBe(before);
  });

  it('SIGKILL of a node frees its names within the lease; the other nodes keep working', async () => {
    const name = `victim-${++round}`;
    const group = `vigil-${round}`;
    const doomed = await startNodeProcess({ redis: redis.url, leaseMs: LEASE_MS });
    const onDoomed = await Peer.connect(doomed.url, 'victim@4');
    const watcher = await peer(nodes[0]!, 'watcher@1');
    expect(await onDoomed.register(name)).toBe('ok');
    expect(await onDoomed.join(group)).toBe('ok');
    expect(await watcher.join(group)).toBe('ok');
    expect(await watcher.publish(group, 'before')).toBe(2);
    await doomed.kill('SIGKILL');
    // The lease is still running: the dead node's name is held for now.
    expect(await watcher.register(name)).toBe('taken');
    // Free within the lease (plus the polling interval and a round trip).
    await eventually(async () => (await watcher.register(name)) === 'ok', 'the dead node\'s name to be freed', LEASE_MS + 500);
    expect(await watcher.publish(group, 'after')).toBe(1);
    expect(await watcher.send(name, 'to the new holder')).toBe(true);
    expect(await watcher.waitMessages(3)).toEqual(['before', 'after', 'to the new holder']);
  });

  it('a node stalled past its lease (SIGSTOP) wakes up, finds its name taken, and gives it up', async () => {
    const name = `stalled-${++round}`;
    const sleeper = await startNodeProcess({ redis: redis.url, leaseMs: LEASE_MS });
    try {
      const onSleeper = await peer(sleeper, 'sleeper@4');
      const rival = await peer(nodes[0]!, 'rival@1');
      expect(await onSleeper.register(name)).toBe('ok');
      process.kill(sleeper.pid, 'SIGSTOP');
      await eventually(async () => (await rival.register(name)) === 'ok', 'the stalled node\'s lease to lapse', LEASE_MS + 500);
      process.kill(sleeper.pid, 'SIGCONT');
      // Once its heartbeat has synced, the sleeper no longer delivers to itself: the name is the rival's.
      let n = 0;
      await eventually(async () => {
        await onSleeper.send(name, `probe-${++n}`);
        return rival.messages().length > 0;
      }, 'sendMessage on the woken node to reach the new holder', 5_000);
      expect(await onSleeper.register(name)).toBe('taken');
      expect(sleeper.stderr()).toContain('registry name lost');
    } finally {
      await sleeper.kill('SIGKILL');
    }
  });

  it('a Redis restart that lost every key heals by itself: names and groups work again', async () => {
    const name = `survivor-${++round}`;
    const group = `phoenix-${round}`;
    const members = await Promise.all(nodes.map((n, i) => peer(n, `phoenix@${i + 1}`)));
    expect(await members[0]!.register(name)).toBe('ok');
    for (const m of members) await m.join(group);
    await redis.restart(); // nothing is persisted: every key is gone
    // No manual step: poll with calls that change nothing until every node is back.
    await eventually(async () => (await members[2]!.send(name, 'probe').catch(() => false)) === true, 'the name to be re-asserted', 10_000);
    await eventually(async () => (await members[1]!.publish(group, 'probe').catch(() => 0)) === 3, 'all three memberships to be re-asserted', 10_000);
    expect(await members[1]!.register(name)).toBe('taken');
    expect(await members[2]!.publish(group, 'final')).toBe(3);
    for (const m of members) {
      await eventually(() => m.messages().includes('final'), `${m.label} to receive the publish after the restart`);
    }
    expect(await members[1]!.send(name, 'direct-final')).toBe(true);
    await eventually(() => members[0]!.messages().includes('direct-final'), 'the direct message after the restart');
  }, 30_000);
});
