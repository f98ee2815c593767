/**
 * The node's lease, and the re-assertion of its state.
 *
 * Every `heartbeatMs` the node renews its deadline (`now + leaseMs`, Redis clock) in every
 * bucket, and sweeps the leftovers of nodes whose deadline passed. A bucket where the lease
 * is missing or lapsed (Redis restarted and lost every key; the node stalled past its lease
 * and was swept), or that a failed write left "dirty", gets a sync: one script that makes the
 * bucket hold exactly this node's local names and group counts. After a reconnect every
 * bucket is synced at once. Names that another live node took meanwhile are conflicts: this
 * node gives them up (logged), so a name never has two holders.
 */
import { OrreryError } from '@orrery/protocol';
import type { FaultReporter } from './faults.js';
import type { KeyLayout } from './keys.js';
import type { BucketState, RedisNamespace } from './namespace.js';
import { HEARTBEAT, LAYOUT, SYNC, type Script } from './scripts.js';

/** What the lease keeper needs from its node. */
export interface LeaseHost {
  readonly keys: KeyLayout;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly faults: FaultReporter;
  namespaces(): Iterable<RedisNamespace>;
  /** A guarded bucket script call, raw answer, no retry. */
  call(op: string, script: Script, bucket: number, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /** A guarded call of a script whose KEYS[1] is not a bucket's nodes hash. */
  callRaw(op: string, script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  /** Keep the inbox channels subscribed. */
  ensureInbox(): Promise<void>;
  /** Every bucket answered (`true`) or some did not (`false`). */
  health(ok: boolean, error?: unknown): void;
  /** The cluster uses another key layout: stop. */
  fatal(error: OrreryError): void;
}

/** Heartbeats, syncs and the dirty-bucket bookkeeping of one node. */
export class LeaseKeeper {
  private readonly dirty = new Set<number>();
  private readonly syncing = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private again = false;
  private stopped = false;

  constructor(private readonly host: LeaseHost) {}

  start(): void {
    this.timer = setInterval(() => void this.beat(), this.host.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** A write may have left Redis disagreeing with this node about `bucket`. */
  markDirty(bucket: number): void {
    this.dirty.add(bucket);
  }

  /**
   * Sync `bucket` so that it holds the caller's latest local change. A sync already on its way
   * collected this node's state before that change, so it is followed by a fresh one (which
   * later callers may join).
   */
  requestSync(bucket: number): Promise<void> {
    const running = this.syncing.get(bucket);
    if (running === undefined) return this.sync([bucket]);
    const again = (): Promise<void> => this.syncing.get(bucket) ?? this.sync([bucket]);
    return running.then(again, again);
  }

  /** After a (re)connect: check the layout, sync every bucket, resubscribe the inbox. */
  async reassertAll(): Promise<void> {
    const { keys } = this.host;
    const layout = await this.host.callRaw('layout', LAYOUT, [keys.layoutKey], [keys.tag(0), '', keys.signature]);
    if (layout !== keys.signature) {
      this.host.fatal(new OrreryError('ORRERY_INVALID_OPTIONS',
        `redisRegistry: this node uses key layout "${keys.signature}" but prefix "${keys.prefix}" in this Redis uses "${String(layout)}"; give every node the same \`buckets\` (or another \`prefix\`)`));
      return;
    }
    await Promise.all([this.sync(Array.from({ length: keys.buckets }, (_, b) => b)), this.host.ensureInbox()]);
  }

  /** One heartbeat round (while one runs, another is queued to follow it). */
  async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.beating) {
      this.again = true;
      return;
    }
    this.beating = true;
    try {
      const { keys, leaseMs } = this.host;
      const answers = await Promise.allSettled(
        Array.from({ length: keys.buckets }, (_, b) => this.host.call('heartbeat', HEARTBEAT, b, [], [leaseMs])));
      const need: number[] = [];
      let failure: unknown;
      answers.forEach((answer, b) => {
        if (answer.status === 'rejected') failure ??= answer.reason;
        else if (answer.value !== 1 || this.dirty.has(b)) need.push(b);
      });
      if (need.length > 0 && failure === undefined) await this.sync(need).catch((err: unknown) => { failure = err; });
      if (failure === undefined) await this.host.ensureInbox().catch((err: unknown) => { failure = err; });
      this.host.health(failure === undefined, failure);
    } finally {
      this.beating = false;
      if (this.again) {
        this.again = false;
        setImmediate(() => void this.beat());
      }
    }
  }

  /** Make each bucket in `buckets` hold exactly this node's local state. */
  private sync(buckets: number[]): Promise<void> {
    const states = new Map<number, BucketState>();
    for (const b of buckets) {
      this.dirty.delete(b);
      states.set(b, { names: [], groups: [], byKey: new Map() });
    }
    for (const ns of this.host.namespaces()) ns.collect(states);
    const all = Promise.all(buckets.map((b) => this.syncOne(b, states.get(b)!))).then(() => undefined);
    for (const b of buckets) this.syncing.set(b, all);
    const forget = (): void => {
      for (const b of buckets) if (this.syncing.get(b) === all) this.syncing.delete(b);
    };
    all.then(forget, forget);
    return all;
  }

  private async syncOne(bucket: number, state: BucketState): Promise<void> {
    let conflicts: unknown;
    try {
      conflicts = await this.host.call('sync', SYNC, bucket, [],
        [this.host.leaseMs, state.names.length / 2, ...state.names, ...state.groups]);
    } catch (err) {
      this.dirty.add(bucket);
      throw err;
    }
    if (!Array.isArray(conflicts)) return;
    for (const key of conflicts) {
      const holder = typeof key === 'string' ? state.byKey.get(key) : undefined;
      if (holder !== undefined && holder.ns.lose(holder.name)) {
        this.host.faults.warn('lost-name', 'registry name lost: another node took it while this node\'s lease had lapsed (event loop or network stalled longer than leaseMs)', {
          namespace: holder.ns.name, name: holder.name,
        });
      }
    }
  }
}
