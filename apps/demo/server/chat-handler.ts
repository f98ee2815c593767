/**
 * The chat's websocket handler (route `/chat/:room?nick=…`), a typed handler of the shared
 * chat protocol.
 *
 * - `connect` checks the nickname and the room with the shared schemas, and refuses reserved
 *   nicknames: 400 / 403, which an Orrery client sees as close 4400 / 4403 with the reason
 *   and does not retry.
 * - `init` joins the room's group, tracks the connection in the room's presence under its
 *   nickname (two tabs of one nickname are one member) and subscribes it: the client gets
 *   `presence_state`, then batched `presence_diff`s — the who-is-online list, on every node.
 *   The connection's end removes it from presence (no `terminate` needed).
 * - `say` (a request) is rate-limited per connection, stored in the history and published to
 *   the room; the sender gets the message id back, or `RATE_LIMITED` / `UNAVAILABLE`.
 */
import { defineTypedHandler, fail, reject, type Conn, type Logger } from '@orrery/server';
import type { Presence } from '@orrery/server/presence';
import type { ServerMessage } from '@orrery/protocol';
import { chatProtocol, firstProblem, Nickname, RoomName, type ChatProtocol } from '../src/shared/chat-protocol.js';
import type { HistoryStore } from './history.js';
import { DEFAULT_SEND_RATE, fullBucket, rateLimitMessage, take, type Bucket, type SendRate } from './rate-limit.js';

/** Nicknames only the server may use (compared case-insensitively). */
export const RESERVED_NICKNAMES: readonly string[] = ['system', 'admin', 'orrery', 'moderator'];

/** What the chat handler needs. */
export interface ChatHandlerOptions {
  /** Where rooms keep their lines. */
  history: HistoryStore;
  /** Where registry failures are reported. */
  logger: Logger;
  /** Who is online: the presence whose `registry` the server was given. */
  presence: Presence<null>;
  /** How fast one connection may post. @default {@link DEFAULT_SEND_RATE} */
  sendRate?: SendRate;
}

/** The connection's assigns, set in `connect`. */
export interface ChatAssigns {
  nick: string;
  room: string;
}

/** A connection's state. */
export interface ChatState {
  readonly nick: string;
  readonly room: string;
  readonly bucket: Bucket;
  /** Messages this connection posted (their ids are `<conn id>-<seq>`). */
  seq: number;
}

type ChatMessage = ServerMessage<ChatProtocol>;
type ChatConn = Conn<ChatAssigns, ChatMessage>;

/** The registry group of a room. */
export const roomGroup = (room: string): string => `room:${room}`;

/** Why a nickname is refused, or `undefined` when it is accepted. */
export function nicknameProblem(nick: string | null): string | undefined {
  if (nick === null) return 'Pick a nickname (the nick query parameter is missing)';
  const problem = firstProblem(Nickname, nick);
  if (problem !== undefined) return problem;
  if (RESERVED_NICKNAMES.includes(nick.toLowerCase())) return `The nickname "${nick}" is reserved; pick another one`;
  return undefined;
}

/** The chat handler. */
export function chatHandler(options: ChatHandlerOptions) {
  const { history, logger, presence } = options;
  const rate = options.sendRate ?? DEFAULT_SEND_RATE;
  const report = (what: string, conn: ChatConn) => (error: unknown) => logger.warn(`chat: ${what} failed`, { conn: conn.id, error });

  return defineTypedHandler<ChatProtocol, ChatState, ChatMessage, ChatAssigns>(chatProtocol, {
    connect: (conn) => {
      const room = conn.pathParams.room ?? '';
      const roomProblem = firstProblem(RoomName, room);
      if (roomProblem !== undefined) return reject(400, `Room: ${roomProblem}`);
      const nick = conn.query.get('nick');
      const problem = nicknameProblem(nick);
      if (problem !== undefined) return reject(nick !== null && firstProblem(Nickname, nick) === undefined ? 403 : 400, problem);
      return conn.assign({ nick: nick as string, room });
    },

    init: async (conn) => {
      const { nick, room } = conn.assigns;
      await conn.registry.group.join(roomGroup(room), conn);
      await presence.track(conn, roomGroup(room), nick);
      await presence.subscribe(conn, roomGroup(room));
      const state: ChatState = { nick, room, bucket: fullBucket(rate, Date.now()), seq: 0 };
      return [state, [{ name: 'joined', data: { room, nick, conn: conn.id } }]];
    },

    requests: {
      say: async (state, conn, { text }) => {
        if (!take(state.bucket, rate, Date.now())) return [state, fail('RATE_LIMITED', rateLimitMessage(rate))];
        const at = Date.now();
        const entry = { kind: 'user', id: `${conn.id}-${++state.seq}`, room: state.room, from: state.nick, text, at } as const;
        // History is best effort; delivery is what the sender is told about.
        await history.append(entry).catch(report('history append', conn));
        try {
          await conn.registry.group.publish(roomGroup(state.room), { name: 'message', data: entry });
        } catch (error) {
          report('publish', conn)(error);
          return [state, fail('UNAVAILABLE', 'The message could not be delivered (the cluster is unreachable); try again')];
        }
        return [state, { id: entry.id, at }];
      },
    },

    // Registry messages (lines) and presence messages are forwarded as they are: each object is
    // encoded once for all its recipients.
    handleServerMessage: (state, _conn, message) => [state, [message]],
  });
}
