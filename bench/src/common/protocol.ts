/**
 * What the runner, the servers and the load generators say to each other: configurations
 * and command maps of the control channel.
 */
import type { CpuSample, LatencySummary } from './hist.js';

/**
 * The servers under test.
 * - `B0` tuned raw ws: frame built once (`WebSocket.Sender.frame`), one write per socket per message.
 * - `B0c` B0 plus cross-message corking: each socket is corked on its first write of a tick
 *   and uncorked on `process.nextTick` (hand-written per-tick batching; informative).
 * - `B1` naive raw ws: `JSON.stringify` and `ws.send` per socket.
 * - `S` Socket.IO 4 (websocket transport only; + @socket.io/redis-adapter across nodes).
 * - `X` Orrery (`@orrery/server`), raw handlers.
 * - `Xt` Orrery's typed layer (`defineTypedHandler`, zod, the `orrery.v1` envelope).
 * - `HOP` raw ioredis publish → subscriber (R1's reference hop; no websocket).
 */
export type ServerKind = 'B0' | 'B0c' | 'B1' | 'S' | 'X' | 'Xt' | 'HOP';

/**
 * What the server does.
 * - `echo` sends every message back on `/echo`.
 * - `fanout` broadcasts every message from `/fan/pub` to every `/fan/sub` connection.
 * - `idle` holds `/idle` connections (heartbeats on).
 * - `r1-pub` publishes to the cluster on a schedule (no clients); `r1-sub` holds `/fan/sub`
 *   subscribers and delivers what the cluster publishes.
 */
export type AppKind = 'echo' | 'fanout' | 'idle' | 'r1-pub' | 'r1-sub';

/** A server process's configuration. */
export interface ServerConfig {
  readonly kind: ServerKind;
  readonly app: AppKind;
  /** Heartbeat ping interval for every server kind. */
  readonly pingIntervalMs: number;
  /** Redis for the cross-node apps. */
  readonly redisPort?: number;
}

/** What a server announces when it is listening. */
export interface ServerReady {
  readonly port: number;
  readonly pid: number;
  /** What exactly runs (e.g. "X via raw ioredis bridge"). */
  readonly variant: string;
}

/** Memory of a server process after forced GC. */
export interface MemorySample {
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Event-loop stalls over a window. */
export interface StallSample {
  /** Longest event-loop delay (monitorEventLoopDelay, its 10 ms resolution subtracted), ms. */
  readonly maxDelayMs: number;
  /** p99 event-loop delay, ms. */
  readonly p99DelayMs: number;
  /** Longest lateness of a 10 ms interval timer, ms, and when it happened (ms into the window). */
  readonly maxDriftMs: number;
  readonly maxDriftAtMs: number;
  /** Longest garbage-collection pause, ms, and its kind (minor, major, incremental, weakcb). */
  readonly maxGcMs: number;
  readonly maxGcKind: string;
  readonly cpu: CpuSample;
}

/** Server control commands. */
export interface ServerCommands {
  cpuStart: { args: undefined; result: undefined };
  cpuStop: { args: undefined; result: CpuSample };
  memory: { args: undefined; result: MemorySample };
  stallStart: { args: undefined; result: undefined };
  stallStop: { args: undefined; result: StallSample };
  connections: { args: undefined; result: number };
  /** r1-pub: publish `rate` messages/s of `bytes` bytes until publishStop. */
  publishStart: { args: { rate: number; bytes: number }; result: undefined };
  publishStop: { args: undefined; result: { sent: number } };
  /** r1-pub: messages published so far. */
  publishCount: { args: undefined; result: number };
  /** HOP r1-sub: latency of what arrived since the last call. */
  hopLatency: { args: undefined; result: LatencySummary };
}

/** A load generator's configuration. */
export interface LoadConfig {
  readonly name: string;
}

/** How a load generator connects a batch of clients. */
export interface ConnectArgs {
  readonly port: number;
  /** Path with query (`/echo`, `/fan/sub`; for Socket.IO `/socket.io/?role=sub`). */
  readonly path: string;
  readonly protocol: 'ws' | 'sio' | 'orrery';
  readonly role: 'echo' | 'sub' | 'pub' | 'idle';
  readonly count: number;
  /** Loopback source addresses, filled in order. */
  readonly addresses: readonly string[];
  /** Most connections per source address. */
  readonly perAddress: number;
  /** Handshakes in flight at once. */
  readonly concurrency: number;
}

/** Outcome of a connect batch. */
export interface ConnectResult {
  readonly connected: number;
  readonly failed: number;
  readonly ms: number;
  /** TCP connect → 101 (→ Socket.IO connected), per connection, µs. */
  readonly handshake: LatencySummary;
  readonly firstError?: string;
  readonly cpu: CpuSample;
}

/** One measured window of the closed echo loop. */
export interface ClosedLoopStats {
  readonly echoes: number;
  readonly rtt: LatencySummary;
  readonly cpu: CpuSample;
}

/** An open-loop echo run. */
export interface OpenLoopStats {
  readonly sent: number;
  readonly received: number;
  /** From the intended send time to the echo. */
  readonly latency: LatencySummary;
  /** Actual send − intended send: the load generator's own lateness. */
  readonly schedulingLag: LatencySummary;
  /** Time spent in our handlers and sends, as a fraction of the window (the scheduler spins, so CPU is always ~100%). */
  readonly workFraction: number;
  readonly cpu: CpuSample;
}

/** A broadcast burst. */
export interface BurstStats {
  readonly expected: number;
  readonly received: number;
  /** Trigger → last delivery, ms. */
  readonly lastDeliveryMs: number;
  /** Per-delivery latency from the trigger. */
  readonly latency: LatencySummary;
  /** Share of the window the load generator's loop spent on I/O (it spins while it waits). */
  readonly workFraction: number;
  readonly cpu: CpuSample;
}

/** Subscriber latency over a collection window (R1). */
export interface CollectStats {
  readonly received: number;
  readonly latency: LatencySummary;
  readonly cpu: CpuSample;
}

/** Load generator commands. */
export interface LoadCommands {
  connect: { args: ConnectArgs; result: ConnectResult };
  closedLoopStart: { args: { bytes: number }; result: undefined };
  closedLoopMark: { args: undefined; result: undefined };
  closedLoopMeasure: { args: undefined; result: ClosedLoopStats };
  closedLoopStop: { args: undefined; result: undefined };
  openLoop: { args: { rate: number; durationMs: number; warmupMs: number; bytes: number }; result: OpenLoopStats };
  burst: { args: { messages: number; bytes: number; timeoutMs: number }; result: BurstStats };
  collectStart: { args: undefined; result: undefined };
  collectStop: { args: undefined; result: CollectStats };
  cpuStart: { args: undefined; result: undefined };
  cpuStop: { args: undefined; result: CpuSample };
  /** Open connections and pings answered so far. */
  status: { args: undefined; result: { open: number; pings: number; closedUnexpectedly: number } };
  disconnectAll: { args: undefined; result: undefined };
}
