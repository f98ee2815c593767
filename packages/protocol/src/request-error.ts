/**
 * How a request fails. A failure is an ordinary outcome (as in Phoenix, where a push can
 * receive `timeout`): the request's promise rejects with a {@link RequestError} — an
 * {@link OrreryError} whose `reason` is either one of the request's own `errors` (the server's
 * handler called `fail(code, message)`) or one of the built-in reasons below.
 */
import { OrreryError, type OrreryErrorCode } from './errors.js';

/**
 * Built-in failure reasons, and the {@link OrreryError} code each maps to.
 *
 * | reason | where | code |
 * |---|---|---|
 * | `INVALID_INPUT` | the input failed its schema (server reply, or caught by the client before sending) | `ORRERY_REQUEST_FAILED` / `ORRERY_INVALID_MESSAGE` |
 * | `UNKNOWN_REQUEST` | the server's protocol has no such request | `ORRERY_REQUEST_FAILED` |
 * | `INVALID_OUTPUT` | the reply failed the output schema (client) | `ORRERY_INVALID_MESSAGE` |
 * | `TIMEOUT` | no reply within the timeout (client) | `ORRERY_REQUEST_TIMEOUT` |
 * | `ABORTED` | the caller's `AbortSignal` fired (client) | `ORRERY_REQUEST_ABORTED` |
 * | `DISCONNECTED` | the connection dropped after the request was sent; it may or may not have run | `ORRERY_REQUEST_ABORTED` |
 * | `QUEUE_OVERFLOW` | offline and the queue was full (client) | `ORRERY_QUEUE_OVERFLOW` |
 * | `CLOSED` | the client was closed, or the server closed with a terminal code | `ORRERY_CLIENT_CLOSED` / `ORRERY_CONNECTION_CLOSED` |
 */
export const BUILTIN_REQUEST_FAILURES = [
  'INVALID_INPUT',
  'UNKNOWN_REQUEST',
  'INVALID_OUTPUT',
  'TIMEOUT',
  'ABORTED',
  'DISCONNECTED',
  'QUEUE_OVERFLOW',
  'CLOSED',
] as const;

/** A built-in request failure reason. */
export type BuiltinRequestFailure = (typeof BUILTIN_REQUEST_FAILURES)[number];

/** The failure codes a server may put on the wire by itself (not from `fail`). */
export type WireRequestFailure = Extract<BuiltinRequestFailure, 'INVALID_INPUT' | 'UNKNOWN_REQUEST'>;

/**
 * A failed request.
 *
 * @typeParam R - the reasons it can carry (a request's `errors` plus the built-in ones)
 *
 * @example
 * try { await client.request('history', { room }) }
 * catch (err) {
 *   if (isRequestError<typeof chat, 'history'>(err) && err.reason === 'NOT_FOUND') showEmpty()
 *   else throw err
 * }
 */
export class RequestError<R extends string = string> extends OrreryError {
  /** The request's name. */
  readonly request: string;
  /** Why it failed: an application code from the request's `errors`, or a built-in reason. */
  readonly reason: R;

  constructor(code: OrreryErrorCode, request: string, reason: R, message: string, options: { cause?: unknown; closeCode?: number } = {}) {
    super(code, message, options);
    this.name = 'RequestError';
    this.request = request;
    this.reason = reason;
  }
}

/**
 * True when `value` is a {@link RequestError} (optionally of request `name`). Give the protocol
 * and request name as type arguments to narrow `reason` to that request's codes.
 */
export function isRequestError<P = unknown, N extends string = string>(
  value: unknown,
  name?: N,
): value is RequestError<RequestReasonOf<P, N>> {
  return value instanceof RequestError && (name === undefined || value.request === name);
}

/** The reasons of request `N` of protocol `P` (every string when `P` is not given). */
export type RequestReasonOf<P, N extends string> =
  P extends { readonly spec: { readonly requests: infer R } }
    ? N extends keyof R
      ? (R[N] extends { readonly errors: readonly (infer C extends string)[] } ? C : never) | BuiltinRequestFailure
      : string
    : string;
