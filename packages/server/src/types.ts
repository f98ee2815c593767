/**
 * The handler behaviour: what a websocket route implements.
 *
 * Each connection is a small actor. Its callbacks run strictly one at a time, in arrival
 * order, even when they are async:
 *
 * ```
 * HTTP upgrade request ─► connect (before the 101: accept, assign, set headers, or reject)
 *                          │ accepted → 101 Switching Protocols
 *                          ▼
 *                         init ─► handleClientMessage* / handleServerMessage* ─► terminate
 * ```
 *
 * The seed's echo handler:
 *
 * @example
 * const echo: WebsocketHandler<null> = {
 *   init: () => [null, []],
 *   handleClientMessage: (state, _conn, frame) => [state, [frame]],
 *   handleServerMessage: (state) => [state, []],
 * };
 */
import type { Conn } from './conn.js';

/** A value or a promise of it: every callback may be sync (fast path) or async. */
export type Awaitable<T> = T | PromiseLike<T>;

/** A text frame. `data` is the message as a string. */
export interface TextFrame {
  readonly type: 'text';
  readonly data: string;
}

/** A binary frame. */
export interface BinaryFrame {
  readonly type: 'binary';
  readonly data: Uint8Array;
}

/**
 * A close frame. A bare `{ type: 'close' }` sends 1000. `reason` is at most 123 UTF-8 bytes;
 * `code` must be sendable (1000–1003, 1007–1014, 3000–4999).
 */
export interface CloseFrame {
  readonly type: 'close';
  readonly code?: number;
  readonly reason?: string;
}

/** What a callback may return for sending. Frames after the first close are dropped. */
export type Frame = TextFrame | BinaryFrame | CloseFrame;

/** What a client message arrives as. */
export type DataFrame = TextFrame | BinaryFrame;

/** `[newState, framesToSend]`, the result of `init`, `handleClientMessage` and `handleServerMessage`. */
export type CallbackResult<S> = readonly [state: S, frames: readonly Frame[]];

/**
 * Why a connection ended, as `terminate` receives it.
 *
 * | reason | when |
 * |---|---|
 * | `stop` | a callback returned a close frame; server shutdown (1001) |
 * | `timeout` | no inbound traffic (pongs included) for `idleTimeoutMs` |
 * | `remote` | the client sent a close frame (`code`/`reason` when it carried them) |
 * | `error` | TCP drop, protocol error, oversize message, invalid UTF-8, slow consumer, mailbox overflow, handler error |
 * | `normal` | reserved for parity with antikythera; Orrery does not produce it |
 */
export type TerminateReason =
  | { readonly type: 'normal' }
  | { readonly type: 'stop' }
  | { readonly type: 'timeout' }
  | { readonly type: 'remote'; readonly code?: number; readonly reason?: string }
  | { readonly type: 'error'; readonly error: unknown };

/** A refused handshake: sent as an HTTP response (or close 4000 + status to `orrery.v1` clients). */
export interface Rejection {
  readonly kind: 'orrery.rejection';
  /** HTTP status, 400–599. */
  readonly status: number;
  /** Response body; also the close reason for `orrery.v1` clients (cut to 123 bytes). */
  readonly body: string;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The websocket handler behaviour. `connect` and `terminate` are optional; the other three
 * are required, as in antikythera.
 *
 * @typeParam S - the connection's state
 * @typeParam M - the messages the registry delivers to `handleServerMessage`
 * @typeParam A - the connection's assigns (set in `connect`, read everywhere)
 */
export interface WebsocketHandler<S, M = unknown, A extends object = Record<string, unknown>> {
  /**
   * Runs before the upgrade, like a controller action: authenticate, `conn.assign(...)`,
   * `conn.setResponseHeader(...)`, and return `conn` to accept or `reject(status, body)`.
   * Bounded by `connectTimeoutMs` (default 10 s). Default: accept.
   */
  connect?(conn: Conn<A>): Awaitable<Conn<A> | Rejection>;
  /** Runs right after the 101: build the state, send first frames, join the registry. */
  init(conn: Conn<A>): Awaitable<CallbackResult<S>>;
  /** A text or binary message from the client. */
  handleClientMessage(state: S, conn: Conn<A>, frame: DataFrame): Awaitable<CallbackResult<S>>;
  /** A message from the registry (`sendMessage` or `publish`), from anywhere in the cluster. */
  handleServerMessage(state: S, conn: Conn<A>, message: M): Awaitable<CallbackResult<S>>;
  /** Clean-up, once, after everything else. Errors here are logged and swallowed. Default: no-op. */
  terminate?(state: S, conn: Conn<A>, reason: TerminateReason): Awaitable<void>;
}

/** Build a {@link Rejection} for `connect`. */
export function reject(
  status: number,
  body?: string,
  headers: Readonly<Record<string, string>> = {},
): Rejection {
  return { kind: 'orrery.rejection', status, body: body ?? defaultBody(status), headers };
}

function defaultBody(status: number): string {
  switch (status) {
    case 400: return 'Bad Request';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'Not Found';
    case 429: return 'Too Many Requests';
    case 503: return 'Service Unavailable';
    default: return status >= 500 ? 'Server Error' : 'Rejected';
  }
}

/** True when `value` is a {@link Rejection} (as returned by {@link reject}). */
export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'orrery.rejection';
}
