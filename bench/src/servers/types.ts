/**
 * What every server implementation under test provides to the server process.
 */
import type { LatencySummary } from '../common/hist.js';
import type { ServerConfig } from '../common/protocol.js';

/** A running server under test. */
export interface BenchServer {
  readonly port: number;
  /** What exactly runs, for the report. */
  readonly variant: string;
  /** Open client connections. */
  connections(): number;
  /** `r1-pub`: publish one message to the cluster's subscribers. */
  publish?(payload: Buffer): void;
  /** `HOP` `r1-sub`: latency of deliveries since the last call. */
  hopLatency?(): LatencySummary;
  close(): Promise<void>;
}

/** Starts one server kind with an app. */
export type ServerFactory = (config: ServerConfig) => Promise<BenchServer>;

/** Paths every websocket server kind serves (Socket.IO uses `/socket.io/?role=…`). */
export const PATHS = {
  echo: '/echo',
  sub: '/fan/sub',
  pub: '/fan/pub',
  idle: '/idle',
} as const;

/** The Redis channel / group the cross-node apps use. */
export const R1_CHANNEL = 'bench:r1';
export const GROUP = 'all';

/** Idle timeout for a ping interval: long enough that a live client never hits it. */
export function idleTimeoutFor(pingIntervalMs: number): number {
  return Math.max(60_000, pingIntervalMs * 3);
}
