/**
 * The two batchings of presence:
 * - {@link WriteBatcher}: the ops of one event-loop turn, per group, become one store write;
 * - {@link FlushTimer}: changed groups are flushed at most once per interval. The first change
 *   after a quiet interval goes out on the next turn (a quiet room feels instant); while
 *   changes keep coming, one timer flushes every changed group once per interval. No timer
 *   runs on a node whose groups are quiet.
 */
import type { PresenceOp } from './types.js';

interface Batch {
  readonly ops: PresenceOp[];
  readonly settle: ((refused: boolean) => void)[];
  readonly fail: ((error: unknown) => void)[];
}

/** Per-tick batches of store writes, one per group, written in call order. */
export class WriteBatcher<G> {
  private queued = new Map<G, Batch>();
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly write: (group: G, ops: readonly PresenceOp[]) => Promise<readonly number[]>) {}

  /** Queue `op` for `group`; resolves `true` when the store refused it (a limit), `false` when written. */
  add(group: G, op: PresenceOp): Promise<boolean> {
    let batch = this.queued.get(group);
    if (batch === undefined) {
      batch = { ops: [], settle: [], fail: [] };
      this.queued.set(group, batch);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    }
    const b = batch;
    return new Promise((resolve, reject) => {
      b.ops.push(op);
      b.settle.push(resolve);
      b.fail.push(reject);
    });
  }

  /** Resolves once every queued and in-flight write has settled. */
  idle(): Promise<void> {
    this.flush();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.queued;
    if (all.size === 0) return;
    this.queued = new Map();
    for (const [group, batch] of all) {
      this.inFlight++;
      let written: Promise<readonly number[]>;
      try {
        written = this.write(group, batch.ops);
      } catch (error) {
        written = Promise.reject(error);
      }
      written.then(
        (refused) => {
          const set = new Set(refused);
          batch.settle.forEach((settle, i) => settle(set.has(i)));
        },
        (error: unknown) => { for (const fail of batch.fail) fail(error); },
      ).finally(() => {
        if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }
}

/** Flushes changed items at most once per interval each (see the module comment). */
export class FlushTimer<T> {
  private dirty = new Set<T>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly intervalMs: number, private readonly flush: (item: T) => void) {}

  /** `item` has something to send. */
  mark(item: T): void {
    if (this.stopped) return;
    this.dirty.add(item);
    if (this.timer !== undefined || this.immediate !== undefined) return;
    // Quiet until now: send on the next turn, then hold further changes for an interval.
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.tick();
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
    this.dirty.clear();
  }

  private tick(): void {
    const items = this.dirty;
    if (items.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.dirty = new Set();
    for (const item of items) this.flush(item);
  }
}
