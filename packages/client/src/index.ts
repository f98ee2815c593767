/**
 * @orrery/client — a typed, resilient websocket client for browsers and Node: typed
 * `send` / `on` / `request`, an observable connection state, reconnect with full-jitter
 * backoff, terminal close codes, an async url / params / token provider, a bounded offline
 * queue with a TTL, heartbeat-based dead-connection detection, and resume without loss on
 * resumable routes (`onResume`). See docs/client.md.
 *
 * @example
 * import { createWebsocketClient } from '@orrery/client';
 * import { chat } from './protocol.js';
 * const client = createWebsocketClient(chat, { url: 'wss://example.com/chat', token: getToken });
 * client.on('said', ({ from, text }) => render(from, text));
 * client.send('say', { text: 'hello' });
 */
export { createWebsocketClient } from './client.js';
export type { ClientErrorEvent, MessageListener, PayloadArgs, RequestArgs, RequestOptions, SendResult, WebsocketClient } from './types.js';
export type { CloseInfo, ConnectionState, ConnectionStatus, StateListener } from './state.js';
export { clientDefaults } from './options.js';
export type { OverflowPolicy, QueueOptions, ReconnectOptions, WebsocketClientOptions } from './options.js';
export type { Endpoint, EndpointOptions, Provider } from './endpoint.js';
export type { HeartbeatOptions } from './heartbeat.js';
export type { NotResumedReason, ResumeEvent, ResumeOptions } from './resume.js';
export type { EventTargetLike, PageEnvironment } from './page-signals.js';
export type { WebsocketConstructor } from './platform.js';
export { fullJitterDelay, backoffCeiling } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { RequestError, isRequestError, OrreryError, isOrreryError, closeDisposition, defineProtocol } from '@orrery/protocol';
