/**
 * The typed layer of @orrery/server: handlers made from a protocol of @orrery/protocol.
 */
export { defineTypedHandler } from './handler.js';
export type { TypedWebsocketHandler } from './handler.js';
export { fail, RequestFailure } from './fail.js';
export { typedRegistry } from './registry.js';
export { bearerToken, BEARER_PROTOCOL_PREFIX } from './token.js';
export type {
  MessageCallbacks,
  Outgoing,
  RequestCallbacks,
  RequestResult,
  TypedHandler,
  TypedHandlerOptions,
  TypedLifecycle,
  TypedResult,
  TypedSections,
} from './types.js';
