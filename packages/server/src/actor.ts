/**
 * The connection actor: one mailbox per connection; `init`, client frames, server messages
 * and `terminate` run strictly one at a time, in arrival order, even when callbacks are async.
 *
 * Invariants:
 * - `busy` is true exactly while a callback runs (sync or awaiting); events that arrive
 *   meanwhile (including re-entrant deliveries from the callback itself) wait in the mailbox.
 * - A sync callback costs no Promise and no allocation on the fast path (empty mailbox).
 * - `terminate` runs once, after the running callback settles; events still queued then are
 *   dropped and counted (they could not be answered: the connection is gone).
 * - Registry entries are removed before `terminate` runs, so nothing reaches a dead connection.
 *
 * The actor knows nothing about sockets: a subclass supplies `sendFrame` and
 * `closeTransport` (the websocket connection in `ws-connection.ts`, a recorder in the test
 * harness). One object per connection holds both, which keeps idle connections small.
 */
import { OrreryError } from '@orrery/protocol';
import { connLifecycle, memberOfConn, type Conn } from './conn.js';
import { checkResult } from './frames.js';
import type { Logger, RouteStats } from './observability.js';
import type { ResolvedLimits } from './options.js';
import type { RegistryMember, RegistryNamespace } from './registry/types.js';
import type { CallbackResult, DataFrame, TerminateReason, WebsocketHandler } from './types.js';

/** What every actor of one route shares. */
export interface RouteRuntime {
  readonly name: string;
  readonly handler: WebsocketHandler<unknown, unknown, object>;
  readonly limits: ResolvedLimits;
  readonly namespace: RegistryNamespace;
  readonly logger: Logger;
  readonly stats: RouteStats;
}

const INIT = 0;
const CLIENT = 1;
const SERVER = 2;
type Kind = typeof INIT | typeof CLIENT | typeof SERVER;
const CALLBACK_NAMES = ['init', 'handleClientMessage', 'handleServerMessage'] as const;

const STARTING = 0;
const OPEN = 1;
const CLOSING = 2;
const DONE = 3;

/** Events waiting while a callback runs: kind, payload, kind, payload … from `head`. */
interface Mailbox {
  items: unknown[];
  head: number;
}

/** Token bucket of the optional inbound rate limit (allocated only when a route sets one). */
interface Bucket {
  tokens: number;
  refilledAt: number;
}

/** One connection's actor. It is also the connection's registry member. */
export abstract class ConnectionActor<R extends RouteRuntime = RouteRuntime> implements RegistryMember {
  state: unknown = undefined;
  framesReceived = 0;
  framesSent = 0;
  /** Events dropped because the connection ended before they ran. */
  dropped = 0;

  private phase = STARTING;
  private busy = false;
  private initialized = false;
  /** Created when the first event has to wait. */
  private mailbox: Mailbox | undefined;
  private closeReason: TerminateReason | undefined;
  private bucket: Bucket | undefined;
  /** Waiters of {@link whenTerminated}; a TerminateReason once terminated. */
  private ending: ((reason: TerminateReason) => void)[] | TerminateReason | undefined;

  constructor(
    readonly conn: Conn<object, unknown>,
    protected readonly rt: R,
  ) {
    if (rt.limits.rateLimit !== undefined) this.bucket = { tokens: rt.limits.rateLimit.messages, refilledAt: Date.now() };
  }

  /** Queue a checked data frame. `shared`: the same object may go to many connections. */
  protected abstract sendFrame(frame: DataFrame, shared: boolean): void;
  /** Send queued frames, then a close frame, then end the connection. */
  protected abstract closeTransport(code: number, reason: string): void;

  /**
   * A resumable connection's client acknowledged server messages up to `seq`. The typed layer
   * calls it; connections that are not resumable ignore it.
   */
  acknowledge(_seq: number): void {}

  /**
   * Whether client message number `cs` is new (a resend of a processed one is dropped).
   * Connections that are not resumable accept everything.
   */
  acceptClientSeq(_cs: number): boolean {
    return true;
  }

  /** Called once when terminate has run (subclasses release what they hold). */
  protected onTerminated(_reason: TerminateReason): void {}

  /** The connection id (RegistryMember). */
  get id(): string {
    return this.conn.id;
  }

  /** Resolves with the terminate reason once terminate has run. */
  whenTerminated(): Promise<TerminateReason> {
    const ending = this.ending;
    if (ending !== undefined && !Array.isArray(ending)) return Promise.resolve(ending);
    return new Promise((resolve) => {
      if (Array.isArray(ending)) ending.push(resolve);
      else this.ending = [resolve];
    });
  }

  /** True until the connection starts closing. */
  get open(): boolean {
    return this.phase < CLOSING;
  }

  /** No callback running and nothing queued. */
  get idle(): boolean {
    return !this.busy && this.mailboxDepth === 0;
  }

  /** Events waiting in the mailbox. */
  get mailboxDepth(): number {
    const m = this.mailbox;
    return m === undefined ? 0 : (m.items.length - m.head) / 2;
  }

  /** Run `init`. Call once, right after the 101. */
  start(): void {
    connLifecycle.setMember(this.conn, this);
    this.rt.logger.info('websocket connected', { route: this.rt.name, conn: this.id, remote_address: this.conn.remoteAddress });
    this.exec(INIT, undefined);
    this.pump();
  }

  /** A message from the client. */
  clientFrame(frame: DataFrame): void {
    if (this.phase >= CLOSING) {
      this.dropped++;
      return;
    }
    const limit = this.rt.limits.rateLimit;
    if (this.bucket !== undefined && limit !== undefined && !this.takeToken(this.bucket, limit)) {
      this.dropped++;
      this.beginClose(1008, 'rate limit exceeded', {
        type: 'error',
        error: new OrreryError('ORRERY_RATE_LIMITED', `client sent more than ${limit.messages} messages per ${limit.intervalMs} ms`, { closeCode: 1008 }),
      });
      return;
    }
    this.dispatch(CLIENT, frame);
  }

  /** A message from the registry (RegistryMember). */
  deliver(message: unknown): void {
    if (this.phase >= CLOSING) {
      this.dropped++;
      return;
    }
    this.dispatch(SERVER, message);
  }

  /** The transport ended by itself (client close, TCP drop, protocol error). */
  transportEnded(reason: TerminateReason): void {
    if (this.phase >= CLOSING) return;
    this.phase = CLOSING;
    this.closeReason = reason;
    this.dropQueue();
    if (!this.busy) this.runTerminate();
  }

  /** End the connection from the server side: close frame `code`/`reason`, then terminate with `terminateReason`. */
  beginClose(code: number, reason: string, terminateReason: TerminateReason): void {
    if (this.phase >= CLOSING) return;
    this.phase = CLOSING;
    this.closeReason = terminateReason;
    this.closeTransport(code, reason);
    this.dropQueue();
    if (!this.busy) this.runTerminate();
  }

  private dispatch(kind: Kind, payload: unknown): void {
    if (this.busy || (this.mailbox !== undefined && this.mailbox.head !== this.mailbox.items.length)) {
      this.enqueue(kind, payload);
      return;
    }
    this.exec(kind, payload);
    this.pump();
  }

  private enqueue(kind: Kind, payload: unknown): void {
    const m = (this.mailbox ??= { items: [], head: 0 });
    if ((m.items.length - m.head) / 2 >= this.rt.limits.maxMailbox) {
      this.dropped++;
      this.beginClose(1013, 'mailbox overflow', {
        type: 'error',
        error: new OrreryError('ORRERY_MAILBOX_OVERFLOW', `more than ${this.rt.limits.maxMailbox} events waited for connection ${this.id}`, { closeCode: 1013 }),
      });
      return;
    }
    m.items.push(kind, payload);
  }

  /** Run queued events while idle. */
  private pump(): void {
    const m = this.mailbox;
    if (m === undefined) return;
    const items = m.items;
    while (!this.busy && this.phase < CLOSING && m.head < items.length) {
      const kind = items[m.head] as Kind;
      const payload = items[m.head + 1];
      items[m.head] = items[m.head + 1] = undefined;
      m.head += 2;
      if (m.head === items.length) {
        items.length = 0;
        m.head = 0;
      } else if (m.head >= 1024 && m.head * 2 >= items.length) {
        items.splice(0, m.head);
        m.head = 0;
      }
      this.exec(kind, payload);
    }
  }

  private exec(kind: Kind, payload: unknown): void {
    this.busy = true;
    let result: unknown;
    try {
      const h = this.rt.handler;
      result =
        kind === CLIENT ? h.handleClientMessage(this.state, this.conn, payload as DataFrame)
        : kind === SERVER ? h.handleServerMessage(this.state, this.conn, payload)
        : h.init(this.conn);
    } catch (error) {
      this.busy = false;
      this.fail(error, kind);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => { this.settle(kind, value); this.afterAsync(); },
        (error: unknown) => { this.busy = false; this.fail(error, kind); this.afterAsync(); },
      );
      return;
    }
    this.settle(kind, result);
  }

  private afterAsync(): void {
    if (this.phase >= CLOSING) {
      if (!this.busy && this.phase === CLOSING) this.runTerminate();
      return;
    }
    this.pump();
  }

  private settle(kind: Kind, result: unknown): void {
    this.busy = false;
    let checked;
    try {
      checked = checkResult(result, CALLBACK_NAMES[kind]);
    } catch (error) {
      this.fail(error, kind);
      return;
    }
    const [state, frames] = result as CallbackResult<unknown>;
    this.state = state;
    if (kind === INIT) {
      this.initialized = true;
      if (this.phase === STARTING) this.phase = OPEN;
      if (!this.rt.limits.retainRequest) connLifecycle.releaseRequest(this.conn);
    } else if (kind === CLIENT) {
      this.framesReceived++;
    }
    const shared = kind === SERVER;
    for (let i = 0; i < checked.count && this.phase < CLOSING; i++) {
      this.sendFrame(frames[i] as DataFrame, shared);
      this.framesSent++;
    }
    if (checked.close !== undefined) this.beginClose(checked.close.code, checked.close.reason, { type: 'stop' });
  }

  private fail(error: unknown, kind: Kind): void {
    this.rt.stats.handlerErrors++;
    this.rt.logger.error(`websocket ${CALLBACK_NAMES[kind]} failed`, { route: this.rt.name, conn: this.id, error });
    if (this.phase >= CLOSING) return;
    this.beginClose(1011, 'internal error', { type: 'error', error });
  }

  private dropQueue(): void {
    const m = this.mailbox;
    if (m === undefined) return;
    this.dropped += (m.items.length - m.head) / 2;
    this.mailbox = undefined;
  }

  private runTerminate(): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    const reason = this.closeReason ?? { type: 'normal' };
    this.rt.namespace.removeMember(this);
    connLifecycle.setMember(this.conn, undefined);
    const terminate = this.rt.handler.terminate;
    if (terminate === undefined || !this.initialized) {
      this.finish(reason);
      return;
    }
    let result: unknown;
    try {
      result = terminate.call(this.rt.handler, this.state, this.conn, reason);
    } catch (error) {
      this.terminateFailed(error);
    }
    if (isThenable(result)) {
      result.then(
        () => this.finish(reason),
        (error: unknown) => { this.terminateFailed(error); this.finish(reason); },
      );
    } else {
      this.finish(reason);
    }
  }

  private terminateFailed(error: unknown): void {
    this.rt.logger.error('websocket terminate failed', { route: this.rt.name, conn: this.id, error });
  }

  private finish(reason: TerminateReason): void {
    this.rt.stats.mailboxDropped += this.dropped;
    this.onTerminated(reason);
    this.rt.logger.info('websocket disconnected', {
      route: this.rt.name,
      conn: this.id,
      connected_at: new Date(this.conn.connectedAt).toISOString(),
      frames_received: this.framesReceived,
      frames_sent: this.framesSent,
      dropped: this.dropped,
      reason: formatReason(reason),
    });
    const waiters = this.ending;
    this.ending = reason;
    if (Array.isArray(waiters)) for (const resolve of waiters) resolve(reason);
  }

  private takeToken(bucket: Bucket, limit: { messages: number; intervalMs: number }): boolean {
    const now = Date.now();
    const elapsed = now - bucket.refilledAt;
    if (elapsed > 0) {
      bucket.tokens = Math.min(limit.messages, bucket.tokens + (elapsed * limit.messages) / limit.intervalMs);
      bucket.refilledAt = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

/** The actor behind a live connection, if any. */
export function actorOf(conn: Conn<object, unknown>): ConnectionActor | undefined {
  const member = memberOfConn(conn);
  return member instanceof ConnectionActor ? member : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** A terminate reason as one log field: `remote 1000 "bye"`, `error ORRERY_CONNECTION_LOST`. */
export function formatReason(reason: TerminateReason): string {
  switch (reason.type) {
    case 'remote':
      return reason.code === undefined ? 'remote' : `remote ${reason.code}${reason.reason ? ` ${JSON.stringify(reason.reason)}` : ''}`;
    case 'error': {
      const e = reason.error;
      if (e instanceof OrreryError) return `error ${e.code}`;
      return `error ${e instanceof Error ? e.name : typeof e}`;
    }
    default:
      return reason.type;
  }
}
