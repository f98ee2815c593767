/**
 * The one error class of Orrery. Every error the SDK raises or reports is an
 * {@link OrreryError} with a stable `code` from a closed union; tests and callers branch on
 * `code`, never on message text. Messages say what to do about it.
 */

/** Every code an {@link OrreryError} can carry, with the place it arises. */
export const ORRERY_ERROR_CODES = [
  // configuration
  'ORRERY_INVALID_OPTIONS', // an option is out of range or two options conflict (at construction)
  // handler results
  'ORRERY_INVALID_RESULT', // a callback returned something that is not [state, frames]
  'ORRERY_INVALID_FRAME', // a returned frame is malformed (bad type, data, close code or reason)
  'ORRERY_CONNECT_TIMEOUT', // connect() did not settle within connectTimeoutMs
  // connection-level faults (terminate reason {type:'error'})
  'ORRERY_CONNECTION_LOST', // TCP dropped without a close frame
  'ORRERY_PROTOCOL_ERROR', // the peer broke the websocket protocol (close 1002)
  'ORRERY_INVALID_UTF8', // a text message was not UTF-8 (close 1007)
  'ORRERY_MESSAGE_TOO_BIG', // an inbound message exceeded maxMessageBytes (close 1009)
  'ORRERY_MAILBOX_OVERFLOW', // more than maxMailbox events waited for a busy handler (close 1013)
  'ORRERY_SLOW_CONSUMER', // more than maxBufferedBytes waited to be written (close 1013), or a tRPC group subscription overflowed
  'ORRERY_RATE_LIMITED', // the client sent faster than the route's rate limit (close 1008)
  'ORRERY_REQUEST_RELEASED', // conn.headers / conn.cookies read after init, or a response header set after connect
  'ORRERY_INVALID_HEADER', // a response header set in connect has an invalid name or value
  // registry
  'ORRERY_INVALID_NAME', // a unique name or group name is not a string of 1–256 UTF-8 bytes
  'ORRERY_NOT_SERIALIZABLE', // a registry message is not a JSON value
  'ORRERY_NOT_A_MEMBER', // a registry call was given something that is not a live connection or member
  'ORRERY_REGISTRY_UNAVAILABLE', // the cluster backend (Redis) cannot be reached
  'ORRERY_REGISTRY_CLOSED', // the registry was closed
  // presence
  'ORRERY_PRESENCE_META_TOO_LARGE', // presence metadata is larger than maxMetaBytes
  'ORRERY_PRESENCE_FULL', // a presence group has maxMembers keys, or a key has maxConnectionsPerKey connections
  // server lifecycle
  'ORRERY_SERVER_CLOSED', // the server is shutting down or closed
  // typed protocol and client
  'ORRERY_INVALID_MESSAGE', // a typed message failed its schema
  'ORRERY_DECODE_ERROR', // a frame is not a valid Orrery envelope
  'ORRERY_REQUEST_TIMEOUT', // a request got no reply in time
  'ORRERY_REQUEST_FAILED', // the server answered a request with an error
  'ORRERY_REQUEST_ABORTED', // the request was cancelled (AbortSignal, connection lost, client closed)
  'ORRERY_QUEUE_OVERFLOW', // the client's offline queue was full
  'ORRERY_QUEUE_EXPIRED', // a queued message outlived the queue's TTL
  'ORRERY_CLIENT_CLOSED', // the client was closed by the application
  'ORRERY_REJECTED', // the server rejected the handshake (close 4000 + HTTP status)
  'ORRERY_ENDPOINT_FAILED', // the client's url / params / token provider threw or gave an unusable URL
  'ORRERY_CONNECTION_CLOSED', // the server closed the connection with a terminal code
  'ORRERY_NOT_RESUMED', // a resumable session could not be resumed
] as const;

/** A stable, documented error code. */
export type OrreryErrorCode = (typeof ORRERY_ERROR_CODES)[number];

/** Options of an {@link OrreryError}. */
export interface OrreryErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** The websocket close code this error causes, when it ends a connection. */
  closeCode?: number;
}

/**
 * The error class of every Orrery package.
 *
 * @example
 * try { await client.request('history', { room }) }
 * catch (err) { if (isOrreryError(err, 'ORRERY_REQUEST_TIMEOUT')) retryLater() }
 */
export class OrreryError extends Error {
  /** Stable machine-readable code; see {@link ORRERY_ERROR_CODES}. */
  readonly code: OrreryErrorCode;
  /** The close code this error caused, when it ended a connection. */
  readonly closeCode: number | undefined;

  constructor(code: OrreryErrorCode, message: string, options: OrreryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrreryError';
    this.code = code;
    this.closeCode = options.closeCode;
  }
}

/** True when `value` is an {@link OrreryError}, optionally with the given `code`. */
export function isOrreryError(value: unknown, code?: OrreryErrorCode): value is OrreryError {
  return value instanceof OrreryError && (code === undefined || value.code === code);
}
