/**
 * @orrery/protocol — what server and client share: protocol definitions (any Standard Schema
 * validator), the `orrery.v1` wire envelope and its codec, close codes and the error classes.
 * Browser-safe: it imports nothing from Node and no validator library.
 *
 * @example
 * import * as z from 'zod/mini';
 * import { defineProtocol } from '@orrery/protocol';
 * export const chat = defineProtocol({
 *   client: { say: z.object({ text: z.string() }) },
 *   server: { said: z.object({ from: z.string(), text: z.string() }) },
 *   requests: { history: { input: z.object({ room: z.string() }), output: z.array(z.string()) } },
 * });
 */
export {
  CloseCode,
  REJECTION_CLOSE_BASE,
  ORRERY_SUBPROTOCOL,
  RESUME_LATER_CLOSE_CODE,
  MAX_CLOSE_REASON_BYTES,
  rejectionCloseCode,
  rejectionStatus,
  closeDisposition,
  isSendableCloseCode,
} from './close-codes.js';
export type { CloseDisposition } from './close-codes.js';
export { OrreryError, isOrreryError, ORRERY_ERROR_CODES } from './errors.js';
export type { OrreryErrorCode, OrreryErrorOptions } from './errors.js';
export { utf8ByteLength, truncateUtf8 } from './utf8.js';
export { isStandardSchema } from './standard-schema.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export { defineProtocol, isProtocol } from './define.js';
export type { AnyProtocol, Protocol, ProtocolSpec, RequestSpec } from './define.js';
export type {
  ClientMessage,
  ClientMessageName,
  ClientPayload,
  ClientSchemas,
  ProtocolSpecOf,
  ReceivedClientPayload,
  ReceivedRequestInput,
  ReceivedServerPayload,
  RequestErrorCode,
  RequestFailureReason,
  RequestInput,
  RequestName,
  RequestOutput,
  RequestReply,
  RequestSpecs,
  ServerMessage,
  ServerMessageName,
  ServerPayload,
  ServerSchemas,
} from './infer.js';
export { RequestError, isRequestError, BUILTIN_REQUEST_FAILURES } from './request-error.js';
export { presenceMessages, PRESENCE_DIFF, PRESENCE_STATE } from './presence.js';
export type {
  PresenceDiffData,
  PresenceDiffMessage,
  PresenceEntry,
  PresenceMember,
  PresenceMessage,
  PresenceMessageSchemas,
  PresenceStateData,
  PresenceStateMessage,
} from './presence.js';
export type { BuiltinRequestFailure, RequestReasonOf, WireRequestFailure } from './request-error.js';
export { runSchema, isPending, issuePath, formatIssues } from './validate.js';
export { assertServerMessage, assertValid } from './check.js';
export type { SchemaResult } from './validate.js';
export { CLIENT_KINDS, SERVER_KINDS, PING_TEXT, PONG_TEXT, WELCOME_TEXT, RESUME_REFUSALS, RESUME_PROTOCOL_PREFIX } from './envelope.js';
export type {
  AckEnvelope,
  ClientEnvelope,
  ClientMessageEnvelope,
  FailureEnvelope,
  PingEnvelope,
  PongEnvelope,
  RequestEnvelope,
  RequestId,
  ResultEnvelope,
  ResumeRefusal,
  ServerAckEnvelope,
  ServerEnvelope,
  ServerMessageEnvelope,
  WelcomeEnvelope,
} from './envelope.js';
export {
  encodeMessage,
  encodeRequest,
  encodeResult,
  encodeFailure,
  decodeClientFrame,
  decodeServerFrame,
} from './codec.js';
