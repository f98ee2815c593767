/**
 * The changes of one group that its subscribers have not been told yet, folded so that one
 * message per interval carries them, however many there were:
 * - a connection that joined and left within the interval is not mentioned at all;
 * - a connection that left (or was updated) keeps the metadata subscribers last saw in `leaves`;
 * - a connection that joined (or was updated) has its latest metadata in `joins`.
 * Subscribers apply `leaves` first, then `joins`. Applying a diff to a state that already
 * contains it changes nothing, so a subscriber whose state was taken mid-interval may get the
 * diff of that interval too.
 */
import { groupByKey, type TableListener, type TableRow } from './table.js';
import { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiffMessage, type PresenceMember, type PresenceStateMessage } from './types.js';

/** Pending joins and leaves of one group, by member id. */
export class PendingDiff implements TableListener {
  private joins = new Map<string, TableRow>();
  private leaves = new Map<string, TableRow>();

  /** Called on every change that reaches the diff (even one that folds away). */
  onChange: (() => void) | undefined;

  /** `onDirty` is called when the diff goes from empty to not empty. */
  constructor(private readonly onDirty: () => void) {}

  get empty(): boolean {
    return this.joins.size === 0 && this.leaves.size === 0;
  }

  join(row: TableRow): void {
    this.onChange?.();
    if (this.empty) this.onDirty();
    this.joins.set(row.row.ref, row);
  }

  leave(row: TableRow): void {
    this.onChange?.();
    const ref = row.row.ref;
    // Joined within this interval: the subscribers never saw it (or saw the older row kept in leaves).
    if (this.joins.delete(ref)) return;
    if (this.leaves.has(ref)) return;
    if (this.empty) this.onDirty();
    this.leaves.set(ref, row);
  }

  /** The message for everything pending (undefined when nothing is), and start afresh. */
  take(group: string): PresenceDiffMessage | undefined {
    if (this.empty) return undefined;
    const message: PresenceDiffMessage = {
      name: PRESENCE_DIFF,
      data: { group, joins: byKey(this.joins.values()), leaves: byKey(this.leaves.values()) },
    };
    this.joins = new Map();
    this.leaves = new Map();
    return message;
  }

  /** Forget what is pending (the subscribers are gone). */
  clear(): void {
    this.joins.clear();
    this.leaves.clear();
  }
}

/** The first message of a subscriber. */
export function stateMessage(group: string, members: readonly PresenceMember[]): PresenceStateMessage {
  return { name: PRESENCE_STATE, data: { group, members } };
}

function byKey(rows: Iterable<TableRow>): PresenceMember[] {
  return groupByKey(rows, (r) => r.row.key, (r) => r.entry);
}
