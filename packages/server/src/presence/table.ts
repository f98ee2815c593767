/**
 * A node's copy of one group's cluster-wide presence (kept while the node has subscribers in
 * the group), indexed by member id, by key and by node. Every change that makes a difference
 * is reported to the listener as connection-level `leave` / `join` calls, which the pending
 * diff turns into one message per interval.
 *
 * Invariant: `byKey` and `byNode` hold exactly the rows of `rows`; a key with no row is absent.
 */
import type { PresenceEntry, PresenceMember, PresenceRow } from './types.js';

/** A row of the table, with the entry object lists and diffs reuse for it. */
export interface TableRow {
  readonly row: PresenceRow;
  /** `JSON.stringify(row.meta)`: what "the same metadata" means. */
  readonly metaJson: string;
  readonly entry: PresenceEntry;
}

/** Told about every change that makes a difference. */
export interface TableListener {
  join(row: TableRow): void;
  leave(row: TableRow): void;
}

/** One group's rows on every node. */
export class PresenceTable {
  private readonly rows = new Map<string, TableRow>();
  private readonly byKey = new Map<string, Map<string, TableRow>>();
  private readonly byNode = new Map<string, Set<string>>();

  /** Receives changes; undefined while the first state loads (nobody has seen anything yet). */
  listener: TableListener | undefined;

  /** Number of members (distinct keys). */
  get count(): number {
    return this.byKey.size;
  }

  /** Number of tracked connections. */
  get size(): number {
    return this.rows.size;
  }

  /** Add or replace a row (nothing happens when it is the same). */
  set(row: PresenceRow): void {
    const metaJson = row.metaJson ?? JSON.stringify(row.meta);
    const old = this.rows.get(row.ref);
    if (old !== undefined) {
      if (old.row.key === row.key && old.row.node === row.node && old.metaJson === metaJson) return;
      this.remove(old);
    }
    const added: TableRow = { row, metaJson, entry: { id: row.ref, meta: row.meta } };
    this.rows.set(row.ref, added);
    let keyRows = this.byKey.get(row.key);
    if (keyRows === undefined) this.byKey.set(row.key, (keyRows = new Map()));
    keyRows.set(row.ref, added);
    let nodeRefs = this.byNode.get(row.node);
    if (nodeRefs === undefined) this.byNode.set(row.node, (nodeRefs = new Set()));
    nodeRefs.add(row.ref);
    this.listener?.join(added);
  }

  /** Remove a row (unknown refs are ignored). */
  delete(ref: string): void {
    const old = this.rows.get(ref);
    if (old !== undefined) this.remove(old);
  }

  /** Make `node`'s rows exactly `rows`. */
  replaceNode(node: string, rows: readonly PresenceRow[]): void {
    const keep = new Set<string>();
    for (const row of rows) keep.add(row.ref);
    const had = this.byNode.get(node);
    if (had !== undefined) for (const ref of [...had]) if (!keep.has(ref)) this.delete(ref);
    for (const row of rows) this.set(row);
  }

  /** Remove every row of `node`. */
  dropNode(node: string): void {
    const had = this.byNode.get(node);
    if (had !== undefined) for (const ref of [...had]) this.delete(ref);
  }

  /** Make the table exactly `rows` (a full reload). */
  reset(rows: readonly PresenceRow[]): void {
    const keep = new Set<string>();
    for (const row of rows) keep.add(row.ref);
    for (const ref of [...this.rows.keys()]) if (!keep.has(ref)) this.delete(ref);
    for (const row of rows) this.set(row);
  }

  /** Every member with its connections' metadata. */
  members(): PresenceMember[] {
    const out: PresenceMember[] = [];
    for (const [key, keyRows] of this.byKey) {
      const metas: PresenceEntry[] = [];
      for (const r of keyRows.values()) metas.push(r.entry);
      out.push({ key, metas });
    }
    return out;
  }

  /**
   * Every member as it was before some changes: without the rows of `without`, with the rows
   * of `plus` (the state as of the last diff, while changes are pending).
   */
  membersBefore(without: ReadonlySet<string>, plus: Iterable<TableRow>): PresenceMember[] {
    const keys = new Map<string, PresenceEntry[]>();
    for (const [key, keyRows] of this.byKey) {
      const metas: PresenceEntry[] = [];
      for (const [ref, r] of keyRows) if (!without.has(ref)) metas.push(r.entry);
      if (metas.length > 0) keys.set(key, metas);
    }
    for (const r of plus) {
      let metas = keys.get(r.row.key);
      if (metas === undefined) keys.set(r.row.key, (metas = []));
      metas.push(r.entry);
    }
    const out: PresenceMember[] = [];
    for (const [key, metas] of keys) out.push({ key, metas });
    return out;
  }

  private remove(old: TableRow): void {
    const { ref, key, node } = old.row;
    this.rows.delete(ref);
    const keyRows = this.byKey.get(key);
    if (keyRows !== undefined && keyRows.delete(ref) && keyRows.size === 0) this.byKey.delete(key);
    const nodeRefs = this.byNode.get(node);
    if (nodeRefs !== undefined && nodeRefs.delete(ref) && nodeRefs.size === 0) this.byNode.delete(node);
    this.listener?.leave(old);
  }
}

/** Group items by key, in first-seen order. */
export function groupByKey<T, Meta = unknown>(items: Iterable<T>, keyOf: (item: T) => string, entryOf: (item: T) => PresenceEntry<Meta>): PresenceMember<Meta>[] {
  const keys = new Map<string, PresenceEntry<Meta>[]>();
  for (const item of items) {
    const key = keyOf(item);
    let metas = keys.get(key);
    if (metas === undefined) keys.set(key, (metas = []));
    metas.push(entryOf(item));
  }
  const out: PresenceMember<Meta>[] = [];
  for (const [key, metas] of keys) out.push({ key, metas });
  return out;
}
