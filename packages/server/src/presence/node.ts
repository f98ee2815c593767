/**
 * Presence on one node: the connections this node tracks, its subscribers, and the two
 * batchings that keep a big group cheap.
 *
 * - **Writes** are batched per tick and group: every track / untrack of one event-loop turn
 *   becomes one store write (one Redis script), in call order.
 * - **Diffs** are batched per interval and group: one timer per node (running only while some
 *   group has changes) flushes every changed group, each as one message object delivered to
 *   all of that group's local subscribers — so a 10k-member group costs one message per
 *   subscriber per interval, not one per change.
 *
 * The node's tables are the truth about what *this node's* members hold (the store mirrors
 * them, and re-asserts them from {@link PresenceNode.localGroups}). As in the registry, calls
 * that need the cluster — `track` (limits), `subscribe` (the state), `list`, `count` — fail
 * with the store's error and leave nothing behind; calls that give something up — `untrack`,
 * `unsubscribe`, a member's removal — take effect locally at once and always succeed.
 */
import { OrreryError } from '@orrery/protocol';
import type { Logger } from '../observability.js';
import type { RegistryMember } from '../registry/types.js';
import { GroupFeed } from './feed.js';
import { closedError, type ResolvedPresenceOptions } from './options.js';
import type { LocalGroupRows, PresenceMessage, PresenceOp, PresenceStore, PresenceStoreFactory, PresenceStoreHost, UnsubscribeResult, UntrackResult } from './types.js';
import { FlushTimer, WriteBatcher } from './batching.js';

/** One connection this node tracks in a group. */
interface LocalRow {
  readonly key: string;
  readonly op: Extract<PresenceOp, { op: 'track' }>;
  /** The track's outcome while the store has not answered. */
  pending: Promise<'ok'> | undefined;
}

/** One group of one namespace, as this node holds it. */
interface LocalGroup {
  readonly ns: string;
  readonly group: string;
  readonly rows: Map<RegistryMember, LocalRow>;
  feed: GroupFeed | undefined;
}

const OK: Promise<'ok'> = Promise.resolve('ok');

/** The presence of one node, over one store. */
export class PresenceNode implements PresenceStoreHost {
  readonly store: PresenceStore;
  private readonly groups = new Map<string, Map<string, LocalGroup>>();
  private readonly byMember = new Map<RegistryMember, Set<LocalGroup>>();
  private readonly writes: WriteBatcher<LocalGroup>;
  private readonly flusher: FlushTimer<GroupFeed>;
  private closing: Promise<void> | undefined;

  constructor(
    readonly nodeId: string,
    factory: PresenceStoreFactory,
    readonly options: ResolvedPresenceOptions,
    private readonly logger: Logger,
  ) {
    this.store = factory(this, { maxMembers: options.maxMembers, maxConnectionsPerKey: options.maxConnectionsPerKey });
    this.writes = new WriteBatcher((lg, ops) => this.store.write(lg.ns, lg.group, ops));
    this.flusher = new FlushTimer(options.diffIntervalMs, (feed) => feed.flush());
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Track `member` under `key` (again: update its metadata, or move it to another key). */
  track(ns: string, group: string, member: RegistryMember, key: string, meta: unknown, metaJson: string): Promise<'ok'> {
    if (this.closing !== undefined) return closedError();
    const lg = this.local(ns, group);
    const current = lg.rows.get(member);
    if (current !== undefined && current.key === key && current.op.metaJson === metaJson) return current.pending ?? OK;
    if (current !== undefined && current.key !== key) this.writes.add(lg, { op: 'untrack', ref: member.id });
    const row: LocalRow = { key, op: { op: 'track', ref: member.id, key, meta, metaJson }, pending: undefined };
    lg.rows.set(member, row);
    this.index(member, lg);
    const previous = current?.key === key ? current : undefined;
    const result = this.writes.add(lg, row.op).then(
      (refused) => {
        if (!refused) return 'ok' as const;
        if (lg.rows.get(member) === row) this.dropRow(lg, member);
        throw new OrreryError('ORRERY_PRESENCE_FULL', fullMessage(group, key, this.options));
      },
      (error: unknown) => {
        if (lg.rows.get(member) === row) {
          if (previous !== undefined) lg.rows.set(member, previous);
          else this.dropRow(lg, member);
        }
        throw error;
      },
    );
    row.pending = result;
    const settled = (): void => { if (row.pending === result) row.pending = undefined; };
    result.then(settled, settled);
    return result;
  }

  /** Stop tracking `member` in `group` (locally at once; the store follows). */
  untrack(ns: string, group: string, member: RegistryMember): Promise<UntrackResult> {
    if (this.closing !== undefined) return closedError();
    const lg = this.groups.get(ns)?.get(group);
    if (lg === undefined || !lg.rows.has(member)) return Promise.resolve('not_tracked');
    this.dropRow(lg, member);
    return this.writes.add(lg, { op: 'untrack', ref: member.id }).then(() => 'ok', () => 'ok');
  }

  /** Whether `member` is tracked in `group` (and its key). */
  trackedKey(ns: string, group: string, member: RegistryMember): string | undefined {
    return this.groups.get(ns)?.get(group)?.rows.get(member)?.key;
  }

  /** Deliver the group's state to `member`, then its diffs. */
  subscribe(ns: string, group: string, member: RegistryMember): Promise<'ok'> {
    if (this.closing !== undefined) return closedError();
    const lg = this.local(ns, group);
    let feed = lg.feed;
    if (feed === undefined) {
      const created = new GroupFeed(group, (f) => this.flusher.mark(f), (m, message) => this.deliver(m, message));
      lg.feed = feed = created;
      this.store.watch(ns, group, created).then(undefined, (error: unknown) => {
        for (const m of created.fail(error)) this.unindex(m, lg);
        if (lg.feed === created && created.size === 0) this.dropFeed(lg);
      });
    }
    this.index(member, lg);
    return feed.add(member);
  }

  /** Stop sending `member` the group's changes. */
  unsubscribe(ns: string, group: string, member: RegistryMember): Promise<UnsubscribeResult> {
    const lg = this.groups.get(ns)?.get(group);
    if (lg?.feed === undefined || !lg.feed.remove(member)) return Promise.resolve('not_subscribed');
    if (lg.feed.size === 0) this.dropFeed(lg);
    this.unindex(member, lg);
    return Promise.resolve('ok');
  }

  /** Everything `member` tracked or subscribed to in namespace `ns` goes away. Never throws. */
  removeMember(ns: string, member: RegistryMember): void {
    const groups = this.byMember.get(member);
    if (groups === undefined) return;
    for (const lg of [...groups]) {
      if (lg.ns !== ns) continue;
      if (lg.rows.has(member)) {
        this.dropRow(lg, member);
        if (this.closing === undefined) void this.writes.add(lg, { op: 'untrack', ref: member.id }).catch(() => undefined);
      }
      if (lg.feed?.remove(member) === true && lg.feed.size === 0) this.dropFeed(lg);
      this.unindex(member, lg);
    }
  }

  /** Tracked connections, subscribers and groups this node holds in `ns` (for metrics and leak checks). */
  localSize(ns: string): { tracked: number; subscribers: number; groups: number } {
    let tracked = 0;
    let subscribers = 0;
    const groups = this.groups.get(ns);
    for (const lg of groups?.values() ?? []) {
      tracked += lg.rows.size;
      subscribers += lg.feed?.size ?? 0;
    }
    return { tracked, subscribers, groups: groups?.size ?? 0 };
  }

  *localGroups(): Iterable<LocalGroupRows> {
    for (const groups of this.groups.values()) {
      for (const lg of groups.values()) {
        if (lg.rows.size === 0) continue;
        yield { ns: lg.ns, group: lg.group, rows: [...lg.rows.values()].map((r) => r.op) };
      }
    }
  }

  /** Stop: drop subscribers and timers, let the store remove this node's rows. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.flusher.stop();
      for (const groups of this.groups.values()) for (const lg of groups.values()) lg.feed?.clear();
      await this.writes.idle();
      await this.store.close();
      this.groups.clear();
      this.byMember.clear();
    })();
    return this.closing;
  }

  private deliver(member: RegistryMember, message: PresenceMessage): void {
    try {
      member.deliver(message);
    } catch (error) {
      this.logger.warn('presence: a member threw from deliver(); members must not throw', { member: member.id, error });
    }
  }

  private local(ns: string, group: string): LocalGroup {
    let groups = this.groups.get(ns);
    if (groups === undefined) this.groups.set(ns, (groups = new Map()));
    let lg = groups.get(group);
    if (lg === undefined) groups.set(group, (lg = { ns, group, rows: new Map(), feed: undefined }));
    return lg;
  }

  private dropRow(lg: LocalGroup, member: RegistryMember): void {
    lg.rows.delete(member);
    if (lg.feed?.has(member) !== true) this.unindex(member, lg);
    this.forgetIfEmpty(lg);
  }

  private dropFeed(lg: LocalGroup): void {
    lg.feed?.clear();
    lg.feed = undefined;
    this.store.unwatch(lg.ns, lg.group);
    this.forgetIfEmpty(lg);
  }

  private forgetIfEmpty(lg: LocalGroup): void {
    if (lg.rows.size > 0 || lg.feed !== undefined) return;
    const groups = this.groups.get(lg.ns);
    if (groups?.get(lg.group) !== lg) return;
    groups.delete(lg.group);
    if (groups.size === 0) this.groups.delete(lg.ns);
  }

  private index(member: RegistryMember, lg: LocalGroup): void {
    let set = this.byMember.get(member);
    if (set === undefined) this.byMember.set(member, (set = new Set()));
    set.add(lg);
  }

  private unindex(member: RegistryMember, lg: LocalGroup): void {
    if (lg.rows.has(member) || lg.feed?.has(member) === true) return;
    const set = this.byMember.get(member);
    if (set !== undefined && set.delete(lg) && set.size === 0) this.byMember.delete(member);
  }
}

function fullMessage(group: string, key: string, options: ResolvedPresenceOptions): string {
  return `presence group ${JSON.stringify(group)} is full: it has ${options.maxMembers} members (maxMembers), or key ${JSON.stringify(key)} has ${options.maxConnectionsPerKey} connections (maxConnectionsPerKey); the connection is not tracked`;
}
