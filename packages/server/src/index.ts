/**
 * @orrery/server — websocket handlers in the style of antikythera: each connection is an
 * actor running five callbacks, reachable from anywhere in the cluster through the registry.
 *
 * @example
 * import { createWebsocketServer, route } from '@orrery/server';
 * const server = createWebsocketServer({
 *   port: 3000,
 *   routes: [route('/echo', {
 *     init: () => [null, []],
 *     handleClientMessage: (state, _conn, frame) => [state, [frame]],
 *     handleServerMessage: (state) => [state, []],
 *   })],
 * });
 */
export { createWebsocketServer } from './server.js';
export type { WebsocketServer, WebsocketServerOptions } from './server.js';
export { route } from './route.js';
export type { RouteDefinition, RouteOptions, AnyRoute } from './route.js';
export { reject, isRejection } from './types.js';
export type {
  Awaitable,
  BinaryFrame,
  CallbackResult,
  CloseFrame,
  DataFrame,
  Frame,
  Rejection,
  TerminateReason,
  TextFrame,
  WebsocketHandler,
} from './types.js';
export { Conn } from './conn.js';
export { limitDefaults } from './options.js';
export type { ConnectionLimits, ResolvedLimits } from './options.js';
export type { OriginPolicy } from './upgrade.js';
export { consoleLogger, formatPrometheus } from './observability.js';
export type { Logger, LogFields, LogLevel, RouteStats, ServerStats } from './observability.js';
export { memoryRegistry, createMemoryHub } from './registry/memory.js';
export type { MemoryHub, MemoryRegistryOptions } from './registry/memory.js';
export { MAX_NAME_BYTES, MAX_MESSAGE_DEPTH, assertName, assertJsonValue } from './registry/validate.js';
export type {
  LeaveResult,
  RegisterResult,
  RegistryBackend,
  RegistryMember,
  RegistryNamespace,
  UnregisterResult,
} from './registry/types.js';
export { createRegistryView } from './registry/view.js';
export type { GroupRegistry, Registrant, Registry, UniqueRegistry } from './registry/view.js';
export { OrreryError, isOrreryError, CloseCode } from '@orrery/protocol';
export type { OrreryErrorCode } from '@orrery/protocol';
export { defineTypedHandler, fail, RequestFailure, typedRegistry, bearerToken, BEARER_PROTOCOL_PREFIX } from './typed/index.js';
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
  TypedWebsocketHandler,
} from './typed/index.js';
