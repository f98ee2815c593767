/**
 * The who-is-online list of a room, built from `presence` messages: `join` (someone came —
 * possibly you), `here` (someone already in the room answered your join) and `leave`.
 * Keyed by nickname, counting connections, so one person with two tabs is one line ("2 tabs").
 */
import type { PresenceEventValue } from '../shared/chat-protocol.js';

/** One line of the list. */
export interface OnlinePerson {
  readonly nick: string;
  /** How many connections (tabs) this nickname has in the room. */
  readonly tabs: number;
}

/** The room's online list. */
export class OnlineList {
  private readonly byNick = new Map<string, Set<string>>();

  /** Forget everyone (a new connection starts a new list). */
  reset(): void {
    this.byNick.clear();
  }

  /** Apply one presence event; returns whether the list changed. */
  apply(event: PresenceEventValue): boolean {
    const conns = this.byNick.get(event.nick);
    if (event.event === 'leave') {
      if (conns === undefined || !conns.delete(event.conn)) return false;
      if (conns.size === 0) this.byNick.delete(event.nick);
      return true;
    }
    if (conns?.has(event.conn) === true) return false;
    if (conns === undefined) this.byNick.set(event.nick, new Set([event.conn]));
    else conns.add(event.conn);
    return true;
  }

  /** Everyone, sorted by nickname (case-insensitive). */
  people(): OnlinePerson[] {
    return [...this.byNick]
      .map(([nick, conns]) => ({ nick, tabs: conns.size }))
      .sort((a, b) => a.nick.localeCompare(b.nick, undefined, { sensitivity: 'base' }));
  }

  /** Number of people (not connections). */
  get size(): number {
    return this.byNick.size;
  }
}
