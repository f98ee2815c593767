/**
 * E1 (closed-loop echo, 64 clients: server CPU per echo) and E2 (open-loop echo at one
 * common offered rate: latency from the intended send time), on the same server process.
 */
import { coreFraction } from '../common/hist.js';
import type { ServerKind } from '../common/protocol.js';
import { eachServer, record, sleep, startLoad, startServer, using, type LoadHandle, type RunContext } from '../runner/context.js';
import { watchMachine } from '../runner/machine.js';
import { flagsFor } from '../runner/results.js';
import { connectRole, round, usPer } from './targets.js';


/** Run E1 and E2 for every server kind and round. */
export async function runEcho(ctx: RunContext): Promise<void> {
  const load = await startLoad();
  try {
    await eachServer(ctx, ctx.profile.kinds.echo, 'E1', true, (kind, control, r) => echoOnce(ctx, load, kind, control, r), () => load.call('disconnectAll', undefined));
  } finally {
    await load.stop();
  }
}

async function echoOnce(ctx: RunContext, load: LoadHandle, kind: ServerKind, control: boolean, r: number): Promise<void> {
  const p = ctx.profile;
  const e = p.echo;
  const server = await startServer(ctx, { kind, app: 'echo', pingIntervalMs: p.pingIntervalMs });
  await using(async () => [server.child], async () => {
    const pids = [server.ready.pid, load.pid];
    await connectRole(ctx, load, server, kind, 'echo', e.clients);

    // E1: closed loop.
    await load.call('closedLoopStart', { bytes: p.bytes });
    await sleep(e.warmupMs);
    await Promise.all([server.child.call('cpuStart', undefined), load.call('closedLoopMark', undefined)]);
    const m1 = watchMachine(pids);
    await sleep(e.windowMs);
    const [cpu, stats] = await Promise.all([server.child.call('cpuStop', undefined), load.call('closedLoopMeasure', undefined)]);
    const machine1 = m1.stop();
    await load.call('closedLoopStop', undefined);
    const loadCore = coreFraction(stats.cpu);
    record(ctx, {
      scenario: 'E1', case: `${e.clients} clients`, server: kind, control, round: r, variant: server.ready.variant,
      metrics: {
        cpuUsPerEcho: round(usPer(cpu, stats.echoes)),
        systemUsPerEcho: round(cpu.systemUs / stats.echoes),
        echoesPerSec: Math.round(stats.echoes / (stats.cpu.wallMs / 1000)),
        rttP50Us: stats.rtt.p50,
        rttP99Us: stats.rtt.p99,
        serverCore: round(coreFraction(cpu)),
        loadCore: round(loadCore),
      },
      flags: flagsFor(loadCore, machine1, stats.echoes > 0),
      notes: [],
      machine: machine1,
    }, `${round(usPer(cpu, stats.echoes), 2)} µs CPU/echo, ${Math.round(stats.echoes / (stats.cpu.wallMs / 1000))} echo/s, load ${Math.round(loadCore * 100)}%`);
    await sleep(300);

    // E2: open loop at the common rate.
    await server.child.call('cpuStart', undefined);
    const m2 = watchMachine(pids);
    const open = await load.call('openLoop', { rate: e.rate, durationMs: e.openMs, warmupMs: e.openWarmupMs, bytes: p.bytes }, 60_000);
    const cpu2 = await server.child.call('cpuStop', undefined);
    const machine2 = m2.stop();
    const lagBound = open.workFraction > 0.8 || open.schedulingLag.p99 > 500;
    const flags = flagsFor(lagBound ? 1 : 0, machine2, open.received === open.sent);
    record(ctx, {
      scenario: 'E2', case: `${e.rate / 1000}k msg/s`, server: kind, control, round: r, variant: server.ready.variant,
      metrics: {
        p50Us: open.latency.p50,
        p99Us: open.latency.p99,
        p999Us: open.latency.p999,
        maxUs: open.latency.max,
        lost: open.sent - open.received,
        lagP50Us: open.schedulingLag.p50,
        lagP99Us: open.schedulingLag.p99,
        loadWork: round(open.workFraction),
        serverCpuUsPerMsg: round(usPer(cpu2, Math.round(((e.openWarmupMs + e.openMs) / 1000) * e.rate))),
      },
      flags,
      notes: ['the load generator spin-waits for exact send times: its CPU is always ~100%; load-bound here means handler time > 80% or scheduling lag p99 > 500 µs'],
      machine: machine2,
    }, `p50 ${open.latency.p50} µs, p99 ${open.latency.p99} µs (lag p99 ${open.schedulingLag.p99} µs, lost ${open.sent - open.received})`);
    await load.call('disconnectAll', undefined);
  });
}
