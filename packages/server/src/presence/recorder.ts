/**
 * Test tools for presence (exported from `@orrery/server/testing`):
 * - {@link PresenceRecorder}: a registry member that records the presence messages it gets;
 * - {@link PresenceMirror}: rebuilds a group from those messages the way a client does
 *   (state, then diffs: leaves first, then joins) and records key-level events.
 */
import type { RegistryMember } from '../registry/types.js';
import type { PresenceEntry, PresenceMember, PresenceMessage } from './types.js';

/** A member that records what it receives. */
export class PresenceRecorder implements RegistryMember {
  readonly messages: PresenceMessage[] = [];
  constructor(readonly id: string) {}
  deliver(message: unknown): void {
    this.messages.push(message as PresenceMessage);
  }
}

/** A group rebuilt from a recorder's messages. */
export class PresenceMirror {
  /** `join <key>`, `leave <key>` (the key's first connection came, its last one went), `update <key>`. */
  readonly events: string[] = [];
  private readonly members = new Map<string, Map<string, PresenceEntry>>();
  private seen = 0;
  private hasState = false;

  constructor(private readonly recorder: PresenceRecorder, private readonly group: string) {
    this.sync();
  }

  /** Apply the messages that arrived since the last call; returns key → its entries. */
  sync(): Map<string, PresenceEntry[]> {
    const { messages } = this.recorder;
    for (; this.seen < messages.length; this.seen++) {
      const message = messages[this.seen]!;
      if (message.data.group !== this.group) continue;
      if (message.name === 'presence_state') {
        this.applyState(message.data.members);
      } else {
        if (!this.hasState) throw new Error(`${this.recorder.id}: a presence_diff arrived before the presence_state`);
        this.apply(message.data.leaves, message.data.joins);
      }
    }
    const out = new Map<string, PresenceEntry[]>();
    for (const [key, entries] of this.members) out.set(key, [...entries.values()]);
    return out;
  }

  /** The keys present now (after a sync), sorted. */
  keys(): string[] {
    return [...this.sync().keys()].sort();
  }

  private applyState(members: readonly PresenceMember[]): void {
    if (!this.hasState) {
      this.hasState = true;
      for (const m of members) this.members.set(m.key, new Map(m.metas.map((e) => [e.id, e])));
      return;
    }
    const leaves: PresenceMember[] = [];
    for (const [key, entries] of this.members) leaves.push({ key, metas: [...entries.values()] });
    this.apply(leaves, members);
  }

  private apply(leaves: readonly PresenceMember[], joins: readonly PresenceMember[]): void {
    const before = new Map<string, string>();
    const touched = new Set<string>();
    for (const m of [...leaves, ...joins]) {
      touched.add(m.key);
      if (!before.has(m.key)) before.set(m.key, JSON.stringify([...(this.members.get(m.key)?.values() ?? [])]));
    }
    for (const m of leaves) {
      const entries = this.members.get(m.key);
      if (entries === undefined) continue;
      for (const e of m.metas) entries.delete(e.id);
      if (entries.size === 0) this.members.delete(m.key);
    }
    for (const m of joins) {
      let entries = this.members.get(m.key);
      if (entries === undefined) this.members.set(m.key, (entries = new Map()));
      for (const e of m.metas) entries.set(e.id, e);
    }
    for (const key of touched) {
      const was = before.get(key) !== '[]';
      const is = this.members.has(key);
      if (!was && is) this.events.push(`join ${key}`);
      else if (was && !is) this.events.push(`leave ${key}`);
      else if (is && before.get(key) !== JSON.stringify([...this.members.get(key)!.values()])) this.events.push(`update ${key}`);
    }
  }
}
