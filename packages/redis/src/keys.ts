/**
 * Where everything lives in Redis (key layout v1).
 *
 * Names and groups are spread over `buckets` hash-tag buckets. Every key and shard channel of
 * one bucket starts with the same hash tag `{prefix:b}`, so each script touches one Redis
 * Cluster slot — including the channel it SPUBLISHes to — and a bucket's keys can be reasoned
 * about together (a node's lease, the names it owns, its group counts). Per bucket `T`:
 *
 * | key / channel                     | type    | content                                      |
 * |-----------------------------------|---------|----------------------------------------------|
 * | `T:nodes`                         | hash    | nodeId → lease deadline (ms, Redis clock)     |
 * | `T:n:<nsLen>:<ns>:<name>`         | string  | `"<nodeId> <memberId>"` — the name's owner    |
 * | `T:g:<nsLen>:<ns>:<group>`        | hash    | nodeId → local member count                  |
 * | `T:on:<nodeId>` / `T:og:<nodeId>` | set     | name keys / group keys that node holds       |
 * | `T:c:<nsLen>:<ns>:<group>`        | channel | the group's messages                         |
 * | `T:i:<nodeId>`                    | channel | `sendMessage` deliveries to that node        |
 *
 * `<nsLen>` (the namespace's length) keeps `ns` + `name` unambiguous whatever they contain.
 */

/** FNV-1a over UTF-16 code units: stable across processes and versions (part of layout v1). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Key and channel names of one registry prefix. */
export class KeyLayout {
  /** `{prefix:b}:` for each bucket b. */
  private readonly tags: string[];

  constructor(readonly prefix: string, readonly buckets: number) {
    this.tags = Array.from({ length: buckets }, (_, b) => `{${prefix}:${b}}:`);
  }

  /** What every node sharing this prefix must agree on. */
  get signature(): string {
    return `orrery-layout v1 buckets=${this.buckets}`;
  }

  /** The key holding {@link signature} (in bucket 0). */
  get layoutKey(): string {
    return `${this.tags[0]!}layout`;
  }

  /** The bucket of a name or group in namespace `ns`. */
  bucketOf(ns: string, name: string): number {
    return fnv1a(`${ns}\u0000${name}`) % this.buckets;
  }

  /** `{prefix:b}:`, the start of every key and channel of bucket `b`. */
  tag(bucket: number): string {
    return this.tags[bucket]!;
  }

  /** The bucket's lease hash (KEYS[1] of every bucket script). */
  nodesKey(bucket: number): string {
    return `${this.tags[bucket]!}nodes`;
  }

  /** The key holding a unique name's owner. */
  nameKey(bucket: number, ns: string, name: string): string {
    return `${this.tags[bucket]!}n:${ns.length}:${ns}:${name}`;
  }

  /** The hash of a group's per-node member counts. */
  groupKey(bucket: number, ns: string, group: string): string {
    return `${this.tags[bucket]!}g:${ns.length}:${ns}:${group}`;
  }

  /** The shard channel of a group's messages. */
  groupChannel(bucket: number, ns: string, group: string): string {
    return `${this.tags[bucket]!}c:${ns.length}:${ns}:${group}`;
  }

  /** The shard channel of `sendMessage` deliveries to `nodeId` in this bucket. */
  inboxChannel(bucket: number, nodeId: string): string {
    return `${this.tags[bucket]!}i:${nodeId}`;
  }
}
