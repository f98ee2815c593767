/**
 * Bounds on Redis calls: at most `max` in flight (one more fails at once), and none waits
 * longer than `timeoutMs`. One sweeping timer serves every call — calls are kept in start
 * order, so a sweep looks only at the oldest ones — instead of a timer per call.
 */

interface Pending {
  readonly startedAt: number;
  readonly bounded: boolean;
  readonly reject: (err: Error) => void;
}

/** Why a call was refused or abandoned. */
export class InFlightError extends Error {}

/** The in-flight bound and timeout of one node's Redis calls. */
export class InFlight {
  private readonly pending = new Map<number, Pending>();
  private bounded = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly max: number, private readonly timeoutMs: number) {}

  /** Calls currently waiting for Redis. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Run `start()` unless `max` bounded calls are already waiting; settle with it, or reject
   * with an {@link InFlightError} after `timeoutMs`. (The abandoned command may still run on
   * Redis; callers treat that as "unknown" and let the next sync repair it.) The node's own
   * housekeeping (heartbeats, syncs: a fixed number per bucket) passes `bounded = false`, so
   * a burst of application calls can never starve the lease.
   */
  run<T>(start: () => Promise<T>, bounded = true): Promise<T> {
    if (bounded && this.bounded >= this.max) {
      return Promise.reject(new InFlightError(`${this.max} calls are already waiting for Redis (maxInFlight)`));
    }
    const id = ++this.seq;
    if (bounded) this.bounded++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { startedAt: Date.now(), bounded, reject });
      this.arm();
      let inner: Promise<T>;
      try {
        inner = start();
      } catch (err) {
        inner = Promise.reject(err);
      }
      inner.then(
        (value) => { if (this.settle(id)) resolve(value); },
        (err: unknown) => { if (this.settle(id)) reject(err); },
      );
    });
  }

  /** Resolves when no call is waiting (every call ends by `timeoutMs` at the latest). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Reject everything still waiting (on close). */
  abandonAll(reason: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.bounded = 0;
    for (const p of all) p.reject(new InFlightError(reason));
    for (const w of this.idleWaiters.splice(0)) w();
    this.disarm();
  }

  /** Forget call `id`; false when it was already settled (by a timeout or abandonAll). */
  private settle(id: number): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    if (p.bounded) this.bounded--;
    if (this.pending.size === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
    return true;
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sweep(), Math.max(5, Math.min(250, Math.floor(this.timeoutMs / 4))));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.timeoutMs;
    for (const [id, p] of this.pending) {
      if (p.startedAt > cutoff) break; // start order: the rest are younger
      this.settle(id);
      p.reject(new InFlightError(`no answer within ${this.timeoutMs} ms (commandTimeoutMs)`));
    }
    if (this.pending.size === 0) this.disarm();
  }
}
