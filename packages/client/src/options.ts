/**
 * Options of `createWebsocketClient`, each with its default, and their checking: an invalid
 * value throws `ORRERY_INVALID_OPTIONS` at construction.
 */
import { OrreryError } from '@orrery/protocol';
import type { BackoffOptions } from './backoff.js';
import type { EndpointOptions, Provider } from './endpoint.js';
import type { HeartbeatOptions } from './heartbeat.js';
import type { PageEnvironment } from './page-signals.js';
import type { WebsocketConstructor } from './platform.js';
import type { ResumeOptions } from './resume.js';
import type { CloseInfo } from './state.js';

/** Reconnect behaviour. */
export interface ReconnectOptions extends Partial<BackoffOptions> {
  /**
   * A connection that stayed open this long counts as a success: the next failure starts the
   * backoff from `initialDelayMs` again. A shorter one keeps the backoff growing (a server that
   * accepts and at once closes does not get a tight loop).
   * @default 5_000
   */
  stableAfterMs?: number;
  /** Give up (state `closed`, `ORRERY_CONNECTION_CLOSED`) after this many failures in a row. @default Infinity */
  maxAttempts?: number;
  /**
   * Decide whether to reconnect after a close the client did not ask for.
   * @default `closeDisposition(code) === 'retry'` from @orrery/protocol (no retry on 1000, 1008, 4401, 4403 …)
   */
  shouldRetry?: (close: CloseInfo) => boolean;
}

/** What to do when the offline queue is full. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/** The offline queue (messages sent while not open). */
export interface QueueOptions {
  /** Most queued messages and requests; 0 disables queueing (sending while offline then fails). @default 100 */
  maxMessages?: number;
  /**
   * A queued message older than this when the connection opens is not sent; it is reported
   * to `onError` as `ORRERY_QUEUE_EXPIRED`. Requests are bounded by their own timeout instead.
   * @default 30_000
   */
  ttlMs?: number;
  /**
   * When full: `'reject'` — `send` throws `ORRERY_QUEUE_OVERFLOW` (a request rejects with
   * reason `QUEUE_OVERFLOW`); `'drop-oldest'` — the oldest entry is dropped and reported to
   * `onError` as `ORRERY_QUEUE_OVERFLOW` (a dropped request rejects). Never silent.
   * @default 'reject'
   */
  overflow?: OverflowPolicy;
}

/** Options of `createWebsocketClient`. */
export interface WebsocketClientOptions extends EndpointOptions {
  /** The server URL (`ws://`, `wss://`, `http(s)://`, or a path in a browser), or a provider called before every attempt. */
  readonly url: Provider<string | URL>;
  /** Query parameters added to the URL, or a provider called before every attempt. */
  readonly params?: Provider<Readonly<Record<string, string | undefined>> | undefined>;
  /** A bearer token (sent as subprotocol `orrery.bearer.…`), or a provider called before every attempt. */
  readonly token?: Provider<string | undefined>;
  /** The websocket class. @default the browser's WebSocket; `ws` in Node (through isomorphic-ws) */
  readonly WebSocket?: WebsocketConstructor;
  /** Connect at once. With `false`, call `connect()`. @default true */
  readonly autoConnect?: boolean;
  /** An attempt must reach the server's `welcome` within this time, or it is abandoned and retried. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Reconnect behaviour; `false` never reconnects (a drop closes the client). */
  readonly reconnect?: ReconnectOptions | false;
  /** Dead-connection detection; `false` turns it off. */
  readonly heartbeat?: Partial<HeartbeatOptions> | false;
  /** The offline queue. */
  readonly queue?: QueueOptions;
  /** Default timeout of `request`. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /**
   * Resumable connections (used when the server's route resumes; docs/client.md §5): the
   * window of unconfirmed client messages and the acknowledgement delay.
   */
  readonly resume?: Partial<ResumeOptions>;
  /**
   * Validate what `send` and `request` are given against the protocol before sending (with
   * synchronous schemas; async ones are left to the server). @default true
   */
  readonly validateOutgoing?: boolean;
  /** Where `online` / `visibilitychange` come from. @default the browser's window and document; none in Node */
  readonly environment?: PageEnvironment;
}

/** The options with every default applied. */
export interface ResolvedClientOptions {
  readonly connectTimeoutMs: number;
  readonly reconnect: Required<Omit<ReconnectOptions, 'shouldRetry'>> & Pick<ReconnectOptions, 'shouldRetry'>;
  readonly retry: boolean;
  readonly heartbeat: HeartbeatOptions | undefined;
  readonly queue: Required<QueueOptions>;
  readonly requestTimeoutMs: number;
  readonly validateOutgoing: boolean;
  readonly resume: ResumeOptions;
}

/** The defaults. */
export const clientDefaults = {
  connectTimeoutMs: 10_000,
  reconnect: { initialDelayMs: 1_000, maxDelayMs: 30_000, stableAfterMs: 5_000, maxAttempts: Infinity },
  heartbeat: { intervalMs: 15_000, timeoutMs: 10_000, offlineTimeoutMs: 2_000 },
  queue: { maxMessages: 100, ttlMs: 30_000, overflow: 'reject' as OverflowPolicy },
  requestTimeoutMs: 10_000,
  validateOutgoing: true,
  resume: { maxUnconfirmed: 256, ackDelayMs: 200 },
} as const;

/** Apply defaults and check. */
export function resolveClientOptions(options: WebsocketClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) invalid('createWebsocketClient(protocol, options): options must be an object with at least { url }');
  if (options.url === undefined) invalid('createWebsocketClient: options.url is required (ws://host/path, or a function returning it)');
  const reconnect = { ...clientDefaults.reconnect, ...(options.reconnect || {}) };
  const heartbeat = options.heartbeat === false ? undefined : { ...clientDefaults.heartbeat, ...options.heartbeat };
  const queue = { ...clientDefaults.queue, ...options.queue };
  const resolved: ResolvedClientOptions = {
    connectTimeoutMs: options.connectTimeoutMs ?? clientDefaults.connectTimeoutMs,
    reconnect,
    retry: options.reconnect !== false,
    heartbeat,
    queue,
    requestTimeoutMs: options.requestTimeoutMs ?? clientDefaults.requestTimeoutMs,
    validateOutgoing: options.validateOutgoing ?? clientDefaults.validateOutgoing,
    resume: { ...clientDefaults.resume, ...options.resume },
  };
  positive('connectTimeoutMs', resolved.connectTimeoutMs);
  positive('requestTimeoutMs', resolved.requestTimeoutMs);
  positive('reconnect.initialDelayMs', reconnect.initialDelayMs);
  positive('reconnect.maxDelayMs', reconnect.maxDelayMs);
  positive('reconnect.maxAttempts', reconnect.maxAttempts);
  nonNegative('reconnect.stableAfterMs', reconnect.stableAfterMs);
  if (reconnect.maxDelayMs < reconnect.initialDelayMs) invalid(`createWebsocketClient: reconnect.maxDelayMs (${reconnect.maxDelayMs}) must not be below reconnect.initialDelayMs (${reconnect.initialDelayMs})`);
  if (reconnect.shouldRetry !== undefined && typeof reconnect.shouldRetry !== 'function') invalid('createWebsocketClient: reconnect.shouldRetry must be a function (close) => boolean');
  if (heartbeat !== undefined) {
    positive('heartbeat.intervalMs', heartbeat.intervalMs);
    positive('heartbeat.timeoutMs', heartbeat.timeoutMs);
    positive('heartbeat.offlineTimeoutMs', heartbeat.offlineTimeoutMs);
  }
  nonNegative('queue.maxMessages', queue.maxMessages);
  positive('queue.ttlMs', queue.ttlMs);
  positive('resume.maxUnconfirmed', resolved.resume.maxUnconfirmed);
  positive('resume.ackDelayMs', resolved.resume.ackDelayMs);
  if (queue.overflow !== 'reject' && queue.overflow !== 'drop-oldest') invalid(`createWebsocketClient: queue.overflow must be 'reject' or 'drop-oldest', got ${JSON.stringify(queue.overflow)}`);
  return resolved;
}

function positive(key: string, value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) invalid(`createWebsocketClient: ${key} must be a positive number, got ${String(value)}`);
}

function nonNegative(key: string, value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) invalid(`createWebsocketClient: ${key} must be a number ≥ 0, got ${String(value)}`);
}

function invalid(message: string): never {
  throw new OrreryError('ORRERY_INVALID_OPTIONS', message);
}
