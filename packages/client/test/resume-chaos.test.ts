/**
 * The chaos test of issue 7: a resumable route streams sequenced messages to several clients
 * through a TCP proxy that cuts connections at random moments (hundreds of cuts, some inside
 * a frame). Every client must end with every message exactly once, in order, and every
 * client → server message sent during the run must be processed exactly once.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startNodeProcess } from '../../redis/test/support/node-processes.js';
import { startRedis } from '../../redis/test/support/redis-servers.js';
import { onCleanup } from './fixtures/helpers.js';
import { startChaosProxy } from './support/chaos-proxy.js';
import { expectExactlyOnce, openObservers, runChaos } from './support/chaos-run.js';
import { startStreamServer, streamCall, type StreamLog } from './support/stream-server.js';

const STREAM_NODE = fileURLToPath(new URL('./support/stream-node.ts', import.meta.url));
const RESUME = { windowMs: 10_000, ackDelayMs: 20 };

describe('resume chaos', () => {
  it('one node: 8 clients, 300+ cuts — every tick and reply once and in order, every say processed once', async () => {
    const backend = await startStreamServer({ resume: RESUME });
    onCleanup(() => backend.close());
    const proxy = await startChaosProxy({ backends: [backend.port], minLifeMs: 10, maxLifeMs: 100 });
    onCleanup(() => proxy.close());
    const observers = await openObservers(proxy.port, 8);
    const ticks = await runChaos({ proxy, observers, cuts: 300, publish: (from, to) => streamCall(backend.port, `/publish?from=${from}&to=${to}`, 'POST') });
    await expectExactlyOnce(observers, ticks, async () => [await streamCall<StreamLog>(backend.port, '/log')]);
    expect(proxy.cuts.total).toBeGreaterThanOrEqual(300);
    expect(proxy.cuts.midFrame).toBeGreaterThan(0);
    const stats = backend.server.stats().routes[0]!;
    expect(stats.sessionsResumed).toBeGreaterThanOrEqual(proxy.cuts.total - observers.length * 2);
    expect(stats.resumeRefusals).toEqual({});
  }, 90_000);

  it('two nodes on Redis: every reconnect lands on the other node (relayed to the owner) — exactly once both ways', async () => {
    const redis = await startRedis();
    onCleanup(() => redis.stop());
    const env = { ORRERY_TEST_RESUME: JSON.stringify(RESUME) };
    const nodes = await Promise.all(['a', 'b'].map((id) => startNodeProcess({ redis: redis.url, leaseMs: 3_000, nodeId: `chaos-${id}`, fixture: STREAM_NODE, env })));
    onCleanup(() => Promise.all(nodes.map((node) => node.kill('SIGKILL'))));
    const proxy = await startChaosProxy({ backends: nodes.map((node) => node.port), minLifeMs: 10, maxLifeMs: 100 });
    onCleanup(() => proxy.close());
    const observers = await openObservers(proxy.port, 8);
    const ticks = await runChaos({ proxy, observers, cuts: 300, publish: (from, to) => streamCall(nodes[0]!.port, `/publish?from=${from}&to=${to}`, 'POST') });
    await expectExactlyOnce(observers, ticks, () => Promise.all(nodes.map((node) => streamCall<StreamLog>(node.port, '/log'))));
    expect(proxy.cuts.total).toBeGreaterThanOrEqual(300);
    expect([...proxy.accepted.values()].every((n) => n >= 150)).toBe(true);
    const stats = await Promise.all(nodes.map(async (node) => (await streamCall<{ routes: { sessionsResumed: number; resumeRefusals: object }[] }>(node.port, '/stats')).routes[0]!));
    expect(stats.map((s) => s.resumeRefusals)).toEqual([{}, {}]);
    expect(stats[0]!.sessionsResumed + stats[1]!.sessionsResumed).toBeGreaterThanOrEqual(proxy.cuts.total - observers.length * 2);
  }, 120_000);
});
