/**
 * The typed handler behaviour: the handler behaviour of types.ts, with the frames replaced by
 * the messages of a protocol. Callbacks receive validated, typed payloads and return typed
 * messages; `defineTypedHandler` turns it into a plain {@link WebsocketHandler}.
 *
 * ```
 * connect? ─► init ─► messages.<name>* / requests.<name>* / handleServerMessage* ─► terminate?
 * ```
 */
import type {
  ClientMessageName,
  ReceivedClientPayload,
  ReceivedRequestInput,
  RequestErrorCode,
  RequestName,
  RequestReply,
  ServerMessage,
} from '@orrery/protocol';
import type { Conn } from '../conn.js';
import type { Awaitable, CloseFrame, Rejection, TerminateReason } from '../types.js';
import type { RequestFailure } from './fail.js';

/** What a typed callback sends: messages of the protocol's `server` section, and at most one close. */
export type Outgoing<P> = ServerMessage<P> | CloseFrame;

/** `[newState, messagesToSend]`, the result of `init`, `messages.*` and `handleServerMessage`. */
export type TypedResult<S, P> = readonly [state: S, messages: readonly Outgoing<P>[]];

/**
 * `[newState, reply, messagesToSend?]`, the result of a request callback. `reply` is the
 * request's output, or `fail(code, message)` with one of the request's `errors`. The reply is
 * sent first, then the messages.
 */
export type RequestResult<S, P, N extends RequestName<P>> = readonly [
  state: S,
  reply: RequestReply<P, N> | RequestFailure<RequestErrorCode<P, N>>,
  messages?: readonly Outgoing<P>[],
];

/** One callback per client message of the protocol. */
export type MessageCallbacks<P, S, A extends object, M> = {
  readonly [N in ClientMessageName<P>]: (state: S, conn: Conn<A, M>, data: ReceivedClientPayload<P, N>) => Awaitable<TypedResult<S, P>>;
};

/** One callback per request of the protocol. */
export type RequestCallbacks<P, S, A extends object, M> = {
  readonly [N in RequestName<P>]: (state: S, conn: Conn<A, M>, input: ReceivedRequestInput<P, N>) => Awaitable<RequestResult<S, P, N>>;
};

/** The callbacks every typed handler may implement besides `messages` and `requests`. */
export interface TypedLifecycle<P, S, M, A extends object> {
  /** As in the raw behaviour: runs before the upgrade; accept (return `conn`) or `reject(...)`. Default: accept. */
  connect?(conn: Conn<A, M>): Awaitable<Conn<A, M> | Rejection>;
  /** Build the state and the first messages (sent after the `welcome` frame). */
  init(conn: Conn<A, M>): Awaitable<TypedResult<S, P>>;
  /**
   * A registry message (`publish` / `sendMessage`). Default: the message is a protocol
   * server message and is forwarded to the client as it is (encoded once per message object).
   */
  handleServerMessage?(state: S, conn: Conn<A, M>, message: M): Awaitable<TypedResult<S, P>>;
  /** Clean-up, once, after everything else. Default: no-op. */
  terminate?(state: S, conn: Conn<A, M>, reason: TerminateReason): Awaitable<void>;
}

/** The per-name callbacks: `messages` for client messages, `requests` for requests. */
export interface TypedSections<P, S, M, A extends object> {
  readonly messages: MessageCallbacks<P, S, A, M>;
  readonly requests: RequestCallbacks<P, S, A, M>;
}

// A section is required when the protocol has names in it, optional when it has none. (Key
// remapping, not a conditional type around the whole object: that would stop TypeScript from
// inferring the state type from `init` for the other callbacks.)
type OptionalIfEmpty<T> = { readonly [K in keyof T as {} extends T[K] ? K : never]?: T[K] } & {
  readonly [K in keyof T as {} extends T[K] ? never : K]: T[K];
};

/**
 * A typed handler for protocol `P`: {@link TypedLifecycle} plus `messages` (one callback per
 * client message) and `requests` (one per request), each required when the protocol has such
 * names.
 *
 * @typeParam P - the protocol (`typeof chat`)
 * @typeParam S - the connection's state
 * @typeParam M - what the route's registry carries; by default the protocol's server messages
 * @typeParam A - the connection's assigns
 */
export type TypedHandler<P, S, M = ServerMessage<P>, A extends object = Record<string, unknown>> = TypedLifecycle<P, S, M, A> &
  OptionalIfEmpty<TypedSections<P, S, M, A>>;

/** Options of `defineTypedHandler`. */
export interface TypedHandlerOptions {
  /**
   * Validate the data of every message and reply the handler sends against its schema (once
   * per message object for registry messages). A failure is a handler error: close 1011,
   * logged with the connection id. The message name is always checked.
   * @default true
   */
  validateOutgoing?: boolean;
}
