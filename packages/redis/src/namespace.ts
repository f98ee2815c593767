/**
 * One namespace (one route) of the Redis registry on one node.
 *
 * The node's local tables are the truth about what *this node's* members hold; Redis mirrors
 * them for the rest of the cluster, and a sync re-asserts them whenever Redis may have lost
 * or dropped them. So:
 * - calls that need the cluster's answer — `register` (is it free?), `sendMessage` to a name
 *   held elsewhere, `publish` (remote members and the count), `join` (the subscription and
 *   the count) — fail with `ORRERY_REGISTRY_UNAVAILABLE` when Redis cannot answer, and leave
 *   nothing behind;
 * - calls that only give things up — `unregister`, `leave`, `removeMember` — take effect
 *   locally at once and always succeed; Redis is updated now or by the next sync;
 * - local members are reached without Redis: `sendMessage` to a name held on this node
 *   delivers synchronously, and `publish` delivers to local members synchronously (also
 *   while Redis is down) before the remote part completes.
 *
 * Calls on one bucket travel in order on one connection, so a `register` followed by a
 * `removeMember`, or a `join` followed by a `leave`, land on Redis in that order.
 */
import { assertJsonValue, assertName } from '@orrery/server';
import type { LeaveResult, RegisterResult, RegistryMember, RegistryNamespace, UnregisterResult } from '@orrery/server';
import { encodeDirect, encodeGroup } from './codec.js';
import { closedError, handled, rejected } from './faults.js';
import type { NodeCore } from './core.js';
import { GROUP_COUNT, PUBLISH, REGISTER, SEND, UNREGISTER } from './scripts.js';

interface NameEntry {
  readonly member: RegistryMember;
  readonly bucket: number;
  readonly key: string;
  /** Set while Redis has not answered the registration. */
  pending: Promise<RegisterResult> | undefined;
}

interface GroupEntry {
  readonly members: Set<RegistryMember>;
  readonly bucket: number;
  readonly key: string;
  readonly channel: string;
  /** Joins not yet confirmed, so that a repeated join waits for the first. */
  readonly joining: Map<RegistryMember, Promise<'ok'>>;
}

interface MemberEntry {
  readonly names: Set<string>;
  readonly groups: Set<string>;
}

/** What a sync sends for one bucket, and how to map conflicts back. */
export interface BucketState {
  readonly names: string[];
  readonly groups: string[];
  readonly byKey: Map<string, { ns: RedisNamespace; name: string }>;
}

const RESOLVED_OK: Promise<'ok'> = Promise.resolve('ok');
const RESOLVED_TRUE: Promise<boolean> = Promise.resolve(true);
/** Writes that mirror a give-up do not count against maxInFlight (see ExecOptions). */
const UNBOUNDED = { bounded: false } as const;

/** One route's namespace on one node (see the module comment for the rules). */
export class RedisNamespace implements RegistryNamespace {
  private readonly names = new Map<string, NameEntry>();
  private readonly groups = new Map<string, GroupEntry>();
  private readonly members = new Map<RegistryMember, MemberEntry>();

  constructor(readonly name: string, private readonly core: NodeCore) {}

  register(name: string, member: RegistryMember): Promise<RegisterResult> {
    assertName(name, 'unique name');
    if (this.core.isClosed()) return rejected(closedError());
    return handled(this.registerNow(name, member));
  }

  unregister(name: string, member: RegistryMember): Promise<UnregisterResult> {
    assertName(name, 'unique name');
    if (this.core.isClosed()) return rejected(closedError());
    const entry = this.names.get(name);
    if (entry === undefined || entry.member !== member) return Promise.resolve('not_registered');
    if (entry.pending !== undefined) {
      const again = (): Promise<UnregisterResult> => this.unregister(name, member);
      return handled(entry.pending.then(again, again));
    }
    this.dropName(name, entry);
    return this.mirrorUnregister(entry).then(() => 'ok');
  }

  sendMessage(name: string, message: unknown): Promise<boolean> {
    assertName(name, 'unique name');
    assertJsonValue(message);
    if (this.core.isClosed()) return rejected(closedError());
    const entry = this.names.get(name);
    if (entry !== undefined && entry.pending === undefined) {
      this.core.deliver(entry.member, message);
      return RESOLVED_TRUE;
    }
    const bucket = this.core.keys.bucketOf(this.name, name);
    const key = entry?.key ?? this.core.keys.nameKey(bucket, this.name, name);
    const payload = encodeDirect(this.name, name, message);
    return handled(this.core.exec('sendMessage', SEND, bucket, [key], [payload]).then((found) => found === 1));
  }

  join(group: string, member: RegistryMember): Promise<'ok'> {
    assertName(group, 'group');
    if (this.core.isClosed()) return rejected(closedError());
    let entry = this.groups.get(group);
    if (entry?.members.has(member) === true) return entry.joining.get(member) ?? RESOLVED_OK;
    if (entry === undefined) {
      const bucket = this.core.keys.bucketOf(this.name, group);
      entry = {
        members: new Set(),
        bucket,
        key: this.core.keys.groupKey(bucket, this.name, group),
        channel: this.core.keys.groupChannel(bucket, this.name, group),
        joining: new Map(),
      };
      this.groups.set(group, entry);
      this.core.channels.set(entry.channel, { ns: this, group });
    }
    entry.members.add(member);
    this.memberEntry(member).groups.add(group);
    const joining = entry.joining;
    const joined = handled(this.confirmJoin(group, entry, member));
    joining.set(member, joined);
    const settled = (): void => { if (joining.get(member) === joined) joining.delete(member); };
    joined.then(settled, settled);
    return joined;
  }

  leave(group: string, member: RegistryMember): Promise<LeaveResult> {
    assertName(group, 'group');
    if (this.core.isClosed()) return rejected(closedError());
    const entry = this.groups.get(group);
    if (entry === undefined || !entry.members.has(member)) return Promise.resolve('not_in_group');
    this.members.get(member)?.groups.delete(group);
    return this.dropMembership(group, entry, member).then(() => 'ok');
  }

  publish(group: string, message: unknown): Promise<number> {
    assertName(group, 'group');
    assertJsonValue(message);
    if (this.core.isClosed()) return rejected(closedError());
    const entry = this.groups.get(group);
    const keys = this.core.keys;
    const bucket = entry?.bucket ?? keys.bucketOf(this.name, group);
    const key = entry?.key ?? keys.groupKey(bucket, this.name, group);
    const channel = entry?.channel ?? keys.groupChannel(bucket, this.name, group);
    const local = entry === undefined ? 0 : entry.members.size;
    // Encoded once; sent before the local deliveries so the remote hop starts at once.
    const remote = this.core.exec('publish', PUBLISH, bucket, [key], [channel, encodeGroup(this.core.nodeId, message)],
      { detail: `; the ${local} member(s) on this node received the message, members on other nodes did not` });
    if (entry !== undefined) for (const member of entry.members) this.core.deliver(member, message);
    return handled(remote.then((others) => others + local));
  }

  removeMember(member: RegistryMember): void {
    const entry = this.members.get(member);
    if (entry === undefined) return;
    this.members.delete(member);
    for (const name of entry.names) {
      const held = this.names.get(name);
      if (held?.member !== member) continue;
      this.names.delete(name);
      void this.mirrorUnregister(held);
    }
    for (const group of entry.groups) {
      const g = this.groups.get(group);
      if (g?.members.has(member) === true) void this.dropMembership(group, g, member);
    }
  }

  localSize(): { names: number; groups: number; memberships: number } {
    let memberships = 0;
    for (const g of this.groups.values()) memberships += g.members.size;
    return { names: this.names.size, groups: this.groups.size, memberships };
  }

  /** A group message from another node. */
  deliverGroup(group: string, message: unknown): void {
    const entry = this.groups.get(group);
    if (entry !== undefined) for (const member of entry.members) this.core.deliver(member, message);
  }

  /** A `sendMessage` from another node (or from this node, through Redis, while the name was pending). */
  deliverDirect(name: string, message: unknown): boolean {
    const entry = this.names.get(name);
    if (entry === undefined) return false;
    this.core.deliver(entry.member, message);
    return true;
  }

  /** Add this namespace's state in the given buckets to a sync. */
  collect(states: Map<number, BucketState>): void {
    for (const [name, entry] of this.names) {
      const state = states.get(entry.bucket);
      if (state === undefined) continue;
      state.names.push(entry.key, entry.member.id);
      state.byKey.set(entry.key, { ns: this, name });
    }
    for (const entry of this.groups.values()) {
      const state = states.get(entry.bucket);
      if (state !== undefined) state.groups.push(entry.key, String(entry.members.size));
    }
  }

  /** A sync found another live node holding `name`: this node lost it while its lease had lapsed. */
  lose(name: string): boolean {
    const entry = this.names.get(name);
    if (entry === undefined || entry.pending !== undefined) return false;
    this.dropName(name, entry);
    return true;
  }

  /** Forget everything (the node closed). */
  clear(): void {
    for (const g of this.groups.values()) this.core.channels.delete(g.channel);
    this.names.clear();
    this.groups.clear();
    this.members.clear();
  }

  private async registerNow(name: string, member: RegistryMember): Promise<RegisterResult> {
    const held = this.names.get(name);
    if (held !== undefined) {
      if (held.pending === undefined) return held.member === member ? 'ok' : 'taken';
      // Another registration of this name on this node is in flight: its answer decides.
      await held.pending.catch(() => undefined);
      return this.registerNow(name, member);
    }
    const bucket = this.core.keys.bucketOf(this.name, name);
    const entry: NameEntry = { member, bucket, key: this.core.keys.nameKey(bucket, this.name, name), pending: undefined };
    this.names.set(name, entry);
    this.memberEntry(member).names.add(name);
    entry.pending = this.claim(name, entry);
    return entry.pending;
  }

  private async claim(name: string, entry: NameEntry): Promise<RegisterResult> {
    try {
      const result = await this.core.exec('register', REGISTER, entry.bucket, [entry.key], [entry.member.id]);
      if (result === 1) return 'ok';
      this.dropName(name, entry);
      return 'taken';
    } catch (err) {
      // Redis may or may not have run it: the next sync removes what this node does not hold.
      this.dropName(name, entry);
      this.core.markDirty(entry.bucket);
      throw err;
    } finally {
      entry.pending = undefined;
    }
  }

  private async confirmJoin(group: string, entry: GroupEntry, member: RegistryMember): Promise<'ok'> {
    try {
      await Promise.all([
        this.core.exec('join', GROUP_COUNT, entry.bucket, [entry.key], [entry.members.size]),
        this.core.subscriptions.ensure(entry.channel),
      ]);
      return 'ok';
    } catch (err) {
      if (this.groups.get(group) === entry && entry.members.has(member)) {
        this.members.get(member)?.groups.delete(group);
        void this.dropMembership(group, entry, member);
      }
      throw this.core.wrap('join', err);
    }
  }

  private dropName(name: string, entry: NameEntry): void {
    if (this.names.get(name) !== entry) return;
    this.names.delete(name);
    this.members.get(entry.member)?.names.delete(name);
  }

  private dropMembership(group: string, entry: GroupEntry, member: RegistryMember): Promise<void> {
    entry.members.delete(member);
    entry.joining.delete(member);
    if (entry.members.size === 0 && this.groups.get(group) === entry) {
      this.groups.delete(group);
      this.core.channels.delete(entry.channel);
      this.core.subscriptions.release(entry.channel);
    }
    return this.mirror(entry.bucket, () =>
      this.core.exec('leave', GROUP_COUNT, entry.bucket, [entry.key], [entry.members.size], UNBOUNDED));
  }

  private mirrorUnregister(entry: NameEntry): Promise<void> {
    return this.mirror(entry.bucket, () =>
      this.core.exec('unregister', UNREGISTER, entry.bucket, [entry.key], [entry.member.id], UNBOUNDED));
  }

  /** Update Redis after a local give-up; never rejects (a failure leaves the bucket to the next sync). */
  private mirror(bucket: number, write: () => Promise<number>): Promise<void> {
    if (this.core.isClosed()) return Promise.resolve();
    return write().then(() => undefined, () => this.core.markDirty(bucket));
  }

  private memberEntry(member: RegistryMember): MemberEntry {
    let entry = this.members.get(member);
    if (entry === undefined) {
      entry = { names: new Set(), groups: new Set() };
      this.members.set(member, entry);
    }
    return entry;
  }
}
