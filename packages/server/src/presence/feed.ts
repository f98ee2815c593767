/**
 * One group's subscribers on one node, fed by the store: a copy of the group (a
 * {@link PresenceTable}), the changes not yet sent (a {@link PendingDiff}), and the members
 * that receive them.
 *
 * A subscriber gets the `presence_state` first — at once when the copy is loaded, else as
 * soon as it is — and then the diffs the node flushes once per interval. Everything reaches
 * it through `deliver`, the path of registry messages, so the state always comes before the
 * diffs and a connection sees them in its own mailbox order.
 */
import type { RegistryMember } from '../registry/types.js';
import { PendingDiff, stateMessage } from './diff.js';
import { PresenceTable } from './table.js';
import type { GroupWatcher, PresenceMessage, PresenceRow } from './types.js';

interface Waiter {
  readonly member: RegistryMember;
  readonly resolve: (result: 'ok') => void;
  readonly reject: (error: unknown) => void;
}

/** The subscribers of one group on one node. */
export class GroupFeed implements GroupWatcher {
  private readonly table = new PresenceTable();
  private readonly pending: PendingDiff;
  private readonly subscribers = new Set<RegistryMember>();
  private waiting: Waiter[] = [];
  private loaded = false;
  /**
   * The state as of the last flush: subscribers that arrive within one interval share it (one
   * encoding for all), and the next diff brings them up to date like everyone else.
   */
  private state: PresenceMessage | undefined;

  constructor(
    readonly group: string,
    onDirty: (feed: GroupFeed) => void,
    private readonly deliver: (member: RegistryMember, message: PresenceMessage) => void,
  ) {
    this.pending = new PendingDiff(() => onDirty(this));
  }

  /** Subscribers, and members waiting for their first state. */
  get size(): number {
    return this.subscribers.size + this.waiting.length;
  }

  has(member: RegistryMember): boolean {
    return this.subscribers.has(member) || this.waiting.some((w) => w.member === member);
  }

  /** Add a subscriber; resolves once its state was delivered. */
  add(member: RegistryMember): Promise<'ok'> {
    if (this.has(member)) return Promise.resolve('ok');
    if (this.loaded) {
      this.deliver(member, (this.state ??= this.lastFlushed()));
      this.subscribers.add(member);
      return Promise.resolve('ok');
    }
    return new Promise((resolve, reject) => this.waiting.push({ member, resolve, reject }));
  }

  /** Remove a subscriber (one still waiting gets no state; its subscribe resolves). */
  remove(member: RegistryMember): boolean {
    if (this.subscribers.delete(member)) return true;
    const at = this.waiting.findIndex((w) => w.member === member);
    if (at < 0) return false;
    const [waiter] = this.waiting.splice(at, 1);
    waiter!.resolve('ok');
    return true;
  }

  /** The store could not load the group: every waiting subscribe rejects. Returns them. */
  fail(error: unknown): RegistryMember[] {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(error);
    return waiting.map((w) => w.member);
  }

  /** Send what changed since the last flush to every subscriber (one message object for all). */
  flush(): void {
    const message = this.pending.take(this.group);
    if (message === undefined) return;
    this.state = undefined;
    for (const member of this.subscribers) this.deliver(member, message);
  }

  /** Drop everything (no subscriber left, or the node closed). */
  clear(): void {
    this.pending.clear();
    this.subscribers.clear();
    for (const w of this.waiting.splice(0)) w.resolve('ok');
  }

  reset(rows: readonly PresenceRow[]): void {
    if (this.loaded) {
      this.table.reset(rows);
      return;
    }
    // The first load: nobody has seen anything yet, so it is the state, not a change.
    this.table.reset(rows);
    this.table.listener = this.pending;
    this.loaded = true;
    const state = (this.state = stateMessage(this.group, this.table.members()));
    for (const w of this.waiting.splice(0)) {
      this.deliver(w.member, state);
      this.subscribers.add(w.member);
      w.resolve('ok');
    }
  }

  /** The group as subscribers were last told it (the table without the pending changes). */
  private lastFlushed(): PresenceMessage {
    const members = this.pending.empty ? this.table.members() : this.table.membersBefore(this.pending.joinedRefs(), this.pending.leftRows());
    return stateMessage(this.group, members);
  }

  set(row: PresenceRow): void {
    this.table.set(row);
  }

  delete(ref: string): void {
    this.table.delete(ref);
  }

  replaceNode(node: string, rows: readonly PresenceRow[]): void {
    this.table.replaceNode(node, rows);
  }

  dropNode(node: string): void {
    this.table.dropNode(node);
  }
}
