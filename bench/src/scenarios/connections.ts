/**
 * M1 (memory per idle connection after GC) and C1 (one process holding 19,000 connections
 * with heartbeats on: longest event-loop stall, connect time per 1k; two processes ≥ 38k).
 * One ramp per server: connect the M1 count, measure memory, connect on to the C1 count,
 * hold for 1.3 heartbeat intervals while watching the event loop.
 */
import type { ServerKind } from '../common/protocol.js';
import { LOAD_CPU, SERVER_CPU, eachServer, record, sleep, startLoad, startServer, using, type LoadHandle, type RunContext, type ServerHandle } from '../runner/context.js';
import { watchMachine } from '../runner/machine.js';
import { flagsFor } from '../runner/results.js';
import { connectRole, round } from './targets.js';


/** Run M1 and C1. */
export async function runConnections(ctx: RunContext): Promise<void> {
  const c = ctx.profile.connections;
  const sub: RunContext = { ...ctx, profile: { ...ctx.profile, rounds: c.rounds } };
  await eachServer(sub, ctx.profile.kinds.connections, 'C1', c.control, (kind, control, r) => rampOnce(ctx, kind, control, r));
  if (ctx.profile.connections.twoProcesses && (ctx.kinds === undefined || ctx.kinds.has('X'))) {
    try {
      await twoProcesses(ctx, 'X');
    } catch (error) {
      ctx.failures.push({ scenario: 'C1', server: 'X', error: `two processes: ${error instanceof Error ? error.message : String(error)}` });
      ctx.log(`  C1 two processes: FAILED ${String(error)}`);
    }
  }
}

async function rampOnce(ctx: RunContext, kind: ServerKind, control: boolean, r: number): Promise<void> {
  const c = ctx.profile.connections;
  const server = await startServer(ctx, { kind, app: 'idle', pingIntervalMs: c.pingIntervalMs });
  const load = await startLoad().catch(async (error: unknown) => { await server.child.stop(); throw error; });
  await using(async () => [server.child, load], async () => {
    const pids = [server.ready.pid, load.pid];
    await sleep(200);
    const mem0 = await server.child.call('memory', undefined);
    const first = await connectRole(ctx, load, server, kind, 'idle', c.m1);
    await sleep(500);
    const mem1 = await server.child.call('memory', undefined);
    const open1 = await server.child.call('connections', undefined);
    record(ctx, {
      scenario: 'M1', case: `${c.m1} idle`, server: kind, control, round: r, variant: server.ready.variant,
      metrics: {
        heapPerConnKiB: round((mem1.heapUsed - mem0.heapUsed) / c.m1 / 1024),
        rssPerConnKiB: round((mem1.rss - mem0.rss) / c.m1 / 1024),
        externalPerConnKiB: round((mem1.external - mem0.external) / c.m1 / 1024),
        connections: open1,
      },
      flags: flagsFor(0, undefined, open1 === c.m1),
      notes: [],
    }, `heap ${round((mem1.heapUsed - mem0.heapUsed) / c.m1 / 1024, 2)} KiB/conn, RSS ${round((mem1.rss - mem0.rss) / c.m1 / 1024, 2)} KiB/conn`);
    if (kind === 'S' && !c.socketIoToC1) return;

    const second = await connectRole(ctx, load, server, kind, 'idle', c.c1 - c.m1);
    const connectMs = first.ms + second.ms;
    const connectLoadCore = (first.cpu.userUs + first.cpu.systemUs + second.cpu.userUs + second.cpu.systemUs) / 1000 / connectMs;
    // Memory at the C1 count first: its forced GCs also clear the ramp's garbage, so the hold
    // window sees the steady state (heartbeats and the GCs they cause), not the ramp's aftermath.
    const mem2 = await server.child.call('memory', undefined);
    const hold = await holdAndWatch(ctx, server, load, pids);
    record(ctx, {
      scenario: 'C1', case: `${c.c1} conns, 1 process`, server: kind, control, round: r, variant: server.ready.variant,
      metrics: {
        connections: hold.connections,
        maxStallMs: round(hold.maxStallMs),
        p99DelayMs: round(hold.p99DelayMs),
        maxGcPauseMs: round(hold.maxGcMs),
        maxLoopDelayMs: round(hold.maxDelayMs),
        maxTimerDriftMs: round(hold.maxDriftMs),
        connectMsPer1k: round(connectMs / (c.c1 / 1000)),
        handshakeP50Ms: round(second.handshake.p50 / 1000),
        handshakeP99Ms: round(second.handshake.p99 / 1000),
        handshakeMaxMs: round(second.handshake.max / 1000),
        idleServerCore: round(hold.serverCore),
        heapPerConnKiB: round((mem2.heapUsed - mem0.heapUsed) / c.c1 / 1024),
        rssPerConnKiB: round((mem2.rss - mem0.rss) / c.c1 / 1024),
        pingsAnswered: hold.pings,
        pingIntervalMs: c.pingIntervalMs,
        connectLoadCore: round(connectLoadCore),
      },
      flags: flagsFor(connectLoadCore, hold.machine, hold.connections === c.c1 && hold.dropped === 0),
      notes: [`heartbeat every ${c.pingIntervalMs} ms; the hold window covers 1.3 intervals`],
      machine: hold.machine,
    }, `${hold.connections} held, longest stall ${round(hold.maxStallMs, 1)} ms (loop delay ${round(hold.maxDelayMs, 1)}, timer drift ${round(hold.maxDriftMs, 1)}; longest GC pause ${round(hold.maxGcMs, 1)} ms, ${hold.maxGcKind}), connect ${round(connectMs / (c.c1 / 1000), 0)} ms/1k (handshake p50 ${round(second.handshake.p50 / 1000, 1)} / p99 ${round(second.handshake.p99 / 1000, 1)} / max ${round(second.handshake.max / 1000, 0)} ms, load ${Math.round(connectLoadCore * 100)}%), ${hold.pings} pings answered`);
  });
}

interface Hold {
  connections: number;
  maxStallMs: number;
  maxDelayMs: number;
  maxDriftMs: number;
  p99DelayMs: number;
  maxGcMs: number;
  maxGcKind: string;
  serverCore: number;
  pings: number;
  dropped: number;
  machine: ReturnType<ReturnType<typeof watchMachine>['stop']>;
}

/** Hold every connection for 1.3 heartbeat intervals while measuring the server's event loop. */
async function holdAndWatch(ctx: RunContext, server: ServerHandle, load: LoadHandle, pids: number[]): Promise<Hold> {
  const c = ctx.profile.connections;
  await sleep(1_000);
  const before = await load.call('status', undefined);
  await server.child.call('stallStart', undefined);
  const watch = watchMachine(pids);
  await sleep(Math.round(c.pingIntervalMs * 1.3));
  const stall = await server.child.call('stallStop', undefined);
  const machine = watch.stop();
  const after = await load.call('status', undefined);
  const connections = await server.child.call('connections', undefined);
  return {
    connections,
    maxStallMs: Math.max(stall.maxDelayMs, stall.maxDriftMs),
    maxDelayMs: stall.maxDelayMs,
    maxDriftMs: stall.maxDriftMs,
    p99DelayMs: stall.p99DelayMs,
    maxGcMs: stall.maxGcMs,
    maxGcKind: stall.maxGcKind,
    serverCore: (stall.cpu.userUs + stall.cpu.systemUs) / 1000 / stall.cpu.wallMs,
    pings: after.pings - before.pings,
    dropped: after.closedUnexpectedly,
    machine,
  };
}

/** Two server processes (one per CPU), each with its own load generator, 19k connections each. */
async function twoProcesses(ctx: RunContext, kind: ServerKind): Promise<void> {
  const c = ctx.profile.connections;
  const servers = [
    await startServer(ctx, { kind, app: 'idle', pingIntervalMs: c.pingIntervalMs }, SERVER_CPU),
    await startServer(ctx, { kind, app: 'idle', pingIntervalMs: c.pingIntervalMs }, LOAD_CPU),
  ];
  const loads: LoadHandle[] = [];
  await using(async () => {
    loads.push(await startLoad(LOAD_CPU), await startLoad(SERVER_CPU));
    return [...servers.map((s) => s.child), ...loads];
  }, async () => {
    const perAddressSets = Math.ceil(c.c1 / c.perAddress) + 1;
    await Promise.all(servers.map((s, i) => connectRole(ctx, loads[i]!, s, kind, 'idle', c.c1, i * perAddressSets)));
    await sleep(1_000);
    await Promise.all(servers.map((s) => s.child.call('stallStart', undefined)));
    await sleep(Math.round(c.pingIntervalMs * 1.3));
    const stalls = await Promise.all(servers.map((s) => s.child.call('stallStop', undefined)));
    const held = await Promise.all(servers.map((s) => s.child.call('connections', undefined)));
    const statuses = await Promise.all(loads.map((l) => l.call('status', undefined)));
    const total = held.reduce((a, b) => a + b, 0);
    const maxStall = Math.max(...stalls.map((s) => Math.max(s.maxDelayMs, s.maxDriftMs)));
    const dropped = statuses.reduce((a, s) => a + s.closedUnexpectedly, 0);
    record(ctx, {
      scenario: 'C1', case: `${2 * c.c1} conns, 2 processes`, server: kind, control: false, round: 0, variant: servers[0]!.ready.variant,
      metrics: { connections: total, maxStallMs: round(maxStall), pingIntervalMs: c.pingIntervalMs },
      flags: flagsFor(0, undefined, total === 2 * c.c1 && dropped === 0),
      notes: ['two server processes (CPU0, CPU1), each with its own load generator on the other CPU'],
    }, `${total} held, longest stall ${round(maxStall, 1)} ms`);
  });
}
