/**
 * Presence rows and messages as they travel through Redis (see `presence-scripts.ts` for
 * the layout): row values `key NUL metaJson`, op JSON for the group channel, and the
 * decoding of channel messages and snapshots. Anything that does not decode is `undefined`
 * (the caller logs it and reloads the group).
 */
import type { PresenceOp, PresenceRow } from '@orrery/server/presence';

/** A row's stored value: the key and the metadata's JSON, apart at the last NUL. */
export function rowValue(key: string, metaJson: string): string {
  return `${key}\u0000${metaJson}`;
}

/** The op's JSON in a channel message. */
export function opJson(op: PresenceOp): string {
  return op.op === 'track'
    ? `["t",${JSON.stringify(op.ref)},${JSON.stringify(op.key)},${op.metaJson}]`
    : `["u",${JSON.stringify(op.ref)}]`;
}

/** The `n` op (node's rows are now exactly these) of a sync. */
export function replaceJson(node: string, rows: readonly Extract<PresenceOp, { op: 'track' }>[]): string {
  const parts = rows.map((r) => `[${JSON.stringify(r.ref)},${JSON.stringify(r.key)},${r.metaJson}]`);
  return `["n",${JSON.stringify(node)},[${parts.join(',')}]]`;
}

/** One decoded op of a channel message. */
export type DeltaOp =
  | { readonly kind: 'set'; readonly row: PresenceRow }
  | { readonly kind: 'delete'; readonly ref: string }
  | { readonly kind: 'replace'; readonly node: string; readonly rows: PresenceRow[] }
  | { readonly kind: 'drop'; readonly node: string };

/** A decoded channel message. */
export interface Delta {
  readonly epoch: string;
  readonly seq: number;
  readonly ops: DeltaOp[];
  /** The group has no row left (its epoch ends). */
  readonly last: boolean;
}

/** A decoded snapshot. */
export interface Snapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly rows: PresenceRow[];
}

/** Decode a group channel message. */
export function decodeDelta(text: string): Delta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 6 || value[0] !== 'p') return undefined;
  const [, epoch, seq, origin, list, last] = value as unknown[];
  if (typeof epoch !== 'string' || !Number.isInteger(seq) || typeof origin !== 'string' || !Array.isArray(list)) return undefined;
  const ops: DeltaOp[] = [];
  for (const item of list as unknown[]) {
    const op = decodeOp(item, origin);
    if (op === undefined) return undefined;
    ops.push(op);
  }
  return { epoch, seq: seq as number, ops, last: last === 1 };
}

function decodeOp(item: unknown, origin: string): DeltaOp | undefined {
  if (!Array.isArray(item) || typeof item[0] !== 'string') return undefined;
  switch (item[0]) {
    case 't':
      return item.length === 4 && typeof item[1] === 'string' && typeof item[2] === 'string'
        ? { kind: 'set', row: { ref: item[1], node: origin, key: item[2], meta: item[3] as unknown } }
        : undefined;
    case 'u':
      return item.length === 2 && typeof item[1] === 'string' ? { kind: 'delete', ref: item[1] } : undefined;
    case 'x':
      return item.length === 2 && typeof item[1] === 'string' ? { kind: 'drop', node: item[1] } : undefined;
    case 'n': {
      if (item.length !== 3 || typeof item[1] !== 'string' || !Array.isArray(item[2])) return undefined;
      const node = item[1];
      const rows: PresenceRow[] = [];
      for (const r of item[2] as unknown[]) {
        if (!Array.isArray(r) || r.length !== 3 || typeof r[0] !== 'string' || typeof r[1] !== 'string') return undefined;
        rows.push({ ref: r[0], node, key: r[1], meta: r[2] as unknown });
      }
      return { kind: 'replace', node, rows };
    }
    default:
      return undefined;
  }
}

/** Decode the reply of the snapshot script. */
export function decodeSnapshot(reply: unknown): Snapshot | undefined {
  if (!Array.isArray(reply) || reply.length < 2 || typeof reply[0] !== 'string') return undefined;
  const seq = Number(reply[1]);
  const rows: PresenceRow[] = [];
  for (let i = 2; i < reply.length;) {
    const node = reply[i];
    const n = Number(reply[i + 1]);
    if (typeof node !== 'string' || !Number.isInteger(n) || i + 2 + 2 * n > reply.length) return undefined;
    for (let j = 0; j < n; j++) {
      const row = parseRow(reply[i + 2 + 2 * j], reply[i + 3 + 2 * j], node);
      if (row === undefined) return undefined;
      rows.push(row);
    }
    i += 2 + 2 * n;
  }
  return { epoch: reply[0], seq, rows };
}

function parseRow(ref: unknown, value: unknown, node: string): PresenceRow | undefined {
  if (typeof ref !== 'string' || typeof value !== 'string') return undefined;
  const cut = value.lastIndexOf('\u0000');
  if (cut < 0) return undefined;
  const metaJson = value.slice(cut + 1);
  try {
    return { ref, node, key: value.slice(0, cut), meta: JSON.parse(metaJson) as unknown, metaJson };
  } catch {
    return undefined;
  }
}
