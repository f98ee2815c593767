/**
 * The Redis presence store: presence's cluster-wide state in Redis (layout and scripts in
 * `presence-scripts.ts`), on the registry node's own connections — no connection of its own.
 *
 * - `write`: one script per batch of ops (the node batches them per tick and group), which
 *   checks the limits, writes the rows and publishes the accepted ops on the group's channel.
 * - `list` / `count`: one script each, skipping (and sweeping) nodes whose lease lapsed.
 * - `watch`: SSUBSCRIBE to the group's channel, then a snapshot; messages follow in seq order
 *   (see `presence-watch.ts`). Only nodes with subscribers in a group follow it, so a group's
 *   changes reach only the nodes that send them on.
 * - housekeeping (sweeps, re-assertion, copy checks): `presence-keeper.ts`.
 */
import { OrreryError } from '@orrery/protocol';
import type { GroupWatcher, PresenceOp, PresenceRow, PresenceStore, PresenceStoreHost, StoreLimits } from '@orrery/server/presence';
import { closedError, rejected } from './faults.js';
import { decodeDelta, decodeSnapshot, opJson, rowValue } from './presence-codec.js';
import type { PresenceHost, RegistryExtension } from './presence-host.js';
import { PresenceKeeper } from './presence-keeper.js';
import { PRESENCE_COUNT, PRESENCE_RETIRE, PRESENCE_SNAPSHOT, PRESENCE_WRITE } from './presence-scripts.js';
import { GroupWatch, type GroupKeys } from './presence-watch.js';
import type { Script } from './scripts.js';

/** The presence store of one Redis registry node. */
export class RedisPresenceStore implements PresenceStore, RegistryExtension {
  readonly kind = 'redis';
  private readonly watching = new Map<string, GroupWatch>();
  private readonly keeper: PresenceKeeper;
  private closed = false;

  constructor(
    private readonly host: PresenceHost,
    node: PresenceStoreHost,
    private readonly limits: StoreLimits,
  ) {
    this.keeper = new PresenceKeeper({
      host,
      node,
      watches: () => this.watching.values(),
      reload: (w) => this.load(w).catch(() => undefined),
      call: (op, script, bucket, args, bounded) => this.call(op, script, bucket, args, bounded),
    });
    this.keeper.start();
  }

  async write(ns: string, group: string, ops: readonly PresenceOp[]): Promise<readonly number[]> {
    if (this.closed) return rejected(closedError());
    const g = this.keysOf(ns, group);
    const args: (string | number)[] = [g.suffix, this.limits.maxMembers, this.limits.maxConnectionsPerKey];
    let bounded = false;
    for (const op of ops) {
      if (op.op === 'track') bounded = true;
      args.push(op.op === 'track' ? 't' : 'u', op.ref, op.op === 'track' ? rowValue(op.key, op.metaJson) : '', opJson(op));
    }
    try {
      for (let attempt = 0; ; attempt++) {
        const answer = await this.call('presence write', PRESENCE_WRITE, g.bucket, args, bounded);
        if (Array.isArray(answer)) return answer.map(Number);
        // -1: this node's rows are not whole in the bucket; re-assert them, then write again.
        if (attempt > 0) throw new OrreryError('ORRERY_REGISTRY_UNAVAILABLE', 'presence write failed: this node could not re-assert its presence (its registry lease is missing); retry later');
        await this.keeper.requestSync(g.bucket);
      }
    } catch (err) {
      this.keeper.markDirty(g.bucket);
      throw err;
    }
  }

  async list(ns: string, group: string): Promise<PresenceRow[]> {
    if (this.closed) return rejected(closedError());
    return (await this.snapshot(this.keysOf(ns, group))).rows;
  }

  async count(ns: string, group: string): Promise<number> {
    if (this.closed) return rejected(closedError());
    const g = this.keysOf(ns, group);
    return Number(await this.call('presence count', PRESENCE_COUNT, g.bucket, [g.suffix], true));
  }

  async watch(ns: string, group: string, watcher: GroupWatcher): Promise<void> {
    if (this.closed) return rejected(closedError());
    const g = this.keysOf(ns, group);
    const w = new GroupWatch(g, watcher);
    this.watching.set(g.channel, w);
    try {
      await this.host.subscribe(g.channel);
      await this.load(w, true);
    } catch (err) {
      if (this.watching.get(g.channel) === w) this.unwatchChannel(g.channel);
      throw err;
    }
  }

  unwatch(ns: string, group: string): void {
    this.unwatchChannel(this.keysOf(ns, group).channel);
  }

  onMessage(channel: string, payload: string): boolean {
    const w = this.watching.get(channel);
    if (w === undefined) return false;
    const delta = decodeDelta(payload);
    if (delta === undefined) {
      this.host.faults.warn('presence-decode', 'presence dropped a message it cannot decode (not written by Orrery?); reloading the group', {
        channel, bytes: Buffer.byteLength(payload), start: payload.slice(0, 64),
      });
      this.load(w).catch(() => undefined);
    } else if (!w.receive(delta)) {
      this.load(w).catch(() => undefined);
    }
    return true;
  }

  onReasserted(): void {
    if (!this.closed) void this.keeper.syncAll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.keeper.stop();
    for (const channel of [...this.watching.keys()]) this.unwatchChannel(channel);
    // Remove this node's rows now rather than when its lease lapses (best effort).
    await Promise.allSettled(Array.from({ length: this.host.keys.buckets }, (_, b) =>
      this.call('presence retire', PRESENCE_RETIRE, b, [], false)));
  }

  /** Load (or reload) a followed group; `initial` rethrows a failure for `watch`. */
  private async load(w: GroupWatch, initial = false): Promise<void> {
    if (w.loading && !initial) return;
    w.beginLoad();
    let snap;
    try {
      snap = await this.snapshot(w.keys);
    } catch (err) {
      w.failed();
      throw err;
    }
    if (this.watching.get(w.keys.channel) !== w) return;
    if (!w.loaded(snap)) await this.load(w);
  }

  private async snapshot(g: GroupKeys): Promise<{ epoch: string; seq: number; rows: PresenceRow[] }> {
    const reply = await this.call('presence list', PRESENCE_SNAPSHOT, g.bucket, [g.suffix], true);
    const snap = decodeSnapshot(reply);
    if (snap === undefined) {
      throw new OrreryError('ORRERY_REGISTRY_UNAVAILABLE', `presence list failed: Redis holds presence data Orrery cannot read for ${g.suffix} (written by another version?)`);
    }
    return snap;
  }

  private unwatchChannel(channel: string): void {
    if (!this.watching.delete(channel)) return;
    this.host.unsubscribe(channel);
  }

  private keysOf(ns: string, group: string): GroupKeys {
    const keys = this.host.keys;
    const bucket = keys.bucketOf(ns, group);
    const suffix = `${ns.length}:${ns}:${group}`;
    return { bucket, suffix, channel: `${keys.tag(bucket)}pc:${suffix}` };
  }

  private call(op: string, script: Script, bucket: number, args: readonly (string | number)[], bounded: boolean): Promise<unknown> {
    const keys = this.host.keys;
    return this.host.call(op, script, [keys.nodesKey(bucket)], [keys.tag(bucket), this.host.nodeId, ...args], bounded);
  }
}
