/**
 * Reconnect delays: exponential backoff with full jitter and a cap ("Exponential Backoff And
 * Jitter", AWS Architecture Blog, 2015). After the n-th failure in a row (n ≥ 1) the client
 * waits a uniformly random time in `[0, min(maxDelayMs, initialDelayMs · 2^(n−1)))`.
 *
 * Full jitter spreads a crowd of clients that lost the same server over the whole window, so
 * a restart is not met by a synchronised storm (Phoenix and tRPC retry on fixed schedules).
 */

/** The backoff parameters. */
export interface BackoffOptions {
  /** Upper bound of the first delay. @default 1_000 */
  readonly initialDelayMs: number;
  /** Cap of every delay. @default 30_000 */
  readonly maxDelayMs: number;
}

/** The upper bound of the delay after `failures` failures in a row (1, 2, …). */
export function backoffCeiling(failures: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 52);
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
}

/**
 * The delay before the next attempt after `failures` failures in a row.
 *
 * @param random - a uniform number in [0, 1) (default `Math.random`)
 * @example fullJitterDelay(3, { initialDelayMs: 1000, maxDelayMs: 30000 }) // somewhere in [0, 4000)
 */
export function fullJitterDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(failures, options));
}
