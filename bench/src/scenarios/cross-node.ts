/**
 * R1: node A publishes on a schedule → Redis → node B delivers to its websocket
 * subscribers; latency from the timestamp node A wrote when it published. Compared with a
 * raw ioredis PUBLISH → subscriber hop (HOP) measured in the same run, at the same rates.
 * In the full run B0 (raw ws behind a raw ioredis subscriber) shows the floor for a websocket
 * delivery after the hop: one socket write per subscriber per message.
 *
 * Placement: node B (the one delivering) on CPU0; node A, Redis and the load generator
 * share CPU1.
 */
import type { LatencySummary } from '../common/hist.js';
import type { ServerKind } from '../common/protocol.js';
import { LOAD_CPU, SERVER_CPU, eachServer, record, sleep, startLoad, startServer, using, type LoadHandle, type RunContext } from '../runner/context.js';
import { watchMachine } from '../runner/machine.js';
import { startRedis } from '../runner/redis.js';
import { flagsFor } from '../runner/results.js';
import { connectRole } from './targets.js';


/** Run R1 for every kind, case and round. */
export async function runCrossNode(ctx: RunContext): Promise<void> {
  const redis = await startRedis(LOAD_CPU);
  const load = await startLoad();
  try {
    await eachServer(ctx, ctx.profile.kinds.r1, 'R1', true, (kind, control, r) => crossNodeOnce(ctx, load, redis.port, [redis.pid], kind, control, r), () => load.call('disconnectAll', undefined));
  } finally {
    await load.stop();
    await redis.stop();
  }
}

async function crossNodeOnce(ctx: RunContext, load: LoadHandle, redisPort: number, extraPids: number[], kind: ServerKind, control: boolean, r: number): Promise<void> {
  const p = ctx.profile;
  const nodeB = await startServer(ctx, { kind, app: 'r1-sub', pingIntervalMs: p.pingIntervalMs, redisPort }, SERVER_CPU);
  const nodeA = await startServer(ctx, { kind, app: 'r1-pub', pingIntervalMs: p.pingIntervalMs, redisPort }, LOAD_CPU).catch(async (error: unknown) => {
    await nodeB.child.stop();
    throw error;
  });
  await using(async () => [nodeA.child, nodeB.child], async () => {
    const pids = [nodeA.ready.pid, nodeB.ready.pid, load.pid, ...extraPids];
    let subscribers = 0;
    for (const c of p.r1.cases) {
      if (kind !== 'HOP' && c.subscribers > subscribers) {
        await connectRole(ctx, load, nodeB, kind, 'sub', c.subscribers - subscribers);
        subscribers = c.subscribers;
        await sleep(500); // joins (and Redis subscriptions) settle
      }
      const fanout = kind === 'HOP' ? 1 : subscribers;
      await nodeA.child.call('publishStart', { rate: c.rate, bytes: p.bytes });
      await sleep(p.r1.warmupMs);
      if (kind === 'HOP') await nodeB.child.call('hopLatency', undefined);
      else await load.call('collectStart', undefined);
      const before = await nodeA.child.call('publishCount', undefined);
      const watch = watchMachine(pids);
      await sleep(p.r1.windowMs);
      const after = (await nodeA.child.call('publishStop', undefined)).sent;
      await sleep(300); // deliveries in flight arrive
      let latency: LatencySummary;
      if (kind === 'HOP') {
        latency = await nodeB.child.call('hopLatency', undefined);
      } else {
        latency = (await load.call('collectStop', undefined)).latency;
      }
      const machine = watch.stop();
      await sleep(200);
      const expected = (after - before) * fanout;
      record(ctx, {
        scenario: 'R1', case: `${c.rate} msg/s → ${c.subscribers}`, server: kind, control, round: r, variant: nodeB.ready.variant,
        metrics: {
          p50Us: latency.p50,
          p99Us: latency.p99,
          p999Us: latency.p999,
          maxUs: latency.max,
          deliveries: latency.count,
          expected,
        },
        // Deliveries in the window are counted against publishes in it: a few in flight at either edge.
        flags: flagsFor(0, machine, latency.count >= expected * 0.98),
        notes: kind === 'HOP' ? ['no websocket: publisher → Redis → subscriber process'] : [],
        machine,
      }, `p50 ${latency.p50} µs, p99 ${latency.p99} µs (${latency.count}/${expected} deliveries)`);
    }
    if (kind !== 'HOP') await load.call('disconnectAll', undefined);
  });
}
