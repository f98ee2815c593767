import type { ServerKind } from '../common/protocol.js';

/**
 * Run profiles: `--quick` (about 2 minutes, one round, shorter windows) and the full run
 * (three rounds by default, longer windows, the default 25 s heartbeat in C1).
 */

/** Every knob of a run. */
export interface Profile {
  readonly mode: 'quick' | 'full';
  readonly rounds: number;
  /** Payload size of echo and broadcast messages. */
  readonly bytes: number;
  readonly echo: { clients: number; warmupMs: number; windowMs: number; rate: number; openWarmupMs: number; openMs: number };
  readonly fanout: { sizes: readonly number[]; burst: number; bursts: number; singles: number };
  readonly r1: { cases: readonly { rate: number; subscribers: number }[]; warmupMs: number; windowMs: number };
  readonly connections: {
    /** M1: idle connections for the memory figure. */
    m1: number;
    /** C1: connections one process holds. */
    c1: number;
    /** Heartbeat interval during C1 (the hold window covers 1.3 of it). */
    pingIntervalMs: number;
    perAddress: number;
    concurrency: number;
    twoProcesses: boolean;
    /** Run Socket.IO up to C1 too (else only to M1). */
    socketIoToC1: boolean;
    /** Rounds of M1/C1 (memory is steady to ±2%; a C1 hold takes 1.3 heartbeat intervals). */
    rounds: number;
    /** Also run B0 a second time (the A/A control). */
    control: boolean;
  };
  /** Heartbeat interval outside C1 (rarely fires inside a window). */
  readonly pingIntervalMs: number;
  /** Server kinds per scenario group; the first is the baseline that also runs as the A/A control. */
  readonly kinds: {
    readonly echo: readonly ServerKind[];
    readonly fanout: readonly ServerKind[];
    readonly r1: readonly ServerKind[];
    readonly connections: readonly ServerKind[];
  };
}

/** The quick profile (`npm run bench -- --quick`). */
export const quickProfile: Profile = {
  mode: 'quick',
  rounds: 1,
  bytes: 64,
  echo: { clients: 64, warmupMs: 500, windowMs: 1_200, rate: 10_000, openWarmupMs: 300, openMs: 1_200 },
  fanout: { sizes: [1_000, 5_000], burst: 20, bursts: 2, singles: 10 },
  r1: { cases: [{ rate: 1_000, subscribers: 10 }, { rate: 20, subscribers: 1_000 }], warmupMs: 300, windowMs: 1_500 },
  connections: { m1: 5_000, c1: 19_000, pingIntervalMs: 4_000, perAddress: 5_000, concurrency: 200, twoProcesses: true, socketIoToC1: false, rounds: 1, control: false },
  pingIntervalMs: 25_000,
  // Quick: the kinds the goals compare (X against B0, B1 and S); the full run adds the typed
  // layer Xt, B0c and the B0-behind-Redis floor in R1.
  kinds: {
    echo: ['B0', 'X', 'B1', 'S'],
    fanout: ['B0', 'X', 'B1', 'S'],
    r1: ['HOP', 'X', 'S'],
    connections: ['B0', 'X', 'S'],
  },
};

/** The full profile (`npm run bench`). */
export const fullProfile: Profile = {
  mode: 'full',
  rounds: 3,
  bytes: 64,
  echo: { clients: 64, warmupMs: 1_000, windowMs: 4_000, rate: 10_000, openWarmupMs: 500, openMs: 4_000 },
  fanout: { sizes: [1_000, 5_000], burst: 20, bursts: 5, singles: 30 },
  r1: { cases: [{ rate: 1_000, subscribers: 10 }, { rate: 20, subscribers: 1_000 }], warmupMs: 500, windowMs: 6_000 },
  connections: { m1: 9_000, c1: 19_000, pingIntervalMs: 25_000, perAddress: 5_000, concurrency: 200, twoProcesses: true, socketIoToC1: true, rounds: 1, control: true },
  pingIntervalMs: 25_000,
  kinds: {
    echo: ['B0', 'X', 'Xt', 'B1', 'S'],
    fanout: ['B0', 'X', 'Xt', 'B0c', 'B1', 'S'],
    r1: ['HOP', 'X', 'S', 'B0'],
    connections: ['B0', 'X', 'S'],
  },
};

/** Loopback source addresses 127.0.0.2, .3, … (`skip` addresses in). */
export function sourceAddresses(count: number, skip = 0): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${2 + skip + i}`);
}
