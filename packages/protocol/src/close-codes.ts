/**
 * Websocket close codes used by Orrery, and what a client should do after each.
 *
 * The table is the contract between server and client: the server picks the code, the
 * client's reconnect logic reads {@link closeDisposition}. It is documented in
 * docs/protocol.md; keep the two in step.
 */

/** RFC 6455 close codes and the Orrery conventions built on them. */
export const CloseCode = {
  /** The server ended the connection on purpose (a handler returned a close frame). */
  Normal: 1000,
  /** Server shutdown/drain or idle timeout: reconnect. */
  GoingAway: 1001,
  /** The peer broke the websocket protocol (bad framing, invalid close code). */
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: a close frame without a status code arrives as 1005. Never sent. */
  NoStatus: 1005,
  /** Reserved: the connection dropped without a close frame. Never sent. */
  Abnormal: 1006,
  /** Invalid UTF-8, or a typed message that failed its schema. */
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  /** An inbound message over the size limit. */
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  /** A handler threw or returned something invalid. */
  InternalError: 1011,
  ServiceRestart: 1012,
  /** Slow consumer or mailbox overflow: the server shed this connection; reconnect later. */
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const;

/** Base of the close codes that carry an HTTP status of a rejected handshake: 4000 + status. */
export const REJECTION_CLOSE_BASE = 4000;

/** The close code a rejected handshake becomes for a client that offered `orrery.v1`. */
export function rejectionCloseCode(httpStatus: number): number {
  return REJECTION_CLOSE_BASE + httpStatus;
}

/** The HTTP status inside a rejection close code (4401 → 401), or `undefined`. */
export function rejectionStatus(closeCode: number): number | undefined {
  const status = closeCode - REJECTION_CLOSE_BASE;
  return status >= 100 && status <= 599 ? status : undefined;
}

/**
 * The close code a client sends when it gives up a connection of a resumable session that it
 * means to resume (heartbeat loss, a sequence gap, `reconnect()`): the server parks the
 * session as for a dropped connection instead of ending it. Browsers cannot drop a TCP
 * connection without a close frame, so they need a code for it.
 */
export const RESUME_LATER_CLOSE_CODE = 4001;

/** The websocket subprotocol an Orrery client announces. */
export const ORRERY_SUBPROTOCOL = 'orrery.v1';

/** What a client does after a close it did not ask for. */
export type CloseDisposition = 'retry' | 'stop';

/**
 * Whether a client should reconnect after the server closed with `code`.
 *
 * | code | meaning | client |
 * |---|---|---|
 * | 1000 | handler closed on purpose | stop |
 * | 1001, 1005, 1006, 1011–1014 | going away, dropped, server error, overload | retry |
 * | 1002, 1003, 1007–1010, 1015 | the client sent something the server refuses | stop |
 * | 3000–3999 | registered library codes | retry |
 * | 4000 + HTTP status (4100–4599) | rejected handshake | retry for 408, 429 and 5xx; stop otherwise |
 * | other 4000–4999 | application-defined | retry |
 */
export function closeDisposition(code: number): CloseDisposition {
  switch (code) {
    case 1000:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1015:
      return 'stop';
  }
  const status = rejectionStatus(code);
  if (status !== undefined) {
    return status === 408 || status === 429 || status >= 500 ? 'retry' : 'stop';
  }
  return 'retry';
}

/**
 * Whether `code` may be sent in a close frame (RFC 6455 §7.4: 1000–1003, 1007–1014 and
 * 3000–4999; 1004–1006 and 1015 are reserved and never sent).
 */
export function isSendableCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))
  );
}

/** The longest close reason a close frame can carry, in UTF-8 bytes (125 − 2 for the code). */
export const MAX_CLOSE_REASON_BYTES = 123;
