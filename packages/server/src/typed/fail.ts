/**
 * `fail(code, message)`: how a request callback answers with an application error. The code
 * must be one of the request's `errors` (a compile error otherwise, and a handler error at run
 * time); the client's `request()` rejects with a `RequestError` whose `reason` is the code.
 */

/** An application failure returned as a request's reply. Build it with {@link fail}. */
export class RequestFailure<C extends string = string> {
  constructor(
    /** One of the request's `errors`. */
    readonly code: C,
    /** Shown to the client as the error's message. */
    readonly message: string,
  ) {}
}

/**
 * Fail a request with one of its declared error codes.
 *
 * @example
 * requests: {
 *   history: (state, _conn, { room }) =>
 *     state.rooms.has(room) ? [state, state.rooms.get(room)] : [state, fail('NOT_FOUND', `no room ${room}`)],
 * }
 */
export function fail<C extends string>(code: C, message?: string): RequestFailure<C> {
  return new RequestFailure(code, message ?? code);
}
