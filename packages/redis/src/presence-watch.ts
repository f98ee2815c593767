/**
 * One group this node follows (it has subscribers there): the group channel's messages
 * applied in seq order on top of a snapshot.
 *
 * Loading: messages that arrive while the snapshot is on its way are held, then those after
 * the snapshot's seq are applied. A message is *next* when it has the current epoch and seq+1,
 * or — when the group did not exist — a newer epoch and seq 1. Older messages (a lower seq,
 * an older epoch: epochs are Redis `TIME` stamps) are dropped; anything else is a gap and
 * the group is loaded again, as it is when the heartbeat finds Redis ahead of this copy twice
 * in a row (a message lost while the subscriber connection was down).
 */
import type { GroupWatcher } from '@orrery/server/presence';
import type { Delta, Snapshot } from './presence-codec.js';

/** Where a group lives in Redis. */
export interface GroupKeys {
  readonly bucket: number;
  /** `<nsLen>:<ns>:<group>` */
  readonly suffix: string;
  readonly channel: string;
}

/** `sec.usec` epochs compare as numbers; '' is older than any. */
function compareEpochs(a: string, b: string): number {
  const [as = '0', au = '0'] = a.split('.');
  const [bs = '0', bu = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(au) - Number(bu);
}

/** A followed group's copy state. */
export class GroupWatch {
  private epoch = '';
  private seq = 0;
  /** The newest epoch known to have ended (messages of it or older are stale). */
  private ended = '';
  /** Messages held while a snapshot loads; undefined when none is loading. */
  private held: Delta[] | undefined = [];
  /** Heartbeats in a row that found Redis ahead of this copy. */
  private behind = 0;
  /** The last load failed: the next heartbeat loads again. */
  stale = false;

  constructor(readonly keys: GroupKeys, readonly watcher: GroupWatcher) {}

  get loading(): boolean {
    return this.held !== undefined;
  }

  /** Start (re)loading: hold messages until {@link loaded}. */
  beginLoad(): void {
    this.held = [];
  }

  /** A message from the channel; `false` when it shows a gap (load again). */
  receive(delta: Delta): boolean {
    if (this.held !== undefined) {
      this.held.push(delta);
      return true;
    }
    return this.apply(delta);
  }

  /** The snapshot arrived; `false` when a held message shows a gap. */
  loaded(snapshot: Snapshot): boolean {
    this.epoch = snapshot.epoch;
    this.seq = snapshot.seq;
    this.stale = false;
    this.behind = 0;
    this.watcher.reset(snapshot.rows);
    const held = this.held ?? [];
    this.held = undefined;
    return held.every((d) => this.apply(d));
  }

  /** The load failed: keep going with what there is; the heartbeat retries. */
  failed(): void {
    this.held = undefined;
    this.stale = true;
  }

  /** What Redis says now (from the heartbeat); `true` when this copy should be loaded again. */
  check(epoch: string, seq: number): boolean {
    if (this.loading) return false;
    if (this.stale) return true;
    if (epoch === this.epoch && seq === this.seq) {
      this.behind = 0;
      return false;
    }
    return ++this.behind >= 2;
  }

  private apply(d: Delta): boolean {
    if (d.epoch === this.epoch) {
      if (d.seq <= this.seq) return true;
      if (d.seq !== this.seq + 1) return false;
    } else {
      const newer = compareEpochs(d.epoch, this.epoch) > 0 && compareEpochs(d.epoch, this.ended) > 0;
      if (!newer) return true;
      if (this.epoch !== '' || d.seq !== 1) return false;
    }
    this.epoch = d.epoch;
    this.seq = d.seq;
    const w = this.watcher;
    for (const op of d.ops) {
      if (op.kind === 'set') w.set(op.row);
      else if (op.kind === 'delete') w.delete(op.ref);
      else if (op.kind === 'replace') w.replaceNode(op.node, op.rows);
      else w.dropNode(op.node);
    }
    if (d.last) {
      this.ended = d.epoch;
      this.epoch = '';
      this.seq = 0;
    }
    return true;
  }
}
