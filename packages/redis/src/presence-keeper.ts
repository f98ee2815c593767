/**
 * Presence housekeeping on one node, one small script per bucket every `heartbeatMs`:
 * - sweep the presence of nodes whose registry lease lapsed — their members leave, and the
 *   groups' followers hear it — so a dead node's members are gone at most one heartbeat after
 *   its lease ran out (queries already skip them from the moment it lapsed);
 * - re-assert this node's rows where Redis lost them (its mark is missing: Redis restarted,
 *   or this node stalled past its lease and was swept) or a failed write left the bucket
 *   "dirty" — a sync writes exactly what the node holds;
 * - tell each followed group what Redis holds now, so a copy that missed messages reloads.
 * After the registry re-asserted itself (a reconnect), every bucket is synced at once.
 */
import type { PresenceStoreHost } from '@orrery/server/presence';
import { replaceJson, rowValue } from './presence-codec.js';
import type { PresenceHost } from './presence-host.js';
import { PRESENCE_BEAT, PRESENCE_SYNC } from './presence-scripts.js';
import type { GroupWatch } from './presence-watch.js';
import type { Script } from './scripts.js';

/** What the keeper needs from its store. */
export interface KeeperHost {
  readonly host: PresenceHost;
  readonly node: PresenceStoreHost;
  /** The groups followed now. */
  watches(): Iterable<GroupWatch>;
  /** Load a followed group again. */
  reload(watch: GroupWatch): void;
  /** A bucket script call (bucket's nodes key, tag and node id prepended). */
  call(op: string, script: Script, bucket: number, args: readonly (string | number)[], bounded: boolean): Promise<unknown>;
}

/** Heartbeats and syncs of one node's presence. */
export class PresenceKeeper {
  private readonly dirty = new Set<number>();
  private readonly syncing = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private stopped = false;

  constructor(private readonly k: KeeperHost) {}

  start(): void {
    this.timer = setInterval(() => void this.beat(), this.k.host.heartbeatMs);
    this.timer.unref();
    // A node that is not connected yet syncs when the registry has re-asserted itself (onReasserted).
    if (this.k.host.isReady()) void this.syncAll();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  markDirty(bucket: number): void {
    this.dirty.add(bucket);
  }

  /** Sync every bucket (after a reconnect; at start). Failures leave buckets dirty. */
  syncAll(): Promise<void> {
    const all = Array.from({ length: this.k.host.keys.buckets }, (_, b) => b);
    return this.sync(all).catch(() => undefined);
  }

  /** Sync `bucket` now (after any sync already on its way, which may predate the caller's rows). */
  async requestSync(bucket: number): Promise<void> {
    await this.syncing.get(bucket)?.catch(() => undefined);
    await (this.syncing.get(bucket) ?? this.sync([bucket]));
  }

  /** One heartbeat round (skipped while the previous one runs). */
  async beat(): Promise<void> {
    if (this.stopped || this.beating) return;
    this.beating = true;
    try {
      const followed = new Map<number, GroupWatch[]>();
      for (const w of this.k.watches()) {
        let list = followed.get(w.keys.bucket);
        if (list === undefined) followed.set(w.keys.bucket, (list = []));
        list.push(w);
      }
      const need: number[] = [];
      await Promise.all(Array.from({ length: this.k.host.keys.buckets }, async (_, b) => {
        const watches = followed.get(b) ?? [];
        const answer = await this.k.call('presence heartbeat', PRESENCE_BEAT, b, watches.map((w) => w.keys.suffix), false).catch(() => undefined);
        if (!Array.isArray(answer) || answer[0] === -1) return; // Redis away, or the registry has not renewed its lease yet
        if (answer[0] === 0 || this.dirty.has(b)) need.push(b);
        watches.forEach((w, i) => {
          if (w.check(String(answer[1 + 2 * i]), Number(answer[2 + 2 * i]))) this.k.reload(w);
        });
      }));
      if (need.length > 0 && !this.stopped) await this.sync(need).catch(() => undefined);
    } finally {
      this.beating = false;
    }
  }

  /** Make each of `buckets` hold exactly this node's rows. */
  private sync(buckets: number[]): Promise<void> {
    const { keys } = this.k.host;
    const args = new Map<number, (string | number)[]>();
    const counts = new Map<number, number>();
    for (const b of buckets) {
      this.dirty.delete(b);
      args.set(b, []);
      counts.set(b, 0);
    }
    for (const lg of this.k.node.localGroups()) {
      const b = keys.bucketOf(lg.ns, lg.group);
      const list = args.get(b);
      if (list === undefined) continue;
      list.push(`${lg.ns.length}:${lg.ns}:${lg.group}`, lg.rows.length, replaceJson(this.k.node.nodeId, lg.rows));
      for (const r of lg.rows) list.push(r.ref, rowValue(r.key, r.metaJson));
      counts.set(b, counts.get(b)! + 1);
    }
    const all = Promise.all(buckets.map(async (b) => {
      try {
        const answer = await this.k.call('presence sync', PRESENCE_SYNC, b, [counts.get(b)!, ...args.get(b)!], false);
        if (answer !== 1) this.dirty.add(b);
      } catch (err) {
        this.dirty.add(b);
        throw err;
      }
    })).then(() => undefined);
    for (const b of buckets) this.syncing.set(b, all);
    const forget = (): void => {
      for (const b of buckets) if (this.syncing.get(b) === all) this.syncing.delete(b);
    };
    all.then(forget, forget);
    return all;
  }
}
