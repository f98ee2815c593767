/**
 * Unit-test a handler's callbacks without a socket (like antikythera's ConnHelper or
 * Phoenix.ChannelTest). The callbacks run in the real connection actor — same ordering,
 * same result checks, same registry — with a transport that records frames.
 *
 * @example
 * const h = await testHandler(chatHandler, { query: { name: 'ada' } });
 * expect(await h.connect()).toBe('accepted');
 * await h.init();
 * expect(await h.clientMessage('hello')).toEqual([{ type: 'text', data: 'ada: hello' }]);
 * await h.registry.group.publish('lobby', { text: 'hi' }); // reaches the handler
 * await h.end({ type: 'remote', code: 1000 });
 */
import { ConnectionActor, type RouteRuntime } from '../actor.js';
import { Conn, connLifecycle } from '../conn.js';
import { connectWithTimeout } from '../handshake.js';
import { createRouteStats, type Logger } from '../observability.js';
import { resolveLimits, type ConnectionLimits } from '../options.js';
import { memoryRegistry } from '../registry/memory.js';
import type { RegistryBackend } from '../registry/types.js';
import { createRegistryView, type Registry } from '../registry/view.js';
import { isRejection, type DataFrame, type Frame, type Rejection, type TerminateReason, type WebsocketHandler } from '../types.js';

/** The request a harness connection pretends to come from. */
export interface HarnessOptions {
  /** @default '/test' */
  path?: string;
  pathParams?: Record<string, string>;
  query?: Record<string, string> | string;
  headers?: Record<string, string>;
  /** @default '127.0.0.1' */
  remoteAddress?: string;
  /** Route name (registry namespace). @default 'test' */
  route?: string;
  /** @default a fresh in-memory registry */
  registry?: RegistryBackend;
  limits?: ConnectionLimits;
  /** Receives the handler's error logs. @default silent */
  logger?: Logger;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let harnessSeq = 0;

/** The actor with a transport that records frames. */
class RecordingConnection extends ConnectionActor {
  readonly sent: Frame[] = [];
  closedWith: { code: number; reason: string } | undefined;
  constructor(conn: Conn<object, unknown>, rt: RouteRuntime) {
    super(conn, rt);
  }
  protected sendFrame(frame: DataFrame): void {
    this.sent.push(frame.type === 'text' ? { type: 'text', data: frame.data } : { type: 'binary', data: frame.data });
  }
  protected closeTransport(code: number, reason: string): void {
    this.closedWith = { code, reason };
    this.sent.push({ type: 'close', code, reason });
  }
}

/** A handler under test. */
export class HandlerHarness<S, M, A extends object> {
  readonly conn: Conn<A, M>;
  readonly registry: Registry<M>;
  private actor: RecordingConnection | undefined;

  constructor(private readonly handler: WebsocketHandler<S, M, A>, private readonly options: HarnessOptions, private readonly backend: RegistryBackend) {
    const route = options.route ?? 'test';
    this.registry = createRegistryView<M>(backend.namespace(route));
    const query = typeof options.query === 'string' ? options.query : new URLSearchParams(options.query ?? {}).toString();
    this.conn = new Conn<A, M>({
      site: { idPrefix: 'harness.', route, registry: this.registry as Registry<unknown> },
      seq: ++harnessSeq,
      path: options.path ?? '/test',
      pathParams: options.pathParams ?? {},
      rawQuery: query,
      headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      remoteAddress: options.remoteAddress ?? '127.0.0.1',
    });
  }

  /** Every frame sent so far (a close appears as `{type:'close', code, reason}`). */
  get sent(): readonly Frame[] {
    return this.actor?.sent ?? [];
  }

  /** The close the handler (or a limit) sent, if any. */
  get closed(): { code: number; reason: string } | undefined {
    return this.actor?.closedWith;
  }

  /** The connection's current state. */
  get state(): S {
    return this.requireActor().state as S;
  }

  /** Run `connect`: `'accepted'` or the rejection. */
  async connect(): Promise<'accepted' | Rejection> {
    const limits = resolveLimits('harness', this.options.limits);
    const outcome = await connectWithTimeout(this.handler as WebsocketHandler<unknown, unknown, object>, this.conn as Conn<object, unknown>, limits.connectTimeoutMs);
    if (isRejection(outcome)) return outcome;
    if (outcome instanceof Conn) return 'accepted';
    return { kind: 'orrery.rejection', status: outcome.status, body: outcome.body, headers: {} };
  }

  /** Headers `connect` set for the 101. */
  responseHeaders(): Readonly<Record<string, string>> {
    return connLifecycle.responseHeaders(this.conn as Conn<object, unknown>);
  }

  /** Run `init`; resolves with the frames it sent. */
  async init(): Promise<Frame[]> {
    if (this.actor !== undefined) throw new Error('init already ran');
    const limits = resolveLimits('harness', this.options.limits);
    const ns = this.backend.namespace(this.options.route ?? 'test');
    connLifecycle.upgraded(this.conn as Conn<object, unknown>, '');
    this.actor = new RecordingConnection(this.conn as Conn<object, unknown>, {
      name: this.options.route ?? 'test',
      handler: this.handler as WebsocketHandler<unknown, unknown, object>,
      limits,
      namespace: ns,
      logger: this.options.logger ?? silent,
      stats: createRouteStats('test', this.conn.path),
    });
    const actor = this.actor;
    return this.collect(() => actor.start());
  }

  /** A client message (a string is a text frame); resolves with the frames sent in reply. */
  clientMessage(frame: DataFrame | string | Uint8Array): Promise<Frame[]> {
    const f: DataFrame = typeof frame === 'string' ? { type: 'text', data: frame } : frame instanceof Uint8Array ? { type: 'binary', data: frame } : frame;
    const actor = this.requireActor();
    return this.collect(() => actor.clientFrame(f));
  }

  /** A registry message delivered to this connection only; resolves with the frames sent. */
  serverMessage(message: M): Promise<Frame[]> {
    const actor = this.requireActor();
    return this.collect(() => actor.deliver(message));
  }

  /** Wait until the actor is idle, then return frames sent since `from`. */
  async settle(from = 0): Promise<Frame[]> {
    const actor = this.requireActor();
    while (!actor.idle) await new Promise((r) => setTimeout(r, 1));
    return actor.sent.slice(from);
  }

  /** End the connection as the client or network would, and run `terminate`. */
  async end(reason: TerminateReason = { type: 'remote', code: 1000, reason: '' }): Promise<TerminateReason> {
    const actor = this.requireActor();
    actor.transportEnded(reason);
    return actor.whenTerminated();
  }

  /** Resolves with the terminate reason once `terminate` has run. */
  get terminated(): Promise<TerminateReason> {
    return this.requireActor().whenTerminated();
  }

  /** Close the harness's own registry (when it created it). */
  async dispose(): Promise<void> {
    if (this.options.registry === undefined) await this.backend.close();
  }

  private async collect(run: () => void): Promise<Frame[]> {
    const from = this.actor?.sent.length ?? 0;
    run();
    return this.settle(from);
  }

  private requireActor(): RecordingConnection {
    if (this.actor === undefined) throw new Error('call init() first');
    return this.actor;
  }
}

/** Build a harness for `handler`. */
export function testHandler<S, M = unknown, A extends object = Record<string, unknown>>(
  handler: WebsocketHandler<S, M, A>,
  options: HarnessOptions = {},
): HandlerHarness<S, M, A> {
  return new HandlerHarness(handler, options, options.registry ?? memoryRegistry());
}
