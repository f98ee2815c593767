/**
 * Limits and options of the websocket server, each with its documented default.
 * Invalid values are refused at construction with `ORRERY_INVALID_OPTIONS`.
 */
import { OrreryError } from '@orrery/protocol';

/** Per-connection limits. Set them on the server (defaults for every route) or on one route. */
export interface ConnectionLimits {
  /**
   * Largest inbound message (a frame, or a reassembled fragmented message), in bytes.
   * One byte more closes the connection with 1009.
   * @default 5_000_000
   */
  maxMessageBytes?: number;
  /**
   * Close a connection that sent nothing (pongs included) for this long: close 1001
   * "idle timeout", terminate reason `timeout`.
   * @default 60_000
   */
  idleTimeoutMs?: number;
  /**
   * The server pings a connection that was silent this long, so dead peers are found and
   * live ones (which pong) never hit the idle timeout. Must be below `idleTimeoutMs`.
   * @default 25_000
   */
  pingIntervalMs?: number;
  /**
   * `connect` must settle within this time, or the handshake fails with 503 `ConnectTimeout`.
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /**
   * Most events (client frames, server messages) that may wait while a callback runs. One more
   * closes the connection with 1013 "mailbox overflow"; terminate gets `ORRERY_MAILBOX_OVERFLOW`.
   * @default 1_000
   */
  maxMailbox?: number;
  /**
   * Most bytes that may wait to be written to a slow client. A frame sent while more than this
   * waits closes the connection with 1013 "slow consumer"; terminate gets `ORRERY_SLOW_CONSUMER`.
   * @default 4_194_304 (4 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * How long a server-initiated close waits for the client's close frame before the TCP
   * connection is destroyed.
   * @default 5_000
   */
  closeTimeoutMs?: number;
  /**
   * Optional inbound rate limit: at most `messages` client messages per `intervalMs`
   * (a token bucket). Over it: close 1008 "rate limit exceeded", `ORRERY_RATE_LIMITED`.
   * @default undefined (no limit)
   */
  rateLimit?: { messages: number; intervalMs: number } | undefined;
  /**
   * Keep `conn.headers` and `conn.cookies` readable after `init` (costs memory per connection).
   * @default false
   */
  retainRequest?: boolean;
}

/** Limits with every default filled in. */
export type ResolvedLimits = Required<Omit<ConnectionLimits, 'rateLimit'>> & Pick<ConnectionLimits, 'rateLimit'>;

/** The defaults of {@link ConnectionLimits}. */
export const limitDefaults: ResolvedLimits = {
  maxMessageBytes: 5_000_000,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 25_000,
  connectTimeoutMs: 10_000,
  maxMailbox: 1_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  closeTimeoutMs: 5_000,
  rateLimit: undefined,
  retainRequest: false,
};

/** Merge route limits over server limits over defaults, and check them. */
export function resolveLimits(where: string, ...layers: (ConnectionLimits | undefined)[]): ResolvedLimits {
  const merged: ResolvedLimits = { ...limitDefaults };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of Object.keys(layer) as (keyof ConnectionLimits)[]) {
      const value = layer[key];
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  for (const key of ['maxMessageBytes', 'idleTimeoutMs', 'pingIntervalMs', 'connectTimeoutMs', 'maxMailbox', 'maxBufferedBytes', 'closeTimeoutMs'] as const) {
    positive(where, key, merged[key]);
  }
  if (merged.pingIntervalMs >= merged.idleTimeoutMs) {
    invalid(`${where}: pingIntervalMs (${merged.pingIntervalMs}) must be below idleTimeoutMs (${merged.idleTimeoutMs}), or live clients would time out`);
  }
  if (merged.rateLimit !== undefined) {
    positive(where, 'rateLimit.messages', merged.rateLimit.messages);
    positive(where, 'rateLimit.intervalMs', merged.rateLimit.intervalMs);
  }
  return merged;
}

/** Throw `ORRERY_INVALID_OPTIONS` unless `value` is a positive number (Infinity allowed). */
export function positive(where: string, key: string, value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    invalid(`${where}: ${key} must be a positive number, got ${String(value)}`);
  }
}

/** Throw `ORRERY_INVALID_OPTIONS`. */
export function invalid(message: string): never {
  throw new OrreryError('ORRERY_INVALID_OPTIONS', message);
}
