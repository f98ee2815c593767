/**
 * The changes of one group that its subscribers have not been told yet, folded so that one
 * message per interval carries them, however many there were:
 * - a connection that joined and left within the interval is not mentioned at all;
 * - a connection that left (or was updated) keeps the metadata subscribers last saw in `leaves`;
 * - a connection that joined (or was updated) has its latest metadata in `joins`.
 * Subscribers apply `leaves` first, then `joins`. A subscriber that arrives mid-interval is
 * given the state as of the last flush (the table with the pending changes undone), so the
 * next diff brings it up to date like everyone else. (Applying a diff to a state that already
 * contains it would change nothing either.)
 */
import { groupByKey, type TableListener, type TableRow } from './table.js';
import { PRESENCE_DIFF, PRESENCE_STATE, type PresenceDiffMessage, type PresenceMember, type PresenceStateMessage } from './types.js';

/** Pending joins and leaves of one group, by member id. */
export class PendingDiff implements TableListener {
  private joins = new Map<string, TableRow>();
  private leaves = new Map<string, TableRow>();

  /** `onDirty` is called when the diff goes from empty to not empty. */
  constructor(private readonly onDirty: () => void) {}

  get empty(): boolean {
    return this.joins.size === 0 && this.leaves.size === 0;
  }

  join(row: TableRow): void {
    if (this.empty) this.onDirty();
    this.joins.set(row.row.ref, row);
  }

  leave(row: TableRow): void {
    const ref = row.row.ref;
    // Joined within this interval: the subscribers never saw it (or saw the older row kept in leaves).
    if (this.joins.delete(ref)) return;
    if (this.leaves.has(ref)) return;
    if (this.empty) this.onDirty();
    this.leaves.set(ref, row);
  }

  /** Member ids whose pending join (or update) subscribers have not seen. */
  joinedRefs(): ReadonlySet<string> {
    return new Set(this.joins.keys());
  }

  /** The rows, as subscribers last saw them, of connections that left or changed since. */
  leftRows(): Iterable<TableRow> {
    return this.leaves.values();
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
