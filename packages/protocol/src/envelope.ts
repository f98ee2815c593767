/**
 * The wire envelope of subprotocol `orrery.v1`: every frame is one JSON object in a text frame,
 * discriminated by `t`. This file is the whole wire format; docs/protocol.md describes it for
 * implementers in other languages.
 *
 * Client → server:
 * | `t` | fields | meaning |
 * |---|---|---|
 * | `msg` | `n` name, `d` data (absent = undefined) | a client message |
 * | `req` | `id` request id, `n` name, `d` input | a request; answered by `res` or `err` with the same `id` |
 * | `ping` | — | heartbeat; the server answers `pong` |
 * | `ack` | `seq` | reserved for resumable connections (cumulative acknowledgement); ignored in v1 |
 *
 * Server → client:
 * | `t` | fields | meaning |
 * |---|---|---|
 * | `welcome` | (`session`, `resumed` reserved) | first frame of every connection: the handler accepted it |
 * | `msg` | `n`, `d`, (`seq` reserved) | a server message |
 * | `res` | `id`, `d` output | a request's reply |
 * | `err` | `id`, `e` `{ code, message }` | a request's failure |
 * | `pong` | — | heartbeat answer |
 *
 * Key order is fixed (`t` first; `seq`, when issue 7 adds it, last) so that a sender can build
 * a frame from a cached prefix.
 */

/** Request ids: integers from 0 to 2^53 − 1, chosen by the client, unique per connection. */
export type RequestId = number;

/** A client message. */
export interface ClientMessageEnvelope {
  readonly t: 'msg';
  readonly n: string;
  readonly d?: unknown;
  /** Resumable connections: the client seq (from 1); a seq the server already processed is dropped. */
  readonly cs?: number;
  /** Resumable connections: the last server `seq` received (cumulative acknowledgement). */
  readonly a?: number;
}

/** A request. */
export interface RequestEnvelope {
  readonly t: 'req';
  readonly id: RequestId;
  readonly n: string;
  readonly d?: unknown;
  /** Resumable connections: the last server `seq` received. */
  readonly a?: number;
}

/** A heartbeat ping (either side may send it; v1 clients do). */
export interface PingEnvelope {
  readonly t: 'ping';
  /** Resumable connections: the last server `seq` received. */
  readonly a?: number;
}

/** Resumable connections: cumulative acknowledgement of server messages up to `seq`. */
export interface AckEnvelope {
  readonly t: 'ack';
  readonly seq: number;
}

/** Everything a client may send. */
export type ClientEnvelope = ClientMessageEnvelope | RequestEnvelope | PingEnvelope | AckEnvelope;

/** The first frame the server sends on a connection whose handler accepted it. */
export interface WelcomeEnvelope {
  readonly t: 'welcome';
  /** Resumable connections: the session token to resume with (a new one in every welcome). */
  readonly session?: string;
  /** Resumable connections: whether a previous session was resumed. */
  readonly resumed?: boolean;
  /** On `resumed: true`: the last server `seq` sent (missed messages follow at once). */
  readonly seq?: number;
  /** On `resumed: true`: the last client seq (`cs`) the server processed. */
  readonly cseq?: number;
  /** On `resumed: false` after a resume request: why it was refused. */
  readonly reason?: ResumeRefusal;
}

/** Why a resume request was refused (docs/protocol.md §6). */
export type ResumeRefusal = 'expired' | 'unknown' | 'identity' | 'gap' | 'overflow' | 'unavailable';

/** Every {@link ResumeRefusal}. */
export const RESUME_REFUSALS = ['expired', 'unknown', 'identity', 'gap', 'overflow', 'unavailable'] as const satisfies readonly ResumeRefusal[];

/** Subprotocol prefix of a resume request: `orrery.resume.<token>.<lastSeq>`. */
export const RESUME_PROTOCOL_PREFIX = 'orrery.resume.';

/** A server message. */
export interface ServerMessageEnvelope {
  readonly t: 'msg';
  readonly n: string;
  readonly d?: unknown;
  /** Resumable connections: the last client seq processed, when it moved. */
  readonly a?: number;
  /** Resumable connections: the per-connection sequence number (from 1), always the last key. */
  readonly seq?: number;
}

/** Resumable connections: the last client seq (`cs`) the server processed. */
export interface ServerAckEnvelope {
  readonly t: 'ack';
  readonly seq: number;
}

/** A request's successful reply. */
export interface ResultEnvelope {
  readonly t: 'res';
  readonly id: RequestId;
  readonly d?: unknown;
}

/** A request's failure: an application code from the request's `errors`, or `INVALID_INPUT` / `UNKNOWN_REQUEST`. */
export interface FailureEnvelope {
  readonly t: 'err';
  readonly id: RequestId;
  readonly e: { readonly code: string; readonly message: string };
}

/** The heartbeat answer. */
export interface PongEnvelope {
  readonly t: 'pong';
}

/** Everything a server may send. */
export type ServerEnvelope = WelcomeEnvelope | ServerMessageEnvelope | ResultEnvelope | FailureEnvelope | PongEnvelope | ServerAckEnvelope;

/** The `t` values of client frames. */
export const CLIENT_KINDS = ['msg', 'req', 'ping', 'ack'] as const satisfies readonly ClientEnvelope['t'][];
/** The `t` values of server frames. */
export const SERVER_KINDS = ['welcome', 'msg', 'res', 'err', 'pong', 'ack'] as const satisfies readonly ServerEnvelope['t'][];

/** The ping frame, as text. */
export const PING_TEXT = '{"t":"ping"}';
/** The pong frame, as text. */
export const PONG_TEXT = '{"t":"pong"}';
/** The welcome frame of a connection that is not resumable, as text. */
export const WELCOME_TEXT = '{"t":"welcome"}';
