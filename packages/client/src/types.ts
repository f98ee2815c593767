/**
 * The public face of the client: {@link WebsocketClient}, typed by a protocol.
 */
import type {
  AnyProtocol,
  ClientMessage,
  ClientMessageName,
  ClientPayload,
  OrreryError,
  ReceivedServerPayload,
  RequestInput,
  RequestName,
  RequestOutput,
  ServerMessageName,
} from '@orrery/protocol';
import type { ResumeEvent } from './resume.js';
import type { ConnectionState, StateListener } from './state.js';

/** What `send` did: sent on the open socket, or queued until the connection opens. */
export type SendResult = 'sent' | 'queued';

/** Options of one request. */
export interface RequestOptions {
  /** @default the client's `requestTimeoutMs` (10 s) */
  timeoutMs?: number;
  /** Abort the wait; the request rejects with reason `ABORTED` (the server may still run it). */
  signal?: AbortSignal;
}

/**
 * Something went wrong that is not the result of a call: an invalid frame from the server
 * (`ORRERY_DECODE_ERROR`, `ORRERY_INVALID_MESSAGE`; `frame` is its text), a queued message
 * that was dropped (`ORRERY_QUEUE_OVERFLOW` with `drop-oldest`, `ORRERY_QUEUE_EXPIRED`,
 * `ORRERY_CONNECTION_CLOSED` or `ORRERY_REJECTED` at a terminal close; `message` is it), a
 * failed endpoint provider (`ORRERY_ENDPOINT_FAILED`), or the terminal close itself.
 */
export interface ClientErrorEvent<P> {
  readonly error: OrreryError;
  /** The dropped message, for queue errors. */
  readonly message?: ClientMessage<P>;
  /** The offending frame's text, for invalid server frames. */
  readonly frame?: string;
}

/** Arguments of a payload: optional when the schema accepts `undefined`. */
export type PayloadArgs<T> = undefined extends T ? [data?: T] : [data: T];
/** Arguments of `request`: the input (optional when the schema accepts `undefined`), then options. */
export type RequestArgs<T> = undefined extends T ? [input?: T, options?: RequestOptions] : [input: T, options?: RequestOptions];

/** A listener of server message `N`. */
export type MessageListener<P, N extends ServerMessageName<P>> = (data: ReceivedServerPayload<P, N>) => void;

/**
 * A typed, reconnecting websocket client for protocol `P`.
 *
 * @example
 * const client = createWebsocketClient(chat, { url: 'wss://example.com/chat', token: () => auth.token() });
 * client.on('said', ({ from, text }) => show(from, text));
 * client.send('say', { text: 'hello' });
 * const history = await client.request('history', { room: 'lobby' });
 * client.subscribe((state) => banner(state.status));
 */
export interface WebsocketClient<P extends AnyProtocol> {
  readonly protocol: P;
  /** The current connection state (a new object on every change). */
  readonly state: ConnectionState;
  /**
   * Send a client message: at once when open, else into the offline queue.
   * @throws OrreryError `ORRERY_INVALID_MESSAGE` (fails its schema), `ORRERY_NOT_SERIALIZABLE`,
   *   `ORRERY_QUEUE_OVERFLOW` (queue full, policy `reject`), `ORRERY_CLIENT_CLOSED` /
   *   `ORRERY_CONNECTION_CLOSED` (the client is closed)
   */
  send<N extends ClientMessageName<P>>(name: N, ...data: PayloadArgs<ClientPayload<P, N>>): SendResult;
  /**
   * Make a request. Resolves with the validated output; rejects with a `RequestError` whose
   * `reason` is one of the request's `errors` or a built-in reason (`TIMEOUT`, `INVALID_INPUT`,
   * `DISCONNECTED`, `ABORTED`, `QUEUE_OVERFLOW`, `CLOSED`, `INVALID_OUTPUT`, `UNKNOWN_REQUEST`).
   */
  request<N extends RequestName<P>>(name: N, ...args: RequestArgs<RequestInput<P, N>>): Promise<RequestOutput<P, N>>;
  /** Listen to server message `name`; returns a function that removes the listener. */
  on<N extends ServerMessageName<P>>(name: N, listener: MessageListener<P, N>): () => void;
  /** Remove a listener added with `on`. */
  off<N extends ServerMessageName<P>>(name: N, listener: MessageListener<P, N>): void;
  /** Listen to error events; returns a function that removes the listener. */
  onError(listener: (event: ClientErrorEvent<P>) => void): () => void;
  /**
   * Listen to the outcome of each resume request (resumable routes only): `resumed: true`, or
   * `resumed: false` with the `reason` and the sent messages left `unconfirmed`. Returns a
   * function that removes the listener.
   */
  onResume(listener: (event: ResumeEvent<P>) => void): () => void;
  /**
   * Listen to state changes; returns a function that removes the listener. Bound to the
   * client, so `useSyncExternalStore(client.subscribe, () => client.state)` works.
   */
  readonly subscribe: (listener: StateListener) => () => void;
  /** Connect (with `autoConnect: false`, or again after `closed`); when waiting to retry, retry now. */
  connect(): void;
  /** Drop the current connection and connect again at once (e.g. after a token refresh). */
  reconnect(): void;
  /**
   * Close: no reconnect, no timer or platform listener left. Pending requests reject with
   * reason `CLOSED`. Returns the messages still in the offline queue (not sent).
   * @default code 1000, reason 'client closed'
   */
  close(code?: number, reason?: string): ClientMessage<P>[];
}
