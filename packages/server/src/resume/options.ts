/**
 * Options of resumable routes (docs/protocol.md §6): `route(path, typedHandler, { resume })`.
 */
import type { Conn } from '../conn.js';
import { invalid, positive } from '../options.js';

/** How a route keeps dropped sessions. */
export interface ResumeOptions {
  /**
   * How long a session that dropped abnormally waits for its client.
   * @default 120_000 (2 minutes)
   */
  windowMs?: number;
  /**
   * Most unacknowledged server messages kept per session; past it the oldest go and the
   * session can no longer resume without a gap.
   * @default 1_000
   */
  maxMessages?: number;
  /**
   * Most bytes of unacknowledged server messages kept per session.
   * @default 1_048_576 (1 MiB)
   */
  maxBytes?: number;
  /**
   * Most sessions the route keeps parked at once; past it the longest-parked one ends.
   * @default 50_000
   */
  maxParked?: number;
  /**
   * Most bytes all parked sessions of the route may hold in their buffers; past it the
   * longest-parked sessions end (their clients are told `expired`).
   * @default 67_108_864 (64 MiB)
   */
  maxParkedBytes?: number;
  /**
   * What a resume must match: computed from the resuming handshake's `conn` after `connect`
   * ran, compared with the session's. A stolen token alone does not resume another user's
   * session.
   * @default the JSON of `conn.assigns`
   */
  identity?: (conn: Conn<object, unknown>) => string;
  /**
   * How long the server waits before acknowledging client messages on their own when no
   * server message carried the acknowledgement.
   * @default 200
   */
  ackDelayMs?: number;
  /**
   * How long a node waits for the owning node to answer a resume for a session it does not
   * hold (cross-node resume through the registry).
   * @default 3_000
   */
  relayTimeoutMs?: number;
}

/** Resume options with every default filled in. */
export type ResolvedResume = Required<ResumeOptions>;

/** Defaults of {@link ResumeOptions}. */
export const resumeDefaults: ResolvedResume = {
  windowMs: 120_000,
  maxMessages: 1_000,
  maxBytes: 1024 * 1024,
  maxParked: 50_000,
  maxParkedBytes: 64 * 1024 * 1024,
  identity: (conn) => JSON.stringify(conn.assigns),
  ackDelayMs: 200,
  relayTimeoutMs: 3_000,
};

/** Fill in and check resume options (`true` means all defaults). */
export function resolveResume(where: string, options: ResumeOptions | boolean | undefined): ResolvedResume | undefined {
  if (options === undefined || options === false) return undefined;
  const merged: ResolvedResume = { ...resumeDefaults };
  if (options !== true) {
    for (const key of Object.keys(options) as (keyof ResumeOptions)[]) {
      const value = options[key];
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const key of ['windowMs', 'maxMessages', 'maxBytes', 'maxParked', 'maxParkedBytes', 'ackDelayMs', 'relayTimeoutMs'] as const) {
    positive(where, `resume.${key}`, merged[key]);
  }
  if (typeof merged.identity !== 'function') invalid(`${where}: resume.identity must be a function (conn) => string`);
  return merged;
}
