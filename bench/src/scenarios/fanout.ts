/**
 * F1 (a burst of messages broadcast to N subscribers) and F2 (one message to N), on the
 * same server process and subscribers: server CPU per delivery and time to last delivery.
 */
import type { CpuSample } from '../common/hist.js';
import type { BurstStats, ServerKind } from '../common/protocol.js';
import { eachServer, record, sleep, startLoad, startServer, using, median, type LoadHandle, type RunContext, type ServerHandle } from '../runner/context.js';
import { watchMachine } from '../runner/machine.js';
import { flagsFor } from '../runner/results.js';
import { connectRole, round, usPer } from './targets.js';


/** Run F1 and F2 for every server kind, size and round. */
export async function runFanout(ctx: RunContext): Promise<void> {
  const load = await startLoad();
  try {
    await eachServer(ctx, ctx.profile.kinds.fanout, 'F1', true, (kind, control, r) => fanoutOnce(ctx, load, kind, control, r), () => load.call('disconnectAll', undefined));
  } finally {
    await load.stop();
  }
}

interface Series {
  cpu: number;
  system: number;
  deliveries: number;
  expected: number;
  last: number[];
  p50: number[];
  loadWork: number;
  loadWall: number;
}

/** Trigger `times` broadcasts of `messages` messages each, measuring server CPU around each. */
async function series(load: LoadHandle, server: ServerHandle, messages: number, times: number, bytes: number, timeoutMs: number): Promise<Series> {
  const s: Series = { cpu: 0, system: 0, deliveries: 0, expected: 0, last: [], p50: [], loadWork: 0, loadWall: 0 };
  for (let i = 0; i < times; i++) {
    await server.child.call('cpuStart', undefined);
    const b: BurstStats = await load.call('burst', { messages, bytes, timeoutMs }, timeoutMs + 10_000);
    const cpu: CpuSample = await server.child.call('cpuStop', undefined);
    s.cpu += cpu.userUs + cpu.systemUs;
    s.system += cpu.systemUs;
    s.deliveries += b.received;
    s.expected += b.expected;
    s.last.push(b.lastDeliveryMs);
    s.p50.push(b.latency.p50 / 1000);
    s.loadWork += b.workFraction * b.cpu.wallMs;
    s.loadWall += b.cpu.wallMs;
    await sleep(messages > 1 ? 100 : 20);
  }
  return s;
}

async function fanoutOnce(ctx: RunContext, load: LoadHandle, kind: ServerKind, control: boolean, r: number): Promise<void> {
  const p = ctx.profile;
  const f = p.fanout;
  const server = await startServer(ctx, { kind, app: 'fanout', pingIntervalMs: p.pingIntervalMs });
  await using(async () => [server.child], async () => {
    const pids = [server.ready.pid, load.pid];
    await connectRole(ctx, load, server, kind, 'pub', 1);
    let subscribers = 0;
    for (const n of f.sizes) {
      await connectRole(ctx, load, server, kind, 'sub', n - subscribers);
      await sleep(300);
      // Warm up the broadcast path (the JIT: several rounds at the first size), then measure.
      await series(load, server, f.burst, subscribers === 0 ? 4 : 1, p.bytes, 20_000);
      await series(load, server, 1, subscribers === 0 ? 5 : 1, p.bytes, 20_000);
      subscribers = n;
      for (const [scenario, messages, times] of [['F1', f.burst, f.bursts], ['F2', 1, f.singles]] as const) {
        const watch = watchMachine(pids);
        const s = await series(load, server, messages, times, p.bytes, 20_000);
        const machine = watch.stop();
        const loadCore = s.loadWall > 0 ? s.loadWork / s.loadWall : 0;
        record(ctx, {
          scenario, case: `N=${n}`, server: kind, control, round: r, variant: server.ready.variant,
          metrics: {
            cpuUsPerDelivery: round(usPer({ userUs: s.cpu, systemUs: 0 }, s.deliveries)),
            systemUsPerDelivery: round(usPer({ userUs: s.system, systemUs: 0 }, s.deliveries)),
            lastDeliveryMs: round(median(s.last)),
            p50DeliveryMs: round(median(s.p50)),
            deliveries: s.deliveries,
            missing: s.expected - s.deliveries,
            loadCore: round(loadCore),
          },
          flags: flagsFor(loadCore, machine, s.deliveries === s.expected),
          notes: ['the load generator spins while a broadcast is in flight; loadCore is the share of time its loop spent on I/O'],
          machine,
        }, `${round(usPer({ userUs: s.cpu, systemUs: 0 }, s.deliveries), 2)} µs CPU/delivery (${round(usPer({ userUs: s.system, systemUs: 0 }, s.deliveries), 2)} system), last delivery ${round(median(s.last), 1)} ms, load ${Math.round(loadCore * 100)}%${s.deliveries === s.expected ? '' : `, MISSING ${s.expected - s.deliveries}`}`);
      }
    }
    await load.call('disconnectAll', undefined);
  });
}
