/**
 * How an `OrreryError` reaches a tRPC client. tRPC turns any error that is not a `TRPCError`
 * into `INTERNAL_SERVER_ERROR`, which its subscription links retry; the procedure middleware
 * of `orreryTrpc` (and subscriptions made through `ctx.orrery`) map Orrery's codes instead,
 * so that a client retries what can succeed later and stops on what cannot:
 *
 * | OrreryError code | TRPCError code | a subscription link |
 * |---|---|---|
 * | `ORRERY_INVALID_NAME` (a group or name from the input is empty or over 256 bytes) | `BAD_REQUEST` | stops |
 * | `ORRERY_SLOW_CONSUMER` (a subscription overflowed) | `SERVICE_UNAVAILABLE` | reconnects |
 * | `ORRERY_REGISTRY_UNAVAILABLE` (Redis cannot be reached) | `SERVICE_UNAVAILABLE` | reconnects |
 * | `ORRERY_REGISTRY_CLOSED`, `ORRERY_SERVER_CLOSED` (shutting down) | `SERVICE_UNAVAILABLE` | reconnects |
 * | anything else (`ORRERY_INVALID_MESSAGE`, `ORRERY_NOT_SERIALIZABLE`: a server bug) | `INTERNAL_SERVER_ERROR` | reconnects |
 *
 * The `TRPCError` keeps the message and has the `OrreryError` as its `cause` (tRPC's
 * `onError` sees it).
 */
import { isOrreryError, type OrreryError, type OrreryErrorCode } from '@orrery/protocol';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';

const CODES: Partial<Record<OrreryErrorCode, TRPC_ERROR_CODE_KEY>> = {
  ORRERY_INVALID_NAME: 'BAD_REQUEST',
  ORRERY_SLOW_CONSUMER: 'SERVICE_UNAVAILABLE',
  ORRERY_REGISTRY_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  ORRERY_REGISTRY_CLOSED: 'SERVICE_UNAVAILABLE',
  ORRERY_SERVER_CLOSED: 'SERVICE_UNAVAILABLE',
};

/** The tRPC error code an {@link OrreryError} is answered with (table above). */
export function trpcCodeOf(error: OrreryError): TRPC_ERROR_CODE_KEY {
  return CODES[error.code] ?? 'INTERNAL_SERVER_ERROR';
}

/**
 * `error` as a `TRPCError`: an `OrreryError` gets the code of the table above and becomes the
 * cause; a `TRPCError` is returned as it is; anything else is left to tRPC (returned as is).
 */
export function toTRPCError(error: unknown): unknown {
  if (error instanceof TRPCError || !isOrreryError(error)) return error;
  return new TRPCError({ code: trpcCodeOf(error), message: error.message, cause: error });
}

/**
 * The error of a failed procedure result, re-coded when tRPC wrapped an `OrreryError` into
 * its default `INTERNAL_SERVER_ERROR`; `undefined` when there is nothing to change.
 */
export function recodedError(error: TRPCError): TRPCError | undefined {
  if (error.code !== 'INTERNAL_SERVER_ERROR' || !isOrreryError(error.cause)) return undefined;
  const code = trpcCodeOf(error.cause);
  return code === 'INTERNAL_SERVER_ERROR' ? undefined : new TRPCError({ code, message: error.cause.message, cause: error.cause });
}
