/**
 * Running `connect` for a handshake, bounded by `connectTimeoutMs`.
 */
import type { Conn } from './conn.js';
import type { Rejection, WebsocketHandler } from './types.js';

/** A rejection the server makes itself (not the handler). */
export interface ServerRefusal {
  status: number;
  body: string;
}

/** What `connect` decided: the conn (accept), its rejection, or 503 `ConnectTimeout`. */
export type ConnectOutcome = Conn<object, unknown> | Rejection | ServerRefusal;

/**
 * Run the handler's `connect` (default: accept). Resolves with the outcome; rejects when
 * `connect` throws or its promise rejects. A timed-out `connect` keeps running, but its
 * result is ignored.
 */
export function connectWithTimeout(
  handler: WebsocketHandler<unknown, unknown, object>,
  conn: Conn<object, unknown>,
  timeoutMs: number,
): Promise<ConnectOutcome> {
  if (handler.connect === undefined) return Promise.resolve(conn);
  let result: ReturnType<NonNullable<typeof handler.connect>>;
  try {
    result = handler.connect(conn);
  } catch (error) {
    return Promise.reject(error);
  }
  if (!isPromiseLike(result)) return Promise.resolve(result);
  return new Promise<ConnectOutcome>((resolve, reject) => {
    const timer = setTimeout(() => resolve({ status: 503, body: 'ConnectTimeout' }), timeoutMs);
    result.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error: unknown) => { clearTimeout(timer); reject(error); },
    );
  });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
