/**
 * Presence across three server processes on one Redis, driven by real websocket clients:
 * members by key over nodes, a node killed with SIGKILL, a Redis restart that lost every key,
 * and the number of Redis connections per node.
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PresenceMirror, PresenceRecorder } from '@orrery/server/testing';
import { eventually } from './support/helpers.js';
import { startNodeProcess, type NodeProcess, type NodeProcessOptions } from './support/node-processes.js';
import { Peer } from './support/peer.js';
import { startRedis, type RedisProcess } from './support/redis-servers.js';

const LEASE_MS = 2_000;
const FIXTURE = fileURLToPath(new URL('./fixtures/presence-node-server.ts', import.meta.url));
let redis: RedisProcess;
let probe: Redis;
let nodes: NodeProcess[] = [];
let peers: Peer[] = [];

const start = (options: NodeProcessOptions = {}): Promise<NodeProcess> =>
  startNodeProcess({ redis: redis.url, leaseMs: LEASE_MS, fixture: FIXTURE, env: { ORRERY_TEST_DIFF_MS: '50' }, ...options });

beforeAll(async () => {
  redis = await startRedis();
  probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  nodes = await Promise.all([1, 2, 3].map(() => start()));
}, 30_000);

afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

afterAll(async () => {
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

/** A subscribed peer's view of a group, rebuilt from the presence messages it received. */
async function watcher(node: NodeProcess, group: string): Promise<{ peer: Peer; view: () => PresenceMirror }> {
  const p = await peer(node, `watcher@${node.nodeId}`);
  expect(await p.call('subscribe', { group })).toBe('ok');
  const recorder = new PresenceRecorder(p.label);
  const mirror = new PresenceMirror(recorder, group);
  return {
    peer: p,
    view: () => {
      const all = p.messages();
      for (let i = recorder.messages.length; i < all.length; i++) recorder.deliver(all[i]);
      mirror.sync();
      return mirror;
    },
  };
}

const tabsOf = (mirror: PresenceMirror, key: string): number => mirror.sync().get(key)?.length ?? 0;
const memberEvents = (mirror: PresenceMirror): string[] => mirror.events.filter((e) => !e.startsWith('update'));

let round = 0;

describe('presence across three server processes on one Redis', () => {
  it('joins and leaves by key over several nodes; list and count agree on every node', async () => {
    const group = `room-${++round}`;
    const watch = await watcher(nodes[2]!, group);
    const ada1 = await peer(nodes[0]!, 'ada@1');
    const ada2 = await peer(nodes[1]!, 'ada@2');
    const bob = await peer(nodes[1]!, 'bob@2');
    expect(await ada1.call('track', { group, key: 'ada', meta: { tab: 1 } })).toBe('ok');
    expect(await ada2.call('track', { group, key: 'ada', meta: { tab: 2 } })).toBe('ok');
    expect(await bob.call('track', { group, key: 'bob' })).toBe('ok');
    for (const [i, node] of nodes.entries()) {
      const asker = await peer(node, `asker@${i + 1}`);
      expect(await asker.call('count', { group })).toBe(2);
      const list = (await asker.call('list', { group })) as { key: string; metas: { meta: unknown }[] }[];
      expect(list.map((m) => [m.key, m.metas.map((e) => e.meta).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))]).sort())
        .toEqual([['ada', [{ tab: 1 }, { tab: 2 }]], ['bob', [null]]]);
    }
    await eventually(() => tabsOf(watch.view(), 'ada') === 2 && tabsOf(watch.view(), 'bob') === 1, 'the watcher to see ada (2 tabs) and bob');
    expect([...memberEvents(watch.view())].sort()).toEqual(['join ada', 'join bob']);
    ada1.close();
    await eventually(() => tabsOf(watch.view(), 'ada') === 1, 'one tab of ada to go');
    expect(memberEvents(watch.view())).not.toContain('leave ada');
    ada2.close();
    await eventually(() => memberEvents(watch.view()).includes('leave ada'), 'ada to leave with her last tab');
    expect(await bob.call('count', { group })).toBe(1);
  });

  it('SIGKILL of a node: its members leave within the lease, and subscribers on other nodes see them go', async () => {
    const group = `vigil-${++round}`;
    const doomed = await start();
    try {
      const watch = await watcher(nodes[1]!, group);
      const carolThere = await Peer.connect(doomed.url, 'carol@doomed');
      const daveThere = await Peer.connect(doomed.url, 'dave@doomed');
      const carolHere = await peer(nodes[0]!, 'carol@1');
      expect(await carolThere.call('track', { group, key: 'carol', meta: 'doomed' })).toBe('ok');
      expect(await daveThere.call('track', { group, key: 'dave' })).toBe('ok');
      expect(await carolHere.call('track', { group, key: 'carol', meta: 'safe' })).toBe('ok');
      await eventually(() => tabsOf(watch.view(), 'carol') === 2 && tabsOf(watch.view(), 'dave') === 1, 'the watcher to see carol (2) and dave');
      await doomed.kill('SIGKILL');
      // The lease, one heartbeat for the sweep, and a little slack for a loaded machine.
      await eventually(() => !watch.view().sync().has('dave') && tabsOf(watch.view(), 'carol') === 1,
        'the dead node\'s members to leave', LEASE_MS + LEASE_MS / 3 + 1_500);
      expect(memberEvents(watch.view())).toContain('leave dave');
      expect(memberEvents(watch.view())).not.toContain('leave carol');
      const asker = await peer(nodes[2]!, 'asker@3');
      expect(await asker.call('count', { group })).toBe(1);
      expect(await asker.call('list', { group })).toEqual([{ key: 'carol', metas: [{ id: expect.any(String), meta: 'safe' }] }]);
    } finally {
      await doomed.kill('SIGKILL');
    }
  });

  it('a Redis restart that lost every key heals by itself: list, count and subscribers come back', async () => {
    const group = `phoenix-${++round}`;
    const watch = await watcher(nodes[0]!, group);
    const members = await Promise.all(nodes.map((n, i) => peer(n, `member@${i + 1}`)));
    for (const [i, m] of members.entries()) expect(await m.call('track', { group, key: `user-${i}`, meta: { node: i } })).toBe('ok');
    await eventually(() => watch.view().keys().length === 3, 'the watcher to see all three');
    await redis.restart(); // nothing persisted: every key is gone
    for (const m of members) {
      await eventually(async () => (await m.call('count', { group }).catch(() => -1)) === 3, `${m.label} to count all three again`, 10_000);
    }
    const late = await peer(nodes[1]!, 'late@2');
    expect(await late.call('track', { group, key: 'late' })).toBe('ok');
    await eventually(() => watch.view().keys().join() === 'late,user-0,user-1,user-2', 'the watcher to follow again');
    expect(await members[2]!.call('list', { group }).then((l) => (l as unknown[]).length)).toBe(4);
  }, 30_000);

  it('the Redis connections of a node stay constant while presence grows', async () => {
    const node = nodes[1]!;
    const count = async (): Promise<number> =>
      String(await probe.client('LIST')).split('\n').filter((line) => line.includes(` name=orrery:${node.nodeId}:`)).length;
    expect(await count()).toBe(2);
    const group = `many-${++round}`;
    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => peer(node, `many-${i}`)));
    await Promise.all(many.map(async (p, i) => {
      await p.call('track', { group: `${group}-${i % 5}`, key: `k${i}` });
      await p.call('subscribe', { group: `${group}-${i % 5}` });
    }));
    expect(await count()).toBe(2);
  });
});
