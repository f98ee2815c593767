/**
 * The who-is-online list of a room, from the room's presence (`@orrery/client/presence`):
 * members are nicknames, each with its connections, so one person with two tabs is one line
 * ("2 tabs").
 */
import type { PresenceMember } from '@orrery/client/presence';

/** One line of the list. */
export interface OnlinePerson {
  readonly nick: string;
  /** How many connections (tabs) this nickname has in the room. */
  readonly tabs: number;
}

/** Everyone, sorted by nickname (case-insensitive). */
export function onlinePeople(members: readonly PresenceMember<unknown>[]): OnlinePerson[] {
  return members
    .map((m) => ({ nick: m.key, tabs: m.metas.length }))
    .sort((a, b) => a.nick.localeCompare(b.nick, undefined, { sensitivity: 'base' }));
}
