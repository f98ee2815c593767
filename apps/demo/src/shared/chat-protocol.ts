/**
 * The chat's protocol, shared by the browser pages, the websocket handler and the tRPC
 * router: every message type of the demo is written here once.
 *
 * Written with `zod/mini` (≈ 5 kB in the browser bundle instead of ≈ 95 kB for full zod).
 * The server validates everything a client sends against these schemas; the pages run the
 * same schemas before sending, so the reason a user sees is the server's own rule.
 */
import * as z from 'zod/mini';
import { defineProtocol, presenceMessages } from '@orrery/protocol';

/** Limits of the chat (the schemas below enforce them). */
export const CHAT_LIMITS = {
  /** Longest nickname, in characters. */
  nicknameMax: 24,
  /** Longest room name, in characters. */
  roomMax: 32,
  /** Longest message, in characters. */
  messageMax: 2000,
  /** Messages a room keeps for its history. */
  historySize: 50,
} as const;

/** Rooms shown in the sidebar; any other valid room name works too. */
export const DEFAULT_ROOMS = ['lobby', 'random', 'help'] as const;

/** A nickname: 1–24 letters, digits, spaces, `_ . -`, not starting or ending with a space. */
export const Nickname = z.string().check(
  z.minLength(1, 'Pick a nickname'),
  z.maxLength(CHAT_LIMITS.nicknameMax, `A nickname has at most ${CHAT_LIMITS.nicknameMax} characters`),
  z.regex(/^(?:[\p{L}\p{N}_.-](?:[\p{L}\p{N} _.-]*[\p{L}\p{N}_.-])?)?$/u, 'Use letters, digits, spaces and _ . - (no space at either end)'),
);

/** A room name: lower-case letters, digits and `-`, 1–32 characters. */
export const RoomName = z.string().check(
  z.minLength(1, 'Name the room'),
  z.maxLength(CHAT_LIMITS.roomMax, `A room name has at most ${CHAT_LIMITS.roomMax} characters`),
  z.regex(/^(?:[a-z0-9][a-z0-9-]*)?$/, 'Use lower-case letters, digits and - (starting with a letter or digit)'),
);

/** A message's text: 1–2000 characters, not only white space. */
export const MessageText = z.string().check(
  z.maxLength(CHAT_LIMITS.messageMax, `A message has at most ${CHAT_LIMITS.messageMax} characters`),
  z.regex(/\S/, 'The message is empty'),
);

/** A message someone wrote. */
export const UserEntry = z.object({
  kind: z.literal('user'),
  id: z.string(),
  room: RoomName,
  from: Nickname,
  text: z.string(),
  at: z.number(),
});

/** A message the system posted (through the tRPC `announce` mutation). */
export const SystemEntry = z.object({
  kind: z.literal('system'),
  id: z.string(),
  room: RoomName,
  text: z.string(),
  at: z.number(),
});

/** One line of a room: what the room's history holds and what `message` delivers. */
export const ChatEntry = z.discriminatedUnion('kind', [UserEntry, SystemEntry]);

/** Who is online: presence keyed by nickname (two tabs of one nickname are one member), no metadata. */
export const OnlineMeta = z.null();

/** The chat protocol (websocket route `/chat/:room?nick=…`). */
export const chatProtocol = defineProtocol({
  server: {
    /** First message on every connection: who and where you are (your connection id). */
    joined: z.object({ room: RoomName, nick: Nickname, conn: z.string() }),
    /** A new line in the room. */
    message: ChatEntry,
    /** Who is online in the room: `presence_state` once per connection, then `presence_diff` (docs/presence.md). */
    ...presenceMessages(OnlineMeta),
  },
  requests: {
    /** Post a message to the room; answered with its id once it is delivered. */
    say: {
      input: z.object({ text: MessageText }),
      output: z.object({ id: z.string(), at: z.number() }),
      errors: ['RATE_LIMITED', 'UNAVAILABLE'],
    },
  },
});

/** The chat protocol's type. */
export type ChatProtocol = typeof chatProtocol;
/** A line of a room. */
export type ChatEntryValue = z.infer<typeof ChatEntry>;

/** The first problem `schema` finds with `value`, or `undefined` when it is valid. */
export function firstProblem(schema: z.ZodMiniType, value: unknown): string | undefined {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) return undefined;
  return result.issues?.[0]?.message;
}
