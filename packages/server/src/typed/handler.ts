/**
 * `defineTypedHandler`: a typed handler for a protocol, as a plain {@link WebsocketHandler}
 * that runs on the connection actor like any other (and under `testHandler`).
 *
 * What the typed layer does with each client frame (docs/protocol.md has the table):
 * - binary frame → close 1003 (orrery.v1 frames are JSON text);
 * - not an envelope (decode error) or an unknown message name → close 1007, reason says why;
 * - `msg` whose data fails its schema → close 1007, reason names the failed path; the
 *   handler never sees it;
 * - `req` with an unknown name → `err` reply `UNKNOWN_REQUEST`; input failing its schema →
 *   `err` reply `INVALID_INPUT` naming the path; the connection stays open;
 * - `ping` → `pong`; `ack` (reserved for resume) → ignored.
 * A callback that throws is a handler error as in the raw behaviour: close 1011, logged.
 *
 * The sync path allocates no closure and no Promise: a Promise appears only when a schema or
 * a callback is itself async.
 */
import {
  decodeClientFrame,
  encodeFailure,
  formatIssues,
  isPending,
  MAX_CLOSE_REASON_BYTES,
  OrreryError,
  PONG_TEXT,
  runSchema,
  truncateUtf8,
  WELCOME_TEXT,
  type AnyProtocol,
  type ClientMessageEnvelope,
  type RequestEnvelope,
  type RequestSpec,
  type ServerMessage,
  type StandardSchemaV1,
} from '@orrery/protocol';
import { actorOf } from '../actor.js';
import type { Conn } from '../conn.js';
import { WelcomeFrame } from '../frames.js';
import type { Awaitable, CallbackResult, DataFrame, Frame, Rejection, TerminateReason, TextFrame, WebsocketHandler } from '../types.js';
import { closeFrame, OutgoingEncoder } from './outgoing.js';
import type { TypedHandler, TypedHandlerOptions } from './types.js';

/** A {@link WebsocketHandler} made from a protocol; it remembers the protocol (for `typedRegistry`). */
export interface TypedWebsocketHandler<P extends AnyProtocol, S, M, A extends object> extends WebsocketHandler<S, M, A> {
  readonly protocol: P;
}

type AnyCallback = (state: unknown, conn: Conn<object, unknown>, data: unknown) => unknown;
interface MessageEntry { readonly fn: AnyCallback; readonly schema: StandardSchemaV1; readonly where: string; readonly name: string }
interface RequestEntry { readonly fn: AnyCallback; readonly spec: RequestSpec; readonly where: string; readonly name: string }

const WELCOME_FRAME: TextFrame = new WelcomeFrame(WELCOME_TEXT);
const PONG_FRAME: TextFrame = Object.freeze({ type: 'text', data: PONG_TEXT });
const NO_FRAMES: readonly Frame[] = Object.freeze([]);
const BINARY_REASON = 'orrery.v1 frames are JSON text; binary frames are not accepted';

/**
 * Make a route handler from a protocol and typed callbacks.
 *
 * @example
 * const chatHandler = defineTypedHandler(chat, {
 *   init: async (conn) => {
 *     await conn.registry.group.join('lobby', conn);
 *     return [{ name: conn.query.get('name') ?? 'anon' }, []];
 *   },
 *   messages: {
 *     say: async (state, conn, { text }) => {
 *       await conn.registry.group.publish('lobby', { name: 'said', data: { from: state.name, text, at: Date.now() } });
 *       return [state, []];
 *     },
 *   },
 *   requests: {
 *     history: (state, _conn, { room }) => (rooms.has(room) ? [state, rooms.get(room)!] : [state, fail('NOT_FOUND', room)]),
 *   },
 * });
 * createWebsocketServer({ port: 3000, routes: [route('/chat', chatHandler)] });
 *
 * @throws OrreryError `ORRERY_INVALID_OPTIONS` when a message or request of the protocol has
 *   no callback, or a callback names something the protocol does not define.
 */
export function defineTypedHandler<P extends AnyProtocol, S, M = ServerMessage<P>, A extends object = Record<string, unknown>>(
  protocol: P,
  handler: TypedHandler<P, S, M, A>,
  options: TypedHandlerOptions = {},
): TypedWebsocketHandler<P, S, M, A> {
  return new TypedAdapter(protocol, handler as unknown as LooseHandler, options) as unknown as TypedWebsocketHandler<P, S, M, A>;
}

/** The typed handler as the adapter sees it at run time. */
interface LooseHandler {
  connect?(conn: Conn<object, unknown>): Awaitable<Conn<object, unknown> | Rejection>;
  init(conn: Conn<object, unknown>): unknown;
  messages?: Readonly<Record<string, unknown>>;
  requests?: Readonly<Record<string, unknown>>;
  handleServerMessage?(state: unknown, conn: Conn<object, unknown>, message: unknown): unknown;
  terminate?(state: unknown, conn: Conn<object, unknown>, reason: TerminateReason): Awaitable<void>;
}

class TypedAdapter implements WebsocketHandler<unknown, unknown, object> {
  readonly protocol: AnyProtocol;
  connect?: (conn: Conn<object, unknown>) => Awaitable<Conn<object, unknown> | Rejection>;
  terminate?: (state: unknown, conn: Conn<object, unknown>, reason: TerminateReason) => Awaitable<void>;
  private readonly h: LooseHandler;
  private readonly encoder: OutgoingEncoder;
  private readonly messageEntries: Map<string, MessageEntry>;
  private readonly requestEntries: Map<string, RequestEntry>;

  constructor(protocol: AnyProtocol, h: LooseHandler, options: TypedHandlerOptions) {
    if (typeof h !== 'object' || h === null || typeof h.init !== 'function') invalid('defineTypedHandler: the handler must implement init(conn)');
    this.protocol = protocol;
    this.h = h;
    this.encoder = new OutgoingEncoder(protocol, options.validateOutgoing ?? true);
    this.messageEntries = entries(protocol.clientSchemas, h.messages, 'messages', (fn, schema, where, name) => ({ fn, schema, where, name }));
    this.requestEntries = entries(protocol.requestSpecs, h.requests, 'requests', (fn, spec, where, name) => ({ fn, spec, where, name }));
    if (h.connect !== undefined) this.connect = (conn) => h.connect!(conn);
    if (h.terminate !== undefined) this.terminate = (state, conn, reason) => h.terminate!(state, conn, reason);
  }

  init(conn: Conn<object, unknown>): Awaitable<CallbackResult<unknown>> {
    const result = this.h.init(conn);
    if (isThenable(result)) return result.then((r) => this.initResult(r));
    return this.initResult(result);
  }

  handleClientMessage(state: unknown, conn: Conn<object, unknown>, frame: DataFrame): Awaitable<CallbackResult<unknown>> {
    if (frame.type !== 'text') return [state, [closeFrame(1003, BINARY_REASON)]];
    let env;
    try {
      env = decodeClientFrame(frame.data);
    } catch (error) {
      return [state, [closeFrame(1007, truncateUtf8((error as Error).message, MAX_CLOSE_REASON_BYTES))]];
    }
    // Resumable connections: acknowledgements and client sequence numbers (docs/protocol.md §6).
    if (env.t === 'ack') {
      actorOf(conn)?.acknowledge(env.seq);
      return [state, NO_FRAMES];
    }
    if (env.a !== undefined) actorOf(conn)?.acknowledge(env.a);
    switch (env.t) {
      case 'msg':
        if (env.cs !== undefined && actorOf(conn)?.acceptClientSeq(env.cs) === false) return [state, NO_FRAMES];
        return this.clientMessage(state, conn, env);
      case 'req':
        return this.request(state, conn, env);
      default:
        return [state, [PONG_FRAME]];
    }
  }

  handleServerMessage(state: unknown, conn: Conn<object, unknown>, message: unknown): Awaitable<CallbackResult<unknown>> {
    const own = this.h.handleServerMessage;
    if (own === undefined) return [state, [this.encoder.shared(message, 'the default handleServerMessage (forward)')]];
    const result = own.call(this.h, state, conn, message);
    if (isThenable(result)) return result.then((r) => this.result(r, 'handleServerMessage', true));
    return this.result(result, 'handleServerMessage', true);
  }

  private clientMessage(state: unknown, conn: Conn<object, unknown>, env: ClientMessageEnvelope): Awaitable<CallbackResult<unknown>> {
    const entry = this.messageEntries.get(env.n);
    if (entry === undefined) return [state, [closeFrame(1007, truncateUtf8(`unknown message "${env.n}"`, MAX_CLOSE_REASON_BYTES))]];
    const checked = runSchema(entry.schema, env.d);
    if (isPending(checked)) return checked.then((r) => this.runMessage(state, conn, entry, r));
    return this.runMessage(state, conn, entry, checked);
  }

  private runMessage(state: unknown, conn: Conn<object, unknown>, entry: MessageEntry, checked: StandardSchemaV1.Result<unknown>): Awaitable<CallbackResult<unknown>> {
    if (checked.issues !== undefined) {
      const reason = `invalid message "${entry.name}": ${formatIssues(checked.issues, 1)}`;
      return [state, [closeFrame(1007, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES))]];
    }
    const result = entry.fn.call(this.h.messages, state, conn, checked.value);
    if (isThenable(result)) return result.then((r) => this.result(r, entry.where, false));
    return this.result(result, entry.where, false);
  }

  private request(state: unknown, conn: Conn<object, unknown>, env: RequestEnvelope): Awaitable<CallbackResult<unknown>> {
    const entry = this.requestEntries.get(env.n);
    if (entry === undefined) return [state, [failureFrame(env.id, 'UNKNOWN_REQUEST', `unknown request "${env.n}"`)]];
    const checked = runSchema(entry.spec.input, env.d);
    if (isPending(checked)) return checked.then((r) => this.runRequest(state, conn, entry, env.id, r));
    return this.runRequest(state, conn, entry, env.id, checked);
  }

  private runRequest(state: unknown, conn: Conn<object, unknown>, entry: RequestEntry, id: number, checked: StandardSchemaV1.Result<unknown>): Awaitable<CallbackResult<unknown>> {
    if (checked.issues !== undefined) {
      return [state, [failureFrame(id, 'INVALID_INPUT', `invalid input of request "${entry.name}": ${formatIssues(checked.issues)}`)]];
    }
    const result = entry.fn.call(this.h.requests, state, conn, checked.value);
    if (isThenable(result)) return result.then((r) => this.requestResult(r, entry, id));
    return this.requestResult(result, entry, id);
  }

  private initResult(result: unknown): CallbackResult<unknown> {
    const r = tuple(result, 'init', 2);
    return [r[0], this.encoder.frames(r[1], 'init', false, WELCOME_FRAME)];
  }

  private result(result: unknown, where: string, shared: boolean): CallbackResult<unknown> {
    const r = tuple(result, where, 2);
    return [r[0], this.encoder.frames(r[1], where, shared)];
  }

  private requestResult(result: unknown, entry: RequestEntry, id: number): CallbackResult<unknown> {
    const r = tuple(result, entry.where, 3);
    const reply = this.encoder.reply(id, entry.name, entry.spec, r[1], entry.where);
    return [r[0], this.encoder.frames(r[2] ?? NO_FRAMES, entry.where, false, reply)];
  }
}

function failureFrame(id: number, code: string, message: string): TextFrame {
  return { type: 'text', data: encodeFailure(id, code, message) };
}

/** Check `[state, x]` (or `[state, reply, messages?]` when `max` is 3). */
function tuple(result: unknown, where: string, max: 2 | 3): readonly unknown[] {
  if (!Array.isArray(result) || result.length < 2 || result.length > max) {
    const shape = max === 2 ? '[state, messages]' : '[state, reply] or [state, reply, messages]';
    throw new OrreryError('ORRERY_INVALID_RESULT', `${where} must return ${shape}, got ${Array.isArray(result) ? `an array of ${result.length}` : typeof result}`);
  }
  return result;
}

function entries<V, E>(
  defined: ReadonlyMap<string, V>,
  callbacks: Readonly<Record<string, unknown>> | undefined,
  section: 'messages' | 'requests',
  make: (fn: AnyCallback, value: V, where: string, name: string) => E,
): Map<string, E> {
  const out = new Map<string, E>();
  if (callbacks !== undefined && (typeof callbacks !== 'object' || callbacks === null)) invalid(`defineTypedHandler: ${section} must be an object of callbacks`);
  for (const name of Object.keys(callbacks ?? {})) {
    if (!defined.has(name)) invalid(`defineTypedHandler: ${section}.${name} is not in the protocol (it defines: ${[...defined.keys()].join(', ') || 'none'})`);
  }
  for (const [name, value] of defined) {
    const fn = callbacks?.[name];
    if (typeof fn !== 'function') invalid(`defineTypedHandler: the protocol defines ${section === 'messages' ? 'client message' : 'request'} "${name}"; implement ${section}.${name}`);
    out.set(name, make(fn as AnyCallback, value, `${section}.${name}`, name));
  }
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function invalid(message: string): never {
  throw new OrreryError('ORRERY_INVALID_OPTIONS', message);
}
