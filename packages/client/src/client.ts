/**
 * `createWebsocketClient`: the client's lifecycle — attempts, welcome, reconnect with backoff,
 * terminal closes — and its typed API. The parts live in their own files: backoff.ts,
 * endpoint.ts, socket.ts, inbound.ts, heartbeat.ts, outbox.ts (offline queue policy),
 * requests.ts, resume.ts (resumable connections), page-signals.ts, state.ts.
 *
 * The connection counts as open only after the server's `welcome` frame: a rejected handshake
 * (accepted, then closed with 4000 + status) never opens it, so nothing queued is flushed
 * into a socket that is about to be closed.
 */
import {
  closeDisposition,
  encodeMessage,
  encodeRequest,
  formatIssues,
  isPending,
  OrreryError,
  PING_TEXT,
  rejectionStatus,
  runSchema,
  type AnyProtocol,
  type ClientMessage,
  type StandardSchemaV1,
  type WelcomeEnvelope,
} from '@orrery/protocol';
import { fullJitterDelay } from './backoff.js';
import { resolveEndpoint, websocketUrl, type EndpointOptions } from './endpoint.js';
import { HeartbeatMonitor } from './heartbeat.js';
import { InboundDispatcher, type InboundTarget } from './inbound.js';
import { EventListeners, ListenerMap, reportListenerError } from './listeners.js';
import { resolveClientOptions, type ResolvedClientOptions, type WebsocketClientOptions } from './options.js';
import { defaultPageEnvironment, PageSignals } from './page-signals.js';
import { defaultWebsocket, type WebsocketConstructor } from './platform.js';
import { Outbox } from './outbox.js';
import { localFailure } from './requests.js';
import { ResumeSession, type ResumeEvent } from './resume.js';
import { ClientSocket, type SocketOwner } from './socket.js';
import { StateStore, type CloseInfo, type ConnectionState, type StateListener } from './state.js';
import type { ClientErrorEvent, RequestOptions, SendResult, WebsocketClient } from './types.js';

/**
 * Create a client for `protocol`. It connects at once unless `autoConnect: false`.
 *
 * @example
 * import { createWebsocketClient } from '@orrery/client';
 * import { chat } from './protocol.js';
 * const client = createWebsocketClient(chat, { url: 'ws://localhost:3000/chat' });
 * client.on('said', (m) => console.log(m.from, m.text));
 * client.send('say', { text: 'hi' });
 *
 * @throws OrreryError `ORRERY_INVALID_OPTIONS` for invalid options (a static `url` that is not
 *   a websocket URL, a non-positive timeout, …)
 */
export function createWebsocketClient<P extends AnyProtocol>(protocol: P, options: WebsocketClientOptions): WebsocketClient<P> {
  return new OrreryClient(protocol, options) as unknown as WebsocketClient<P>;
}

type Listener = (data: never) => void;
const CLIENT_CLOSED = 'client closed';

class OrreryClient implements SocketOwner, InboundTarget {
  readonly protocol: AnyProtocol;
  private readonly opts: ResolvedClientOptions;
  private readonly endpoint: EndpointOptions;
  private readonly Impl: WebsocketConstructor;
  private readonly store = new StateStore({ status: 'closed', attempt: 0 }, reportListenerError);
  /** Bound, so it can be handed around (`useSyncExternalStore(client.subscribe, …)`). */
  readonly subscribe = (listener: StateListener): (() => void) => this.store.subscribe(listener);
  private readonly outbox: Outbox;
  private readonly inbound: InboundDispatcher;
  private readonly heartbeat: HeartbeatMonitor | undefined;
  private readonly signals: PageSignals;
  private readonly listeners = new ListenerMap<Listener>();
  private readonly errors = new EventListeners<ClientErrorEvent<AnyProtocol>>();
  private readonly resumes = new EventListeners<ResumeEvent<AnyProtocol>>();
  /** Sequencing, acknowledgements and the resume request; also the sink frames are sent through. */
  private readonly resume: ResumeSession;
  private socket: ClientSocket | undefined;
  private welcomed = false;
  private openedAt = 0;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every attempt and by close(): a stale endpoint resolution is ignored. */
  private generation = 0;
  private closedByClient = false;

  constructor(protocol: AnyProtocol, options: WebsocketClientOptions) {
    if (typeof protocol !== 'object' || protocol === null || protocol.kind !== 'orrery.protocol') {
      throw new OrreryError('ORRERY_INVALID_OPTIONS', 'createWebsocketClient: the first argument must be a protocol made by defineProtocol');
    }
    this.protocol = protocol;
    this.opts = resolveClientOptions(options);
    this.endpoint = { url: options.url, params: options.params, token: options.token };
    if (typeof options.url === 'string' || options.url instanceof URL) checkStaticUrl(options.url);
    const Impl = options.WebSocket ?? defaultWebsocket();
    if (Impl === undefined) throw new OrreryError('ORRERY_INVALID_OPTIONS', 'createWebsocketClient: no WebSocket implementation here; pass options.WebSocket (e.g. the ws package in Node)');
    this.Impl = Impl;
    this.outbox = new Outbox(this.opts.queue, (event) => this.errors.emit(event));
    this.inbound = new InboundDispatcher(protocol, this);
    this.resume = new ResumeSession(this.opts.resume, (text) => this.socket?.send(text) === true, () => this.welcomed && this.outbox.flush(this.resume));
    this.heartbeat = this.opts.heartbeat === undefined ? undefined : new HeartbeatMonitor(this.opts.heartbeat, () => this.resume.send(PING_TEXT), () => this.socket?.abandon('heartbeat timeout'));
    this.signals = new PageSignals(options.environment ?? defaultPageEnvironment(), () => this.wake(), () => this.suspect());
    if (options.autoConnect ?? true) this.connect();
  }

  get state(): ConnectionState {
    return this.store.state;
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  connect(): void {
    if (this.retryTimer !== undefined) return this.attemptNow();
    if (this.store.state.status !== 'closed') return;
    this.closedByClient = false;
    this.failures = 0;
    this.signals.attach();
    this.store.set({ status: 'connecting', attempt: 0, lastClose: this.store.state.lastClose });
    this.attempt();
  }

  reconnect(): void {
    if (this.store.state.status === 'closed') return this.connect();
    const socket = this.socket;
    if (socket !== undefined) {
      if (this.resume.resumable) socket.drop('reconnect'); // keep the session for the resume
      else socket.close(1000, 'reconnect');
      this.lost(socket, { code: 1000, reason: 'reconnect', wasClean: true });
    }
    this.failures = 0;
    this.store.set({ status: 'reconnecting', attempt: 0, lastClose: this.store.state.lastClose });
    this.attemptNow();
  }

  close(code = 1000, reason = CLIENT_CLOSED): ClientMessage<AnyProtocol>[] {
    if (code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new OrreryError('ORRERY_INVALID_OPTIONS', `close(${code}): a client may close with 1000 or 3000–4999`);
    }
    if (this.store.state.status === 'closed' && this.socket === undefined) return [];
    this.closedByClient = true;
    this.stopActivity();
    this.socket?.close(code, reason);
    this.socket = undefined;
    this.welcomed = false;
    this.resume.end(); // sent before the close frame, so processed unless the socket was dead
    this.outbox.requests.failAll('CLOSED', 'the client was closed', 'ORRERY_CLIENT_CLOSED');
    const unsent = this.outbox.takeUnsent();
    this.store.set({ status: 'closed', attempt: 0, lastClose: { code, reason, wasClean: true } });
    return unsent;
  }

  private attempt(): void {
    const generation = ++this.generation;
    resolveEndpoint(this.endpoint).then(
      (endpoint) => {
        if (generation !== this.generation) return;
        try {
          this.socket = new ClientSocket(this.Impl, endpoint.url, [...endpoint.protocols, ...this.resume.offer()], this, this.opts.connectTimeoutMs);
        } catch (error) {
          this.errors.emit({ error: new OrreryError('ORRERY_ENDPOINT_FAILED', `cannot open a websocket to ${endpoint.url}: ${String(error)}`, { cause: error }) });
          this.retry(undefined);
        }
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.errors.emit({ error: error as OrreryError });
        this.retry(undefined);
      },
    );
  }

  private attemptNow(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.socket === undefined) this.attempt();
  }

  /** After a failure: wait a jittered delay and try again, or give up. */
  private retry(lastClose: CloseInfo | undefined): void {
    this.failures++;
    const close = lastClose ?? this.store.state.lastClose;
    if (this.failures >= this.opts.reconnect.maxAttempts) {
      const error = new OrreryError('ORRERY_CONNECTION_CLOSED', `gave up after ${this.failures} failed attempts in a row (reconnect.maxAttempts); call connect() to try again`, { closeCode: close?.code });
      return this.terminal(close, error);
    }
    const delay = fullJitterDelay(this.failures, this.opts.reconnect);
    this.store.set({ status: 'reconnecting', attempt: this.failures, retryDelayMs: delay, lastClose: close });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.store.set({ status: 'reconnecting', attempt: this.failures, lastClose: close });
      this.attempt();
    }, delay);
  }

  /** Closed for good by the server (or by giving up): fail everything, keep nothing running. */
  private terminal(close: CloseInfo | undefined, error: OrreryError): void {
    this.stopActivity();
    this.outbox.requests.failAll('CLOSED', error.message, error.code, close?.code);
    this.outbox.dropAll(error.code, error.message, this.resume.end());
    this.store.set({ status: 'closed', attempt: this.failures, lastClose: close, error });
    this.errors.emit({ error });
  }

  private stopActivity(): void {
    this.generation++;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.heartbeat?.stop();
    this.signals.detach();
  }

  /** `online`, or the page became visible: retry now, or check the open connection. */
  private wake(): void {
    if (this.retryTimer !== undefined) this.attemptNow();
    else if (this.welcomed) this.heartbeat?.probe();
  }

  /** `offline`: check the open connection with a short deadline. */
  private suspect(): void {
    if (this.welcomed && this.opts.heartbeat !== undefined) this.heartbeat?.probe(this.opts.heartbeat.offlineTimeoutMs);
  }

  // ── socket events ──────────────────────────────────────────────────────────

  socketFrame(socket: ClientSocket, data: unknown): void {
    if (socket !== this.socket) return;
    this.heartbeat?.touch();
    this.inbound.receive(data);
  }

  socketClosed(socket: ClientSocket, close: CloseInfo): void {
    if (socket !== this.socket) return;
    this.lost(socket, close);
    if (!this.opts.retry) return this.terminal(close, closedError(close, 'reconnect is off'));
    const retry = this.opts.reconnect.shouldRetry?.(close) ?? closeDisposition(close.code) === 'retry';
    if (retry) this.retry(close);
    else this.terminal(close, closedError(close, 'not reconnecting after this close code'));
  }

  /** The socket is gone: stop its heartbeat and fail the requests sent on it. */
  private lost(socket: ClientSocket, close: CloseInfo): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (this.welcomed && Date.now() - this.openedAt >= this.opts.reconnect.stableAfterMs) this.failures = 0;
    this.welcomed = false;
    this.heartbeat?.stop();
    this.resume.lost();
    this.outbox.requests.failSent(`the connection closed (${close.code}${close.reason ? ` ${close.reason}` : ''}) before the reply; the request may or may not have run`);
  }

  /** Open: a resume's unconfirmed messages go first, then the queue, then anything new. */
  welcome(env: WelcomeEnvelope): void {
    const socket = this.socket;
    if (socket === undefined || this.welcomed) return;
    socket.welcomed();
    const outcome = this.resume.welcome(env);
    this.welcomed = true;
    this.openedAt = Date.now();
    if (outcome?.resumed === true) this.resume.resend();
    this.outbox.flush(this.resume);
    this.store.set({ status: 'open', attempt: 0, lastClose: this.store.state.lastClose });
    this.heartbeat?.start();
    if (outcome === undefined) return;
    if (!outcome.resumed) this.errors.emit({ error: outcome.error });
    this.resumes.emit(outcome);
  }

  /** A gap is reported, and the socket dropped: the next attempt resumes from the last good seq. */
  sequenced(seq: number | undefined, a: unknown, frame: string): boolean {
    const verdict = this.resume.sequence(seq, a);
    if (verdict === 'gap') {
      this.errors.emit({ error: this.resume.gapError(seq!), frame });
      this.socket?.abandon('sequence gap');
    }
    return verdict === 'deliver';
  }

  ack(seq: number): void {
    this.resume.confirm(seq);
  }

  message(name: string, data: unknown): void {
    this.listeners.emit(name, data as never);
  }

  result(id: number, data: unknown): void {
    this.outbox.requests.result(id, data);
  }

  failure(id: number, code: string, message: string): void {
    this.outbox.requests.failure(id, code, message);
  }

  invalid(error: OrreryError, frame: string): void {
    this.errors.emit({ error, frame });
  }

  // ── sending ────────────────────────────────────────────────────────────────

  send(name: string, data?: unknown): SendResult {
    this.assertUsable();
    const schema = this.protocol.clientSchemas.get(name);
    if (schema === undefined) throw new OrreryError('ORRERY_INVALID_MESSAGE', `the protocol defines no client message "${name}"`);
    if (this.opts.validateOutgoing) {
      const problem = syncIssues(schema, data);
      if (problem !== undefined) throw new OrreryError('ORRERY_INVALID_MESSAGE', `invalid message "${name}": ${problem}`);
    }
    return this.outbox.message(encodeMessage(name, data), { name, data }, this.welcomed ? this.resume : undefined);
  }

  request(name: string, input?: unknown, options: RequestOptions = {}): Promise<unknown> {
    const spec = this.protocol.requestSpecs.get(name);
    const closed = this.closedError();
    if (closed !== undefined) return Promise.reject(localFailure(name, 'CLOSED', closed.message, closed.code));
    if (spec === undefined) return Promise.reject(localFailure(name, 'UNKNOWN_REQUEST', `the protocol defines no request "${name}"`, 'ORRERY_INVALID_MESSAGE'));
    if (this.opts.validateOutgoing) {
      const problem = syncIssues(spec.input, input);
      if (problem !== undefined) return Promise.reject(localFailure(name, 'INVALID_INPUT', `invalid input of request "${name}": ${problem}`, 'ORRERY_INVALID_MESSAGE'));
    }
    const { id, promise } = this.outbox.requests.create(name, spec, options.timeoutMs ?? this.opts.requestTimeoutMs, options.signal);
    let text: string;
    try {
      text = encodeRequest(id, name, input);
    } catch (error) {
      this.outbox.requests.fail(id, 'INVALID_INPUT', (error as Error).message, 'ORRERY_NOT_SERIALIZABLE');
      return promise;
    }
    this.outbox.request(id, text, this.welcomed ? this.resume : undefined);
    return promise;
  }

  private assertUsable(): void {
    const closed = this.closedError();
    if (closed !== undefined) throw closed;
  }

  private closedError(): OrreryError | undefined {
    const state = this.store.state;
    if (state.status !== 'closed') return undefined;
    if (this.closedByClient) return new OrreryError('ORRERY_CLIENT_CLOSED', 'the client is closed; call connect() first');
    return state.error ?? new OrreryError('ORRERY_CLIENT_CLOSED', 'the client is not connected; call connect() first');
  }

  // ── listeners ──────────────────────────────────────────────────────────────

  on(name: string, listener: Listener): () => void {
    this.listeners.add(name, listener);
    return () => this.listeners.delete(name, listener);
  }

  off(name: string, listener: Listener): void {
    this.listeners.delete(name, listener);
  }

  onError(listener: (event: ClientErrorEvent<AnyProtocol>) => void): () => void {
    return this.errors.add(listener);
  }

  onResume(listener: (event: ResumeEvent<AnyProtocol>) => void): () => void {
    return this.resumes.add(listener);
  }
}

function closedError(close: CloseInfo, why: string): OrreryError {
  const status = rejectionStatus(close.code);
  const detail = `${close.code}${close.reason ? ` "${close.reason}"` : ''}`;
  if (status !== undefined) {
    return new OrreryError('ORRERY_REJECTED', `the server rejected the connection with HTTP ${status} (close ${detail}); ${why}`, { closeCode: close.code });
  }
  return new OrreryError('ORRERY_CONNECTION_CLOSED', `the server closed the connection (${detail}); ${why}`, { closeCode: close.code });
}

/** The issues of a synchronous validation, formatted; `undefined` when valid or async. */
function syncIssues(schema: StandardSchemaV1, value: unknown): string | undefined {
  const result = runSchema(schema, value);
  if (isPending(result)) {
    result.then(undefined, () => {}); // async schemas are left to the server
    return undefined;
  }
  if (result.issues === undefined) return undefined;
  return formatIssues(result.issues);
}

function checkStaticUrl(url: string | URL): void {
  try {
    websocketUrl(url);
  } catch (error) {
    throw new OrreryError('ORRERY_INVALID_OPTIONS', `createWebsocketClient: ${(error as Error).message}`, { cause: error });
  }
}
