/**
 * An open-loop schedule: message `i` is due at `t0 + i / rate`, whatever happened to the
 * earlier ones. Sends never wait for answers.
 *
 * `spin: true` keeps the schedule to a few µs: when the next message is due within 1.5 ms the
 * loop polls with `setImmediate` (I/O is still served between polls) instead of sleeping on a
 * 1 ms timer. It costs the sender's core while running; use it only where the load
 * generator has a core of its own. `spin: false` sleeps on timers (≈1 ms granularity).
 */
import { monoUs } from '../wire/payload.js';

/** Called for each due message with its index and intended send time (µs, {@link monoUs}). */
export type PacedSend = (seq: number, intendedUs: number) => void;

/** A running schedule. */
export interface Pacer {
  /** Messages sent so far. */
  readonly sent: number;
  /** Resolves with the number sent when the schedule ends or is stopped. */
  readonly done: Promise<number>;
  stop(): void;
}

/** Run `send` at `rate` per second for `durationMs` (Infinity: until stopped). */
export function startPacer(rate: number, durationMs: number, spin: boolean, send: PacedSend): Pacer {
  const intervalUs = 1e6 / rate;
  const total = Number.isFinite(durationMs) ? Math.floor((durationMs / 1000) * rate) : Infinity;
  const t0 = monoUs() + 2_000;
  let i = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolveDone!: (n: number) => void;
  const done = new Promise<number>((resolve) => { resolveDone = resolve; });

  const step = (): void => {
    timer = undefined;
    if (stopped) return;
    const now = monoUs();
    while (i < total && t0 + i * intervalUs <= now) {
      send(i, t0 + i * intervalUs);
      i++;
    }
    if (i >= total) {
      stopped = true;
      resolveDone(i);
      return;
    }
    const waitUs = t0 + i * intervalUs - monoUs();
    if (spin && waitUs <= 1_500) setImmediate(step);
    else timer = setTimeout(step, Math.max(0, Math.floor((waitUs - (spin ? 1_000 : 0)) / 1000)));
  };
  timer = setTimeout(step, 1);

  return {
    get sent() {
      return i;
    },
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      resolveDone(i);
    },
  };
}
